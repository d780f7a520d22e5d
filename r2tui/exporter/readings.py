"""Every store read a scrape makes, as plain data: the catalog metrics of each
account and bucket, the jobs' health, the alerts, r2tui's own spend and the
outbox. The rest of the exporter never queries the store itself.

`store` is the store to read. Today's reads use the models that
`open_store` bound, so most functions pass it on to nothing yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from peewee import fn

from r2tui.alerts import outbox
from r2tui.alerts.views import alerts_view
from r2tui.config.alert_model import MaintenanceWindow
from r2tui.metrics import CATALOG
from r2tui.store import queries, readings
from r2tui.store.models import JobRun
from r2tui.store.views import MonitorSpend

if TYPE_CHECKING:
    from r2tui.store import Store


@dataclass(frozen=True)
class JobHealth:
    """One job's runs for an account."""

    job: str
    last_started_at: int  # the newest run's start, finished or not
    last_success_at: int | None  # when a run last finished well
    last_duration_seconds: float | None  # the newest finished run's
    last_ok: bool | None  # whether the newest finished run succeeded
    failures: int  # failed runs the store holds


@dataclass(frozen=True)
class AlertSeries:
    rule: str
    bucket: str
    state: str  # firing | pending
    severity: str
    silenced: bool


@dataclass(frozen=True)
class AccountReading:
    account: str
    values: dict[str, dict[str, float]]  # bucket ("*": the account) → catalog metric → value
    jobs: list[JobHealth]
    alerts: list[AlertSeries]
    spend: MonitorSpend  # r2tui's own requests this UTC month


def account_reading(
    store: Store,
    account: str,
    now: float,
    *,
    tz: str = "UTC",
    windows: tuple[MaintenanceWindow, ...] = (),
) -> AccountReading:
    # Not the prefixes': thousands of series a bucket (prefix_entries) would swamp a
    # Prometheus; the store, `du` and alert rules have them.
    found = readings.readings(
        store, account, [m for m, x in CATALOG.items() if not x.per_prefix], now, tz
    )
    values = {
        bucket: {name: r.value for name, r in by_name.items() if r.value is not None}
        for bucket, by_name in found.items()
    }
    view = alerts_view(store, account, now, windows)
    alerts = [
        AlertSeries(a.rule, a.bucket, a.state, a.severity, a.silenced is not None)
        for a in (*view.firing, *view.pending)
    ]
    return AccountReading(
        account=account,
        values=values,
        jobs=job_health(store, account),
        alerts=alerts,
        spend=queries.monitor_spend(store, account, queries.month_start(now)),
    )


def outbox_counts(store: Store) -> dict[str, int]:
    """Notifications per state (pending, held, dead, sent), every state present."""
    return outbox.counts(store)


def last_job_starts(store: Store, account: str) -> dict[str, int]:
    """job → the start of its newest run for `account`, finished or not."""
    store.bound()
    rows = cast(
        "Iterable[tuple[str, int]]",
        JobRun.select(JobRun.job, fn.MAX(JobRun.started_at))
        .where(JobRun.account == account)
        .group_by(JobRun.job)
        .tuples(),
    )
    return {job: int(ts) for job, ts in rows}


def job_health(store: Store, account: str) -> list[JobHealth]:
    """Each job that ever ran for `account`: four grouped queries, however many runs."""
    starts = last_job_starts(store, account)  # checks the store is the one bound
    successes = dict(
        cast(
            "Iterable[tuple[str, int]]",
            JobRun.select(JobRun.job, fn.MAX(JobRun.finished_at))
            .where(JobRun.account == account, JobRun.ok == True)  # noqa: E712
            .group_by(JobRun.job)
            .tuples(),
        )
    )
    failures = dict(
        cast(
            "Iterable[tuple[str, int]]",
            JobRun.select(JobRun.job, fn.COUNT(JobRun.id))
            .where(JobRun.account == account, JobRun.ok == False)  # noqa: E712
            .group_by(JobRun.job)
            .tuples(),
        )
    )
    newest = cast(
        "Iterable[tuple[str, int]]",
        JobRun.select(JobRun.job, fn.MAX(JobRun.id))
        .where(JobRun.account == account, JobRun.finished_at.is_null(False))
        .group_by(JobRun.job)
        .tuples(),
    )
    finished = {
        r.job: r for r in JobRun.select().where(JobRun.id.in_([run_id for _, run_id in newest]))
    }
    out = []
    for job in sorted(starts):
        run = finished.get(job)
        success = successes.get(job)
        out.append(
            JobHealth(
                job=job,
                last_started_at=starts[job],
                last_success_at=None if success is None else int(success),
                last_duration_seconds=(
                    None
                    if run is None
                    else float(max(0, (run.finished_at or run.started_at) - run.started_at))
                ),
                last_ok=None if run is None else run.ok,
                failures=int(failures.get(job, 0)),
            )
        )
    return out
