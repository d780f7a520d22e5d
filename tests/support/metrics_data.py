"""Fixed metric cards and history series for the Metrics pane and history
screen tests and snapshots.

The cards are built here rather than seeded as analytics samples: the pane's
job is to render a MetricsView (values, trends, warnings, missing data), and
fixed views pin each of those cases exactly. The store's own computation of
the view is tested with the queries."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from r2tui import dashboard
from r2tui.config import Secret
from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.pricing import LIST_PRICES, PriceList
from r2tui.store import Store, queries
from r2tui.store.views import NOTABLE_DAYS, Dashboard, MetricCard, MetricsView, Reading, Series
from r2tui.tui.app import R2App, build_app
from tests.support.configs import account_for, make_config
from tests.support.tui_data import NOW

GB = 10**9
BUCKETS = ["backups", "media", "site"]
TITLES = {
    "total_files": "Total files",
    "total_bytes": "Storage used",
    "uploads_today": "Uploads today",
    "downloads_today": "Downloads today",
    "class_a_ops": "Class A / hour",
    "class_b_ops": "Class B / hour",
    "error_rate_pct": "Error rate",
    "avg_response_ms": "Avg response",
    "p95_response_ms": "p95 response",
}

# metric → (value, previous) for the account and for "media".
VALUES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    ACCOUNT: {
        "total_files": (4342, 4300),
        "total_bytes": (729 * GB, 700 * GB),
        "uploads_today": (1234, 1000),
        "downloads_today": (56789, None),
        "class_a_ops": (321, 300),
        "class_b_ops": (4567, 5000),
        "error_rate_pct": (7.25, 2.0),
        "avg_response_ms": (180, 200),
        "p95_response_ms": (640, 610),
    },
    "media": {
        "total_files": (4120, 4120),
        "total_bytes": (308 * GB, 300 * GB),
        "uploads_today": (200, 250),
        "downloads_today": (None, None),
        "class_a_ops": (12, None),
        "class_b_ops": (None, None),
        "error_rate_pct": (0.5, 0.4),
        "avg_response_ms": (2450, 900),
        "p95_response_ms": (3100, 1200),
    },
}


def spark(seed: int) -> list[float]:
    return [float((i * 7 + seed * 3) % 11 + i // 3) for i in range(24)]


def metrics_view(
    bucket: str = ACCOUNT, analytics: bool = True, sampled: frozenset[str] = frozenset()
) -> MetricsView:
    values = VALUES.get(bucket, {})
    cards = []
    for i, (name, title) in enumerate(TITLES.items()):
        m = CATALOG[name]
        value, previous = values.get(name, (None, None))
        cards.append(
            MetricCard(
                metric=name,
                title=title,
                unit=m.unit,
                reading=Reading(
                    name,
                    value,
                    previous,
                    int(NOW) - 300 if value is not None else None,
                    sampled=name in sampled,
                ),
                spark=spark(i) if value is not None else [],
                warn_above=m.warn_above,
                needs_token=m.needs_token,
            )
        )
    return MetricsView(
        account="test",
        bucket=bucket,
        analytics=analytics,
        analytics_at=int(NOW) - 3600 if analytics else None,
        cards=cards,
        values={},
        buckets=BUCKETS,
    )


class FakeDashboard:
    """Stands in for r2tui.dashboard.read: the real panes' parts from the store,
    with fixed metric cards, recording the keywords the app read with."""

    def __init__(
        self,
        analytics: bool | None = None,
        metrics: bool = True,
        sampled: frozenset[str] = frozenset(),
    ) -> None:
        self.analytics = analytics  # None: whatever the app asks for
        self.metrics = metrics  # False: a read without a metrics part
        self.sampled = sampled  # metrics whose reading Cloudflare sampled
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self,
        store: Store,
        account: str,
        quota_bytes: int | None = None,
        activity_limit: int = 200,
        now: float | None = None,
        *,
        analytics: bool = False,
        metrics_bucket: str = ACCOUNT,
        tz: str = "UTC",
        prices: PriceList = LIST_PRICES,
        alert_windows: tuple = (),
        max_per_hour: int = 5,
    ) -> Dashboard:
        self.calls.append({"analytics": analytics, "metrics_bucket": metrics_bucket, "tz": tz})
        now = NOW if now is None else now
        dash = Dashboard(
            account=account,
            generated_at=int(now),
            storage=queries.storage_view(store, account, quota_bytes, now=now),
            activity=queries.activity(store, account, activity_limit),
            notable=queries.activity(
                store, account, activity_limit, notable_since=now - NOTABLE_DAYS * 86400
            ),
            collector=queries.collector(store, account, now),
            probes=queries.probes(store, account, now),
            endpoint=queries.endpoint_check(store, account),
        )
        view = (
            metrics_view(
                metrics_bucket,
                analytics if self.analytics is None else self.analytics,
                self.sampled,
            )
            if self.metrics
            else None
        )
        return dataclasses.replace(dash, metrics=view)

    @property
    def buckets_read(self) -> list[str]:
        return [c["metrics_bucket"] for c in self.calls]


def fake_dashboard(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> FakeDashboard:
    fake = FakeDashboard(**kwargs)
    monkeypatch.setattr(dashboard, "read", fake)
    return fake


def series(metric: str, bucket: str, range_: str, points: int = 24) -> Series:
    """A deterministic hourly series ending at NOW (empty for "1h")."""
    start = int(NOW) - 86400
    unit = CATALOG[metric].unit
    scale = 1.0 if unit != "bytes" else 7 * GB
    values = (
        []
        if range_ == "1h"
        else [
            (start + 3600 * (i + 1), scale * (100 + 40 * ((i * 5) % 7) + i * 3))
            for i in range(points)
        ]
    )
    return Series(
        metric=metric,
        bucket=bucket,
        range=range_,
        resolution="hour",
        unit=unit,
        start=start,
        end=int(NOW),
        points=values,
    )


class FakeLoader:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, metric: str, bucket: str, range_: str) -> Series:
        self.calls.append((metric, bucket, range_))
        return series(metric, bucket, range_)


def make_app(store: Store, token: bool = False) -> R2App:
    extra = {"api_token": Secret("tok", "test"), "account_id": "0" * 32} if token else {}
    config = make_config((account_for("http://127.0.0.1:9", quota_bytes=1000 * GB, **extra),))
    return build_app(config, store, clock=lambda: NOW, collect=False)
