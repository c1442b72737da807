"""Live view changes as small patches: what the API pushes to viewers instead of the whole view.

A busy PBX's view is tens of kilobytes (every call, every waiting caller) while one AMI event changes a
few hundred bytes of it; sending only the change is what lets hundreds of wallboards follow at once.

A patch holds the fields of the new view that differ from the old one. Lists of things with an id
(queues, calls, agents, waiting callers, members) become {"upsert": [...], "remove": [ids],
"order": [ids]}: an upserted item is whole when new and itself a patch when changed; "order" is sent
only when the ids' order changed. `apply(old, diff(old, new)) == new` (tests/api/test_live_patch.py);
wallboard.js applies patches the same way.
"""

from __future__ import annotations

from typing import Any

# The id of each keyed list's items, by the list's field name.
KEYS = {
    "queues": "name",
    "calls": "linkedid",
    "agents": "interface",
    "waiting": "uniqueid",
    "members": "interface",
}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if value == before:
            continue
        id_field = KEYS.get(key)
        if id_field and _records(value) and _records(before):  # (an agent's "queues" are plain names)
            out[key] = _list_diff(before or [], value, id_field)
        else:
            out[key] = value
    return out


def _records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _list_diff(old: list[dict[str, Any]], new: list[dict[str, Any]], id_field: str) -> dict[str, Any]:
    before = {item[id_field]: item for item in old}
    upsert = []
    for item in new:
        previous = before.get(item[id_field])
        if previous is None:
            upsert.append(item)
        elif previous != item:
            upsert.append({id_field: item[id_field], **diff(previous, item)})
    new_ids = [item[id_field] for item in new]
    present = set(new_ids)
    change: dict[str, Any] = {"upsert": upsert, "remove": [key for key in before if key not in present]}
    # The order `apply` rebuilds without being told: the kept ids as they were, then the new ones.
    implied = [key for key in before if key in present] + [key for key in new_ids if key not in before]
    if new_ids != implied:
        change["order"] = new_ids
    return change


def apply(old: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in patch.items():
        id_field = KEYS.get(key)
        if id_field and isinstance(value, dict) and isinstance(out.get(key), list):
            out[key] = _apply_list(out[key], value, id_field)
        else:
            out[key] = value
    return out


def _apply_list(old: list[dict[str, Any]], change: dict[str, Any], id_field: str) -> list[dict[str, Any]]:
    by_id = {item[id_field]: item for item in old}
    order = [item[id_field] for item in old]
    for key in change.get("remove", []):
        by_id.pop(key, None)
    for item in change.get("upsert", []):
        key = item[id_field]
        if key in by_id:
            by_id[key] = apply(by_id[key], item)
        else:
            by_id[key] = item
            order.append(key)
    order = change.get("order") or [key for key in order if key in by_id]
    return [by_id[key] for key in order if key in by_id]
