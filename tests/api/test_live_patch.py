"""Patches of live views: applying the diff of two views gives the new one, and it is small."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.live_patch import apply, diff
from tests.api.live_data import view_with_waiting

BASE = view_with_waiting(1).model_dump(mode="json")


def _view(callers: list[tuple[str, int]], agent_state: str) -> dict[str, Any]:
    base = json.loads(json.dumps(BASE))
    template = base["queues"][0]["waiting"][0]
    base["queues"][0]["waiting"] = [
        {**template, "uniqueid": uid, "linkedid": uid, "position": pos} for uid, pos in callers
    ]
    base["agents"][0]["state"] = agent_state
    base["agents"][0]["queues"] = ["other", "passes"] if agent_state == "talking" else ["other"]
    return base


callers = st.lists(st.tuples(st.sampled_from([f"1795316951.{i}" for i in range(8)]), st.integers(1, 9)),
                   unique_by=lambda c: c[0], max_size=8)  # fmt: skip
states = st.sampled_from(["free", "talking", "paused"])


@settings(max_examples=300, deadline=None)
@given(callers, states, callers, states)
def test_apply_of_diff_gives_the_new_view(
    old_callers: list[tuple[str, int]], old_state: str, new_callers: list[tuple[str, int]], new_state: str
) -> None:
    old, new = _view(old_callers, old_state), _view(new_callers, new_state)
    patch = json.loads(json.dumps(diff(old, new)))  # what goes over the wire
    assert apply(old, patch) == new


def test_one_caller_joining_a_long_queue_is_a_small_patch() -> None:
    old = _view([(f"1795316951.{i}", i + 1) for i in range(80)], "talking")
    new = _view([(f"1795316951.{i}", i + 1) for i in range(81)], "talking")
    patch = json.dumps(diff(old, new))
    assert len(patch) * 20 < len(json.dumps(new))
    assert apply(old, json.loads(patch)) == new
