"""`hotline asterisk check`: our .conf files as Asterisk reads them, and where each IVR ending leads.

Two traps this catches before a PBX shows them: a queue setting app_queue ignores (the first
`strategy` wins, template lines come first), and a dialplan that hangs up a caller whom the IVR
never finished with (res_agi reports SUCCESS when the FastAGI server dies or closes early, so only
an empty HOTLINE_OUTCOME tells that the IVR did not say how the call ended).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from asterisk_conf.conf import ConfError, Finding, check_queues
from asterisk_conf.dialplan import DialplanError, globals_of, load_dialplan, walk

IVR_CONTEXT = "hotline-ivr"


@dataclass(frozen=True)
class Branch:
    name: str
    agistatus: str
    variables: dict[str, str]
    expect_queue: bool | None = None  # None: the caller is gone, nothing to reach
    hung_up: bool = False


BRANCHES = (
    Branch("IVR chose a queue", "SUCCESS", {"HOTLINE_QUEUE": "passes", "HOTLINE_OUTCOME": "queued"}, True),
    Branch("IVR finished the call (FAQ)", "SUCCESS", {"HOTLINE_QUEUE": "", "HOTLINE_OUTCOME": "faq"}, False),
    Branch("IVR died or was cut (no outcome, AGISTATUS SUCCESS)", "SUCCESS", {}, expect_queue=True),
    Branch("IVR down or full (AGISTATUS FAILURE)", "FAILURE", {}, expect_queue=True),
    Branch("caller hung up in the IVR", "HANGUP", {"HOTLINE_OUTCOME": "hangup"}, hung_up=True),
)  # fmt: skip


@dataclass
class Report:
    strategies: dict[str, str] = field(default_factory=dict)
    branches: list[tuple[str, str]] = field(default_factory=list)  # (branch, where the call went)
    problems: list[Finding] = field(default_factory=list)


def agi_result(branch: Branch) -> Callable[[dict[str, str]], bool]:
    def run(variables: dict[str, str]) -> bool:
        variables.update(branch.variables)
        variables["AGISTATUS"] = branch.agistatus
        return not branch.hung_up

    return run


def check_folder(folder: Path) -> Report:
    report = Report()
    queues, extensions = folder / "queues.conf", folder / "extensions.conf"
    try:
        report.strategies, findings = check_queues(queues)
        report.problems += findings
    except (OSError, ConfError) as exc:
        report.problems.append(Finding(str(queues), str(exc)))
    try:
        plan = load_dialplan(extensions)
        variables = globals_of(extensions)
    except (OSError, ConfError, DialplanError) as exc:
        report.problems.append(Finding(str(extensions), str(exc)))
        return report
    for branch in BRANCHES:
        try:
            result = walk(plan, IVR_CONTEXT, "s", variables, agi_result(branch))
        except DialplanError as exc:
            report.problems.append(Finding(f"{extensions} [{IVR_CONTEXT}]", f"{branch.name}: {exc}"))
            continue
        queue = result.reached_queue()
        last = result.last
        went = f"Queue({queue})" if queue else "caller gone" if branch.hung_up else f"{last.app}()"
        report.branches.append((branch.name, went))
        if branch.expect_queue is True and queue is None:
            report.problems.append(
                Finding(
                    f"{extensions} [{last.context}] {last.exten},{last.priority}",
                    f"{branch.name}: the caller is hung up instead of reaching an operator queue",
                )
            )
        if branch.expect_queue is False and queue is not None:
            report.problems.append(
                Finding(f"{extensions} [{IVR_CONTEXT}]", f"{branch.name}: the call is queued ({queue})")
            )
    return report
