"""Erlang C against published figures; Erlang A against Erlang C (no abandons) and a simulation."""

from __future__ import annotations

import heapq
import math
import random

import pytest

from hotline.erlang import agents_required, erlang_c, service_level_a, service_level_c

# Reference: Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example"
# (callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls per 30 minutes, AHT 180 s,
# target 80 % answered within 20 s. Traffic intensity 10 erlangs; with 11 agents the probability a call
# waits is 68.21 % and the service level 39 %; 14 agents are needed (before shrinkage/occupancy caps).
CCH_CALLS_PER_S = 100 / 1800
CCH_AHT_S = 180.0


def test_call_centre_helper_worked_example() -> None:
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=5e-5)
    assert service_level_c(11, 10.0, CCH_AHT_S, 20) == pytest.approx(0.39, abs=0.005)
    need = agents_required(CCH_CALLS_PER_S, CCH_AHT_S, 20, 0.80)
    assert (need.agents, need.model) == (14, "erlang_c")
    assert service_level_c(13, 10.0, CCH_AHT_S, 20) < 0.80 <= need.service_level


def test_too_few_agents_for_the_load_never_reach_the_target_in_erlang_c() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert service_level_c(9, 10.0, 180, 20) == 0.0


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    for agents in (11, 12, 14, 20):
        assert service_level_a(agents, CCH_CALLS_PER_S, CCH_AHT_S, 1e9, 20) == pytest.approx(
            service_level_c(agents, 10.0, CCH_AHT_S, 20), abs=1e-6
        )


def test_impatient_callers_need_fewer_operators_and_erlang_a_stays_defined_when_overloaded() -> None:
    need = agents_required(CCH_CALLS_PER_S, CCH_AHT_S, 20, 0.80, patience_s=120)
    assert need.model == "erlang_a"
    assert need.agents < 14
    # 9 operators for 10 erlangs: Erlang C is unstable, Erlang A gives a real (poor) level.
    assert 0.0 < service_level_a(9, CCH_CALLS_PER_S, CCH_AHT_S, 120, 20) < 0.8


def _simulate(agents: int, rate: float, aht: float, patience: float, target: float, calls: int) -> float:
    """M/M/n+M by events, FIFO: share of offered calls answered within `target` seconds."""
    rng = random.Random(7)
    free_at = [0.0] * agents  # when each operator is next free
    heapq.heapify(free_at)
    now, within = 0.0, 0
    arrivals = []
    for _ in range(calls):
        now += rng.expovariate(rate)
        arrivals.append((now, now + rng.expovariate(1 / patience), rng.expovariate(1 / aht)))
    # FIFO single queue: each call takes the earliest free operator unless it gave up first.
    for arrival, gives_up, service in arrivals:
        earliest = free_at[0]
        start = max(arrival, earliest)
        if start > gives_up:
            continue  # abandoned; the operator stays free
        heapq.heapreplace(free_at, start + service)
        within += start - arrival <= target
    return within / calls


@pytest.mark.slow
def test_erlang_a_matches_a_simulation_of_impatient_callers() -> None:
    rate, aht, patience = 100 / 1800, 180.0, 120.0
    for agents in (9, 11, 12):
        simulated = _simulate(agents, rate, aht, patience, 20, 200_000)
        assert service_level_a(agents, rate, aht, patience, 20) == pytest.approx(simulated, abs=0.01), agents


def test_no_calls_need_no_operators() -> None:
    assert agents_required(0.0, 180, 20, 0.8).agents == 0
    assert math.isclose(service_level_c(0, 0.0, 180, 20), 1.0)
