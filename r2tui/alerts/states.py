"""The alert state machine, pure: one alert (a rule on one bucket) moves
inactive → pending → firing → resolved as its condition holds or not.

- `for`: the condition must hold that long (pending) before the alert fires;
  a gap sends a pending alert back to inactive and the wait starts again.
- keep-firing-for: a firing alert stays firing that long after the condition
  last held, so a value dancing around the threshold does not flap.
- missing data (no value for the metric): "keep" leaves the state alone,
  "alert" counts as the condition holding, "resolve" as it not holding.

The engine, the backtest and the Rules screen's preview all step alerts here:
the backtest (`replay`) steps at the engine's cadence, so `for`,
keep-firing-for and missing data behave in it as they do live.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace

from r2tui.alerts.rules import Rule

INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"
STATES = (INACTIVE, PENDING, FIRING, RESOLVED)
# The events the alerts' history is made of (`engine.history`).
FIRED_KIND = "alert"  # a firing transition: what reports count as an alert fired
STATE_KIND = "alert_state"  # every other transition (and a response's outcome), kept too
HISTORY_KINDS = (FIRED_KIND, STATE_KIND)


@dataclass(frozen=True)
class AlertState:
    state: str = INACTIVE
    value: float | None = None
    pending_since: int | None = None
    firing_since: int | None = None
    resolved_at: int | None = None
    last_true_at: int | None = None

    @property
    def active(self) -> bool:
        return self.state in (PENDING, FIRING)


def condition(rule: Rule, value: float | None) -> bool | None:
    """Whether the rule's condition holds for `value`; None for missing data."""
    if value is None:
        return {"keep": None, "alert": True, "resolve": False}[rule.missing_data]
    return rule.holds(value)


def step(s: AlertState, rule: Rule, value: float | None, now: int) -> AlertState:
    """The state after evaluating `value` at `now`. A transition is a change of
    `state`; the caller compares."""
    holds = condition(rule, value)
    s = replace(s, value=value)
    if holds is None:
        return s
    if holds:
        s = replace(s, last_true_at=now)
        if s.state in (INACTIVE, RESOLVED):
            s = replace(s, state=PENDING, pending_since=now, firing_since=None)
        since = s.pending_since if s.pending_since is not None else now
        if s.state == PENDING and now - since >= rule.for_seconds:
            s = replace(s, state=FIRING, firing_since=now, resolved_at=None)
        return s
    if s.state == PENDING:
        return replace(s, state=INACTIVE, pending_since=None)
    if s.state == FIRING:
        last = s.last_true_at if s.last_true_at is not None else now
        if rule.keep_firing_seconds and now - last < rule.keep_firing_seconds:
            return s
        return replace(s, state=RESOLVED, resolved_at=now, pending_since=None)
    return s


@dataclass(frozen=True)
class Firing:
    """One firing of an alert in a replay: when it fired and when it resolved
    (None: still firing at the end)."""

    fired_at: int
    resolved_at: int | None = None


Steps = Sequence[tuple[int, float | None]]  # (from when, value): each held until the next


def replay(rule: Rule, steps: Steps, times: Sequence[int]) -> list[Firing]:
    """The firings of one alert stepped at every time in `times` (check_alerts'
    cadence, ascending: range(first, end, seconds), or a cron line's times)
    over a value that is `steps[i][1]` from `steps[i][0]` until the next step
    (missing before the first), from inactive. The same as calling `step` at
    every time, without doing so: over a stretch where the value stays put,
    only the times where the state can change are stepped (the wait of `for`
    or keep-firing-for running out)."""
    firings: list[Firing] = []
    s = AlertState()
    bounds = [t for t, _ in steps]
    for i, (start, value) in enumerate(steps):
        lo = bisect_left(times, start)
        hi = bisect_left(times, bounds[i + 1]) if i + 1 < len(bounds) else len(times)
        s = _steady(s, rule, value, times, lo, hi, firings)
    return firings


def _steady(
    s: AlertState,
    rule: Rule,
    value: float | None,
    times: Sequence[int],
    lo: int,
    hi: int,
    firings: list[Firing],
) -> AlertState:
    """`s` stepped at each of `times[lo:hi]` with the same value, stepping only
    the first time, the times a wait runs out, and the last time."""
    if lo >= hi:
        return s

    def at(s: AlertState, t: int) -> AlertState:
        after = step(s, rule, value, t)
        if after.state == FIRING and s.state != FIRING:
            firings.append(Firing(t))
        elif after.state == RESOLVED and s.state == FIRING and firings:
            firings[-1] = Firing(firings[-1].fired_at, t)
        return after

    i = lo
    s, last = at(s, times[i]), times[i]
    holds = condition(rule, value)
    while holds is not None:
        if holds and s.state == PENDING and s.pending_since is not None:
            due = s.pending_since + rule.for_seconds
        elif not holds and s.state == FIRING and rule.keep_firing_seconds:
            due = (s.last_true_at if s.last_true_at is not None else last) + (
                rule.keep_firing_seconds
            )
        else:
            break
        i = bisect_left(times, max(due, last + 1), i + 1, hi)
        if i >= hi:
            break
        s, last = at(s, times[i]), times[i]
    if times[hi - 1] != last:
        s = at(s, times[hi - 1])
    return s
