"""Which notifications a check run sends, and to whom.

- A firing alert is notified once when it fires (or when a silence or
  maintenance window holding it ends), again every repeat interval while it
  fires, and once more when it escalates.
- A resolved notice goes only where a firing notice went: never a resolved
  without a firing.
- Alerts of one rule notified in one run go to each channel as one
  notification (Alertmanager's default grouping, by alert name).
- A rule sends at most `max_per_hour` notifications an hour to a channel.
  Beyond that they are held back (kept, counted) and, once the hour allows,
  summarised in one notification with each held alert's latest state; while
  some are held, newer ones queue behind them so the order stays true. An
  all-clear is not counted against the limit: with nothing held before it, it
  goes at once.

Runs inside the engine's transaction: what it queues commits with the state.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from r2tui.alerts import outbox
from r2tui.alerts.held import sent_last_hour
from r2tui.alerts.notice import FIRING, RESOLVED, AlertNotice, Notice, alert_labels
from r2tui.alerts.rules import Rule
from r2tui.alerts.silences import SilenceRow, silencing
from r2tui.config.alert_model import AlertSettings, MaintenanceWindow
from r2tui.matchers import matches
from r2tui.store import Store
from r2tui.store.models import AlertInstance, Notification

if TYPE_CHECKING:
    from r2tui.alerts.engine import Tracked

HELD, SUMMARISED = outbox.HELD, outbox.SUMMARISED


@dataclass
class Plan:
    queued: int = 0
    held: int = 0
    problems: list[str] = field(default_factory=list)
    fired: list[tuple[Rule, AlertNotice]] = field(default_factory=list)
    # The escalated alert, the event's message and its data.
    escalations: list[tuple[Tracked, str, dict[str, str]]] = field(default_factory=list)


def muted_by(
    item: Tracked, silences: list[SilenceRow], windows: list[MaintenanceWindow], now: int
) -> str | None:
    """What keeps `item` quiet now: a silence or a maintenance window, named."""
    labels = item.labels()
    s = silencing(silences, labels, now)
    if s is not None:
        return f"silence {s.id}"
    w = next((w for w in windows if matches(w.matchers, labels)), None)
    return None if w is None else f"maintenance window {w.name!r}"


def plan(
    store: Store,
    tracked: list[Tracked],
    settings: AlertSettings,
    muted: tuple[list[SilenceRow], list[MaintenanceWindow]],
    now: int,
) -> Plan:
    out = Plan()
    groups: dict[tuple[str, str], list[AlertNotice]] = defaultdict(list)
    escalated_groups: set[tuple[str, str]] = set()
    rules: dict[str, Rule] = {}
    for item in tracked:
        rule, s = item.rule, item.after
        rules[rule.name] = rule
        quiet = muted_by(item, muted[0], muted[1], now)
        channels = list(rule.channels or settings.default_channels)
        if s.state == FIRING:
            # Escalation is a notification: while muted it waits, never half-done.
            escalate = (
                quiet is None
                and rule.escalate_after > 0
                and not item.escalated
                and now - (s.firing_since or now) >= rule.escalate_after
            )
            if escalate:
                item.escalated = True
                item.severity = rule.escalate_severity or item.severity
                out.escalations.append(
                    (
                        item,
                        f"{rule.name} escalated: still firing after "
                        f"{rule.escalate_after // 60} min ({item.bucket})",
                        {"rule": rule.name, "bucket": item.bucket, "severity": item.severity},
                    )
                )
            if item.before.state != FIRING and quiet is None:
                out.fired.append((rule, item.notice(FIRING)))
            due = (
                not item.firing_notified
                or escalate
                or now - (item.notified_at or 0)
                >= (rule.repeat_interval or settings.repeat_interval)
            )
            if quiet is None and due:
                targets = channels + (list(rule.escalate_to) if item.escalated else [])
                for ch in dict.fromkeys(targets):
                    groups[(ch, rule.name)].append(item.notice(FIRING))
                    if escalate:
                        escalated_groups.add((ch, rule.name))
                # Where the firing went is where the resolved goes, whatever edits
                # the rule's channels see meanwhile.
                sent = [ch for ch in targets if ch in settings.channels]
                item.sent_to = sorted({*item.sent_to, *sent})
                item.notified_at, item.firing_notified = now, bool(item.sent_to)
        elif s.state == RESOLVED and item.firing_notified:
            for ch in item.sent_to:
                groups[(ch, rule.name)].append(item.notice(RESOLVED))
            item.firing_notified, item.sent_to = False, []
    for (ch, name), alerts in sorted(groups.items()):
        if ch not in settings.channels:
            out.problems.append(f"rule {name!r}: channel {ch!r} is not configured")
            continue
        notice = _notice(ch, name, alerts, (ch, name) in escalated_groups, now)
        limit = rules[name].max_per_hour or settings.max_per_hour
        # An all-clear for alerts whose firing was sent goes at once, whatever
        # the hour's count: only one queued behind held ones waits (so it never
        # overtakes them, and a flapping rule still sends one summary an hour).
        over = notice.status != RESOLVED and sent_last_hour(store, ch, name, now) >= limit
        if _held(store, ch, name) or over:
            outbox.enqueue(store, [notice], now, rule=name, state=HELD)
            out.held += 1
        else:
            outbox.enqueue(store, [notice], now, rule=name)
            out.queued += 1
    out.queued += _summaries(store, settings, rules, now)
    return out


def _notice(
    channel: str, rule: str, alerts: list[AlertNotice], escalated: bool, now: int
) -> Notice:
    status = FIRING if any(a.status == FIRING for a in alerts) else RESOLVED
    return Notice(
        channel=channel,
        kind="alert",
        status=status,
        group_key=group_key(rule),
        title=rule,
        alerts=tuple(alerts),
        escalated=escalated,
        created_at=now,
    )


def group_key(rule: str) -> str:
    """As Alertmanager writes one: the route's matchers, then the group's labels."""
    return '{}:{alertname="' + rule.replace("\\", "\\\\").replace('"', '\\"') + '"}'


def _held(store: Store, channel: str, rule: str) -> bool:
    return (
        Notification.select()
        .where(
            Notification.channel == channel, Notification.rule == rule, Notification.state == HELD
        )
        .exists()
    )


def _summaries(store: Store, settings: AlertSettings, rules: dict[str, Rule], now: int) -> int:
    """Held notifications of a rule and channel become one summary once the hour
    has room for it: each alert in it at its latest state."""
    made = 0
    held = (
        Notification.select(
            Notification.id, Notification.channel, Notification.rule, Notification.body
        )
        .where(Notification.state == HELD)
        .order_by(Notification.id)
    )
    by_group: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for n in held:
        by_group[(n.channel, n.rule or "")].append((n.id, n.body))
    for (ch, name), rows in by_group.items():
        rule = rules.get(name)
        limit = rule.max_per_hour if rule and rule.max_per_hour else settings.max_per_hour
        if sent_last_hour(store, ch, name, now) >= limit:
            continue
        latest: dict[str, AlertNotice] = {}
        fired_held: set[str] = set()
        for _, body in rows:
            for a in Notice.from_json(body).alerts:
                latest[a.fingerprint] = a
                if a.status == FIRING:
                    fired_held.add(a.fingerprint)
        # An alert that fired and resolved while held arrives as resolved: say so,
        # so a receiver that never saw it fire knows why.
        alerts = tuple(
            replace(
                a,
                annotations={
                    **a.annotations,
                    "held_back": "fired and resolved while held back by the rate limit",
                },
            )
            if a.status == RESOLVED and a.fingerprint in fired_held
            else a
            for a in latest.values()
        )
        status = FIRING if any(a.status == FIRING for a in alerts) else RESOLVED
        outbox.enqueue(
            store,
            [
                Notice(
                    channel=ch,
                    kind="summary",
                    status=status,
                    group_key=group_key(name),
                    title=name,
                    alerts=alerts,
                    held=len(rows),
                    created_at=now,
                )
            ],
            now,
            rule=name,
        )
        Notification.update(state=SUMMARISED).where(
            Notification.id.in_([i for i, _ in rows])
        ).execute()
        made += 1
    return made


def retire(store: Store, rule: Rule, rows: list[AlertInstance], now: int) -> int:
    """A rule deleted or renamed while its alerts fire: each firing that was
    notified gets its resolved notice, so no receiver is left with an alert open
    for ever. Returns the notifications queued."""
    store.bound()
    groups: dict[str, list[AlertNotice]] = defaultdict(list)
    for row in rows:
        if row.state != FIRING or not row.firing_notified:
            continue
        notice = AlertNotice(
            fingerprint=row.fingerprint,
            rule=rule.name,
            account=row.account,
            bucket=row.bucket,
            metric=rule.metric,
            severity=row.severity,
            status=RESOLVED,
            value=row.value,
            threshold=row.threshold,
            comparison=rule.comparison,
            unit=rule.unit,
            starts_at=row.firing_since or 0,
            ends_at=now,
            labels=alert_labels(rule, row.account, row.bucket, row.severity),
            annotations={
                **dict(rule.annotations),
                "resolved_because": "the rule was deleted or renamed",
            },
        )
        for ch in json.loads(row.channels or "[]"):
            groups[ch].append(notice)
    for ch, alerts in sorted(groups.items()):
        outbox.enqueue(store, [_notice(ch, rule.name, alerts, False, now)], now, rule=rule.name)
    return len(groups)
