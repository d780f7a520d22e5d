"""What a month of R2 use looks like in the store, as the bill counts it: each
UTC day's peak stored bytes (per storage class where Cloudflare's analytics
said the class), and billed requests per hour (with the Infrequent Access ones
where the analytics said the class, and the bytes read from IA where they
gave byte sums).

Like the history charts, the figures come from the hourly rollups up to the
rollup watermark and from raw samples after it, so they are current to the
last sample and survive the raw purge.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from peewee import fn

from r2tui.metrics import DAY, HOUR
from r2tui.store import Store, state
from r2tui.store.models import (
    Bucket,
    Inventory,
    InventoryBreakdown,
    Sample,
    SampleHourly,
)

# Counters the bill needs, as the analytics job stores them per bucket and hour.
COUNTERS = (
    "class_a_requests",
    "class_b_requests",
    "download_requests",
    "ia_class_a_requests",
    "ia_class_b_requests",
    "classified_requests",
    "ia_retrieval_bytes",
)
IA_CLASS = "STANDARD_IA"
# Analytics' per-class stored bytes, each UTC day's peak: Standard, then IA.
CLASS_BYTES = ("stored_standard_bytes", "stored_ia_bytes")
# Series `BucketUsage.requests` derives from the counters of each period:
# "classified:<counter>" counts only periods whose requests said their storage
# class (the IA counters are measured there), "unclassified:<counter>" only the
# others (whose IA share the bill estimates from the last listing);
# "measured:ia_retrieval_bytes" the IA bytes read in periods that said both the
# class and the bytes, "unmeasured:download_requests" the GETs of the others.
CLASSIFIED, UNCLASSIFIED = "classified:", "unclassified:"
MEASURED_RETRIEVAL = "measured:ia_retrieval_bytes"
UNMEASURED_GETS = "unmeasured:download_requests"

Key = tuple[int, str, str]  # period start, bucket, series


@dataclass
class BucketUsage:
    """One bucket's raw material for its bill."""

    # UTC day start → peak bytes that day: analytics' stored_bytes where present,
    # else the inventory's total_bytes.
    peak_bytes: dict[int, float] = field(default_factory=dict)
    # UTC day start → (Standard, IA) peak bytes that day, measured by analytics
    # per storage class; a day without them splits `peak_bytes` by the listing.
    class_peaks: dict[int, tuple[float, float]] = field(default_factory=dict)
    # Hour start (or day start, for days read whole) → series → requests (billed:
    # 401/403 are not counted).
    hourly: dict[int, dict[str, float]] = field(default_factory=dict)
    # The first UTC day the bucket is gone (it vanished from the listing): it
    # stores nothing from then on, whatever its last sample said.
    gone_from: int | None = None
    # The share of bytes and of objects in Infrequent Access at the last listing.
    ia_byte_share: float = 0.0
    ia_object_share: float = 0.0
    mean_object_bytes: float = 0.0  # for IA retrieval: bytes a GET reads, on average

    # Cumulative sums per series over the sorted hours, built on first use: the
    # cost model asks for hundreds of windows per bucket. `hourly` must not
    # change after that.
    _sums: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict, repr=False)

    def requests(self, series: str, start: int, end: int) -> float:
        """The sum of `series` (a counter, or a derived one: see CLASSIFIED) over
        the periods starting in [start, end)."""
        if series not in self._sums:
            hours = sorted(self.hourly)
            running, total = [0.0], 0.0
            for h in hours:
                total += period_value(self.hourly[h], series)
                running.append(total)
            self._sums[series] = (hours, running)
        hours, running = self._sums[series]
        return running[bisect_left(hours, end)] - running[bisect_left(hours, start)]


def period_value(values: dict[str, float], series: str) -> float:
    """One period's `series`, derived ones included."""
    classified = values.get("classified_requests", 0.0) > 0
    if series.startswith(CLASSIFIED):
        return values.get(series[len(CLASSIFIED) :], 0.0) if classified else 0.0
    if series.startswith(UNCLASSIFIED):
        return 0.0 if classified else values.get(series[len(UNCLASSIFIED) :], 0.0)
    # IA bytes read are measured where the class was said and the bytes were
    # summed (the analytics job stores no byte counter for an hour without them).
    retrieval = classified and "ia_retrieval_bytes" in values
    if series == MEASURED_RETRIEVAL:
        return values["ia_retrieval_bytes"] if retrieval else 0.0
    if series == UNMEASURED_GETS:
        return 0.0 if retrieval else values.get("download_requests", 0.0)
    return values.get(series, 0.0)


def aggregate(
    store: Store, account: str, series: Iterable[str], start: int, end: int, period: int, how: str
) -> dict[Key, float]:
    """Each series per bucket and `period` ("sum" or "max") over [start, end)."""
    store.bound()
    names = list(series)
    mark = state.get(store, state.ROLLUP_FROM)
    raw_from = start if mark is None else max(start, min(int(mark), end))
    out: dict[Key, float] = {}

    def fold(rows: Iterable[tuple[Any, ...]]) -> None:
        for p, bucket, metric, value in rows:
            key = (int(p) - int(p) % period, bucket, metric)
            v = float(value or 0.0)
            if key not in out:
                out[key] = v
            else:
                out[key] = out[key] + v if how == "sum" else max(out[key], v)

    h = SampleHourly
    col = fn.SUM(h.sum) if how == "sum" else fn.MAX(h.max)
    hp = (h.ts / period) * period
    if start < raw_from:
        fold(
            store.fetch(
                h.select(hp, h.bucket, h.metric, col)
                .where(h.account == account, h.metric.in_(names), h.ts >= start, h.ts < raw_from)
                .group_by(hp, h.bucket, h.metric)
            )
        )
    s = Sample
    sp = (s.ts / period) * period
    scol = fn.SUM(s.value) if how == "sum" else fn.MAX(s.value)
    fold(
        store.fetch(
            s.select(sp, s.bucket, s.metric, scol)
            .where(s.account == account, s.metric.in_(names), s.ts >= raw_from, s.ts < end)
            .group_by(sp, s.bucket, s.metric)
        )
    )
    return out


def read(
    store: Store, account: str, start: int, end: int, hourly_from: int
) -> dict[str, BucketUsage]:
    """Every bucket's usage over [start, end) (the account's own series, bucket
    "*", included), keyed by bucket. Requests come by the hour from `hourly_from`
    (a day start) on and by the UTC day before it: a month of hours for
    thousands of buckets is more memory than the bill needs."""
    store.bound()
    out: dict[str, BucketUsage] = defaultdict(BucketUsage)
    peaks = aggregate(store, account, ("stored_bytes", "total_bytes"), start, end, DAY, "max")
    analytics_days = {(d, b) for (d, b, m) in peaks if m == "stored_bytes"}
    for (day, bucket, metric), value in peaks.items():
        if metric == "stored_bytes" or (day, bucket) not in analytics_days:
            out[bucket].peak_bytes[day] = value
    classes = aggregate(store, account, CLASS_BYTES, start, end, DAY, "max")
    for (day, bucket, metric), value in classes.items():
        ia = classes.get((day, bucket, CLASS_BYTES[1]))
        if metric == CLASS_BYTES[0] and ia is not None:
            out[bucket].class_peaks[day] = (value, ia)
    hourly_from = max(start, min(hourly_from, end))
    for lo, hi, period in ((start, hourly_from, DAY), (hourly_from, end, HOUR)):
        if lo < hi:
            for (ts, bucket, metric), value in aggregate(
                store, account, COUNTERS, lo, hi, period, "sum"
            ).items():
                out[bucket].hourly.setdefault(ts, {})[metric] = value
    for bucket, vanished in store.fetch(
        Bucket.select(Bucket.name, Bucket.vanished_at).where(
            Bucket.account == account, Bucket.vanished_at.is_null(False)
        )
    ):
        out[bucket].gone_from = int(vanished) - int(vanished) % DAY + DAY
    for bucket, (ia_bytes, ia_objects, total_bytes, objects) in _storage_classes(
        store, account
    ).items():
        u = out[bucket]
        u.ia_byte_share = ia_bytes / total_bytes if total_bytes else 0.0
        u.ia_object_share = ia_objects / objects if objects else 0.0
        u.mean_object_bytes = total_bytes / objects if objects else 0.0
    return dict(out)


def _storage_classes(store: Store, account: str) -> dict[str, tuple[int, int, int, int]]:
    """Per bucket at its newest listing: IA bytes, IA objects, bytes, objects."""
    newest = (
        Inventory.select(Inventory.bucket, fn.MAX(Inventory.id).alias("id"))
        .where(Inventory.account == account)
        .group_by(Inventory.bucket)
    )
    ids = {inv_id: bucket for bucket, inv_id in store.fetch(newest)}
    if not ids:
        return {}
    totals = {
        i: (int(o), int(b))
        for i, o, b in store.fetch(
            Inventory.select(Inventory.id, Inventory.objects, Inventory.bytes).where(
                Inventory.id.in_(list(ids))
            )
        )
    }
    ia: dict[int, tuple[int, int]] = {}
    for inv_id, objects, size in store.fetch(
        InventoryBreakdown.select(
            InventoryBreakdown.inventory, InventoryBreakdown.objects, InventoryBreakdown.bytes
        ).where(
            InventoryBreakdown.inventory.in_(list(ids)),
            InventoryBreakdown.dimension == "storage_class",
            InventoryBreakdown.key == IA_CLASS,
        )
    ):
        ia[int(inv_id)] = (int(size), int(objects))
    return {
        ids[i]: (ia.get(i, (0, 0))[0], ia.get(i, (0, 0))[1], totals[i][1], totals[i][0])
        for i in ids
        if i in totals
    }
