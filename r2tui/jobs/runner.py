"""`run_job`: the one entry point the scheduler, the CLI and the app use. It
records each run in the store, turns every failure into a one-line reason, and
never raises (but for Ctrl-C, after closing the run), so a failing source,
channel or disk never takes the app down."""

from __future__ import annotations

from r2tui.config import AccountConfig
from r2tui.jobs.base import (
    JobContext,
    JobResult,
    JobSpec,
    Outcome,
    defer,
    flush_deferred,
    log,
    reason_for,
)
from r2tui.jobs.registry import JOBS
from r2tui.sources.errors import Cancelled
from r2tui.store import health, writes
from r2tui.store.writes import EventRow

PURGE_EVERY_SECONDS = 3600
CANCELLED = "cancelled: r2tui was stopping"


def run_job(name: str, ctx: JobContext) -> JobResult:
    spec = JOBS[name]
    started = ctx.clock()
    if spec.run is None:
        return JobResult(
            name, True, 0, started, ctx.clock(), "not built yet: arrives in a later version"
        )
    items = 0
    summaries: list[str] = []
    errors: list[str] = []
    by_account: list[tuple[str, str]] = []
    for account in ctx.config.accounts:
        outcome = _run_for_account(spec, ctx, account)
        items += outcome.items
        prefix = f"{account.name}: " if len(ctx.config.accounts) > 1 else ""
        summaries.append(prefix + outcome.summary)
        errors.extend(prefix + e for e in outcome.errors)
        by_account.extend((account.name, e) for e in outcome.errors)
    _maybe_purge(ctx)
    return JobResult(
        name,
        not errors,
        items,
        started,
        ctx.clock(),
        "; ".join(summaries),
        tuple(errors),
        tuple(by_account),
    )


def _run_for_account(spec: JobSpec, ctx: JobContext, account: AccountConfig) -> Outcome:
    assert spec.run is not None
    flush_deferred(ctx)
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

        defer(ctx, record_skipped)
        return Outcome(summary="skipped", errors=[error])
    try:
        outcome = spec.run(ctx, account)
    except Cancelled:
        outcome = Outcome(summary="cancelled", errors=[CANCELLED], cancelled=True)
    except KeyboardInterrupt:
        # Ctrl-C in `collect --once`: close the run, or other viewers would show it
        # "running" for hours, then let the interrupt end the program.
        _close(
            ctx,
            spec,
            account,
            run_id,
            Outcome(summary="cancelled", errors=[CANCELLED], cancelled=True),
        )
        raise
    except Exception as exc:
        log.exception("job %s failed for %s", spec.name, account.name)
        outcome = Outcome(summary="failed", errors=[reason_for(exc, account.endpoint_url)])
    _close(ctx, spec, account, run_id, outcome)
    return outcome


def _close(
    ctx: JobContext, spec: JobSpec, account: AccountConfig, run_id: int, outcome: Outcome
) -> None:
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
        defer(ctx, lambda: _finish(ctx, spec.name, account.name, run_id, outcome, finished))


def _finish(
    ctx: JobContext, job: str, account: str, run_id: int, outcome: Outcome, ts: float
) -> None:
    """Close a run and add its activity line, together or not at all."""
    ok: bool | None = not outcome.errors
    level = "info" if ok else "error"
    message = f"{job}: {outcome.summary}" if ok else f"{job} failed: {'; '.join(outcome.errors)}"
    if outcome.cancelled:
        # Recorded as neither: a quit in the middle of a listing is not a fault.
        ok, level, message = None, "warning", f"{job} cancelled: r2tui was stopping"
    with ctx.store.write():
        writes.finish_job_run(
            ctx.store, run_id, ok, outcome.items, "; ".join(outcome.errors) or None, ts
        )
        writes.add_events(
            ctx.store,
            account,
            [EventRow("job", level, message, data={"job": job, "items": outcome.items})],
            ts=ts,
        )
        if not outcome.cancelled:
            # In the run's own transaction: one write per run, none more when the
            # sources fare as before. Refreshed at half the events' retention so a
            # lasting failure keeps its record.
            health.record(
                ctx.store,
                account,
                outcome.sources,
                ts,
                refresh_after=ctx.config.retention.events_days * 86400 // 2,
            )


def _maybe_purge(ctx: JobContext) -> None:
    """Apply the retention policy at most hourly, whichever job runs and whether it
    succeeded: a collector with broken credentials must not grow its store."""
    now = ctx.clock()
    if now - ctx.last_purge < PURGE_EVERY_SECONDS:
        return
    ctx.last_purge = now
    try:
        writes.purge(
            ctx.store, ctx.config.retention.job_runs_days, ctx.config.retention.events_days, now
        )
    except Exception as exc:
        log.warning("cannot apply the retention policy now: %s", reason_for(exc))
