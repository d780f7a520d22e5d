"""The alert state machine, pure: one alert (a rule on one bucket) moves
inactive → pending → firing → resolved as its condition holds or not.

- `for`: the condition must hold that long (pending) before the alert fires;
  a gap sends a pending alert back to inactive and the wait starts again.
- keep-firing-for: a firing alert stays firing that long after the condition
  last held, so a value dancing around the threshold does not flap.
- missing data (no value for the metric): "keep" leaves the state alone,
  "alert" counts as the condition holding, "resolve" as it not holding.

The engine, the backtest and the Rules screen's preview all step alerts here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from r2tui.alerts.rules import Rule

INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"
STATES = (INACTIVE, PENDING, FIRING, RESOLVED)


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


def backtest(rule: Rule, points: list[tuple[int, float | None]]) -> tuple[int, int]:
    """How often `rule` would have fired over `points` (time, value), oldest
    first, and for how many seconds in all."""
    s, fired, seconds = AlertState(), 0, 0
    for i, (ts, value) in enumerate(points):
        before = s.state
        s = step(s, rule, value, ts)
        if s.state == FIRING and before != FIRING:
            fired += 1
        if s.state == FIRING and i + 1 < len(points):
            seconds += points[i + 1][0] - ts
    return fired, seconds
