"""The scrape: a `prometheus_client` collector that reads the store each time
Prometheus asks (`exporter.readings`) and turns what it read into metric
families. It is registered on a registry of its own, never on the client's
global default one, so nothing else (the process' own metrics, another
exporter in the same process) mixes in.

What it serves, every series labelled with `account`:

- every catalog metric (`exporter.naming`), labelled `bucket` too: `"*"`
  for the account as a whole (as r2tui's alert rules say it), else the bucket;
- job health: `r2tui_job_last_start_timestamp_seconds`,
  `r2tui_job_last_success_timestamp_seconds`, `r2tui_job_last_duration_seconds`,
  `r2tui_job_last_run_ok` and `r2tui_job_failures_total` (failed runs the
  store holds), labelled `job`;
- `r2tui_collector_alive` (`exporter.liveness`);
- `r2tui_alerts{alertname, alertstate, bucket, severity}` = 1 for each alert
  pending or firing, as Prometheus' own `ALERTS` series (named apart, so it
  never mixes with the `ALERTS` of Prometheus' own rules);
- r2tui's own spend this UTC month: `r2tui_monitor_month_requests_total{class}`
  and `r2tui_monitor_month_cost_usd_total` (list price), counters that reset
  when the month does;
- the outbox: `r2tui_outbox_notifications{state}` (store-wide, no `account`).

Label values from outside (bucket names, rule names) are data: the client
escapes them in the text format.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from r2tui.config import Schedule
from r2tui.config.alert_model import MaintenanceWindow
from r2tui.exporter.liveness import collector_alive
from r2tui.exporter.naming import COUNTER, FAMILIES
from r2tui.exporter.readings import AccountReading, account_reading, outbox_counts

if TYPE_CHECKING:
    from r2tui.store import Store


@dataclass(frozen=True)
class Scope:
    """What a scrape reads: the accounts and how to read them."""

    accounts: tuple[str, ...]
    schedules: Mapping[str, Schedule]
    tz: str = "UTC"
    windows: tuple[MaintenanceWindow, ...] = ()


class StoreCollector(Collector):
    """Reads the store at each `collect()`; one scrape at a time."""

    def __init__(self, store: Store, scope: Scope, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.scope = scope
        self.clock = clock
        self._lock = threading.Lock()  # two scrapes at once would read the store twice over

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = self.clock()
            s = self.scope
            found = [
                account_reading(self.store, a, now, tz=s.tz, windows=s.windows) for a in s.accounts
            ]
            yield from catalog_families(found)
            yield from job_families(found)
            alive = GaugeMetricFamily(
                "r2tui_collector_alive",
                "1 when the account's collector runs its schedule (its heartbeat job ran "
                "recently), else 0.",
                labels=["account"],
            )
            for a in s.accounts:
                live = collector_alive(self.store, a, now, schedules=s.schedules, tz=s.tz)
                alive.add_metric([a], 1.0 if live.alive else 0.0)
            yield alive
            yield from alert_families(found)
            yield from spend_families(found)
            box = GaugeMetricFamily(
                "r2tui_outbox_notifications",
                "Notifications in the outbox by state (pending, held, dead, sent).",
                labels=["state"],
            )
            for state, n in sorted(outbox_counts(self.store).items()):
                box.add_metric([state], float(n))
            yield box


def registry_for(store: Store, scope: Scope) -> CollectorRegistry:
    """A fresh registry holding only the store's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, scope))
    return registry


def catalog_families(found: Sequence[AccountReading]) -> Iterator[Metric]:
    for f in FAMILIES:
        labels = ["account", "bucket"]
        fam: GaugeMetricFamily | CounterMetricFamily
        if f.type == COUNTER:
            fam = CounterMetricFamily(f.name, f.help, labels=labels, unit=f.unit)
        else:
            fam = GaugeMetricFamily(f.name, f.help, labels=labels, unit=f.unit)
        for r in found:
            for bucket in sorted(r.values):
                value = r.values[bucket].get(f.metric)
                if value is not None:
                    fam.add_metric([r.account, bucket], value * f.scale)
        yield fam


def job_families(found: Sequence[AccountReading]) -> Iterator[Metric]:
    labels = ["account", "job"]
    started = GaugeMetricFamily(
        "r2tui_job_last_start_timestamp_seconds",
        "When the job's newest run started (Unix time), finished or not.",
        labels=labels,
        unit="seconds",
    )
    success = GaugeMetricFamily(
        "r2tui_job_last_success_timestamp_seconds",
        "When a run of the job last finished well (Unix time).",
        labels=labels,
        unit="seconds",
    )
    duration = GaugeMetricFamily(
        "r2tui_job_last_duration_seconds",
        "Wall time of the job's newest finished run.",
        labels=labels,
        unit="seconds",
    )
    ok = GaugeMetricFamily(
        "r2tui_job_last_run_ok",
        "1 when the job's newest finished run succeeded, else 0.",
        labels=labels,
    )
    failures = CounterMetricFamily(
        "r2tui_job_failures",
        "Failed runs of the job in the store's history.",
        labels=labels,
    )
    for r in found:
        for j in r.jobs:
            key = [r.account, j.job]
            started.add_metric(key, float(j.last_started_at))
            if j.last_success_at is not None:
                success.add_metric(key, float(j.last_success_at))
            if j.last_duration_seconds is not None:
                duration.add_metric(key, j.last_duration_seconds)
            if j.last_ok is not None:
                ok.add_metric(key, 1.0 if j.last_ok else 0.0)
            failures.add_metric(key, float(j.failures))
    yield from (started, success, duration, ok, failures)


def alert_families(found: Sequence[AccountReading]) -> Iterator[Metric]:
    alerts = GaugeMetricFamily(
        "r2tui_alerts",
        "1 for each r2tui alert pending or firing, as Prometheus' ALERTS series.",
        labels=["account", "alertname", "alertstate", "bucket", "severity"],
    )
    for r in found:
        for a in r.alerts:
            alerts.add_metric([r.account, a.rule, a.state, a.bucket, a.severity], 1.0)
    yield alerts


def spend_families(found: Sequence[AccountReading]) -> Iterator[Metric]:
    requests = CounterMetricFamily(
        "r2tui_monitor_month_requests",
        "Requests r2tui itself made this UTC month, by R2's class (a, b, free); resets "
        "when the month does.",
        labels=["account", "class"],
    )
    usd = CounterMetricFamily(
        "r2tui_monitor_month_cost_usd",
        "What r2tui's own requests this UTC month cost at list price, before the free "
        "tier; resets when the month does.",
        labels=["account"],
        unit="usd",
    )
    for r in found:
        s = r.spend
        for klass, n in (("a", s.class_a), ("b", s.class_b), ("free", s.free)):
            requests.add_metric([r.account, klass], float(n))
        usd.add_metric([r.account], s.usd)
    yield from (requests, usd)
