"""The collect_metrics job: canary probes when enabled, else one cheap request
that proves the endpoint and the credentials still work; then Cloudflare's
analytics when an API token is configured. One failing does not stop the other."""

from __future__ import annotations

from r2tui.config import AccountConfig
from r2tui.jobs import analytics, probe_budget
from r2tui.jobs.base import (
    JobContext,
    Outcome,
    is_store_error,
    reason_for,
    record_spend,
    s3_client,
)
from r2tui.metrics import ACCOUNT
from r2tui.observations import RequestTally
from r2tui.sources import s3
from r2tui.sources.errors import Cancelled, failure_kind
from r2tui.store import probed, queries, writes
from r2tui.store.health import ANALYTICS, S3, SourceState
from r2tui.store.writes import EventRow, SampleRow

_STEP_METRIC = {
    "PutObject": "put",
    "GetObject": "get",
    "HeadObject": "head",
    "DeleteObject": "delete",
}


def collect_metrics(ctx: JobContext, account: AccountConfig) -> Outcome:
    tally = RequestTally()
    try:
        if account.probe.enabled:
            out = _probes(ctx, account, tally)
        else:
            out = _check_endpoint(ctx, account, tally)
    except Cancelled:
        raise
    except Exception as exc:
        # The S3 side failing must not keep the (free) analytics from being read.
        reason = reason_for(exc, account.endpoint_url)
        out = Outcome(summary="S3 check failed", errors=[reason])
        if not is_store_error(exc):  # the store failing says nothing of S3
            out.source_failed(S3, failure_kind(exc), reason)
    finally:
        record_spend(ctx, account, tally)
    if not account.has_analytics:
        why = (
            "no API token configured"
            if account.api_token is None
            else "the API token needs the account_id set too"
        )
        out.source_failed(ANALYTICS, SourceState.MISSING, why)
        if account.api_token is not None:
            out.summary += "; analytics off: the API token needs the account_id set too"
        return out
    more = analytics.collect_analytics(ctx, account)
    if ANALYTICS not in more.sources:
        # Said by the analytics job when it knows the kind (a refused token, an
        # endpoint down); else its errors decide.
        if more.errors:
            more.source_failed(
                ANALYTICS, SourceState.FAILING, more.errors[0].removeprefix("analytics: ")
            )
        else:
            more.source_ok(ANALYTICS)
    return out.merge(more)


def _check_endpoint(ctx: JobContext, account: AccountConfig, tally: RequestTally) -> Outcome:
    """Without probes, a down endpoint or revoked key would go unnoticed until the
    next inventory (a day by default): one HeadBucket, about $0.003 a month at a
    5-minute pace, says so within minutes."""
    client = s3_client(ctx, account, tally)
    known = queries.bucket_names(ctx.store, account.name)
    step = s3.check_endpoint(client, known[0] if known else None)
    at = ctx.clock()
    rows = [SampleRow("endpoint_ok", 1.0 if step.ok else 0.0)]
    if step.ok:
        rows.append(SampleRow("endpoint_ms", step.ms))
    _record(
        ctx,
        account,
        ACCOUNT,
        rows,
        step.ok,
        f"endpoint check failed: {step.error}",
        "endpoint answers again",
        at,
    )
    out = Outcome(items=1, summary=f"endpoint answered {step.operation} in {step.ms:,.0f} ms")
    if not step.ok:
        out = Outcome(summary="endpoint check failed", errors=[step.error or "failed"])
        out.source_failed(S3, s3.step_kind(step), step.error or "failed")
    else:
        out.source_ok(S3)
    return out


def _probes(ctx: JobContext, account: AccountConfig, tally: RequestTally) -> Outcome:
    client = s3_client(ctx, account, tally)
    # The inventory keeps the bucket list; list buckets here only before it has run.
    known = queries.bucket_names(ctx.store, account.name)
    buckets = known or [b for b in s3.list_buckets(client) if account.wants_bucket(b)]
    eligible = [b for b in buckets if account.probes_bucket(b)]
    if not eligible:
        out = Outcome(summary="no bucket matches probe.buckets")
        _probe_health(out, [], not known)
        return out
    turn = probe_budget.plan_turn(ctx.store, ctx.config, account, eligible, ctx.clock())
    probe_budget.warn_over_budget(ctx.store, account.name, turn, ctx.clock())
    if not turn.chosen:
        # No probe due this run (the budget's share is under one): the endpoint
        # check still says within minutes that the endpoint or the key fails.
        out = _check_endpoint(ctx, account, tally)
        out.summary = f"{turn.summary(0)}; {out.summary}"
        return out
    out = Outcome()
    failures: list[tuple[SourceState, str]] = []
    for bucket in turn.chosen:
        if ctx.stop.is_set():
            raise Cancelled()
        result = s3.probe_bucket(client, bucket, account.probe.prefix, ctx.clock)
        rows = [
            SampleRow(f"probe_{_STEP_METRIC[s.operation]}_ms", s.ms, bucket)
            for s in result.steps
            if s.ok
        ]
        rows.append(SampleRow("probe_ok", 1.0 if result.ok else 0.0, bucket))
        kind = next((s3.step_kind(s) for s in result.steps if not s.ok), SourceState.FAILING)
        _record(
            ctx,
            account,
            bucket,
            rows,
            result.ok,
            f"probe failed: {result.error}",
            f"probe of {bucket} recovered",
            result.at,
            # How it failed, for the budget: a refused step is no error of the bucket's.
            {probed.FAILURE_KEY: SourceState(kind).value},
        )
        if not result.ok:
            out.errors.append(result.error or f"probe of {bucket} failed")
            failures.append((SourceState(kind), result.error or f"probe of {bucket} failed"))
        out.items += 1
    out.summary = turn.summary(out.items)
    _probe_health(out, failures, True)
    return out


def _probe_health(out: Outcome, failures: list[tuple[SourceState, str]], tried: bool) -> None:
    """The S3 source as the probes saw it. An unreachable endpoint, or keys refused
    by every bucket, is the source's failure; one bucket refusing a step (a
    read-only key's PutObject, a bucket gone) is that probe's error only, said by
    its event: the endpoint and the keys work."""
    down = next((f for f in failures if f[0] is SourceState.DOWN), None)
    if down is not None:
        out.source_failed(S3, *down)
    elif (
        failures
        and len(failures) == out.items
        and all(kind is SourceState.REFUSED for kind, _ in failures)
    ):
        out.source_failed(S3, *failures[0])
    elif tried:
        out.source_ok(S3)  # the bucket list or some probe answered


def _record(
    ctx: JobContext,
    account: AccountConfig,
    bucket: str,
    rows: list[SampleRow],
    ok: bool,
    failed: str,
    recovered: str,
    at: float,
    data: dict[str, object] | None = None,
) -> None:
    """A check's samples, and an event when it starts failing or recovers (not on
    every run). The last outcome is read and the new one written in one write: a
    stop between the samples and the event would leave the change unsaid for good
    (the next run reads the new outcome as the last)."""
    metric = "endpoint_ok" if bucket == ACCOUNT else "probe_ok"
    with ctx.store.write():
        was_ok = queries.last_value(ctx.store, account.name, metric, bucket)
        writes.add_samples(ctx.store, account.name, rows, at)
        _transition(ctx, account, bucket, ok, was_ok, failed, recovered, at, data)


def _transition(
    ctx: JobContext,
    account: AccountConfig,
    bucket: str,
    ok: bool,
    was_ok: float | None,
    failed: str,
    recovered: str,
    at: float,
    data: dict[str, object] | None = None,
) -> None:
    """An event when a check starts failing or recovers, not on every run."""
    where = None if bucket == ACCOUNT else bucket
    if not ok and was_ok != 0.0:
        writes.add_events(
            ctx.store,
            account.name,
            [EventRow(probed.PROBE_KIND, "error", failed, bucket=where, data=data)],
            at,
        )
    elif ok and was_ok == 0.0:
        writes.add_events(
            ctx.store, account.name, [EventRow("probe", "info", recovered, bucket=where)], at
        )
