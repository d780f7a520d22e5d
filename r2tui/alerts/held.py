"""The rate limit's count: what a rule has sent to a channel in the last hour,
when the hour has room again, and what it holds back now.

A rule sends at most `max_per_hour` notifications an hour to a channel; beyond
that they are held and, once the hour has room, sent as one summary by the
next alert check (`dispatch`). Both the check and what the Alerts pane and
`status --json` say of it count here, the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from peewee import ModelSelect

from r2tui.alerts.outbox import HELD, SUMMARISED
from r2tui.alerts.rules import Rule
from r2tui.store import Store
from r2tui.store.models import Notification

HOUR = 3600


@dataclass(frozen=True)
class HeldBack:
    """Notifications the rate limit holds now, and from when the first summary
    of them can go: the hour has room then, and the next alert check sends it
    (already past: the next check does). None when nothing is held."""

    count: int = 0
    next_summary_at: int | None = None


def _counted(channel: str, rule: str, now: int) -> ModelSelect[Notification]:
    """What counts against a rule's hour on a channel: its alerts and summaries
    queued to go (not held, not summarised), made in the last hour."""
    return Notification.select(Notification.created_at).where(
        Notification.channel == channel,
        Notification.rule == rule,
        Notification.kind.in_(("alert", "summary")),
        Notification.state.not_in((HELD, SUMMARISED)),
        # Not rows from "the future": a clock set back must not stall the limit.
        Notification.created_at > now - HOUR,
        Notification.created_at <= now,
    )


def sent_last_hour(store: Store, channel: str, rule: str, now: int) -> int:
    store.bound()
    count: int = _counted(channel, rule, now).count()
    return count


def room_at(store: Store, channel: str, rule: str, limit: int, now: int) -> int:
    """When the hour has room for one more: now if it has, else when the
    notification that fills it (the `limit`-th newest) turns an hour old."""
    store.bound()
    rows = cast(
        "Iterable[tuple[int]]",
        _counted(channel, rule, now).order_by(Notification.created_at.desc()).limit(limit).tuples(),
    )
    newest = [int(t) for (t,) in rows]
    return now if len(newest) < limit else newest[-1] + HOUR


def held_back(store: Store, rules: Mapping[str, Rule], max_per_hour: int, now: float) -> HeldBack:
    """Every rule's held notifications on every channel (the outbox is the
    store's, as its counts are), with the soonest summary among them."""
    store.bound()
    t = int(now)
    groups: dict[tuple[str, str], int] = {}
    rows = cast(
        "Iterable[tuple[str, str | None]]",
        Notification.select(Notification.channel, Notification.rule)
        .where(Notification.state == HELD)
        .tuples(),
    )
    for channel, name in rows:
        key = (str(channel), str(name or ""))
        groups[key] = groups.get(key, 0) + 1
    if not groups:
        return HeldBack()
    due = []
    for channel, name in groups:
        rule = rules.get(name)
        limit = rule.max_per_hour if rule and rule.max_per_hour else max_per_hour
        due.append(room_at(store, channel, name, limit, t))
    return HeldBack(sum(groups.values()), min(due))
