"""What the Alerts pane, the Rules screen and `status --json` show: alerts
firing and pending now, recent resolutions, each rule's live state, and the
outbox's trouble. Plain data read from the store."""

from __future__ import annotations

from dataclasses import dataclass, field

from peewee import fn

from r2tui.alerts import saved
from r2tui.alerts.held import HeldBack, held_back
from r2tui.alerts.notice import alert_labels
from r2tui.alerts.outbox import HELD
from r2tui.alerts.rules import Rule
from r2tui.alerts.silences import silences, silencing
from r2tui.alerts.states import FIRING, PENDING, RESOLVED
from r2tui.config.alert_model import AlertSettings, MaintenanceWindow
from r2tui.matchers import matches
from r2tui.store import Store
from r2tui.store.models import AlertInstance, Notification

RECENT_SECONDS = 24 * 3600  # resolutions this recent are listed


@dataclass(frozen=True)
class AlertRow:
    rule: str
    account: str
    bucket: str
    state: str
    severity: str
    value: float | None
    threshold: float
    comparison: str
    unit: str
    since: int  # pending or firing since; resolved: when
    silenced: str | None = None  # what keeps it quiet
    metric: str = ""
    # A change rule: its window and its threshold's kind ("percent", "absolute");
    # its value is then the change, in `unit`. A value rule: 0 and "".
    window: int = 0
    change_in: str = ""


@dataclass(frozen=True)
class RuleState:
    """A rule with its alerts' states right now, for the Rules screen."""

    rule: Rule
    firing: int = 0
    pending: int = 0
    last_change: int | None = None

    @property
    def state(self) -> str:
        if not self.rule.enabled:
            return "disabled"
        return FIRING if self.firing else PENDING if self.pending else "ok"


@dataclass(frozen=True)
class AlertsView:
    firing: list[AlertRow] = field(default_factory=list)
    pending: list[AlertRow] = field(default_factory=list)
    recent: list[AlertRow] = field(default_factory=list)
    rules: int = 0
    outbox: dict[str, int] = field(default_factory=dict)  # state → notifications
    last_error: str | None = None  # the newest dead letter's
    held: HeldBack = field(default_factory=HeldBack)  # by the rate limit


_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def alerts_view(
    store: Store,
    account: str,
    now: float | None = None,
    windows: tuple[MaintenanceWindow, ...] = (),
    max_per_hour: int = AlertSettings.max_per_hour,
) -> AlertsView:
    """`max_per_hour`: [alerts]' rate limit, for when held notifications go."""
    store.bound()
    t = store.clock() if now is None else now
    rules = {r.name: r for r in saved.list_rules(store)}
    quiet = silences(store, t)
    active = [w for w in windows if w.active(t)]
    out: dict[str, list[AlertRow]] = {FIRING: [], PENDING: [], RESOLVED: []}
    q = AlertInstance.select().where(
        AlertInstance.account == account,
        AlertInstance.state.in_((FIRING, PENDING))
        | ((AlertInstance.state == RESOLVED) & (AlertInstance.resolved_at > t - RECENT_SECONDS)),
    )
    for a in q:
        rule = rules.get(a.rule)
        if rule is None:
            continue
        labels = alert_labels(rule, a.account, a.bucket, a.severity)
        s = silencing(quiet, labels, t)
        w = next((w for w in active if matches(w.matchers, labels)), None)
        since = {FIRING: a.firing_since, PENDING: a.pending_since}.get(a.state, a.resolved_at)
        out[a.state].append(
            AlertRow(
                a.rule,
                a.account,
                a.bucket,
                a.state,
                a.severity,
                a.value,
                a.threshold,
                rule.comparison,
                rule.unit,
                int(since or 0),
                f"silence {s.id}" if s else f"window {w.name}" if w else None,
                rule.metric,
                rule.window if rule.is_change else 0,
                rule.change_in if rule.is_change else "",
            )
        )
    for rows in out.values():
        rows.sort(key=lambda r: (_SEVERITY_ORDER.get(r.severity, 9), -r.since, r.rule, r.bucket))
    out[RESOLVED].sort(key=lambda r: -r.since)
    counts = {
        state: n
        for state, n in store.fetch(
            Notification.select(Notification.state, fn.COUNT(Notification.id)).group_by(
                Notification.state
            )
        )
    }
    dead = (
        Notification.select(Notification.last_error)
        .where(Notification.state == "dead")
        .order_by(Notification.id.desc())
        .first()
    )
    return AlertsView(
        out[FIRING],
        out[PENDING],
        out[RESOLVED],
        len(rules),
        counts,
        dead.last_error if dead else None,
        held_back(store, rules, max_per_hour, t) if counts.get(HELD) else HeldBack(),
    )


def rule_states(store: Store, now: float | None = None) -> list[RuleState]:
    """Every rule with how many of its alerts fire or wait, on every account."""
    store.bound()
    del now
    counts: dict[str, dict[str, int]] = {}
    changed: dict[str, int] = {}
    for rule, state, n, last in store.fetch(
        AlertInstance.select(
            AlertInstance.rule,
            AlertInstance.state,
            fn.COUNT(AlertInstance.fingerprint),
            fn.MAX(AlertInstance.last_eval_at),
        ).group_by(AlertInstance.rule, AlertInstance.state)
    ):
        counts.setdefault(rule, {})[state] = int(n)
        changed[rule] = max(changed.get(rule, 0), int(last or 0))
    return [
        RuleState(
            r,
            counts.get(r.name, {}).get(FIRING, 0),
            counts.get(r.name, {}).get(PENDING, 0),
            changed.get(r.name),
        )
        for r in saved.list_rules(store)
    ]
