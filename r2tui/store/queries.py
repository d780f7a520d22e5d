"""The read side: queries that return the dataclasses of `views` for the panes,
reports and `status --json`.

Every function is a handful of queries whatever the number of buckets, so a
pane refresh stays cheap on a busy store.

The casts type the rows of `.tuples()` queries, which peewee's stubs type as
model instances.
"""

from __future__ import annotations

import heapq
import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from peewee import fn

from r2tui.metrics import ACCOUNT, BYTES_METRICS, CLASS_METRICS, describe
from r2tui.pricing import request_cost_usd
from r2tui.store import history, readings, state
from r2tui.store.db import Store
from r2tui.store.models import (
    Inventory,
    InventoryBreakdown,
    InventoryObject,
    JobRun,
    Sample,
)
from r2tui.store.readings import marks
from r2tui.store.views import (
    ROUTINE_KINDS,
    STALE_RUN_SECONDS,
    ActivityRow,
    BucketStorage,
    CollectorView,
    EndpointRow,
    JobStatus,
    MetricCard,
    MetricsView,
    MonitorSpend,
    ObjectRow,
    ProbeRow,
    Reading,
    StorageView,
    TallyRow,
)


def month_start(now: float) -> int:
    d = datetime.fromtimestamp(now, UTC)
    return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp())


MONITOR_OPS = ("monitor_class_a_ops", "monitor_class_b_ops", "monitor_free_ops")


def monitor_spend(store: Store, account: str, since: int) -> MonitorSpend:
    """r2tui's own requests since `since` (a UTC midnight: the month's start) and
    their price: through the rollups, so the days whose raw samples are purged
    still count."""
    sums = {
        metric: round(total)
        for metric, total in history.totals(store, account, MONITOR_OPS, ACCOUNT, since).items()
    }
    a, b = sums.get("monitor_class_a_ops", 0), sums.get("monitor_class_b_ops", 0)
    return MonitorSpend(
        since=since,
        class_a=a,
        class_b=b,
        free=sums.get("monitor_free_ops", 0),
        usd=request_cost_usd(a, b),
    )


def storage_view(
    store: Store,
    account: str,
    quota_bytes: int | None = None,
    top_n: int = 20,
    now: float | None = None,
) -> StorageView:
    store.bound()
    now = store.clock() if now is None else now
    current = [
        name
        for (name,) in store.rows(
            "SELECT name FROM bucket WHERE account = ? AND vanished_at IS NULL ORDER BY name",
            (account,),
        )
    ]
    # Each current bucket's latest inventory (the newest id).
    listing = set(current)
    latest = [
        row
        for row in store.rows(
            "SELECT id, bucket, started_at, finished_at, objects, bytes, list_requests, "
            "other_extensions FROM inventory WHERE id IN "
            "(SELECT MAX(id) FROM inventory WHERE account = ? GROUP BY bucket)",
            (account,),
        )
        if row[1] in listing
    ]
    listed = _listed(store, account, latest, top_n)
    buckets = listed.buckets
    names = {b.name for b in buckets}
    return StorageView(
        account=account,
        total_objects=sum(b.objects for b in buckets),
        total_bytes=sum(b.bytes for b in buckets),
        buckets=list(buckets),
        by_extension=list(listed.by_extension),
        by_storage_class=list(listed.by_storage_class),
        largest=list(listed.largest),
        spend=monitor_spend(store, account, month_start(now)),
        not_inventoried=[name for name in current if name not in names],
        quota_bytes=quota_bytes,
        oldest_inventory_at=min((b.inventoried_at for b in buckets), default=None),
    )


InventoryRow = tuple[int, str, int, int, int, int, int, bool]  # Inventory's columns, in order


@dataclass(frozen=True)
class _Listed:
    """The part of the Storage view that only a new inventory changes, as last
    read: each latest inventory's bucket (by its row), and what they add up to."""

    rows: frozenset[InventoryRow]
    top_n: int
    by_row: dict[InventoryRow, BucketStorage]
    buckets: list[BucketStorage]  # by bytes, largest first
    by_extension: list[TallyRow]
    by_storage_class: list[TallyRow]
    largest: list[ObjectRow]  # the account's top_n


# Per store and account: a pane refresh every few seconds reads the same latest
# inventories over and over (a bucket's changes once a day), and at a thousand
# buckets their 60,000 breakdown and kept-object rows cost more than the rest of
# the dashboard. An inventory is written whole and never changed, so its row
# (id, times, totals) says whether what was read from it still holds.
_LISTED: weakref.WeakKeyDictionary[Store, dict[str, _Listed]] = weakref.WeakKeyDictionary()
_LISTED_LOCK = threading.Lock()


def _listed(store: Store, account: str, latest: list[tuple[Any, ...]], top_n: int) -> _Listed:
    rows = frozenset(
        (int(a), str(b), int(c), int(d), int(e), int(f), int(g), bool(h))
        for a, b, c, d, e, f, g, h in latest
    )
    with _LISTED_LOCK:
        known = _LISTED.get(store, {}).get(account)
    if known is not None and known.rows == rows and known.top_n == top_n:
        return known
    by_row = {r: known.by_row[r] for r in rows if known is not None and r in known.by_row}
    by_row |= _inventories([r for r in rows if r not in by_row], store)
    buckets = sorted(by_row.values(), key=lambda b: (-b.bytes, b.name))
    listed = _Listed(
        rows=rows,
        top_n=top_n,
        by_row=by_row,
        buckets=buckets,
        by_extension=_merge([b.by_extension for b in buckets]),
        by_storage_class=_merge([b.by_storage_class for b in buckets]),
        largest=heapq.nsmallest(
            top_n, (o for b in buckets for o in b.largest), key=lambda o: (-o.size, o.bucket, o.key)
        ),
    )
    with _LISTED_LOCK:
        _LISTED.setdefault(store, {})[account] = listed
    return listed


def _inventories(rows: list[InventoryRow], store: Store) -> dict[InventoryRow, BucketStorage]:
    """Each inventory's bucket as the Storage view shows it: its breakdowns and
    kept objects read in two queries however many inventories."""
    ids = [r[0] for r in rows]
    by_id = {r[0]: r for r in rows}
    breakdowns: dict[int, dict[str, list[TallyRow]]] = defaultdict(lambda: defaultdict(list))
    # Tuples, not model instances: a pane refresh reads thousands of these rows.
    b = InventoryBreakdown
    for chunk in _chunks(ids):
        for inv_id, dimension, key, objects, size in store.fetch(
            b.select(b.inventory, b.dimension, b.key, b.objects, b.bytes).where(
                b.inventory.in_(chunk)
            )
        ):
            breakdowns[inv_id][dimension].append(TallyRow(key, objects, size))
    kept: dict[int, dict[str, list[ObjectRow]]] = defaultdict(lambda: defaultdict(list))
    o = InventoryObject
    for chunk in _chunks(ids):
        for inv_id, kind, key, size, modified, klass in store.fetch(
            o.select(o.inventory, o.kind, o.key, o.size, o.last_modified, o.storage_class)
            .where(o.inventory.in_(chunk))
            .order_by(o.rank)
        ):
            kept[inv_id][kind].append(ObjectRow(by_id[inv_id][1], key, size, modified, klass))
    return {
        r: BucketStorage(
            name=bucket,
            objects=objects,
            bytes=size,
            inventoried_at=finished,
            list_requests=requests,
            duration_s=float(finished - started),
            by_extension=_by_bytes(breakdowns[inv_id]["extension"]),
            by_storage_class=_by_bytes(breakdowns[inv_id]["storage_class"]),
            largest=kept[inv_id]["largest"],
            newest=kept[inv_id]["newest"],
            other_extensions=other,
        )
        for r in rows
        for inv_id, bucket, started, finished, objects, size, requests, other in [r]
    }


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    """Ids a statement at a time: SQLite binds at most 32,766 variables."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _by_bytes(rows: list[TallyRow]) -> list[TallyRow]:
    return sorted(rows, key=lambda r: (-r.bytes, -r.objects, r.key))


def _merge(tables: list[list[TallyRow]]) -> list[TallyRow]:
    objects: dict[str, int] = defaultdict(int)
    size: dict[str, int] = defaultdict(int)
    for table in tables:
        for row in table:
            objects[row.key] += row.objects
            size[row.key] += row.bytes
    return _by_bytes([TallyRow(k, objects[k], size[k]) for k in objects])


def bucket_names(store: Store, account: str, include_vanished: bool = False) -> list[str]:
    store.bound()
    vanished = "" if include_vanished else " AND vanished_at IS NULL"
    return [
        name
        for (name,) in store.rows(
            f"SELECT name FROM bucket WHERE account = ?{vanished} ORDER BY name", (account,)
        )
    ]


def last_new_large(store: Store, account: str, bucket: str) -> set[tuple[str, int]]:
    """(key, modified) of the large new objects the bucket's latest inventory
    reported: an upload seen during that listing must not be reported twice."""
    store.bound()
    last = (
        Inventory.select(fn.MAX(Inventory.id))
        .where(Inventory.account == account, Inventory.bucket == bucket)
        .scalar()
    )
    if last is None:
        return set()
    return {
        (o.key, o.last_modified)
        for o in InventoryObject.select(InventoryObject.key, InventoryObject.last_modified).where(
            InventoryObject.inventory == last, InventoryObject.kind == "new_large"
        )
    }


def listing_starts(
    store: Store, account: str
) -> dict[str, tuple[float, tuple[int, tuple[str, ...], tuple[int, ...]]]]:
    """For every bucket of the account with an inventory: when its latest listing
    started (previous_inventory_start) and what listing_hints says of it, in three
    queries for the whole account (the inventory job reads them before listing a
    thousand buckets)."""
    store.bound()
    latest = {
        bucket: (float(started), int(last))
        for bucket, started, last in cast(
            "list[tuple[str, int, int]]",
            list(
                Inventory.select(
                    Inventory.bucket, fn.MAX(Inventory.started_at), fn.MAX(Inventory.id)
                )
                .where(Inventory.account == account)
                .group_by(Inventory.bucket)
                .tuples()
            ),
        )
    }
    ids = [last for _, last in latest.values()]
    counts: dict[int, int] = {}
    cuts: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        counts.update(
            cast(
                "list[tuple[int, int]]",
                list(
                    Inventory.select(Inventory.id, Inventory.objects)
                    .where(Inventory.id.in_(chunk))
                    .tuples()
                ),
            )
        )
        rows = cast(
            "list[tuple[int, str, int]]",
            list(
                InventoryObject.select(
                    InventoryObject.inventory, InventoryObject.key, InventoryObject.size
                )
                .where(InventoryObject.inventory.in_(chunk), InventoryObject.kind == "split")
                .order_by(InventoryObject.inventory, InventoryObject.rank)
                .tuples()
            ),
        )
        for inv_id, key, position in rows:
            cuts[inv_id].append((key, int(position)))
    return {
        bucket: (
            started,
            (
                counts[last],
                tuple(k for k, _ in cuts[last]),
                tuple(p for _, p in cuts[last]),
            ),
        )
        for bucket, (started, last) in latest.items()
    }


def listing_hints(
    store: Store, account: str, bucket: str
) -> tuple[int, tuple[str, ...], tuple[int, ...]] | None:
    """The object count of the bucket's latest inventory, the keys that cut it into
    parts and their positions (0 where an older r2tui kept none; see
    sources.listing.hints), or None before the first."""
    store.bound()
    last = (
        Inventory.select(Inventory.id, Inventory.objects)
        .where(Inventory.account == account, Inventory.bucket == bucket)
        .order_by(Inventory.id.desc())
        .first()
    )
    if last is None:
        return None
    rows = [
        (o.key, int(o.size))
        for o in InventoryObject.select(InventoryObject.key, InventoryObject.size)
        .where(InventoryObject.inventory == last.id, InventoryObject.kind == "split")
        .order_by(InventoryObject.rank)
    ]
    return last.objects, tuple(k for k, _ in rows), tuple(p for _, p in rows)


def last_value(store: Store, account: str, metric: str, bucket: str = ACCOUNT) -> float | None:
    store.bound()
    row = (
        Sample.select(Sample.value)
        .where(Sample.account == account, Sample.metric == metric, Sample.bucket == bucket)
        .order_by(Sample.ts.desc(), Sample.id.desc())
        .first()
    )
    return row.value if row else None


def last_success(store: Store, job: str, accounts: list[str]) -> float | None:
    """When `job` last succeeded for every one of `accounts` (the oldest of them);
    None when one of them never succeeded, or no account is given."""
    store.bound()
    if not accounts:
        return None
    rows = dict(
        cast(
            "Iterable[tuple[str, int | None]]",
            JobRun.select(JobRun.account, fn.MAX(JobRun.finished_at))
            .where(
                JobRun.job == job,
                JobRun.ok == True,  # noqa: E712
                JobRun.account.in_(accounts),
            )
            .group_by(JobRun.account)
            .tuples(),
        )
    )
    times = [t for a in accounts if (t := rows.get(a)) is not None]
    if len(times) < len(accounts):
        return None
    return float(min(times))


ACTIVITY_LIMIT = 200  # the newest entries the Activity pane reads, of each of its views


def activity(
    store: Store,
    account: str,
    limit: int = ACTIVITY_LIMIT,
    kinds: list[str] | None = None,
    notable_since: float | None = None,
) -> list[ActivityRow]:
    """The newest events, newest first. With `notable_since`: only those that
    matter (no routine job run, `ActivityRow.routine`) from then on; the window
    bounds the read, which otherwise walks every job run of the retention to
    find a few that matter."""
    store.bound()
    sql = "SELECT id, ts, kind, level, bucket, message FROM event WHERE account IN (?, ?)"
    params: list[object] = [account, ACCOUNT]
    if kinds:
        sql += f" AND kind IN ({marks(kinds)})"
        params += kinds
    if notable_since is not None:
        sql += f" AND ts >= ? AND NOT (kind IN ({marks(ROUTINE_KINDS)}) AND level <> ?)"
        params += [int(notable_since), *ROUTINE_KINDS, "error"]
    return [
        ActivityRow(*row)
        for row in store.rows(sql + " ORDER BY ts DESC, id DESC LIMIT ?", [*params, limit])
    ]


# Each job's newest run id, of two accounts (the account's and "*"): the jobs are
# found by skipping from one to the next on the (account, job, id) index, and
# each one's newest run is a seek there, so the cost is the number of jobs, not
# of the runs the retention keeps (a GROUP BY would walk them all).
_LAST_RUNS = (
    "WITH RECURSIVE a(account) AS (VALUES (?), (?)), "
    "j(account, job) AS ("
    "SELECT a.account, (SELECT MIN(job) FROM job_run r WHERE r.account = a.account) FROM a "
    "UNION ALL "
    "SELECT j.account, (SELECT MIN(job) FROM job_run r WHERE r.account = j.account "
    "AND r.job > j.job) FROM j WHERE j.job IS NOT NULL) "
    "SELECT MAX(last) FROM (SELECT j.job AS job, (SELECT MAX(id) FROM job_run r "
    "WHERE r.account = j.account AND r.job = j.job) AS last FROM j WHERE j.job IS NOT NULL) "
    "AS per_account GROUP BY job"
)


def collector(store: Store, account: str, now: float | None = None) -> CollectorView:
    store.bound()
    now = store.clock() if now is None else now
    # Each job's last run (the newest id), and when any run last succeeded.
    jobs = [
        JobStatus(job, started, finished, None if ok is None else bool(ok), items, error, host)
        for job, started, finished, ok, items, error, host in store.rows(
            "SELECT job, started_at, finished_at, ok, items, error, host FROM job_run "
            f"WHERE id IN ({_LAST_RUNS}) ORDER BY job",
            (account, ACCOUNT),
        )
    ]
    (last_ok,) = store.rows(
        "SELECT MAX(finished_at) FROM job_run WHERE account IN (?, ?) AND ok = ?",
        (account, ACCOUNT, True),
    )[0]
    running = [j for j in jobs if j.finished_at is None and now - j.started_at < STALE_RUN_SECONDS]
    failing = [j for j in jobs if j.finished_at is not None and j.ok is False]
    if running:
        state, detail = "running", ", ".join(j.job for j in running)
    elif failing:
        worst = max(failing, key=lambda j: j.finished_at or 0)
        state, detail = "failing", f"{worst.job}: {worst.error or 'failed'}"
    elif jobs:
        state, detail = "idle", ""
    else:
        state, detail = "never", "no collection has run yet"
    return CollectorView(
        state=state,
        detail=detail,
        jobs=jobs,
        last_success_at=int(last_ok) if last_ok is not None else None,
    )


PROBE_STEPS = ("put", "get", "head", "delete")


def probes(store: Store, account: str, now: float, window: int = 86400) -> list[ProbeRow]:
    """The last probe of each bucket in the window: one query that seeks, per
    bucket with a probe series (series_key), its newest `probe_ok` on the
    (account, metric, bucket, ts) index, then each step's sample at that time.
    Its cost is the number of buckets, not of probes: with a probe budget most
    buckets' last probe is hours old. Two samples at one time: the last one
    stored (the highest id) wins."""
    store.bound()
    names = ["probe_ok"] + [f"probe_{s}_ms" for s in PROBE_STEPS]
    at_last = ", ".join(
        "(SELECT value FROM sample WHERE account = k.account AND metric = ? "
        # `+id`: ordered by the id, but not by walking an index in id order (the
        # time index would be), so SQLite seeks on (account, metric, ts, bucket).
        "AND bucket = k.bucket AND ts = k.last ORDER BY +id DESC LIMIT 1)"
        for _ in names
    )
    rows = store.rows(
        f"SELECT k.bucket, k.last, {at_last} FROM ("
        "SELECT account, bucket, (SELECT MAX(ts) FROM sample s WHERE s.account = series_key.account"
        " AND s.metric = series_key.metric AND s.bucket = series_key.bucket) AS last"
        " FROM series_key WHERE account = ? AND metric = ?"
        # A fence, in SQLite as in PostgreSQL: `last` is computed once per bucket,
        # not again in each of the step subqueries it would be copied into.
        " LIMIT 1000000000 OFFSET 0"
        ") k WHERE k.last >= ? ORDER BY k.bucket",
        (*names, account, "probe_ok", int(now) - window),
    )
    return [
        ProbeRow(
            bucket,
            int(last),
            ok >= 1.0,
            {
                step: value
                for step, value in zip(PROBE_STEPS, steps, strict=True)
                if value is not None
            },
        )
        for bucket, last, ok, *steps in rows
        if ok is not None
    ]


def endpoint_check(store: Store, account: str) -> EndpointRow | None:
    """The last check that the endpoint answers (made when probes are off)."""
    store.bound()
    last = store.rows(
        "SELECT ts, value FROM sample WHERE account = ? AND metric = ? AND bucket = ? "
        "ORDER BY ts DESC, id DESC LIMIT 1",
        (account, "endpoint_ok", ACCOUNT),
    )
    if not last:
        return None
    at, ok = last[0]
    ms = store.rows(
        "SELECT value FROM sample WHERE account = ? AND metric = ? AND bucket = ? AND ts = ? "
        "LIMIT 1",
        (account, "endpoint_ms", ACCOUNT, at),
    )
    return EndpointRow(at=int(at), ok=ok >= 1.0, ms=ms[0][0] if ms else None)


# The dashboard's cards, in order.
CARDS = (
    ("total_files", "Total files"),
    ("total_bytes", "Storage used"),
    ("uploads_today", "Uploads today"),
    ("downloads_today", "Downloads today"),
    ("class_a_ops", "Class A / hour"),
    ("class_b_ops", "Class B / hour"),
    ("error_rate_pct", "Error rate"),
    ("avg_response_ms", "Avg response"),
    ("p95_response_ms", "p95 response"),
)
# What `status --json` and the alert rules see for the account and each bucket.
REPORTED = (
    "total_files",
    "total_bytes",
    "uploads_today",
    "downloads_today",
    "error_rate_pct",
    "avg_response_ms",
    "p95_response_ms",
    "failed_access",
    "class_a_ops",
    "class_b_ops",
    "requests_per_hour",
    "pending_uploads",
    "monthly_cost_usd",
    "forecast_month_usd",
    "daily_cost_increase_pct",
    *CLASS_METRICS,
    *BYTES_METRICS,
)


def metrics_view(
    store: Store,
    account: str,
    now: float,
    analytics: bool,
    bucket: str = ACCOUNT,
    tz: str = "UTC",
    every_bucket: bool = False,
) -> MetricsView:
    """The cards of `bucket` ("*": the account) and the readings behind them.
    `every_bucket`: every bucket's readings too (`status --json`); else only the
    account's and `bucket`'s, which is all a pane shows: at a thousand buckets,
    reading them all takes longer than the rest of the dashboard together."""
    from r2tui.store import history  # history reads the catalog's rollups; import late

    values = readings.readings(
        store, account, list(REPORTED), now, tz, buckets=None if every_bucket else {ACCOUNT, bucket}
    )
    cards = []
    sparks = history.sparklines(store, account, [name for name, _ in CARDS], bucket, now)
    for name, title in CARDS:
        m = describe(name)
        spark = sparks[name]
        span = history.SPARK_SPAN
        if len(spark) < 2:
            # Probes younger than two hours: one hourly point, no line; the last
            # hour's probe runs draw one.
            recent = history.recent_runs(store, account, name, bucket, now)
            if len(recent) >= 2:
                spark, span = recent, history.RECENT_SPAN
        cards.append(
            MetricCard(
                metric=name,
                title=title,
                unit=m.unit,
                reading=values.get(bucket, {}).get(name, Reading(name, None)),
                spark=spark,
                spark_span=span,
                warn_above=m.warn_above,
                needs_token=m.needs_token,
            )
        )
    # The filter's buckets: those listed, and those with data (a reading, or
    # without every bucket's readings, a stored series of a reported metric).
    with_data = (
        set(values)
        if every_bucket
        else set(
            readings.series_buckets(
                store, account, tuple(sorted({s for n in REPORTED for s in describe(n).reads}))
            )
        )
    )
    known = set(bucket_names(store, account)) | (with_data - {ACCOUNT})
    return MetricsView(
        account=account,
        bucket=bucket,
        analytics=analytics,
        analytics_at=state.get(store, state.analytics_key(account)),
        cards=cards,
        values=values,
        buckets=sorted(known),
    )
