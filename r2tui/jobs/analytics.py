"""Cloudflare's analytics, stored as hourly series: request counts by kind and
storage snapshots, per bucket and for the account.

Each run queries from a few hours before where the last run stopped (or 31
days back on the first run and after a long gap) to a few minutes ago, one day
at a time, and *replaces* what the store holds for each window: Cloudflare's
numbers for recent hours still grow as late data arrives, and a window queried
twice must never count twice. A window whose answer fails stores nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar, cast

from r2tui.config import AccountConfig
from r2tui.jobs.base import JobContext, Outcome, analytics_kind, plural
from r2tui.metrics import (
    ACCOUNT,
    ANALYTICS_COUNTERS,
    ANALYTICS_GAUGES,
    ANALYTICS_LAG,
    ANALYTICS_SERIES,
    BYTE_COUNTERS,
    DAY,
    HOUR,
    STORAGE_BY_CLASS,
    STORAGE_TOTALS,
)
from r2tui.observations import INFREQUENT_ACCESS, STANDARD, OperationGroup, StorageSnapshot
from r2tui.pricing import is_billed, is_known_action, operation_class
from r2tui.sources.analytics import AnalyticsClient, AnalyticsError
from r2tui.store import queries, state, writes
from r2tui.store.health import ANALYTICS
from r2tui.store.models import Event, Sample
from r2tui.store.writes import EventRow

LAG = ANALYTICS_LAG  # windows end a few minutes ago: the newest minutes are still arriving
RELOOK = 3 * HOUR  # hours before the last window's end that are queried again
RETENTION = 31 * DAY  # Cloudflare keeps analytics this long
CARRY = DAY  # a bucket's storage snapshot counts toward the account this long
UPLOADS = frozenset({"PutObject", "CompleteMultipartUpload", "CopyObject"})
DOWNLOADS = frozenset({"GetObject"})
DENIED = frozenset({401, 403})
# Events: a burst is an hour (or the part of it seen so far) past these.
FAILED_ACCESS_BURST = 10  # refused requests in an hour, the default alert rule's threshold
ERROR_BURST_PCT = 5.0
# A handful of failures among a few requests is noise, not a burst.
ERROR_BURST_MIN_REQUESTS = 100
ERROR_BURST_MIN_ERRORS = 10

Row = tuple[int, str, str, float]  # ts, bucket, metric, value
R = TypeVar("R", OperationGroup, StorageSnapshot)


def collect_analytics(ctx: JobContext, account: AccountConfig) -> Outcome:
    assert account.api_token is not None and account.account_id
    now = int(ctx.clock())
    end = now - LAG
    oldest = _hour(now - RETENTION) + HOUR
    covered = state.get(ctx.store, state.analytics_key(account.name))
    start = oldest if covered is None else max(oldest, _hour(covered) - RELOOK)
    out = Outcome()
    hours = 0
    listed = queries.bucket_names(ctx.store, account.name)
    # The watched buckets as the API spells them: a busy hour is split by them.
    hints = [_api_name(account, b) for b in listed]
    with AnalyticsClient(
        account.graphql_url,
        account.api_token,
        account.account_id,
        stop=ctx.stop,
        backoff=ctx.analytics_backoff,
        waits=ctx.waits,
    ) as client:
        for lo in range(start, end, DAY):
            hi = min(lo + DAY, end)
            try:
                ops = _watched(account, client.operations(lo, hi, buckets=hints))
                snaps = _watched(account, client.storage(lo, hi, buckets=hints))
            except AnalyticsError as exc:
                out.errors.append(f"analytics: {exc.reason}")
                out.source_failed(ANALYTICS, analytics_kind(exc), exc.reason)
                break
            finally:
                _say_once(ctx, account.name, client, now)
            # Every watched bucket gets its hourly zeros: a quiet hour is data.
            quiet = set(listed) | {g.bucket for g in ops} | {s.bucket for s in snaps}
            rows = fold_operations(ops, lo, hi, quiet) + fold_storage(
                snaps, lo, hi, _last_snapshots(account.name, lo)
            )
            writes.replace_series(
                ctx.store,
                account.name,
                ANALYTICS_SERIES,
                lo,
                hi,
                rows,
                marks={state.analytics_key(account.name): hi},
            )
            _burst_events(ctx, account.name, ops, now)
            _unknown_actions(ctx, account.name, ops, now)
            out.items += len(rows)
            hours += (hi - lo + HOUR - 1) // HOUR
    if not out.errors:
        out.source_ok(ANALYTICS)
    if hours:
        first = "backfilled" if covered is None or start == oldest else "updated"
        out.summary = f"analytics {first}: {plural(hours, 'hour')} to {_clock(end)}"
    else:
        out.summary = "analytics: nothing stored"
    return out


def _api_name(account: AccountConfig, bucket: str) -> str:
    """A bucket's name in Cloudflare's analytics: `<jurisdiction>_<bucket>` for a
    jurisdiction's buckets (the reverse of `AccountConfig.analytics_bucket`)."""
    return f"{account.jurisdiction}_{bucket}" if account.jurisdiction else bucket


def _say_once(ctx: JobContext, account: str, client: AnalyticsClient, now: int) -> None:
    """The client's notes (a field the API refused: figures that fall back to
    the listings) once per account, and its partial answers (a bucket-hour that
    filled a page on its own: rows may be missing) once per bucket-hour. Each is
    an activity entry, keyed by its text so a run that meets it again is quiet."""
    said = [("note", line) for line in client.notes] + [
        ("partial", line) for line in client.partial
    ]
    client.notes.clear()
    client.partial.clear()
    for what, line in said:
        key = hashlib.sha256(f"{what}:{line}".encode()).hexdigest()[:24]
        _once(
            ctx,
            account,
            f'"said": "{key}"',
            EventRow(
                "analytics", "warning", f"analytics: {line}", data={"said": key, "what": what}
            ),
            now,
        )


def _once(ctx: JobContext, account: str, marker: str, event: EventRow, now: int) -> None:
    """Write `event` unless one of its kind whose data holds `marker` exists;
    checked and written together: a TUI and a collector may share the store."""
    with ctx.store.write():
        seen = (
            Event.select(Event.id)
            .where(Event.account == account, Event.kind == event.kind, Event.data.contains(marker))
            .exists()
        )
        if not seen:
            writes.add_events(ctx.store, account, [event], ts=now)


def _hour(ts: int) -> int:
    return ts - ts % HOUR


def _clock(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M UTC")


def _watched(account: AccountConfig, rows: list[R]) -> list[R]:
    """The rows about buckets this account watches, named as S3 names them:
    the API reports every bucket of the Cloudflare account, other jurisdictions'
    (`eu_media`) and excluded ones included."""
    out = []
    for row in rows:
        bucket = account.analytics_bucket(row.bucket)
        if bucket is not None:
            out.append(row if bucket == row.bucket else replace(row, bucket=bucket))
    return out


def fold_operations(
    groups: Iterable[OperationGroup], start: int, end: int, buckets: Iterable[str] = ()
) -> list[Row]:
    """Hourly counters per bucket. The account and each of `buckets` get every
    hour of the window, zeros included: an hour with no row is one not queried
    (or a bucket not known then), never a quiet one. A byte counter is left out
    of the whole window when a row of it lacks its byte sum (the API refused the
    field): a byte figure is measured or absent, never a made-up zero, and a
    quiet hour's zero is no measurement then."""
    per: dict[tuple[int, str], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(ANALYTICS_COUNTERS, 0.0)
    )
    for h in range(_hour(start), end, HOUR):
        for where in (ACCOUNT, *buckets):
            per[(h, where)]  # creates the zero row
    unmeasured: set[str] = set()  # the byte sums some row lacked
    classified = False
    groups = list(groups)
    for g in groups:
        for where in (g.bucket, ACCOUNT):
            _count(per[(g.hour, where)], g)
        if g.response_bytes is None:
            unmeasured.add("response")
        if g.object_bytes is None:
            unmeasured.add("object")
        if g.storage_class:
            classified = True
    dropped = {m for m in BYTE_COUNTERS if _BYTE_SUM[m] in unmeasured}
    if groups and not classified:
        # No row said its class (the API refused the field): the IA counters are
        # not known, which a stored 0 would claim they are.
        dropped |= set(IA_COUNTERS)
    return [
        (h, b, metric, value)
        for (h, b), counters in sorted(per.items())
        for metric, value in counters.items()
        if metric not in dropped
    ]


# The counters only rows that say their storage class can fill.
IA_COUNTERS = ("ia_class_a_requests", "ia_class_b_requests", "ia_retrieval_bytes")
# The byte sum each byte counter is made of: responseBytes or responseObjectSize.
_BYTE_SUM = {
    "download_bytes": "response",
    "response_bytes": "response",
    "ia_retrieval_bytes": "response",
    "upload_bytes": "object",
}


def _count(c: dict[str, float], g: OperationGroup) -> None:
    """Add one row of the operations dataset to an hour's counters."""
    n = g.requests
    ok = g.status == "success"
    ia = g.storage_class == INFREQUENT_ACCESS
    c["requests"] += n
    # The class counters are what the bill counts: refused requests are free.
    klass = operation_class(g.action) if is_billed(g.code) else "free"
    if klass in ("A", "B"):
        name = "class_a_requests" if klass == "A" else "class_b_requests"
        c[name] += n
        if ia:
            c[f"ia_{name}"] += n
    if g.action in UPLOADS and ok:
        c["upload_requests"] += n
    if g.action in DOWNLOADS and ok:
        c["download_requests"] += n
    if not ok:
        c["error_requests"] += n
    if g.code in DENIED:
        c["denied_requests"] += n
    if g.storage_class:
        c["classified_requests"] += n
    if g.sample_interval > 1.0:
        c["sampled_requests"] += n
    if g.response_bytes is not None:
        c["measured_bytes_requests"] += n
        c["response_bytes"] += g.response_bytes
        if g.action in DOWNLOADS and ok:
            c["download_bytes"] += g.response_bytes
            if ia:
                c["ia_retrieval_bytes"] += g.response_bytes
    if g.object_bytes is not None and g.action in UPLOADS and ok:
        c["upload_bytes"] += g.object_bytes


# A bucket's storage at an hour: the STORAGE_TOTALS, then the STORAGE_BY_CLASS
# (None when the answer did not say the class).
Level = tuple[float | None, ...]


def _level(rows: list[StorageSnapshot]) -> Level:
    """One bucket's storage gauges at one hour from its rows, one per storage
    class: the totals are their sums. Two rows of one class (the API should not
    send them) count once, the larger."""
    by_class: dict[str, StorageSnapshot] = {}
    for s in rows:
        kept = by_class.get(s.storage_class)
        if kept is None or _bytes(s) > _bytes(kept):
            by_class[s.storage_class] = s
    snaps = list(by_class.values())
    totals: Level = (
        float(sum(s.objects for s in snaps)),
        float(sum(_bytes(s) for s in snaps)),
        float(sum(s.pending_uploads for s in snaps)),
    )
    if not any(s.storage_class for s in snaps):
        return totals + (None,) * len(STORAGE_BY_CLASS)
    std = by_class.get(STANDARD)
    ia = by_class.get(INFREQUENT_ACCESS)
    return (
        *totals,
        float(std.objects if std else 0),
        float(_bytes(std) if std else 0),
        float(ia.objects if ia else 0),
        float(_bytes(ia) if ia else 0),
    )


def _bytes(s: StorageSnapshot) -> int:
    """Stored bytes as billed: payload and metadata."""
    return s.payload_bytes + s.metadata_bytes


def fold_storage(
    snaps: Iterable[StorageSnapshot], start: int, end: int, before: dict[str, tuple[int, Level]]
) -> list[Row]:
    """Gauges per bucket at each snapshot's hour (sums over its storage classes);
    for the account, the sum of each bucket's newest level not older than CARRY,
    at every hour some bucket has one. The account's per-class gauges only when
    every bucket in that sum had its classes said. `before` holds each bucket's
    last level stored before the window."""
    latest = dict(before)
    by_hour: dict[int, dict[str, list[StorageSnapshot]]] = defaultdict(lambda: defaultdict(list))
    for s in snaps:
        by_hour[s.hour][s.bucket].append(s)
    rows: list[Row] = []
    for h in range(_hour(start), end, HOUR):
        here = by_hour.get(h, {})
        for bucket, found in sorted(here.items()):
            level = _level(found)
            latest[bucket] = (h, level)
            rows += [
                (h, bucket, m, v)
                for m, v in zip(ANALYTICS_GAUGES, level, strict=True)
                if v is not None
            ]
        live = [v for at, v in latest.values() if h - at < CARRY]
        if here and live:
            for i, m in enumerate(ANALYTICS_GAUGES):
                values = [v[i] for v in live]
                if all(v is not None for v in values):
                    rows.append((h, ACCOUNT, m, sum(v for v in values if v is not None)))
    return rows


def _last_snapshots(account: str, before: int) -> dict[str, tuple[int, Level]]:
    """Each bucket's storage gauges at its newest hour in the CARRY before `before`
    (None for a per-class gauge that hour lacks: stored before classes were asked)."""
    # peewee's stubs type a `.tuples()` query's rows as models.
    rows = cast(
        "Iterable[tuple[str, str, int, float]]",
        Sample.select(Sample.bucket, Sample.metric, Sample.ts, Sample.value)
        .where(
            Sample.account == account,
            Sample.metric.in_(ANALYTICS_GAUGES),
            Sample.bucket != ACCOUNT,
            Sample.ts >= before - CARRY,
            Sample.ts < before,
        )
        .order_by(Sample.ts)
        .tuples(),
    )
    newest: dict[str, int] = {}
    values: dict[str, dict[str, float]] = defaultdict(dict)
    for bucket, metric, ts, value in rows:
        if ts > newest.get(bucket, -1):
            newest[bucket], values[bucket] = ts, {}
        values[bucket][metric] = value
    return {
        b: (
            newest[b],
            tuple(values[b].get(m, 0.0 if m in STORAGE_TOTALS else None) for m in ANALYTICS_GAUGES),
        )
        for b in newest
    }


def _burst_events(ctx: JobContext, account: str, ops: list[OperationGroup], now: int) -> None:
    """One event per bucket and hour with a burst of refused requests or errors,
    dated at the hour's end (or now, for the hour in progress)."""
    hourly: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for g in ops:
        c = hourly[(g.hour, g.bucket)]
        c[0] += g.requests
        c[1] += g.requests if g.status != "success" else 0
        c[2] += g.requests if g.code in DENIED else 0
    found: list[tuple[int, EventRow]] = []
    for (h, bucket), (total, errors, denied) in sorted(hourly.items()):
        span = f"{_clock(h)[:5]}–{_clock(h + HOUR)}"
        if denied >= FAILED_ACCESS_BURST:
            found.append(
                (
                    h,
                    EventRow(
                        "access",
                        "warning",
                        f"failed-access burst on {bucket}: {denied:,} requests refused (401/403) "
                        f"{span}",
                        bucket=bucket,
                        data={"hour": h, "denied": denied},
                    ),
                )
            )
        # Refused requests have their own event: an error burst is the other failures.
        errors -= denied
        if (
            total >= ERROR_BURST_MIN_REQUESTS
            and errors >= ERROR_BURST_MIN_ERRORS
            and 100.0 * errors / total > ERROR_BURST_PCT
        ):
            found.append(
                (
                    h,
                    EventRow(
                        "errors",
                        "warning",
                        f"error burst on {bucket}: {errors:,} of {total:,} requests failed "
                        f"({100.0 * errors / total:.1f} %) {span}",
                        bucket=bucket,
                        data={"hour": h, "errors": errors, "requests": total},
                    ),
                )
            )
    for h, event in found:
        # Checked and written together: a TUI and a collector may share the store.
        with ctx.store.write():
            if not _reported(account, event.kind, event.bucket, h):
                writes.add_events(ctx.store, account, [event], ts=min(h + HOUR, now))


def _unknown_actions(ctx: JobContext, account: str, ops: list[OperationGroup], now: int) -> None:
    """An operation name the price list does not know is costed as Class A (so
    it never hides cost) and said once in the activity feed."""
    for action in sorted({g.action for g in ops if not is_known_action(g.action)}):
        _once(
            ctx,
            account,
            f'"action": "{action}"',
            EventRow(
                "pricing",
                "warning",
                f"unknown R2 operation {action!r} in the analytics: costed as Class A",
                data={"action": action},
            ),
            now,
        )


def _reported(account: str, kind: str, bucket: str | None, hour: int) -> bool:
    """Whether this hour's burst already has its event: a window queried again
    must not report it twice."""
    return (
        Event.select(Event.id)
        .where(
            Event.account == account,
            Event.kind == kind,
            Event.bucket == bucket,
            Event.ts >= hour,
            Event.ts <= hour + HOUR,
            Event.data.contains(f'"hour": {hour}'),
        )
        .exists()
    )
