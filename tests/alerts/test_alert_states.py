"""The alert state machine, table-driven: each case is a rule and a run of
(minute, value) evaluations with the state expected after each."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.alerts.rules import Rule
from r2tui.alerts.states import (
    FIRING,
    INACTIVE,
    PENDING,
    RESOLVED,
    AlertState,
    Firing,
    replay,
    step,
)

M = 60
N = None  # missing data


def rule(for_m: int = 0, keep_m: int = 0, missing: str = "keep", cmp: str = ">") -> Rule:
    return Rule(
        "r",
        "error_rate_pct",
        cmp,
        5.0,
        for_seconds=for_m * M,
        keep_firing_seconds=keep_m * M,
        missing_data=missing,
    )


CASES = [
    # name, rule, [(minute, value, expected state)]
    (
        "fires at once without for",
        rule(),
        [(0, 1, INACTIVE), (1, 9, FIRING), (2, 9, FIRING), (3, 1, RESOLVED), (4, 1, RESOLVED)],
    ),
    (
        "for: pending until it has held 5 minutes",
        rule(for_m=5),
        [(0, 9, PENDING), (4, 9, PENDING), (5, 9, FIRING), (6, 1, RESOLVED)],
    ),
    (
        "for: a gap starts the wait again",
        rule(for_m=5),
        [(0, 9, PENDING), (3, 1, INACTIVE), (4, 9, PENDING), (8, 9, PENDING), (9, 9, FIRING)],
    ),
    ("the threshold itself does not hold for >", rule(), [(0, 5, INACTIVE), (1, 5.0001, FIRING)]),
    (">= holds at the threshold", rule(cmp=">="), [(0, 5, FIRING)]),
    (
        "keep firing 10 minutes after it last held",
        rule(keep_m=10),
        [(0, 9, FIRING), (1, 1, FIRING), (9, 1, FIRING), (10, 1, RESOLVED)],
    ),
    (
        "keep firing: holding again restarts the 10 minutes",
        rule(keep_m=10),
        [(0, 9, FIRING), (5, 1, FIRING), (9, 9, FIRING), (18, 1, FIRING), (19, 1, RESOLVED)],
    ),
    (
        "flapping without keep-firing: every swing is a transition",
        rule(),
        [(0, 9, FIRING), (1, 1, RESOLVED), (2, 9, FIRING), (3, 1, RESOLVED)],
    ),
    (
        "flapping with for: never fires",
        rule(for_m=3),
        [(0, 9, PENDING), (1, 1, INACTIVE), (2, 9, PENDING), (3, 1, INACTIVE), (4, 9, PENDING)],
    ),
    (
        "missing data, keep: the state stays",
        rule(),
        [(0, 9, FIRING), (1, N, FIRING), (2, N, FIRING), (3, 1, RESOLVED), (4, N, RESOLVED)],
    ),
    (
        "missing data, keep: pending stays pending and may fire on the next value",
        rule(for_m=5),
        [(0, 9, PENDING), (3, N, PENDING), (6, 9, FIRING)],
    ),
    (
        "missing data, alert: no data counts as the condition",
        rule(missing="alert"),
        [(0, 1, INACTIVE), (1, N, FIRING), (2, 1, RESOLVED)],
    ),
    (
        "missing data, resolve: no data ends the alert",
        rule(missing="resolve"),
        [(0, 9, FIRING), (1, N, RESOLVED), (2, N, RESOLVED)],
    ),
    (
        "missing data, resolve still waits out keep-firing",
        rule(keep_m=5, missing="resolve"),
        [(0, 9, FIRING), (1, N, FIRING), (5, N, RESOLVED)],
    ),
    (
        "resolved then firing again is a new episode",
        rule(for_m=2),
        [(0, 9, PENDING), (2, 9, FIRING), (3, 1, RESOLVED), (4, 9, PENDING), (6, 9, FIRING)],
    ),
]


@pytest.mark.parametrize(("name", "r", "run"), CASES, ids=[c[0] for c in CASES])
def test_state_machine(name: str, r: Rule, run: list[tuple[int, float | None, str]]) -> None:
    s = AlertState()
    for minute, value, expected in run:
        s = step(s, r, value, minute * M)
        assert s.state == expected, f"{name}: minute {minute}, value {value}"


def test_times_are_kept() -> None:
    r = rule(for_m=5)
    s = step(AlertState(), r, 9, 0)
    assert (s.pending_since, s.firing_since) == (0, None)
    s = step(s, r, 9, 5 * M)
    assert (s.pending_since, s.firing_since, s.value) == (0, 5 * M, 9)
    s = step(s, r, 1, 7 * M)
    assert (s.resolved_at, s.firing_since, s.value) == (7 * M, 5 * M, 1)


def test_replay_holds_each_value_until_the_next_and_steps_every_minute() -> None:
    r = rule(for_m=10)
    # Held from each time: above 5 from minute 0 to 25 (fires at 10, resolves at 25),
    # and 40 to 45 (too short to fire); stepped every minute, not once a value.
    steps = [(0, 9.0), (25 * M, 1.0), (40 * M, 9.0), (45 * M, 1.0)]
    assert replay(r, steps, range(0, 60 * M, M)) == [Firing(10 * M, 25 * M)]
    # A burst shorter than the spacing of the stored points still fires, as live.
    assert replay(rule(for_m=2), [(0, 1.0), (60 * M, 9.0), (63 * M, 1.0)], range(0, 90 * M, M)) == [
        Firing(62 * M, 63 * M)
    ]


def test_replay_of_nothing() -> None:
    assert replay(rule(), [], range(0, 60 * M, M)) == []
    assert replay(rule(missing="alert"), [], range(0, 3 * M, M)) == []  # no steps: no values


def naive(r: Rule, steps: list[tuple[int, float | None]], times: range) -> list[Firing]:
    """Every time stepped, as the engine does."""
    out: list[Firing] = []
    s, i = AlertState(), -1
    for t in times:
        while i + 1 < len(steps) and steps[i + 1][0] <= t:
            i += 1
        if i < 0:
            continue
        before, s = s.state, step(s, r, steps[i][1], t)
        if s.state == FIRING and before != FIRING:
            out.append(Firing(t))
        elif s.state == RESOLVED and before == FIRING:
            out[-1] = Firing(out[-1].fired_at, t)
    return out


@settings(max_examples=200, deadline=None)
@given(
    for_m=st.integers(0, 20),
    keep_m=st.integers(0, 20),
    missing=st.sampled_from(["keep", "alert", "resolve"]),
    every=st.sampled_from([60, 90, 300]),
    offset=st.integers(0, 299),
    changes=st.lists(
        st.tuples(st.integers(0, 240 * M), st.sampled_from([1.0, 9.0, None])), max_size=12
    ),
)
def test_replay_equals_stepping_every_time(
    for_m: int,
    keep_m: int,
    missing: str,
    every: int,
    offset: int,
    changes: list[tuple[int, float | None]],
) -> None:
    """Skipping over a steady value gives exactly what stepping every time gives."""
    r = rule(for_m=for_m, keep_m=keep_m, missing=missing)
    steps = sorted(dict(changes).items())
    times = range(offset, 240 * M, every)
    assert replay(r, steps, times) == naive(r, steps, times)
