"""`hotline models download`: fetch an official Vosk model archive, verify it, unpack it safely.

The archive is checked against --sha256 when given, else against the MD5 that the official model
list (model-list.json next to the archives) publishes for it; an unverifiable archive is refused.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from hotline.errors import ModelDownloadError

log = logging.getLogger(__name__)

OFFICIAL_BASE_URL = "https://alphacephei.com/vosk/models/"
MODEL_LIST = "model-list.json"
CHUNK = 1 << 16

Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    size_bytes: int


def archive_url(name: str, base_url: str = OFFICIAL_BASE_URL) -> str:
    return base_url.rstrip("/") + f"/{name}.zip"


def _valid_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.startswith("vosk-model"):
        raise ModelDownloadError(f"{name!r} is not a Vosk model name (like vosk-model-small-ru-0.22)")
    return name


def expected_md5(client: httpx.Client, name: str, list_url: str) -> str | None:
    try:
        response = client.get(list_url)
        response.raise_for_status()
        entries = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("model list unavailable", extra={"url": list_url, "error": str(exc)})
        return None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name and entry.get("md5"):
            return str(entry["md5"]).lower()
    return None


def download_model(
    name: str,
    models_dir: Path,
    *,
    url: str | None = None,
    sha256: str | None = None,
    base_url: str = OFFICIAL_BASE_URL,
    progress: Progress | None = None,
    timeout_s: float = 60.0,
) -> InstalledModel:
    """Download NAME into models_dir/NAME (replacing nothing that exists); returns where it went."""
    name = _valid_name(name)
    target = models_dir / name
    if target.exists():
        raise ModelDownloadError(f"{target} already exists; remove it first to download again")
    models_dir.mkdir(parents=True, exist_ok=True)
    source = url or archive_url(name, base_url)
    with httpx.Client(timeout=timeout_s, follow_redirects=True) as client:
        md5 = None if sha256 else expected_md5(client, name, base_url.rstrip("/") + "/" + MODEL_LIST)
        if sha256 is None and md5 is None:
            raise ModelDownloadError(
                f"cannot verify {name}: it is not in the official model list; pass --sha256 HEX"
            )
        with tempfile.TemporaryDirectory(dir=models_dir, prefix=f".{name}-") as scratch:
            archive = Path(scratch) / f"{name}.zip"
            digests = _fetch(client, source, archive, progress)
            if sha256 is not None and digests["sha256"] != sha256.lower():
                raise ModelDownloadError(
                    f"{source}: SHA-256 mismatch (got {digests['sha256']}, expected {sha256.lower()})"
                )
            if md5 is not None and digests["md5"] != md5:
                raise ModelDownloadError(f"{source}: MD5 mismatch with the model list (got {digests['md5']})")
            unpacked = _unpack(archive, Path(scratch) / "unpacked", name)
            unpacked.rename(target)
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    log.info("model installed", extra={"model": name, "path": str(target), "bytes": size})
    return InstalledModel(name, target, size)


def _fetch(client: httpx.Client, url: str, into: Path, progress: Progress | None) -> dict[str, str]:
    sha, md5 = hashlib.sha256(), hashlib.md5()  # noqa: S324 - MD5 is what the official list publishes
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise ModelDownloadError(f"{url}: HTTP {response.status_code}")
            total = int(response.headers["content-length"]) if "content-length" in response.headers else None
            done = 0
            with into.open("wb") as handle:
                for chunk in response.iter_bytes(CHUNK):
                    handle.write(chunk)
                    sha.update(chunk)
                    md5.update(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            if total is not None and done != total:
                raise ModelDownloadError(f"{url}: connection closed after {done} of {total} bytes")
    except httpx.HTTPError as exc:
        raise ModelDownloadError(f"{url}: {exc}") from None
    return {"sha256": sha.hexdigest(), "md5": md5.hexdigest()}


def _unpack(archive: Path, into: Path, name: str) -> Path:
    """Extract refusing absolute paths and '..'; the model folder is NAME/ inside or the root."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                parts = PurePosixPath(member.filename).parts
                if member.filename.startswith("/") or ".." in parts:
                    raise ModelDownloadError(f"{archive.name}: unsafe path {member.filename!r} in archive")
            bundle.extractall(into)
    except zipfile.BadZipFile as exc:
        raise ModelDownloadError(f"{archive.name}: not a zip archive ({exc})") from None
    inner = into / name
    root = inner if inner.is_dir() else into
    if not ((root / "am").is_dir() or (root / "conf").is_dir()):
        shutil.rmtree(into, ignore_errors=True)
        raise ModelDownloadError(f"{archive.name}: no Vosk model inside (no am/ or conf/ folder)")
    return root


def installed_models(models_dir: Path, configured: dict[str, Path]) -> list[tuple[str, Path, str]]:
    """(language or '-', path, state) for configured models and everything under models_dir."""
    rows: list[tuple[str, Path, str]] = []
    seen: set[Path] = set()
    for language, path in sorted(configured.items()):
        ok = (path / "am").is_dir() or (path / "conf").is_dir()
        rows.append((language, path, "ok" if ok else "missing"))
        seen.add(path.resolve())
    if models_dir.is_dir():
        for path in sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if path.resolve() not in seen:
                rows.append(("-", path, "ok" if (path / "am").is_dir() or (path / "conf").is_dir() else "?"))
    return rows
