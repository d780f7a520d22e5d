"""The read side: queries that return the dataclasses of `views` for the panes,
reports and `status --json`.

Every function is a handful of queries whatever the number of buckets, so a
pane refresh stays cheap on a busy store.

The casts type the rows of `.tuples()` queries, which peewee's stubs type as
model instances.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import cast

from peewee import fn

from r2tui.metrics import ACCOUNT, BYTES_METRICS, CLASS_METRICS, describe
from r2tui.pricing import request_cost_usd
from r2tui.store import readings, state
from r2tui.store.db import Store
from r2tui.store.models import (
    Bucket,
    Event,
    Inventory,
    InventoryBreakdown,
    InventoryObject,
    JobRun,
    Sample,
)
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


def monitor_spend(store: Store, account: str, since: int) -> MonitorSpend:
    store.bound()
    rows = cast(
        "Iterable[tuple[str, float | None]]",
        Sample.select(Sample.metric, fn.SUM(Sample.value))
        .where(
            Sample.account == account,
            Sample.bucket == ACCOUNT,
            Sample.ts >= since,
            Sample.metric.in_(["monitor_class_a_ops", "monitor_class_b_ops", "monitor_free_ops"]),
        )
        .group_by(Sample.metric)
        .tuples(),
    )
    sums = {metric: int(total or 0) for metric, total in rows}
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
        b.name
        for b in Bucket.select(Bucket.name)
        .where(Bucket.account == account, Bucket.vanished_at.is_null())
        .order_by(Bucket.name)
    ]
    latest = cast(
        "Iterable[tuple[str, int]]",
        Inventory.select(Inventory.bucket, fn.MAX(Inventory.id))
        .where(Inventory.account == account, Inventory.bucket.in_(current))
        .group_by(Inventory.bucket)
        .tuples(),
    )
    invs = list(Inventory.select().where(Inventory.id.in_([last for _, last in latest])))
    ids = [i.id for i in invs]
    breakdowns: dict[int, dict[str, list[TallyRow]]] = defaultdict(lambda: defaultdict(list))
    # Tuples, not model instances: a pane refresh reads thousands of these rows.
    b = InventoryBreakdown
    for inv_id, dimension, key, objects, size in store.fetch(
        b.select(b.inventory, b.dimension, b.key, b.objects, b.bytes).where(b.inventory.in_(ids))
    ):
        breakdowns[inv_id][dimension].append(TallyRow(key, objects, size))
    kept: dict[int, dict[str, list[ObjectRow]]] = defaultdict(lambda: defaultdict(list))
    by_id = {i.id: i for i in invs}
    o = InventoryObject
    for inv_id, kind, key, size, modified, klass in store.fetch(
        o.select(o.inventory, o.kind, o.key, o.size, o.last_modified, o.storage_class)
        .where(o.inventory.in_(ids))
        .order_by(o.rank)
    ):
        kept[inv_id][kind].append(ObjectRow(by_id[inv_id].bucket, key, size, modified, klass))
    buckets = sorted(
        (
            BucketStorage(
                name=i.bucket,
                objects=i.objects,
                bytes=i.bytes,
                inventoried_at=i.finished_at,
                list_requests=i.list_requests,
                duration_s=float(i.finished_at - i.started_at),
                by_extension=_by_bytes(breakdowns[i.id]["extension"]),
                by_storage_class=_by_bytes(breakdowns[i.id]["storage_class"]),
                largest=kept[i.id]["largest"],
                newest=kept[i.id]["newest"],
                other_extensions=i.other_extensions,
            )
            for i in invs
        ),
        key=lambda b: (-b.bytes, b.name),
    )
    listed = {b.name for b in buckets}
    return StorageView(
        account=account,
        total_objects=sum(b.objects for b in buckets),
        total_bytes=sum(b.bytes for b in buckets),
        buckets=buckets,
        by_extension=_merge([b.by_extension for b in buckets]),
        by_storage_class=_merge([b.by_storage_class for b in buckets]),
        largest=sorted(
            (o for b in buckets for o in b.largest), key=lambda o: (-o.size, o.bucket, o.key)
        )[:top_n],
        spend=monitor_spend(store, account, month_start(now)),
        not_inventoried=[name for name in current if name not in listed],
        quota_bytes=quota_bytes,
        oldest_inventory_at=min((b.inventoried_at for b in buckets), default=None),
    )


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
    q = Bucket.select(Bucket.name).where(Bucket.account == account)
    if not include_vanished:
        q = q.where(Bucket.vanished_at.is_null())
    return [b.name for b in q.order_by(Bucket.name)]


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


def listing_hints(store: Store, account: str, bucket: str) -> tuple[int, tuple[str, ...]] | None:
    """The object count of the bucket's latest inventory and the keys that cut it
    into equal parts (see sources.listing.hints), or None before the first."""
    store.bound()
    last = (
        Inventory.select(Inventory.id, Inventory.objects)
        .where(Inventory.account == account, Inventory.bucket == bucket)
        .order_by(Inventory.id.desc())
        .first()
    )
    if last is None:
        return None
    keys = tuple(
        o.key
        for o in InventoryObject.select(InventoryObject.key)
        .where(InventoryObject.inventory == last.id, InventoryObject.kind == "split")
        .order_by(InventoryObject.rank)
    )
    return last.objects, keys


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
    q = Event.select().where(Event.account.in_([account, ACCOUNT]))
    if kinds:
        q = q.where(Event.kind.in_(kinds))
    if notable_since is not None:
        q = q.where(
            Event.ts >= int(notable_since),
            ~(Event.kind.in_(ROUTINE_KINDS) & (Event.level != "error")),
        )
    return [
        ActivityRow(e.id, e.ts, e.kind, e.level, e.bucket, e.message)
        for e in q.order_by(Event.ts.desc(), Event.id.desc()).limit(limit)
    ]


def collector(store: Store, account: str, now: float | None = None) -> CollectorView:
    store.bound()
    now = store.clock() if now is None else now
    last = cast(
        "Iterable[tuple[str, int]]",
        JobRun.select(JobRun.job, fn.MAX(JobRun.id))
        .where(JobRun.account.in_([account, ACCOUNT]))
        .group_by(JobRun.job)
        .tuples(),
    )
    runs = list(JobRun.select().where(JobRun.id.in_([i for _, i in last])).order_by(JobRun.job))
    jobs = [
        JobStatus(r.job, r.started_at, r.finished_at, r.ok, r.items, r.error, r.host) for r in runs
    ]
    last_ok = (
        JobRun.select(fn.MAX(JobRun.finished_at))
        .where(JobRun.account.in_([account, ACCOUNT]), JobRun.ok == True)  # noqa: E712
        .scalar()
    )
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
    """The last probe of each bucket in the window: two small queries, however
    many probes the window holds."""
    store.bound()
    latest = dict(
        store.fetch(
            Sample.select(Sample.bucket, fn.MAX(Sample.ts))
            .where(
                readings.series_filter(store, account, ("probe_ok",)),
                Sample.ts >= int(now) - window,
            )
            .group_by(Sample.bucket)
        )
    )
    if not latest:
        return []
    names = ["probe_ok"] + [f"probe_{s}_ms" for s in PROBE_STEPS]
    rows = store.fetch(
        Sample.select(Sample.bucket, Sample.metric, Sample.value, Sample.ts)
        .where(
            Sample.account == account,
            Sample.metric.in_(names),
            Sample.bucket.in_(list(latest)),
            Sample.ts >= min(latest.values()),
        )
        .order_by(Sample.id.desc())
    )
    ok: dict[str, bool] = {}
    ms: dict[str, dict[str, float]] = defaultdict(dict)
    for bucket, metric, value, ts in rows:
        if ts != latest[bucket]:
            continue
        if metric == "probe_ok":
            ok.setdefault(bucket, value >= 1.0)
        else:
            ms[bucket].setdefault(metric[len("probe_") : -len("_ms")], value)
    return [ProbeRow(b, latest[b], ok[b], dict(ms[b])) for b in sorted(latest) if b in ok]


def endpoint_check(store: Store, account: str) -> EndpointRow | None:
    """The last check that the endpoint answers (made when probes are off)."""
    store.bound()
    last = (
        Sample.select(Sample.ts, Sample.value)
        .where(Sample.account == account, Sample.metric == "endpoint_ok", Sample.bucket == ACCOUNT)
        .order_by(Sample.ts.desc(), Sample.id.desc())
        .first()
    )
    if last is None:
        return None
    ms = (
        Sample.select(Sample.value)
        .where(
            Sample.account == account,
            Sample.metric == "endpoint_ms",
            Sample.bucket == ACCOUNT,
            Sample.ts == last.ts,
        )
        .scalar()
    )
    return EndpointRow(at=last.ts, ok=last.value >= 1.0, ms=ms)


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
    for name, title in CARDS:
        m = describe(name)
        spark = history.sparkline(store, account, name, bucket, now)
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
