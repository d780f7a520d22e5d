"""The alert state machine, table-driven: each case is a rule and a run of
(minute, value) evaluations with the state expected after each."""

from __future__ import annotations

import pytest

from r2tui.alerts.rules import Rule
from r2tui.alerts.states import (
    FIRING,
    INACTIVE,
    PENDING,
    RESOLVED,
    AlertState,
    backtest,
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


def test_backtest_counts_firings_and_their_time() -> None:
    r = rule(for_m=10)
    # Every 5 minutes: above 5 from minute 0 to 20 (fires at 10, until 25), and 40 to 45
    # (too short to fire).
    values = {0: 9, 5: 9, 10: 9, 15: 9, 20: 9, 25: 1, 30: 1, 35: 1, 40: 9, 45: 9, 50: 1}
    fired, seconds = backtest(r, [(m * M, v) for m, v in sorted(values.items())])
    assert fired == 1
    assert seconds == 15 * M  # firing from minute 10 to 25


def test_backtest_of_nothing() -> None:
    assert backtest(rule(), []) == (0, 0)
