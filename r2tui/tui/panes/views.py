"""What each pane shows: one small view per pane, made from the dashboard read.

A pane sees only its view, never the whole `Dashboard`: what it draws from is
written down here, and a pane can be shown data made by hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from r2tui.alerts.held import HeldBack
from r2tui.alerts.views import AlertsView
from r2tui.config.model import DEFAULT_SCHEDULES, Config, Schedule
from r2tui.costs.probes import ProbePlan, account_plan
from r2tui.store import health
from r2tui.store.health import HealthView
from r2tui.store.views import (
    ActivityRow,
    CollectorView,
    CostsView,
    Dashboard,
    EndpointRow,
    JobStatus,
    MetricsView,
    MonitorSpend,
    ProbeRow,
    StorageView,
)


@dataclass(frozen=True)
class MetricsPaneView:
    metrics: MetricsView | None  # None: not read yet
    listed_buckets: tuple[str, ...]  # the buckets the listings found
    listed_at: float | None  # when the newest listing was taken
    health: HealthView
    endpoint: EndpointRow | None
    probes: tuple[ProbeRow, ...]

    @classmethod
    def of(cls, dash: Dashboard) -> MetricsPaneView:
        buckets = dash.storage.buckets
        return cls(
            metrics=dash.metrics,
            listed_buckets=tuple(b.name for b in buckets),
            listed_at=max(b.inventoried_at for b in buckets) if buckets else None,
            health=health.of(dash),
            endpoint=dash.endpoint,
            probes=tuple(dash.probes),
        )


@dataclass(frozen=True)
class CostPaneView:
    costs: CostsView | None  # None: not read yet
    spend: MonitorSpend  # r2tui's own requests this month
    health: HealthView
    last_run: JobStatus | None  # the calculate_costs job's last run
    schedule: str  # when calculate_costs runs, as configured
    analytics: bool = False  # the account reads Cloudflare's analytics (it has a token)
    collect_run: JobStatus | None = None  # the collect_metrics job's last run (analytics)
    probes: ProbePlan | None = None  # a month of canary probes; None when they are off

    @classmethod
    def of(
        cls, dash: Dashboard, schedules: Mapping[str, Schedule], config: Config | None = None
    ) -> CostPaneView:
        configured = schedules.get("calculate_costs")
        return cls(
            costs=dash.costs,
            spend=dash.storage.spend,
            health=health.of(dash),
            last_run=_job(dash.collector, "calculate_costs"),
            schedule=configured.text if configured else DEFAULT_SCHEDULES["calculate_costs"],
            analytics=dash.metrics is not None and dash.metrics.analytics,
            collect_run=_job(dash.collector, "collect_metrics"),
            probes=None if config is None else probe_plan(dash, config),
        )


def probe_plan(dash: Dashboard, config: Config) -> ProbePlan | None:
    """What the account's probes cost a month over the buckets the store knows,
    at the current settings (what `status --json` says as `probe_plan`)."""
    account = next((a for a in config.accounts if a.name == dash.account), None)
    if account is None:
        return None
    names = [b.name for b in dash.storage.buckets] + list(dash.storage.not_inventoried)
    return account_plan(config, account, names)


@dataclass(frozen=True)
class StoragePaneView:
    storage: StorageView
    health: HealthView
    last_inventory: JobStatus | None  # the inventory job's last run

    @classmethod
    def of(cls, dash: Dashboard) -> StoragePaneView:
        return cls(
            storage=dash.storage,
            health=health.of(dash),
            last_inventory=_job(dash.collector, "inventory"),
        )


@dataclass(frozen=True)
class ActivityPaneView:
    activity: tuple[ActivityRow, ...]  # every event, newest first
    # The newest events that matter, read apart (`Dashboard.notable`): a day of
    # job runs does not push them out of the pane.
    notable: tuple[ActivityRow, ...] = ()
    all_key: str = "a"  # the keys that show every event and jump to the newest,
    newest_key: str = "F"  # as the user's keymap has them

    @classmethod
    def of(cls, dash: Dashboard, keymap: Mapping[str, str] | None = None) -> ActivityPaneView:
        keys = keymap or {}
        return cls(
            tuple(dash.activity),
            tuple(dash.notable),
            _first_key(keys.get("activity.all", "a")),
            _first_key(keys.get("activity.newest", "F")),
        )

    @property
    def matters(self) -> tuple[ActivityRow, ...]:
        """What matters, newest first: every event but routine job runs, from
        both reads."""
        rows = {a.id: a for a in (*self.notable, *self.activity) if not a.routine}
        return tuple(sorted(rows.values(), key=lambda a: (a.ts, a.id), reverse=True))


@dataclass(frozen=True)
class AlertsPaneView:
    alerts: AlertsView | None  # None: not read yet
    rules_key: str  # the keys that open the rules and the alert history,
    history_key: str  # as the user's keymap has them
    # Notifications the rate limit holds, and from when their summary goes.
    held: HeldBack = field(default_factory=HeldBack)

    @classmethod
    def of(cls, dash: Dashboard, keymap: Mapping[str, str]) -> AlertsPaneView:
        return cls(
            alerts=dash.alerts,
            rules_key=_first_key(keymap.get("app.rules", "r")),
            history_key=_first_key(keymap.get("app.alert_history", "A")),
            held=dash.alerts.held if dash.alerts is not None else HeldBack(),
        )


def _job(collector: CollectorView, name: str) -> JobStatus | None:
    return next((j for j in collector.jobs if j.job == name), None)


def _first_key(keys: str) -> str:
    return keys.split(",")[0].strip()
