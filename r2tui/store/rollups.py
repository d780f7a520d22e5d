"""Raw samples rolled up into hourly and daily aggregates, and the retention
purge that keeps the store small.

Every series (account, bucket, metric) gets one row per hour in
`sample_hourly` and one per UTC day in `sample_daily`: count, sum, min, max
and last (the value of the newest sample, ties broken by insertion order);
`ts` is the period's start. Days are computed from hours, never from raw
samples, so a day keeps its figures after its raw samples are purged.

The mean and p95 metrics (the response times) also get one row per hour in
`spread_hourly`, per bucket and for the account (every bucket's together):
the count and sum of their series' hourly rows, and the nearest-rank 95th
percentile of the hour's raw samples where they are all kept. A chart of the
account then reads one row an hour, not a row per bucket and series (or every
raw sample, for the p95). Kept as long as the hourly rows.

The work is incremental and store-wide. The state watermark
`ROLLUP_FROM` (see `r2tui.store.state`) is the first hour whose raw samples may
have changed since they were rolled up: a run recomputes from there (or from
the earliest raw sample when it is unset) up to and including the current,
partial hour, then moves the watermark to the current hour, which the next run
recomputes again. `writes.replace_series` lowers the watermark when it rewrites
the past. The watermark is store-wide, not per account, so a run rolls up every
account the store holds.

Purged data is never recomputed from what is left of it: below the raw
horizon (`RAW_KEPT_FROM`, raised by `purge`) an hour is only re-aggregated for
the series that have raw samples again (a late backfill), and other series'
rows stay; the same holds for days below `HOURLY_KEPT_FROM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import SQL, Case, ColumnBase, Expression, Select, Tuple, fn

from r2tui.config.model import Retention
from r2tui.metrics import ACCOUNT, CATALOG, DAY, HOUR, Metric
from r2tui.store import state
from r2tui.store.db import Store
from r2tui.store.models import Sample, SampleDaily, SampleHourly, SeriesKey, SpreadHourly
from r2tui.store.readings import ranked_p95

# Jobs stamp samples when they observe and store them a moment later (a probe,
# a deferred spend record), so the watermark stays this far behind the clock:
# a sample stored just after a run that rolled up its hour is still counted.
LATE_SECONDS = 600
# State keys: raw samples before this hour, and hourly rows before this day, may
# have been purged (so what is left of them is not the whole period).
RAW_KEPT_FROM = "raw_kept_from"
HOURLY_KEPT_FROM = "hourly_kept_from"
_FIELDS = ("account", "bucket", "metric", "ts", "count", "sum", "min", "max", "last")


@dataclass(frozen=True)
class RollupResult:
    hours: int  # hours recomputed, the current partial one included
    hourly_rows: int  # rows written to sample_hourly
    daily_rows: int  # rows written to sample_daily
    start: int | None  # the first hour recomputed; None: no raw sample to roll up
    end: int  # the end of the current hour (exclusive)


@dataclass(frozen=True)
class PurgeResult:
    samples: int
    hourly: int
    daily: int
    series: int = 0  # series keys with nothing left (a prefix gone from the kept set)


def floor(ts: int, period: int) -> int:
    return ts - ts % period


def roll_up(store: Store, now: float | None = None) -> RollupResult:
    """Bring the hourly and daily rollups up to date for every account.

    Works a UTC day per transaction (a first run over weeks of raw samples must
    not hold the store's write lock for long), days without raw samples
    together, each transaction replacing the rollup rows of its range and
    moving the watermark past it."""
    t = int(store.clock() if now is None else now)
    current = floor(t, HOUR)
    end = current + HOUR
    settled = min(current, floor(t - LATE_SECONDS, HOUR))
    first: int | None = None
    hours = hourly_rows = daily_rows = 0
    while True:
        with store.write():
            # Read under the write lock: a replace_series in between must either
            # be seen here or lower the watermark after this transaction.
            start = _start(store, current)
            if start is None:
                return RollupResult(0, 0, 0, None, end)
            stop = _chunk_end(start, end)
            hourly_rows += _hours(store, start, stop)
            _spreads(store, start, stop)
            daily_rows += _days(store, floor(start, DAY), stop)
            done = stop >= end
            state.put(store, state.ROLLUP_FROM, settled if done else stop)
        first = start if first is None else min(first, start)
        hours += (stop - start) // HOUR
        if done:
            return RollupResult(hours, hourly_rows, daily_rows, first, end)


def _start(store: Store, current: int) -> int | None:
    mark = state.get(store, state.ROLLUP_FROM)
    if mark is None:
        mark = Sample.select(fn.MIN(Sample.ts)).scalar()
        if mark is None:
            return None
    # A watermark ahead of the clock (the clock went back) still recomputes now.
    return min(floor(int(mark), HOUR), current)


def _chunk_end(start: int, end: int) -> int:
    """The end of `start`'s day, or of the run of days after it that hold no
    raw sample (an idle week, a long-gone backlog) so they cost one step."""
    day_end = floor(start, DAY) + DAY
    if day_end >= end:
        return end
    following = Sample.select(fn.MIN(Sample.ts)).where(Sample.ts >= start).scalar()
    if following is None:
        return end
    return min(end, max(day_end, floor(int(following), DAY)))


def _hours(store: Store, start: int, stop: int) -> int:
    kept = state.get(store, RAW_KEPT_FROM)
    split = start if kept is None else min(max(kept, start), stop)
    return _replace(SampleHourly, Sample, start, split, HOUR, complete=False) + _replace(
        SampleHourly, Sample, split, stop, HOUR, complete=True
    )


# The catalog's mean and p95 metrics, by the series they read (`SpreadHourly`).
SPREADS: dict[tuple[str, ...], list[Metric]] = {}
for _m in CATALOG.values():
    if _m.calc in ("mean", "p95"):
        SPREADS.setdefault(_m.reads, []).append(_m)


def _spreads(store: Store, start: int, stop: int) -> None:
    """The mean and p95 metrics by the hour (`SpreadHourly`) for [start, stop),
    once the hourly rows are written: each bucket's series together and every
    bucket's (the account's), their hourly rows summed, and the p95 ranked from
    the raw samples where the hour's are all kept (from `RAW_KEPT_FROM` on)."""
    sh, h = SpreadHourly, SampleHourly
    sh.delete().where(sh.ts >= start, sh.ts < stop).execute()
    kept = state.get(store, RAW_KEPT_FROM)
    ranked_from = start if kept is None else max(start, kept)
    for reads, metrics in SPREADS.items():
        got: dict[tuple[str, str, int], list[Any]] = {}
        in_range = (h.metric.in_(reads), h.ts >= start, h.ts < stop)
        for account, bucket, ts, count, total in store.fetch(
            h.select(h.account, h.bucket, h.ts, fn.SUM(h.count), fn.SUM(h.sum))
            .where(*in_range, h.bucket != ACCOUNT)
            .group_by(h.account, h.bucket, h.ts)
        ):
            got[(account, bucket, int(ts))] = [int(count), float(total), None]
        for account, ts, count, total in store.fetch(
            h.select(h.account, h.ts, fn.SUM(h.count), fn.SUM(h.sum))
            .where(*in_range)
            .group_by(h.account, h.ts)
        ):
            got[(account, ACCOUNT, int(ts))] = [int(count), float(total), None]
        if any(m.calc == "p95" for m in metrics) and ranked_from < stop:
            for account, bucket, ts, value in _ranked_by_bucket(store, reads, ranked_from, stop):
                if (account, bucket, ts) in got:
                    got[(account, bucket, ts)][2] = value
            for account, bucket, ts in list(got):
                if bucket == ACCOUNT and ts >= ranked_from:
                    got[(account, bucket, ts)][2] = ranked_p95(store, account, reads, ts, ts + HOUR)
        rows = [
            (account, bucket, m.name, ts, count, total, top if m.calc == "p95" else None)
            for (account, bucket, ts), (count, total, top) in got.items()
            for m in metrics
        ]
        fields = [sh.account, sh.bucket, sh.metric, sh.ts, sh.count, sh.sum, sh.p95]
        for i in range(0, len(rows), SPREAD_CHUNK):
            sh.insert_many(rows[i : i + SPREAD_CHUNK], fields=fields).execute()


SPREAD_CHUNK = 2000  # rows per INSERT: 7 variables each, far below SQLite's 32,766


def _ranked_by_bucket(
    store: Store, reads: tuple[str, ...], start: int, stop: int
) -> list[tuple[str, str, int, float]]:
    """(account, bucket, hour, p95) of each bucket's raw samples of `reads` in
    each hour of [start, stop): the nearest rank, ceil(0.95 n), found by the
    store with window functions (SQLite 3.25+, PostgreSQL) in one statement."""
    hour = (Sample.ts / HOUR) * HOUR
    ranked = (
        Sample.select(
            Sample.account,
            Sample.bucket,
            hour.alias("hour"),
            Sample.value,
            fn.ROW_NUMBER()
            .over(partition_by=[Sample.account, Sample.bucket, hour], order_by=[Sample.value])
            .alias("rank"),
            fn.COUNT(SQL("*")).over(partition_by=[Sample.account, Sample.bucket, hour]).alias("n"),
        )
        .where(
            Sample.metric.in_(reads),
            Sample.ts >= start,
            Sample.ts < stop,
            Sample.bucket != ACCOUNT,
        )
        .alias("r")
    )
    c = ranked.c
    query = Select([ranked], [c.account, c.bucket, c.hour, c.value]).where(
        c.rank == (c.n * 95 + 99) / 100
    )
    return [(str(a), str(b), int(t), float(v)) for a, b, t, v in store.fetch(query)]


def _days(store: Store, day: int, stop: int) -> int:
    kept = state.get(store, HOURLY_KEPT_FROM)
    split = day if kept is None else min(max(kept, day), stop)
    return _replace(SampleDaily, SampleHourly, day, split, DAY, complete=False) + _replace(
        SampleDaily, SampleHourly, split, stop, DAY, complete=True
    )


def _replace(
    dst: type[SampleHourly] | type[SampleDaily],
    src: type[Sample] | type[SampleHourly],
    start: int,
    stop: int,
    period: int,
    complete: bool,
) -> int:
    """Replace `dst`'s rows for periods in [start, stop) by the aggregate of
    `src`. With `complete` False, `src` may lack purged data: only the series
    that `src` holds in a period are replaced there."""
    if start >= stop:
        return 0
    in_range = (dst.ts >= start) & (dst.ts < stop)
    if complete:
        dst.delete().where(in_range).execute()
    else:
        present = (
            src.select(src.account, src.bucket, src.metric, _period(src, period))
            .where(src.ts >= start, src.ts < stop)
            .distinct()
        )
        dst.delete().where(
            in_range & Tuple(dst.account, dst.bucket, dst.metric, dst.ts).in_(present)
        ).execute()
    fields = [getattr(dst, name) for name in _FIELDS]
    return int(
        dst.insert_from(_aggregate(src, start, stop, period), fields).as_rowcount().execute()
    )


def _period(src: type[Sample] | type[SampleHourly], period: int) -> Expression:
    # Integer division on both back-ends; peewee renders `%` as LIKE.
    return (src.ts / period) * period


def _aggregate(
    src: type[Sample] | type[SampleHourly], start: int, stop: int, period: int
) -> Select:
    """One row per series and period, in `_FIELDS` order. `last` comes from a
    window function (SQLite 3.25+ and PostgreSQL both have ROW_NUMBER)."""
    p = _period(src, period)
    count: ColumnBase
    if issubclass(src, SampleHourly):
        count, total, low, high, last = src.count, src.sum, src.min, src.max, src.last
        newest = [src.ts.desc()]
    else:
        count, total, low, high, last = (
            SQL("1"),
            Sample.value,
            Sample.value,
            Sample.value,
            Sample.value,
        )
        newest = [Sample.ts.desc(), Sample.id.desc()]
    rank = fn.ROW_NUMBER().over(
        partition_by=[src.account, src.bucket, src.metric, p], order_by=newest
    )
    inner = (
        src.select(
            src.account,
            src.bucket,
            src.metric,
            p.alias("p"),
            count.alias("n"),
            total.alias("total"),
            low.alias("low"),
            high.alias("high"),
            last.alias("last"),
            rank.alias("rank"),
        )
        .where(src.ts >= start, src.ts < stop)
        .alias("s")
    )
    c = inner.c
    return Select(
        [inner],
        [
            c.account,
            c.bucket,
            c.metric,
            c.p,
            fn.SUM(c.n),
            fn.SUM(c.total),
            fn.MIN(c.low),
            fn.MAX(c.high),
            fn.MAX(Case(None, [(c.rank == 1, c.last)])),
        ],
    ).group_by(c.account, c.bucket, c.metric, c.p)


def purge(store: Store, retention: Retention, now: float | None = None) -> PurgeResult:
    """Apply the retention policy to samples and rollups, for every account.

    Raw samples go after `samples_days` but never from the hour of the
    watermark on (never what is not rolled up yet; nothing at all before the
    first roll-up); hourly rows after `hourly_days` (whole UTC days, and never
    from the watermark's day on: a day is rolled up from its hours); daily rows
    after `daily_days`."""
    t = int(store.clock() if now is None else now)
    samples = 0
    while True:
        # A day of raw samples per transaction: a store that kept every sample
        # for a year (before rollups existed) must not hold the write lock for
        # the minute its first purge takes.
        with store.write():
            mark = state.get(store, state.ROLLUP_FROM)
            if mark is None:
                break
            cut = min(floor(t - retention.samples_days * DAY, HOUR), floor(mark, HOUR))
            oldest = Sample.select(fn.MIN(Sample.ts)).scalar()
            step = cut if oldest is None else min(cut, floor(int(oldest), DAY) + DAY)
            samples += Sample.delete().where(Sample.ts < step).execute()
            _raise(store, RAW_KEPT_FROM, step)
        if step >= cut:
            break
    with store.write():
        mark = state.get(store, state.ROLLUP_FROM)
        hourly = 0
        if mark is not None:
            hour_cut = min(floor(t - retention.hourly_days * DAY, DAY), floor(mark, DAY))
            hourly = SampleHourly.delete().where(SampleHourly.ts < hour_cut).execute()
            SpreadHourly.delete().where(SpreadHourly.ts < hour_cut).execute()
            _raise(store, HOURLY_KEPT_FROM, hour_cut)
        day_cut = floor(t - retention.daily_days * DAY, DAY)
        daily = SampleDaily.delete().where(SampleDaily.ts < day_cut).execute()
        series = _prune_series_keys(store)
    return PurgeResult(int(samples), int(hourly), int(daily), series)


def _prune_series_keys(store: Store) -> int:
    """Drop the series keys with no sample and no rollup left: readers list the
    series from them (`readings._series_keys`), and an account's prefixes come
    and go by the thousand. Under the write lock: a sample written meanwhile
    waits, and `writes.add_samples` adds its key back anyway."""
    key = SeriesKey._meta.table_name
    tables = (Sample._meta.table_name, SampleHourly._meta.table_name, SampleDaily._meta.table_name)
    left = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {t} AS x WHERE x.account = {key}.account"
        f" AND x.metric = {key}.metric AND x.bucket = {key}.bucket)"
        for t in tables
    )
    cursor = store.db.execute_sql(f"DELETE FROM {key} WHERE {left}")
    return int(cursor.rowcount)


def _raise(store: Store, key: str, value: int) -> None:
    current = state.get(store, key)
    if current is None or value > current:
        state.put(store, key, value)
