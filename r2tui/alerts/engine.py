"""`check_alerts`: every enabled rule against the store's current readings, one
alert per rule, account and bucket, each stepped through the state machine
(`r2tui.alerts.states`). State, history events and the notifications that
follow (`r2tui.alerts.dispatch`) and the automated responses its firing wants
(`r2tui.alerts.response_runs`) commit in one transaction, so an alert that
fired is never recorded without its notice and responses queued, nor queued
twice."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from r2tui.alerts import dispatch, response_runs, saved
from r2tui.alerts.notice import AlertNotice, alert_labels, fingerprint
from r2tui.alerts.rules import Rule, RuleError
from r2tui.alerts.silences import SilenceRow, silences
from r2tui.alerts.states import (
    FIRED_KIND,
    FIRING,
    HISTORY_KINDS,
    INACTIVE,
    PENDING,
    RESOLVED,
    STATE_KIND,
    AlertState,
    step,
)
from r2tui.config.alert_model import MaintenanceWindow
from r2tui.config.model import Config
from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.store import queries
from r2tui.store.db import Store
from r2tui.store.models import AlertInstance, Silence
from r2tui.store.readings import readings, series_buckets
from r2tui.store.views import Reading
from r2tui.store.writes import EventRow, add_events

Values = dict[str, dict[str, Reading]]  # bucket → metric → reading


@dataclass(frozen=True)
class Transition:
    rule: str
    bucket: str
    before: str
    after: str
    value: float | None


@dataclass
class CheckResult:
    evaluated: int = 0
    transitions: list[Transition] = field(default_factory=list)
    queued: int = 0
    held: int = 0
    responses: int = 0  # automated responses queued (response_runs), run by whoever delivers
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        firing = sum(t.after == FIRING for t in self.transitions)
        resolved = sum(t.after == RESOLVED for t in self.transitions)
        text = (
            f"{self.evaluated} alerts evaluated, {firing} fired, {resolved} resolved, "
            f"{self.queued} notifications queued"
        )
        text += f", {self.held} held back by rate limits" if self.held else ""
        plural = "" if self.responses == 1 else "s"
        return text + (f", {self.responses} response{plural} queued" if self.responses else "")


@dataclass
class Tracked:
    """One alert as the engine carries it through a run."""

    rule: Rule
    account: str
    bucket: str
    before: AlertState
    after: AlertState
    severity: str
    notified_at: int | None
    firing_notified: bool
    escalated: bool
    sent_to: list[str] = field(default_factory=list)  # channels the firing went to
    # A change rule: the metric now and `window` ago (its state's value is the change).
    current: float | None = None
    previous: float | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule.name, self.account, self.bucket)

    def labels(self) -> dict[str, str]:
        return alert_labels(self.rule, self.account, self.bucket, self.severity)

    def notice(self, status: str) -> AlertNotice:
        s, change = self.after, self.rule.is_change
        return AlertNotice(
            fingerprint=self.fingerprint,
            rule=self.rule.name,
            account=self.account,
            bucket=self.bucket,
            metric=self.rule.metric,
            severity=self.severity,
            status=status,
            value=s.value,
            threshold=self.rule.threshold,
            comparison=self.rule.comparison,
            unit=self.rule.unit,
            starts_at=s.firing_since or s.pending_since or 0,
            ends_at=s.resolved_at if status == RESOLVED else None,
            labels=self.labels(),
            annotations=dict(self.rule.annotations),
            window=self.rule.window if change else 0,
            change_in=self.rule.change_in if change else "",
            current=self.current,
            previous=self.previous,
        )


def targets(rule: Rule, buckets: Iterable[str]) -> list[str]:
    if rule.scope == ACCOUNT:
        return [ACCOUNT]
    if not rule.is_glob:
        return [rule.scope]
    # fnmatch's "*" matches "/": a bucket rule's glob must not take in the
    # prefixes ("bucket/prefix/", always ending in "/", which no bucket name
    # can), nor a prefix rule's the buckets.
    per_prefix = CATALOG[rule.metric].per_prefix
    return sorted(
        b
        for b in buckets
        if b != ACCOUNT and b.endswith("/") == per_prefix and fnmatch.fnmatchcase(b, rule.scope)
    )


def scope_candidates(store: Store, account: str, rule: Rule) -> list[str]:
    """What a glob scope may match: the account's buckets, or for a metric kept
    per prefix, the prefixes that have its series ("bucket/prefix/")."""
    if CATALOG[rule.metric].per_prefix:
        return series_buckets(store, account, CATALOG[rule.metric].reads)
    return queries.bucket_names(store, account)


def check_alerts(
    store: Store,
    config: Config,
    account: str,
    now: float | None = None,
    rules: list[Rule] | None = None,
) -> CheckResult:
    """Evaluate `rules` (default: every enabled rule in the store) for `account`."""
    t = int(store.clock() if now is None else now)
    wanted = [r for r in (saved.list_rules(store) if rules is None else rules) if r.enabled]
    # A prefix metric: only the series the rules can name, not the account's thousands.
    scopes = sorted({r.scope for r in wanted if CATALOG[r.metric].per_prefix})
    values = readings(
        store,
        account,
        sorted({r.metric for r in wanted}),
        t,
        config.timezone,
        prefix_scopes=scopes,
    )
    # Change rules: each window's readings as they were that long ago, the
    # analytics as far as they were stored then.
    past = {
        w: readings(
            store,
            account,
            sorted({r.metric for r in wanted if r.is_change and r.window == w}),
            t,
            config.timezone,
            back=w,
            prefix_scopes=scopes,
        )
        for w in sorted({r.window for r in wanted if r.is_change})
    }
    # A bucket deleted from R2 keeps its last samples: it must not stay in scope.
    gone = set(queries.bucket_names(store, account, include_vanished=True)) - set(
        queries.bucket_names(store, account)
    )
    buckets = {
        b
        for b in set(queries.bucket_names(store, account)) | set(values)
        if b.partition("/")[0] not in gone  # a prefix ("bucket/prefix/") goes with its bucket
    }
    # State is read, stepped and written in one write transaction: a TUI and a
    # headless collector evaluating the same account queue here, and the second
    # sees what the first decided (never the same firing notified twice).
    with store.write():
        # The rules again, under the lock: one renamed or deleted meanwhile must not
        # leave an alert behind that nothing evaluates.
        active_rules = (
            wanted
            if rules is not None
            else [
                r
                for r in saved.list_rules(store)
                if r.enabled and r.metric in {w.metric for w in wanted}
            ]
        )
        tracked = _step_all(store, account, active_rules, (values, past), buckets, t)
        result = CheckResult(evaluated=len(tracked))
        muted = _mutes(store, config, t)
        plan = dispatch.plan(store, tracked, config.alerts, muted, t)
        result.queued, result.held = plan.queued, plan.held
        result.problems += plan.problems
        # The firing's responses commit with it: whoever delivers runs them,
        # wherever this evaluation ran and even if this process stops now.
        result.responses = response_runs.enqueue(store, plan.fired, t)
        _save(store, tracked, t)
        changed = [item for item in tracked if item.after.state != item.before.state]
        result.transitions = [
            Transition(i.rule.name, i.bucket, i.before.state, i.after.state, i.after.value)
            for i in changed
        ]
        events = [_event(item) for item in changed]
        events += [
            EventRow(STATE_KIND, "info", text, item.bucket, data)
            for item, text, data in plan.escalations
        ]
        add_events(store, account, events, ts=t)
        _expire_resolved_silences(store, tracked, muted[0], t, account)
    return result


def _step_all(
    store: Store,
    account: str,
    active_rules: list[Rule],
    read: tuple[Values, dict[int, Values]],
    buckets: set[str],
    t: int,
) -> list[Tracked]:
    values, past = read
    rows = {
        row.fingerprint: row
        for row in AlertInstance.select().where(AlertInstance.account == account)
    }
    tracked: list[Tracked] = []
    seen: set[str] = set()
    for rule in active_rules:
        for bucket in targets(rule, buckets):
            value = _value(values, bucket, rule.metric)
            before = None
            if rule.is_change:
                before = _value(past.get(rule.window, {}), bucket, rule.metric)
                value = rule.change_of(value, before)
            fp = fingerprint(rule.name, account, bucket)
            seen.add(fp)
            row = rows.get(fp)
            if row is not None and row.last_eval_at > t:
                continue  # another evaluator, its clock ahead, has seen newer data
            item = _tracked(rule, account, bucket, row)
            if rule.is_change:
                item.current = _value(values, bucket, rule.metric)
                item.previous = before
            item.after = step(item.before, rule, value, t)
            tracked.append(item)
    by_rule: dict[str, Rule | None] = {r.name: r for r in active_rules}
    unreadable: set[str] = set()
    # An alert whose bucket left the rule's scope (or vanished), or whose rule was
    # disabled, resolves: it must not stay firing forever with nobody evaluating it.
    for fp, row in rows.items():
        if fp in seen or row.state not in (PENDING, FIRING) or row.rule in unreadable:
            continue
        if row.rule not in by_rule:  # looked up once per rule, not per bucket
            try:
                by_rule[row.rule] = saved.get_rule(store, row.rule)
            except RuleError:  # written by a newer r2tui sharing the store: leave it be
                unreadable.add(row.rule)
                continue
        owner = by_rule[row.rule]
        if owner is None:
            continue
        item = _tracked(owner, account, row.bucket, row)
        b = item.before
        item.after = (
            AlertState(INACTIVE, b.value)
            if b.state == PENDING
            else replace(b, state=RESOLVED, resolved_at=t, pending_since=None)
        )
        tracked.append(item)
    return tracked


def _value(values: Values, bucket: str, metric: str) -> float | None:
    reading = values.get(bucket, {}).get(metric)
    return reading.value if reading is not None else None


def _tracked(rule: Rule, account: str, bucket: str, row: AlertInstance | None) -> Tracked:
    if row is None:
        before = AlertState()
        return Tracked(rule, account, bucket, before, before, rule.severity, None, False, False)
    before = AlertState(
        row.state, row.value, row.pending_since, row.firing_since, row.resolved_at, row.last_true_at
    )
    return Tracked(
        rule,
        account,
        bucket,
        before,
        before,
        row.severity,
        row.notified_at,
        bool(row.firing_notified),
        bool(row.escalated),
        json.loads(row.channels or "[]"),
    )


def _mutes(
    store: Store, config: Config, now: int
) -> tuple[list[SilenceRow], list[MaintenanceWindow]]:
    return silences(store, now), [w for w in config.alerts.maintenance if w.active(now)]


# Alerts per upsert: 17 columns each stay far below SQLite's 32,766 variables.
SAVE_CHUNK = 500


def _save(store: Store, tracked: list[Tracked], now: int) -> None:
    """Every alert's state, a few statements whatever the buckets of a glob."""
    rows = []
    for item in tracked:
        s = item.after
        if s.state in (INACTIVE, RESOLVED) or not item.escalated:
            # At rest, a next episode starts afresh: escalation undone, and the
            # rule's severity as it is now (it may have been edited).
            item.escalated, item.severity = False, item.rule.severity
        rows.append(
            dict(
                fingerprint=item.fingerprint,
                rule=item.rule.name,
                account=item.account,
                bucket=item.bucket,
                state=s.state,
                severity=item.severity,
                value=s.value,
                threshold=item.rule.threshold,
                pending_since=s.pending_since,
                firing_since=s.firing_since,
                resolved_at=s.resolved_at,
                last_eval_at=now,
                last_true_at=s.last_true_at,
                notified_at=item.notified_at,
                firing_notified=item.firing_notified,
                escalated=item.escalated,
                channels=json.dumps(item.sent_to),
            )
        )
    # One row per alert (the last written wins, as one upsert after another would):
    # PostgreSQL refuses a statement that updates a row twice.
    rows = list({r["fingerprint"]: r for r in rows}.values())
    a = AlertInstance
    kept = [f for f in a._meta.sorted_fields if f is not a.fingerprint]
    for i in range(0, len(rows), SAVE_CHUNK):
        a.insert_many(rows[i : i + SAVE_CHUNK]).on_conflict(
            conflict_target=[a.fingerprint], preserve=kept
        ).execute()


def _event(item: Tracked) -> EventRow:
    before, after = item.before.state, item.after.state
    notice = item.notice(after)
    text = {FIRING: "firing", RESOLVED: "resolved", PENDING: "pending", INACTIVE: "back to normal"}[
        after
    ]
    level = (
        ("error" if item.severity in ("high", "critical") else "warning")
        if after == FIRING
        else "info"
    )
    data = {
        "fingerprint": item.fingerprint,
        "rule": item.rule.name,
        "bucket": item.bucket,
        "from": before,
        "to": after,
        "value": item.after.value,
        "threshold": item.rule.threshold,
        "severity": item.severity,
    }
    return EventRow(
        FIRED_KIND if after == FIRING else STATE_KIND,
        level,
        f"{item.rule.name} {text}: {notice.summary()}",
        item.bucket,
        data,
    )


def _expire_resolved_silences(
    store: Store, tracked: list[Tracked], rows: list[SilenceRow], now: int, account: str
) -> None:
    """A silence set to expire on resolve ends once every alert it held has
    resolved (and at least one did), on every account: silences are store-wide."""
    candidates = [s for s in rows if s.expire_on_resolve and s.active(now)]
    if not candidates:
        return
    held_elsewhere = [
        alert_labels(rule, a.account, a.bucket, a.severity)
        for a, rule in _active_elsewhere(store, account)
    ]
    for s in candidates:
        held = [i for i in tracked if s.holds(i.labels())]
        if (
            any(i.after.state == RESOLVED and i.before.state == FIRING for i in held)
            and not any(i.after.state in (PENDING, FIRING) for i in held)
            and not any(s.holds(labels) for labels in held_elsewhere)
        ):
            Silence.update(ends_at=now).where(Silence.id == s.id).execute()


def _active_elsewhere(store: Store, account: str) -> list[tuple[AlertInstance, Rule]]:
    rules = {r.name: r for r in saved.list_rules(store)}
    return [
        (a, rules[a.rule])
        for a in AlertInstance.select().where(
            AlertInstance.account != account, AlertInstance.state.in_((PENDING, FIRING))
        )
        if a.rule in rules
    ]


def history(
    store: Store, account: str | None = None, search: str = "", limit: int = 500
) -> list[dict[str, Any]]:
    """Alert transitions, newest first, whose message contains `search`: each
    an event's columns with its JSON data."""
    store.bound()
    from r2tui.store.models import Event

    q = Event.select().where(Event.kind.in_(HISTORY_KINDS))
    if account is not None:
        q = q.where(Event.account == account)
    if search:
        q = q.where(Event.message.contains(search))
    return [
        {
            "ts": e.ts,
            "account": e.account,
            "bucket": e.bucket,
            "level": e.level,
            "message": e.message,
            **(json.loads(e.data) if e.data else {}),
        }
        for e in q.order_by(Event.ts.desc(), Event.id.desc()).limit(limit)
    ]
