"""Walking our dialplan's branches: which application a call reaches for given IVR results.

Only what hotline's `extensions.conf` uses is understood (`exten =>`/`same =>` with `n` and
labels; NoOp, Answer, Set, Goto, GotoIf, AGI, MixMonitor, Queue, Hangup; `${VAR}` and
`$["a" = "b"]`/`!=`); anything else raises DialplanError, so a check never guesses. The AGI
application is played by a callback that sets the variables the IVR (or its absence) would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from asterisk_conf.conf import Section, load

_APP = re.compile(r"^(?P<app>\w+)\((?P<data>.*)\)$|^(?P<bare>\w+)$")
_PRIORITY = re.compile(r"^(?P<priority>\d+|n)(?:\((?P<label>[\w-]+)\))?$")
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z0-9_()]+)\}")
_EXPRESSION = re.compile(r"\$\[(?P<expr>[^\]]*)\]")
_COMPARE = re.compile(r'^\s*(?P<left>"[^"]*"|\S*)\s*(?P<op>!=|=)\s*(?P<right>"[^"]*"|\S*)\s*$')
MAX_STEPS = 200


class DialplanError(ValueError):
    pass


@dataclass(frozen=True)
class Priority:
    number: int
    label: str | None
    app: str
    data: str
    line: int


@dataclass
class Dialplan:
    extensions: dict[str, dict[str, list[Priority]]] = field(default_factory=dict)  # context -> exten

    def find(self, context: str, exten: str) -> tuple[str, list[Priority]]:
        """The extension `exten` matches in `context` (exact names before patterns)."""
        extensions = self.extensions.get(context)
        if extensions is None:
            raise DialplanError(f"no context [{context}]")
        if exten in extensions:
            return exten, extensions[exten]
        for name, priorities in extensions.items():
            if name.startswith("_") and _pattern(name[1:]).fullmatch(exten):
                return name, priorities
        raise DialplanError(f"no extension {exten!r} in [{context}]")


def _pattern(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            end = pattern.index("]", i)
            out += f"[{pattern[i + 1 : end]}]"
            i = end + 1
            continue
        out += {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(char, re.escape(char))
        i += 1
    return re.compile(out)


def parse_dialplan(sections: Mapping[str, Section]) -> Dialplan:
    plan = Dialplan()
    for section in sections.values():
        current: str | None = None
        for line in section.own:
            if line.key not in ("exten", "same"):
                continue
            parts = line.value.split(",", 2 if line.key == "exten" else 1)
            if line.key == "exten":
                current, rest = parts[0].strip(), parts[1:]
            elif current is None:
                raise DialplanError(f"line {line.number}: `same =>` before any `exten =>`")
            else:
                rest = parts
            if len(rest) != 2:
                raise DialplanError(f"line {line.number}: expected priority,application")
            priority, application = rest[0].strip(), rest[1].strip()
            match, app = _PRIORITY.match(priority), _APP.match(application)
            if match is None or app is None:
                raise DialplanError(f"line {line.number}: cannot read {line.value!r}")
            priorities = plan.extensions.setdefault(section.name, {}).setdefault(current, [])
            number = len(priorities) + 1 if match["priority"] == "n" else int(match["priority"])
            name = app["app"] or app["bare"]
            priorities.append(Priority(number, match["label"], name, app["data"] or "", line.number))
    return plan


def load_dialplan(path: Path) -> Dialplan:
    return parse_dialplan(load(path))


def globals_of(path: Path) -> dict[str, str]:
    section = load(path).get("globals")
    return {line.key: line.value for line in section.own} if section else {}


@dataclass(frozen=True)
class Executed:
    context: str
    exten: str
    priority: int
    app: str
    data: str  # after substitution, as Asterisk's "Executing [...] App(chan, data)" log shows it


@dataclass
class Walk:
    steps: list[Executed]
    variables: dict[str, str]

    @property
    def last(self) -> Executed:
        return self.steps[-1]

    def reached_queue(self) -> str | None:
        """The queue the call was handed to, or None."""
        return self.last.data.split(",")[0] if self.last.app == "Queue" else None


# The AGI application: sets variables (AGISTATUS and whatever the IVR set); returns False when the
# channel hung up (the AGI application then returns -1 and Asterisk ends the dialplan).
AgiResult = Callable[[dict[str, str]], bool]


def substitute(text: str, variables: Mapping[str, str]) -> str:
    text = _VARIABLE.sub(lambda m: variables.get(m["name"], ""), text)
    return _EXPRESSION.sub(lambda m: _evaluate(m["expr"]), text)


def _evaluate(expression: str) -> str:
    match = _COMPARE.match(expression)
    if match is None:
        raise DialplanError(f"expression not understood: $[{expression}]")
    left, right = (match[side].strip('"') for side in ("left", "right"))
    return "1" if (left == right) == (match["op"] == "=") else "0"


def walk(plan: Dialplan, context: str, exten: str, variables: Mapping[str, str], agi: AgiResult) -> Walk:
    """Run from context,exten,1 until the call reaches Queue(), Hangup() or a hang-up."""
    values = dict(variables)
    steps: list[Executed] = []
    name, priorities = plan.find(context, exten)
    index = 0
    for _ in range(MAX_STEPS):
        if index >= len(priorities):
            raise DialplanError(f"[{context}] {exten}: ran past the last priority")
        step = priorities[index]
        values["EXTEN"] = exten
        data = substitute(step.data, values)
        steps.append(Executed(context, exten, step.number, step.app, data))
        app = step.app.lower()
        target: tuple[str, str, str] | None = None
        if app in ("hangup", "queue"):
            return Walk(steps, values)
        if app == "agi":
            if not agi(values):
                return Walk(steps, values)
        elif app == "set":
            key, _, value = data.partition("=")
            values[key.lstrip("_")] = value
        elif app == "gotoif":
            condition, _, branches = data.partition("?")
            yes, _, no = branches.partition(":")
            chosen = yes if condition.strip() not in ("", "0") else no
            if chosen:
                target = _goto(chosen, context, exten)
        elif app == "goto":
            target = _goto(data, context, exten)
        elif app not in ("noop", "answer", "mixmonitor"):
            raise DialplanError(f"line {step.line}: application {step.app} not understood")
        if target is None:
            index += 1
            continue
        context, new_exten, label = target
        if new_exten != exten or context != steps[-1].context:
            exten = new_exten
            name, priorities = plan.find(context, exten)
        index = _index(priorities, label, f"[{context}] {name}")
    raise DialplanError(f"more than {MAX_STEPS} steps: a loop?")


def _goto(target: str, context: str, exten: str) -> tuple[str, str, str]:
    parts = [part.strip() for part in target.split(",")]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return context, parts[0], parts[1]
    return context, exten, parts[0]


def _index(priorities: list[Priority], label: str, where: str) -> int:
    for index, priority in enumerate(priorities):
        if str(priority.number) == label or priority.label == label:
            return index
    raise DialplanError(f"{where}: no priority or label {label!r}")
