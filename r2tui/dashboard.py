"""The dashboard: every pane's data in one read of the store (the TUI's refresh,
`r2tui status`). It composes the store's views (`queries`, `health`), the
cost view (`costs.view`) and the alerts' view, so it sits above those layers,
not in the store."""

from __future__ import annotations

from r2tui.alerts.probe_watch import must_among
from r2tui.alerts.views import alerts_view
from r2tui.config.alert_model import AlertSettings, MaintenanceWindow
from r2tui.costs.view import costs_view
from r2tui.metrics import ACCOUNT
from r2tui.pricing import LIST_PRICES, PriceList
from r2tui.store import Store, health, queries
from r2tui.store.views import NOTABLE_DAYS, Dashboard


def read(
    store: Store,
    account: str,
    quota_bytes: int | None = None,
    activity_limit: int = queries.ACTIVITY_LIMIT,
    now: float | None = None,
    *,
    analytics: bool = False,
    metrics_bucket: str = ACCOUNT,
    tz: str = "UTC",
    prices: PriceList = LIST_PRICES,
    alert_windows: tuple[MaintenanceWindow, ...] = (),
    max_per_hour: int = AlertSettings.max_per_hour,
    every_bucket: bool = False,
) -> Dashboard:
    """`every_bucket`: the metrics' readings of every bucket (`status --json`
    reports them), not only of the account and `metrics_bucket` (what the panes
    show)."""
    now = store.clock() if now is None else now
    storage = queries.storage_view(store, account, quota_bytes, now=now)
    known = [b.name for b in storage.buckets] + list(storage.not_inventoried)
    return Dashboard(
        costs=costs_view(store, account, now, prices, monitor_usd=storage.spend.usd),
        metrics=queries.metrics_view(
            store, account, now, analytics, metrics_bucket, tz, every_bucket
        ),
        account=account,
        generated_at=int(now),
        storage=storage,
        activity=queries.activity(store, account, activity_limit),
        notable=queries.activity(
            store, account, activity_limit, notable_since=now - NOTABLE_DAYS * 86400
        ),
        collector=queries.collector(store, account, now),
        probes=queries.probes(store, account, now),
        endpoint=queries.endpoint_check(store, account),
        alerts=alerts_view(store, account, now, alert_windows, max_per_hour),
        health=health.read(store, account),
        probe_must=must_among(store, account, known, now),
    )
