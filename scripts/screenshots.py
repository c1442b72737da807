"""Take the README's screenshots from the real demo: the wallboard, the staffing page and the search page.

Starts `hotline demo` (free ports, a scratch folder), signs in through Debian's headless Chromium as
the supervisor and as the analyst, waits until the replayed capture has callers waiting and recordings
transcribed, and writes docs/wallboard.png, docs/staffing.png and docs/search.png.
Ctrl-C (SIGINT) stops the demo.

    .venv/bin/python scripts/screenshots.py [--out docs] [--speed 4]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from hotline_app.demo import BANNER_END, read_banner

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--mute-audio"]


def start_demo(folder: Path, speed: float) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    hotline = Path(sys.executable).with_name("hotline")
    process = subprocess.Popen(  # noqa: S603  (our own console script, fixed arguments)
        [str(hotline), "demo", "--dir", str(folder), "--port", "0", "--agi-port", "0", "--speed", str(speed)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if BANNER_END in line:
            break
    banner = read_banner("".join(lines))
    if banner is None:
        process.kill()
        raise SystemExit("the demo did not start:\n" + "".join(lines))
    return process, banner.url, banner.passwords


def sign_in(browser: Browser, url: str, username: str, password: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    parser.add_argument("--speed", type=float, default=4.0)
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        process, url, passwords = start_demo(Path(scratch) / "demo", options.speed)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                wallboard = sign_in(browser, url, "supervisor", passwords["supervisor"])
                # A busy moment: several callers waiting and operators talking.
                expect(wallboard.locator("#waiting tr").nth(2)).to_be_visible(timeout=120_000)
                expect(wallboard.locator("#agents tr.ag-talking").nth(2)).to_be_visible(timeout=60_000)
                time.sleep(2)  # let the chart draw its first points
                wallboard.screenshot(path=str(options.out / "wallboard.png"), full_page=True)

                staffing = sign_in(browser, url, "supervisor", passwords["supervisor"])
                staffing.goto(f"{url}/staffing")
                # Today only: the replay is re-timed to the present, so today holds the demo's calls.
                staffing.fill("input[name=since]", staffing.input_value("input[name=until]"))
                staffing.click("#staffing-form button[type=submit]")
                expect(staffing.locator("#staffing-model")).to_contain_text("Erlang", timeout=30_000)
                time.sleep(1)
                staffing.screenshot(path=str(options.out / "staffing.png"), full_page=True)

                search = sign_in(browser, url, "analyst", passwords["analyst"])
                hits = search.locator("#hits li")
                for _ in range(60):  # until the listener has queued and the demo stored the recordings
                    search.fill("#query", "мусор")
                    search.click("#search-form button[type=submit]")
                    time.sleep(1)
                    if hits.count() > 0:
                        break
                hits.first.click()
                time.sleep(1)
                search.screenshot(path=str(options.out / "search.png"), full_page=True)
                browser.close()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(30)
    print(f"wrote wallboard.png, staffing.png and search.png in {options.out}")


if __name__ == "__main__":
    main()
