"""Reading Asterisk .conf files the way Asterisk does, to catch settings it would silently ignore.

Asterisk's config parser (main/config.c) puts a section's template lines before its own lines, in
template order; `[name](!)` marks a template, `[name](tpl1,tpl2)` inherits. Each module then
reads the lines in order: app_queue keeps the FIRST `strategy` of a static queue and skips the
later ones without a warning, so a strategy in a template overrides every queue's own line
(observed on Asterisk 22: all three hotline queues ran the template's rrmemory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*(?:\((?P<options>[^)]*)\))?\s*$")
_SETTING = re.compile(r"^(?P<key>[^=]+?)\s*=>?\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Line:
    key: str
    value: str
    number: int  # 1-based line number in the file
    section: str  # the section (or template) the line was written in


@dataclass
class Section:
    name: str
    number: int
    template: bool = False
    inherits: list[str] = field(default_factory=list)
    own: list[Line] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)  # what Asterisk hands the module: templates' first

    def values(self, key: str) -> list[Line]:
        return [line for line in self.lines if line.key == key]


class ConfError(ValueError):
    """A line Asterisk's parser would reject; the message names the file and line."""


def strip_comment(text: str) -> str:
    r"""Drop a `;` comment (`\;` is a literal semicolon)."""
    out: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ";":
            break
        else:
            out.append(char)
    return "".join(out).strip()


def parse(text: str, source: str = "<conf>") -> dict[str, Section]:
    """Sections in file order, each with its effective lines (template lines first)."""
    sections: dict[str, Section] = {}
    current: Section | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = strip_comment(raw)
        if not line or line.startswith("#"):
            continue
        header = _SECTION.match(line)
        if header:
            current = Section(header["name"].strip(), number)
            for option in (o.strip() for o in (header["options"] or "").split(",")):
                if option == "!":
                    current.template = True
                elif option and option != "+":
                    if option not in sections:
                        raise ConfError(f"{source}:{number}: template [{option}] is not defined above")
                    current.inherits.append(option)
            for name in current.inherits:
                current.lines.extend(sections[name].lines)
            sections[current.name] = current
            continue
        setting = _SETTING.match(line)
        if setting is None or current is None:
            raise ConfError(f"{source}:{number}: not a setting or a section header: {raw.strip()!r}")
        item = Line(setting["key"].strip(), setting["value"].strip(), number, current.name)
        current.own.append(item)
        current.lines.append(item)
    return sections


def load(path: Path) -> dict[str, Section]:
    return parse(path.read_text(encoding="utf-8"), str(path))


@dataclass(frozen=True)
class Finding:
    where: str  # file:line
    message: str


# app_queue: settings of which only the first occurrence in a static queue counts.
FIRST_WINS = ("strategy",)


def check_queues(path: Path) -> tuple[dict[str, str], list[Finding]]:
    """Each queue's effective strategy, and every line app_queue would ignore."""
    sections = load(path)
    strategies: dict[str, str] = {}
    findings: list[Finding] = []
    for section in sections.values():
        if section.template or section.name == "general":
            continue
        for key in FIRST_WINS:
            lines = section.values(key)
            if not lines:
                continue
            winner = lines[0]
            if key == "strategy":
                strategies[section.name] = winner.value
            for ignored in lines[1:]:
                origin = "" if winner.section == section.name else f" (from template [{winner.section}])"
                findings.append(
                    Finding(
                        f"{path}:{ignored.number}",
                        f"[{section.name}] {key} = {ignored.value} is ignored by Asterisk: "
                        f"{key} = {winner.value} on line {winner.number}{origin} comes first",
                    )
                )
        if section.name not in strategies and section.values("member"):
            strategies[section.name] = "ringall"  # app_queue's default
    return strategies, findings
