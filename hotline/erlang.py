"""Erlang C (M/M/n) and Erlang A (M/M/n+M) queue formulas for staffing: pure functions, no I/O.

Erlang C assumes callers wait for ever; it overstates the operators needed when callers hang up.
Erlang A (Palm 1943; Garnett, Mandelbaum & Reiman 2002) adds exponential caller patience (mean
`patience_s`), so it stays defined when operators are fewer than the offered load.

Service level here is the share of *offered* calls answered within `target_s`: in Erlang A a caller who
hangs up counts as not served. (pyworkforce implements Erlang C only and needs ortools and pandas, so
these few formulas live here; tests check them against published figures and a simulation.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The queue-length tail of Erlang A is summed until terms fall below this share of the total.
_TAIL_EPS = 1e-12
_MAX_QUEUE = 20_000
MAX_AGENTS = 2_000


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of `agents` servers offered `load` erlangs (the stable recursion)."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load must not be negative")
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability that a call waits (Erlang C); 1.0 when agents cannot keep up with the load."""
    if agents <= load:
        return 1.0
    blocking = erlang_b(agents, load)
    return agents * blocking / (agents - load * (1.0 - blocking))


def service_level_c(agents: int, load: float, aht_s: float, target_s: float) -> float:
    """Erlang C: share of calls answered within target_s (0.0 when the queue grows without bound)."""
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    waits = erlang_c(agents, load)
    return max(0.0, 1.0 - waits * math.exp(-(agents - load) * target_s / aht_s))


def service_level_a(
    agents: int, calls_per_s: float, aht_s: float, patience_s: float, target_s: float
) -> float:
    """Erlang A: share of offered calls answered within target_s, callers abandoning at rate 1/patience_s."""
    if calls_per_s <= 0:
        return 1.0
    if agents <= 0:
        return 0.0
    mu = 1.0 / aht_s
    theta = 1.0 / patience_s
    load = calls_per_s * aht_s
    # Arrivals see the stationary state (PASTA). P(j < n) follows from Erlang B; the queue part is
    # q_k = prod_{i<=k} lambda / (n mu + i theta), relative to the state "all n busy, nobody waiting".
    ahead = _queue_weights(agents, calls_per_s, mu, theta)
    blocking = erlang_b(agents, load)
    all_busy = 1.0 / (1.0 / blocking + float(ahead[1:].sum()))  # pi_n
    busy_share = all_busy * float(ahead.sum())
    served_in_time = _answered_within(agents, mu, theta, len(ahead), target_s)
    return min(1.0, (1.0 - busy_share) + all_busy * float(np.dot(ahead, served_in_time)))


def _queue_weights(agents: int, calls_per_s: float, mu: float, theta: float) -> np.ndarray:
    weights = [1.0]
    total = 1.0
    for k in range(1, _MAX_QUEUE):
        weights.append(weights[-1] * calls_per_s / (agents * mu + k * theta))
        total += weights[-1]
        if weights[-1] < _TAIL_EPS * total and calls_per_s < agents * mu + k * theta:
            break
    return np.array(weights)


def _answered_within(agents: int, mu: float, theta: float, states: int, target_s: float) -> np.ndarray:
    """P(a caller with k callers ahead reaches an operator within target_s), for k = 0..states-1.

    The tagged caller moves up as those ahead are served (n mu) or hang up (k theta) and hangs up
    itself at rate theta: a pure-death chain, solved by uniformization.
    """
    k = np.arange(states, dtype=float)
    forward = agents * mu + k * theta  # k ahead -> k-1 ahead, or (k = 0) -> answered
    rate = float(forward[-1] + theta)
    stay = 1.0 - (forward + theta) / rate
    move = forward / rate
    mean = rate * target_s
    terms = int(mean + 12.0 * math.sqrt(mean) + 30)
    reached = np.zeros(states)  # P(answered within m uniformized steps | k ahead)
    result = np.zeros(states)
    for m in range(terms + 1):
        weight = math.exp(-mean + m * math.log(mean) - math.lgamma(m + 1)) if mean > 0 else float(m == 0)
        result += weight * reached
        shifted = np.empty(states)
        shifted[0] = 1.0
        shifted[1:] = reached[:-1]
        reached = stay * reached + move * shifted
    return result


@dataclass(frozen=True)
class Requirement:
    agents: int
    service_level: float
    model: str  # "erlang_c" or "erlang_a"


def service_level(
    agents: int, calls_per_s: float, aht_s: float, target_s: float, patience_s: float | None
) -> float:
    if patience_s is None:
        return service_level_c(agents, calls_per_s * aht_s, aht_s, target_s)
    return service_level_a(agents, calls_per_s, aht_s, patience_s, target_s)


def agents_required(
    calls_per_s: float, aht_s: float, target_s: float, target_sl: float, patience_s: float | None = None
) -> Requirement:
    """The fewest operators reaching `target_sl` (0..1) within `target_s`; Erlang A when patience is known."""
    if not 0 < target_sl < 1:
        raise ValueError("target service level must be between 0 and 1 (exclusive)")
    if aht_s <= 0 or target_s < 0:
        raise ValueError("aht_s must be positive and target_s not negative")
    model = "erlang_c" if patience_s is None else "erlang_a"
    if calls_per_s <= 0:
        return Requirement(0, 1.0, model)
    load = calls_per_s * aht_s
    agents = max(1, math.floor(load) + 1) if patience_s is None else 1
    while agents <= MAX_AGENTS:
        level = service_level(agents, calls_per_s, aht_s, target_s, patience_s)
        if level >= target_sl:
            return Requirement(agents, level, model)
        agents += 1
    raise ValueError(f"more than {MAX_AGENTS} operators needed; check the inputs")
