"""`run_job`: the one entry point the scheduler, the CLI and the app use. It
records each run in the store, turns every failure into a one-line reason, and
never raises (but for Ctrl-C, after closing the run), so a failing source,
channel or disk never takes the app down.

Given the collector lease's holding it runs under (a `Tenure`), a run starts and
records its end only while the lease row is still that holding's
(store/fence.py); it stops between pages when the holding ends, and once
another process took the lease over it writes nothing more and ends as "lost
the collector lease". Without one (`collect --force`, a test of the jobs alone)
it runs unfenced."""

from __future__ import annotations

from dataclasses import replace

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
from r2tui.store import Store, health, writes
from r2tui.store.fence import Fence, Tenure, holds
from r2tui.store.writes import EventRow

PURGE_EVERY_SECONDS = 3600
CANCELLED = "cancelled: r2tui was stopping"
LOST_LEASE = "stopped: this process lost the collector lease"


def run_job(name: str, ctx: JobContext, tenure: Tenure | None = None) -> JobResult:
    """Run job `name` for every account; `tenure`: the lease holding it runs
    under (see the module), None to run unfenced."""
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
        outcome = _run_for_account(spec, ctx, account, tenure)
        items += outcome.items
        prefix = f"{account.name}: " if len(ctx.config.accounts) > 1 else ""
        summaries.append(prefix + outcome.summary)
        errors.extend(prefix + e for e in outcome.errors)
        by_account.extend((account.name, e) for e in outcome.errors)
    if tenure is None or not tenure.ended:
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


def _lost() -> Outcome:
    return Outcome(summary="lost the collector lease", errors=[LOST_LEASE])


def _run_for_account(
    spec: JobSpec, ctx: JobContext, account: AccountConfig, tenure: Tenure | None
) -> Outcome:
    assert spec.run is not None
    fence = tenure.fences.get(account.name) if tenure is not None else None
    if tenure is not None and (tenure.ended or fence is None):
        return _lost()
    flush_deferred(ctx)
    started = ctx.clock()
    try:
        run_id = _start(ctx.store, spec.name, account.name, started, fence)
    except Exception as exc:
        # A store that cannot take one row (locked, full) cannot take the results
        # either: skip the job rather than pay for requests whose answers are lost.
        error = f"{reason_for(exc)}; nothing was collected"
        log.warning("%s skipped for %s: %s", spec.name, account.name, error)
        finished = ctx.clock()

        def record_skipped() -> None:
            run = _start(ctx.store, spec.name, account.name, started, fence)
            if run is not None:
                _finish(
                    ctx, spec.name, account.name, run, Outcome(errors=[error]), finished, tenure
                )

        defer(ctx, record_skipped)
        return Outcome(summary="skipped", errors=[error])
    if run_id is None:  # another process took the lease over: nothing recorded
        return _lost()
    # The job stops between pages when the holding ends, as on a stop of the
    # collector (which ends the holding too). Only `stop` differs: what the jobs
    # change on the context (the deferred writes, waits) is shared by reference.
    run_ctx = ctx if tenure is None else replace(ctx, stop=tenure.stop)
    try:
        outcome = spec.run(run_ctx, account)
    except Cancelled:
        if tenure is not None and tenure.lost and not ctx.stop.is_set():
            outcome = Outcome(summary="lost the collector lease", errors=[LOST_LEASE])
            outcome.cancelled = True
        else:
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
            tenure,
        )
        raise
    except Exception as exc:
        log.exception("job %s failed for %s", spec.name, account.name)
        outcome = Outcome(summary="failed", errors=[reason_for(exc, account.endpoint_url)])
    _close(ctx, spec, account, run_id, outcome, tenure)
    return outcome


def _start(store: Store, job: str, account: str, started: float, fence: Fence | None) -> int | None:
    """Open a run; None (nothing written) when `fence`'s holding is gone."""
    with store.write():
        if fence is not None and not holds(store, fence):
            return None
        return writes.start_job_run(store, job, account, started)


def _close(
    ctx: JobContext,
    spec: JobSpec,
    account: AccountConfig,
    run_id: int,
    outcome: Outcome,
    tenure: Tenure | None,
) -> None:
    finished = ctx.clock()

    def finish() -> None:
        if not _finish(ctx, spec.name, account.name, run_id, outcome, finished, tenure):
            _mark_lost(outcome)

    try:
        finish()
    except Exception as exc:
        reason = reason_for(exc)
        log.warning("cannot record the end of %s: %s", spec.name, reason)
        if reason not in outcome.errors:
            outcome.errors.append(reason)
        # Left open, the run would look "running" for hours: close it when the store
        # takes writes again.
        defer(ctx, finish)


def _mark_lost(outcome: Outcome) -> None:
    """What a run whose end could not be recorded under its holding reports."""
    outcome.summary = "lost the collector lease"
    if LOST_LEASE not in outcome.errors:
        outcome.errors.append(LOST_LEASE)


def _finish(
    ctx: JobContext,
    job: str,
    account: str,
    run_id: int,
    outcome: Outcome,
    ts: float,
    tenure: Tenure | None,
) -> bool:
    """Close a run and add its activity line, together or not at all. False, with
    nothing written, when the run's holding is gone: another process took the
    lease (and closed the run as abandoned), or a newer r2tui upgraded the store."""
    ok: bool | None = not outcome.errors
    level = "info" if ok else "error"
    message = f"{job}: {outcome.summary}" if ok else f"{job} failed: {'; '.join(outcome.errors)}"
    if outcome.cancelled:
        # Recorded as neither: a quit in the middle of a listing is not a fault.
        ok, level, message = None, "warning", f"{job} {'; '.join(outcome.errors)}"
    if tenure is not None and tenure.frozen:
        return False
    with ctx.store.write():
        if tenure is not None and not holds(ctx.store, tenure.fences[account]):
            return False
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
    return True


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
