"""The scheduled jobs: plain functions of a context, run per account.

`run_job` is the only entry point the scheduler, the CLI and the app use: it
records the run in the store, turns every failure into a reason, and never
raises, so a failing source, channel or disk never takes the app down.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peewee import PeeweeException

from r2tui.config import AccountConfig, Config, S3Settings
from r2tui.observations import BucketInventory, RequestTally, Tally
from r2tui.pricing import request_cost_usd
from r2tui.sources import s3
from r2tui.sources.errors import Cancelled, describe_error
from r2tui.store import Store, queries, writes
from r2tui.store.writes import EventRow, SampleRow
from r2tui.units import human_bytes

log = logging.getLogger(__name__)
ClientFactory = Callable[[AccountConfig, S3Settings, RequestTally], Any]


@dataclass
class JobContext:
    config: Config
    store: Store
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.time
    client_factory: ClientFactory = s3.make_client
    # Writes a locked or full store refused, retried before the next run.
    deferred: list[Callable[[], None]] = field(default_factory=list)


@dataclass
class Outcome:
    items: int = 0
    summary: str = ""
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False  # stopped on request: neither a success nor a failure


@dataclass(frozen=True)
class JobResult:
    job: str
    ok: bool
    items: int
    started_at: float
    finished_at: float
    summary: str
    errors: tuple[str, ...] = ()

    @property
    def error(self) -> str | None:
        return "; ".join(self.errors) if self.errors else None


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: Callable[[JobContext, AccountConfig], Outcome] | None
    description: str
    arrives_with: str = ""

    @property
    def implemented(self) -> bool:
        return self.run is not None


def run_job(name: str, ctx: JobContext) -> JobResult:
    spec = JOBS[name]
    started = ctx.clock()
    if spec.run is None:
        return JobResult(name, True, 0, started, ctx.clock(),
                         f"not built yet: arrives with {spec.arrives_with}")
    items, summaries, errors = 0, [], []
    for account in ctx.config.accounts:
        outcome = _run_for_account(spec, ctx, account)
        items += outcome.items
        prefix = f"{account.name}: " if len(ctx.config.accounts) > 1 else ""
        summaries.append(prefix + outcome.summary)
        errors.extend(prefix + e for e in outcome.errors)
    return JobResult(name, not errors, items, started, ctx.clock(), "; ".join(summaries),
                     tuple(errors))


def _run_for_account(spec: JobSpec, ctx: JobContext, account: AccountConfig) -> Outcome:
    assert spec.run is not None
    _flush_deferred(ctx)
    started = ctx.clock()
    try:
        run_id = writes.start_job_run(ctx.store, spec.name, account.name, started)
    except Exception as exc:
        # A store that cannot take one row (locked, full) cannot take the results
        # either: skip the job rather than pay for requests whose answers are lost.
        error = f"{reason_for(exc)}; nothing was collected"
        log.warning("%s skipped for %s: %s", spec.name, account.name, error)
        finished = ctx.clock()

        def record_skipped() -> None:
            run = writes.start_job_run(ctx.store, spec.name, account.name, started)
            _finish(ctx, spec.name, account.name, run, Outcome(errors=[error]), finished)

        _defer(ctx, record_skipped)
        return Outcome(summary="skipped", errors=[error])
    try:
        outcome = spec.run(ctx, account)
    except Cancelled:
        outcome = Outcome(summary="cancelled", errors=["cancelled: r2tui was stopping"],
                          cancelled=True)
    except Exception as exc:
        log.exception("job %s failed for %s", spec.name, account.name)
        outcome = Outcome(summary="failed", errors=[reason_for(exc, account.endpoint_url)])
    finished = ctx.clock()
    try:
        _finish(ctx, spec.name, account.name, run_id, outcome, finished)
    except Exception as exc:
        reason = reason_for(exc)
        log.warning("cannot record the end of %s: %s", spec.name, reason)
        if reason not in outcome.errors:
            outcome.errors.append(reason)
        # Left open, the run would look "running" for hours: close it when the store
        # takes writes again.
        _defer(ctx, lambda: _finish(ctx, spec.name, account.name, run_id, outcome, finished))
    return outcome


def _finish(ctx: JobContext, job: str, account: str, run_id: int, outcome: Outcome,
            ts: float) -> None:
    """Close a run and add its activity line, together or not at all."""
    ok: bool | None = not outcome.errors
    level = "info" if ok else "error"
    message = f"{job}: {outcome.summary}" if ok else f"{job} failed: {'; '.join(outcome.errors)}"
    if outcome.cancelled:
        # Recorded as neither: a quit in the middle of a listing is not a fault.
        ok, level, message = None, "warning", f"{job} cancelled: r2tui was stopping"
    with ctx.store.write():
        writes.finish_job_run(ctx.store, run_id, ok, outcome.items,
                              "; ".join(outcome.errors) or None, ts)
        writes.add_events(ctx.store, account, [EventRow(
            "job", level, message, data={"job": job, "items": outcome.items})], ts=ts)


# Records a locked or full store refused, written (with their own times) before the
# next run; capped, so a store that never recovers cannot grow memory.
_DEFERRED_MAX = 100
_deferred_lock = threading.Lock()


def _defer(ctx: JobContext, write: Callable[[], None]) -> None:
    with _deferred_lock:
        ctx.deferred.append(write)
        del ctx.deferred[:-_DEFERRED_MAX]


def _flush_deferred(ctx: JobContext) -> None:
    with _deferred_lock:
        while ctx.deferred:
            try:
                with ctx.store.write():
                    ctx.deferred[0]()
            except Exception as exc:
                log.warning("the store still refuses %d deferred records: %s",
                            len(ctx.deferred), reason_for(exc))
                return
            ctx.deferred.pop(0)


def reason_for(exc: BaseException, endpoint: str = "") -> str:
    """One line for a failure: the store's own words for a store error, else the
    source's; never a credential."""
    if isinstance(exc, PeeweeException | sqlite3.Error):
        # SQLite rolls back by itself on SQLITE_FULL, then peewee's own rollback
        # fails with "cannot rollback": the first error in the chain is the reason.
        root: BaseException | None = exc
        while root is not None and "cannot rollback" in str(root):
            root = root.__context__
        return f"store: {root or exc}"
    return describe_error(exc, endpoint)


def _record_spend(ctx: JobContext, account: AccountConfig, tally: RequestTally) -> None:
    """Store what the monitor's own requests cost. Called on the way out of a job,
    failed or not, so it must not raise over the job's own error: a store that
    refuses it gets it later."""
    if tally.total == 0:
        return
    rows = [
        SampleRow("monitor_class_a_ops", tally.class_a),
        SampleRow("monitor_class_b_ops", tally.class_b),
        SampleRow("monitor_free_ops", tally.free),
        SampleRow("monitor_cost_usd", request_cost_usd(tally.class_a, tally.class_b)),
    ]
    ts = ctx.clock()
    try:
        writes.add_samples(ctx.store, account.name, rows, ts=ts)
    except Exception as exc:
        log.warning("cannot record the monitor's spend now: %s", reason_for(exc))
        _defer(ctx, lambda: writes.add_samples(ctx.store, account.name, rows, ts=ts))


def inventory(ctx: JobContext, account: AccountConfig) -> Outcome:
    tally = RequestTally()
    try:
        return _inventory(ctx, account, tally)
    finally:
        # Requests were made (and billed) whether or not the job succeeded.
        _record_spend(ctx, account, tally)


def _inventory(ctx: JobContext, account: AccountConfig, tally: RequestTally) -> Outcome:
    client = ctx.client_factory(account, ctx.config.s3, tally)
    listed = s3.list_buckets(client)
    wanted = [b for b in listed if account.wants_bucket(b)]
    first_time = not queries.bucket_names(account.name, include_vanished=True)
    changes = writes.sync_buckets(ctx.store, account.name, wanted, ctx.clock())
    events = _bucket_events(changes, listed, wanted, first_time)
    if events:
        writes.add_events(ctx.store, account.name, events, ctx.clock())
    out = Outcome()
    for bucket in wanted:
        if ctx.stop.is_set():
            raise Cancelled()
        since = writes.previous_inventory_start(ctx.store, account.name, bucket)
        try:
            inv = s3.inventory_bucket(client, bucket, ctx.config.inventory, since, ctx.stop,
                                      ctx.clock)
        except Cancelled:
            raise
        except Exception as exc:
            out.errors.append(describe_error(exc, account.endpoint_url, bucket))
            continue
        writes.save_inventory(ctx.store, account.name, inv, _bucket_samples(inv),
                              _upload_events(inv, ctx.config.inventory.large_object_bytes),
                              keep=ctx.config.retention.inventories_kept)
        out.items += inv.objects
    view = queries.storage_view(account.name, account.quota_bytes)
    classes = {r.key: r.bytes for r in view.by_storage_class}
    totals = [
        SampleRow("total_files", view.total_objects),
        SampleRow("total_bytes", view.total_bytes),
        SampleRow("standard_bytes", classes.get("STANDARD", 0)),
        SampleRow("ia_bytes", classes.get("STANDARD_IA", 0)),
    ]
    if view.usage_pct is not None:
        totals.append(SampleRow("quota_usage_pct", view.usage_pct))
    writes.add_samples(ctx.store, account.name, totals, ctx.clock())
    writes.purge(ctx.store, ctx.config.retention.job_runs_days,
                 ctx.config.retention.events_days, ctx.clock())
    done = len(wanted) - len(out.errors)
    out.summary = (f"{done} of {len(wanted)} buckets listed, {out.items:,} objects, "
                   f"{tally.class_a:,} Class A requests")
    return out


def _bucket_events(changes: writes.BucketChanges, listed: list[str], wanted: list[str],
                   first_time: bool) -> list[EventRow]:
    if first_time:
        skipped = len(listed) - len(wanted)
        note = f" ({skipped} excluded by config)" if skipped else ""
        return [EventRow("bucket", "info",
                         f"found {_n(len(wanted), 'bucket')}: {', '.join(wanted) or 'none'}{note}")]
    events = [EventRow("bucket", "warning", f"new bucket {b}", bucket=b) for b in changes.new]
    for b in changes.vanished:
        why = "excluded by config" if b in listed else "deleted or no longer visible"
        events.append(EventRow("bucket", "warning", f"bucket {b} vanished ({why})", bucket=b))
    return events


def _bucket_samples(inv: BucketInventory) -> list[SampleRow]:
    b = inv.bucket
    return [
        SampleRow("total_files", inv.objects, b),
        SampleRow("total_bytes", inv.bytes, b),
        SampleRow("standard_bytes", inv.by_storage_class.get("STANDARD", _ZERO).bytes, b),
        SampleRow("ia_bytes", inv.by_storage_class.get("STANDARD_IA", _ZERO).bytes, b),
        SampleRow("inventory_seconds", inv.finished_at - inv.started_at, b),
        SampleRow("new_large_objects", inv.new_large_count, b),
    ]


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


_ZERO = Tally(0, 0)
_UPLOAD_EVENTS_MAX = 10


def _upload_events(inv: BucketInventory, threshold: int) -> list[EventRow]:
    events = [
        EventRow("upload", "warning",
                 f"large upload {inv.bucket}/{o.key} ({human_bytes(o.size)})",
                 bucket=inv.bucket, data={"key": o.key, "size": o.size})
        for o in inv.new_large[:_UPLOAD_EVENTS_MAX]
    ]
    more = inv.new_large_count - len(events)
    if more > 0:
        events.append(EventRow(
            "upload", "warning",
            f"{more} more uploads above {human_bytes(threshold)} in {inv.bucket}",
            bucket=inv.bucket))
    return events


def collect_metrics(ctx: JobContext, account: AccountConfig) -> Outcome:
    tally = RequestTally()
    try:
        return _probes(ctx, account, tally)
    finally:
        _record_spend(ctx, account, tally)


def _probes(ctx: JobContext, account: AccountConfig, tally: RequestTally) -> Outcome:
    if not account.probe.enabled:
        return Outcome(summary="probes are off; analytics arrive with the metrics issue")
    client = ctx.client_factory(account, ctx.config.s3, tally)
    # The inventory keeps the bucket list; list buckets here only before it has run.
    buckets = queries.bucket_names(account.name) or [
        b for b in s3.list_buckets(client) if account.wants_bucket(b)]
    out = Outcome()
    for bucket in (b for b in buckets if account.probes_bucket(b)):
        if ctx.stop.is_set():
            raise Cancelled()
        result = s3.probe_bucket(client, bucket, account.probe.prefix, ctx.clock)
        was_ok = queries.last_value(account.name, "probe_ok", bucket)
        rows = [SampleRow(f"probe_{_STEP_METRIC[s.operation]}_ms", s.ms, bucket)
                for s in result.steps if s.ok]
        rows.append(SampleRow("probe_ok", 1.0 if result.ok else 0.0, bucket))
        writes.add_samples(ctx.store, account.name, rows, result.at)
        if not result.ok and was_ok != 0.0:
            writes.add_events(ctx.store, account.name, [EventRow(
                "probe", "error", f"probe failed: {result.error}", bucket=bucket)], result.at)
        elif result.ok and was_ok == 0.0:
            writes.add_events(ctx.store, account.name, [EventRow(
                "probe", "info", f"probe of {bucket} recovered", bucket=bucket)], result.at)
        if not result.ok:
            out.errors.append(result.error or f"probe of {bucket} failed")
        out.items += 1
    out.summary = (f"probed {_n(out.items, 'bucket')}" if out.items
                   else "no bucket matches probe.buckets")
    return out


_STEP_METRIC = {"PutObject": "put", "GetObject": "get", "HeadObject": "head",
                "DeleteObject": "delete"}


JOBS: dict[str, JobSpec] = {
    s.name: s
    for s in (
        JobSpec("collect_metrics", collect_metrics,
                "Probe buckets (and, later, query Cloudflare analytics)."),
        JobSpec("inventory", inventory,
                "List every object of every watched bucket: counts, bytes, types, largest."),
        JobSpec("calculate_costs", None, "Month-to-date cost and forecast.", "the costs issue"),
        JobSpec("check_alerts", None, "Evaluate alert rules and notify.", "the alerts issue"),
        JobSpec("daily_report", None, "Write the daily report.", "the costs issue"),
        JobSpec("monthly_report", None, "Write the monthly report.", "the costs issue"),
    )
}
