"""Any catalog metric over a range, for charts, the CLI and the cards' sparklines.

One query path for every metric: the stored series the metric reads
(`Metric.reads`) are aggregated per period from the rollups, and from raw
samples for what is not rolled up yet (hours from the `ROLLUP_FROM` watermark
on), so a chart is current to the last sample. Each period's value follows the
metric's `calc`:

- ``last``: the newest value in the period among all of `reads` (total_files
  reads the inventory's total_files and analytics' stored_objects: the same
  quantity). A rollup row knows its period, not when its last sample came, so
  between series whose newest sample falls in the same rollup period the one
  later in `reads` (analytics) wins;
- ``sum``: the sum of the series in the period;
- ``today``: what the metric's card says at the period's end: the day's sum so
  far, from midnight in the configured time zone (`readings.day_of`) to the
  end of the period, starting again at each midnight (uploads_today's last
  point is the card's figure, not one hour's uploads). At day resolution (90d,
  1y) a point is the whole UTC day's sum: the day's figure at its end, exactly
  so in UTC (daily rollups are UTC days);
- ``ratio``: 100 * sum(reads[0]) / sum(reads[1]); absent when the denominator
  is 0 or missing (a missing numerator with requests counted is 0 %);
- ``mean``: the sum of sums over the sum of counts, across `reads`;
- ``p95``: the nearest-rank 95th percentile of the raw values in the period
  (as `readings.p95`). Raw samples are kept `samples_days` only: older periods,
  and a period the raw purge cut into, are absent.

For the account (bucket ``*``), ``mean`` and ``p95`` take every bucket's
samples together (probes run per bucket), as the dashboard's readings do;
the other calcs read the account's own series. At hour resolution both come
from `spread_hourly` (the rollup job's sums and ranks by the hour: see
`r2tui.store.rollups`) for the hours before the watermark.

Periods without data are absent: a zero is never invented. Ranges and their
resolution: 1h → raw samples; 24h, 7d, 30d → hours; 90d, 1y → UTC days;
a coarser one when the retention of the finer does not reach the range start.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from peewee import SQL, Expression, fn

from r2tui.config.model import Retention
from r2tui.metrics import ACCOUNT, CATALOG, DAY, HOUR, RANGES, Metric, series_source
from r2tui.store import state
from r2tui.store.db import Store
from r2tui.store.models import Sample, SampleDaily, SampleHourly
from r2tui.store.readings import day_of, marks, p95, ranked_p95, series_buckets
from r2tui.store.rollups import RAW_KEPT_FROM, floor
from r2tui.store.views import Series

PREFERRED: dict[str, str] = {
    "1h": "raw",
    "24h": "hour",
    "7d": "hour",
    "30d": "hour",
    "90d": "day",
    "1y": "day",
}
RESOLUTIONS = ("raw", "hour", "day")  # finest first
PERIOD = {"hour": HOUR, "day": DAY}


@dataclass
class _Agg:
    """One stored series over one period."""

    count: int = 0
    sum: float = 0.0
    last: float | None = None
    last_at: tuple[int, int] = (-1, -1)  # (time, tie-break) of `last`


Periods = dict[int, dict[str, _Agg]]  # period start → series → aggregate
# The casts below type the rows of `.tuples()` queries, which peewee's stubs
# type as model instances.


def check(metric: str, range_: str = "24h") -> Metric:
    """The catalog entry; ValueError naming the valid values otherwise."""
    if metric not in CATALOG:
        raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(sorted(CATALOG))}")
    if range_ not in RANGES:
        raise ValueError(f"unknown range {range_!r}; valid: {', '.join(RANGES)}")
    return CATALOG[metric]


def resolution_for(range_: str, retention: Retention | None = None) -> str:
    """The range's resolution, coarser when the finer's retention is too short."""
    r = retention or Retention()
    kept = {"raw": r.samples_days * DAY, "hour": r.hourly_days * DAY, "day": r.daily_days * DAY}
    i = RESOLUTIONS.index(PREFERRED[range_])
    while i < len(RESOLUTIONS) - 1 and kept[RESOLUTIONS[i]] < RANGES[range_]:
        i += 1
    return RESOLUTIONS[i]


def series(
    store: Store,
    account: str,
    metric: str,
    bucket: str = ACCOUNT,
    range_: str = "24h",
    now: float | None = None,
    retention: Retention | None = None,
    tz: str = "UTC",
) -> Series:
    """`metric` for `bucket` ("*": the account) over the `range_` ending `now`.
    Points are (period start, value), oldest first; hour and day ranges start
    at a whole period, so "24h" is 24 hourly points, the last one partial.
    `tz`: the configured time zone, where a ``today`` metric's day starts."""
    m = check(metric, range_)
    end = int(store.clock() if now is None else now)
    resolution = resolution_for(range_, retention)
    if resolution == "raw":
        start = end - RANGES[range_]
    else:
        size = PERIOD[resolution]
        start = floor(end, size) - (RANGES[range_] // size - 1) * size
    return Series(
        metric=metric,
        bucket=bucket,
        range=range_,
        resolution=resolution,
        unit=m.unit,
        start=start,
        end=end,
        points=(
            _so_far(store, account, m, bucket, resolution, start, end, tz)
            if m.calc == "today" and resolution != "day"
            else points(store, account, m, bucket, resolution, start, end)
        ),
    )


def _so_far(
    store: Store,
    account: str,
    m: Metric,
    bucket: str,
    resolution: str,
    start: int,
    end: int,
    tz: str,
) -> list[tuple[int, float]]:
    """A ``today`` metric at each period: its day's sum from midnight in `tz` to
    the period's end, as the card has it then. Read from the midnight before
    `start`, so the first day of the range counts its hours before the range."""
    out: list[tuple[int, float]] = []
    day, total = None, 0.0
    for p, value in points(store, account, m, bucket, resolution, day_of(start, tz), end):
        midnight = day_of(p, tz)
        if midnight != day:
            day, total = midnight, 0.0
        total += value
        if p >= start:
            out.append((p, total))
    return out


SPARK_SPAN = "the last 24 h"
RECENT_SPAN = "the last hour's probe runs"


def sparkline(
    store: Store, account: str, metric: str, bucket: str = ACCOUNT, now: float | None = None
) -> list[float]:
    """The hourly values of the last 24 hours, oldest first, hours without data
    left out: the Metrics pane's cards. A few indexed queries. For a ``today``
    metric each bar is its hour's own count (the shape of the day's traffic),
    not the running total that the card's figure and `series` give."""
    m = check(metric)
    end = int(store.clock() if now is None else now)
    start = floor(end, HOUR) - 23 * HOUR
    return [v for _, v in points(store, account, m, bucket, "hour", start, end)]


def sparklines(
    store: Store,
    account: str,
    metrics: Sequence[str],
    bucket: str = ACCOUNT,
    now: float | None = None,
) -> dict[str, list[float]]:
    """`sparkline` of each of `metrics`, for all the cards at once: the hourly
    rollups of every card's series in one query, the raw samples after the
    watermark in two, each mean and p95 from its hourly spreads (`_spread`).
    The same figures as a `sparkline` each, in a third of the queries."""
    end = int(store.clock() if now is None else now)
    start = floor(end, HOUR) - 23 * HOUR
    asked = [check(name) for name in metrics]
    store.bound()
    out = {
        m.name: [v for _, v in _spread(store, account, m, bucket, start, end)]
        for m in asked
        if m.calc in ("mean", "p95")
    }
    plain = [m for m in asked if m.name not in out]
    if not plain:
        return out
    mark = state.get(store, state.ROLLUP_FROM)
    raw_from = start if mark is None else max(start, min(int(mark), end + 1))
    periods: dict[str, Periods] = {m.name: defaultdict(dict) for m in plain}
    readers: dict[str, list[Metric]] = defaultdict(list)  # series → the metrics reading it
    for m in plain:
        for name in m.reads:
            readers[name].append(m)
    series = sorted(readers)
    hourly = (
        store.rows(
            "SELECT ts, metric, count, sum, last FROM sample_hourly WHERE account = ? "
            f"AND metric IN ({marks(series)}) AND bucket = ? AND ts >= ? AND ts < ?",
            (account, *series, bucket, start, raw_from),
        )
        if start < raw_from
        else []
    )
    for ts, metric, count, total, last in hourly:
        for m in readers[metric]:
            if m.calc == "last":
                _newest(periods[m.name], int(ts), metric, float(last), (int(ts), 0))
            else:
                _add(periods[m.name], int(ts), metric, float(total or 0.0), int(count or 0))
    gauges = [m for m in plain if m.calc == "last"]
    counters = [m for m in plain if m.calc != "last"]
    if gauges and raw_from <= end:
        read = sorted({s for m in gauges for s in m.reads})
        for ts, sid, metric, value in store.rows(
            "SELECT ts, id, metric, value FROM sample WHERE account = ? "
            f"AND metric IN ({marks(read)}) AND bucket = ? AND ts >= ? AND ts <= ?",
            (account, *read, bucket, raw_from, end),
        ):
            for m in readers[metric]:
                if m.calc == "last":
                    _newest(periods[m.name], ts - ts % HOUR, metric, float(value), (ts, sid))
    if counters and raw_from <= end:
        read = sorted({s for m in counters for s in m.reads})
        for period, metric, total, count in store.rows(
            f"SELECT (ts / {HOUR}) * {HOUR} AS p, metric, SUM(value), COUNT(*) FROM sample "
            f"WHERE account = ? AND metric IN ({marks(read)}) AND bucket = ? "
            "AND ts >= ? AND ts <= ? GROUP BY p, metric",
            (account, *read, bucket, raw_from, end),
        ):
            for m in readers[metric]:
                if m.calc != "last":
                    _add(periods[m.name], int(period), metric, float(total or 0.0), int(count))
    for m in plain:
        got = periods[m.name]
        out[m.name] = [v for p in sorted(got) if (v := _value(m, got[p])) is not None]
    return out


def recent_runs(
    store: Store, account: str, metric: str, bucket: str = ACCOUNT, now: float | None = None
) -> list[float]:
    """Each probe run of the last hour, oldest first: the line of a latency card
    (mean, p95) before two hours of probes have made two hourly points. Other
    metrics: [] (their samples are hourly already)."""
    m = check(metric)
    if m.calc not in ("mean", "p95"):
        return []
    end = int(store.clock() if now is None else now)
    return [v for _, v in points(store, account, m, bucket, "raw", end - HOUR, end)]


def points(
    store: Store, account: str, m: Metric, bucket: str, resolution: str, start: int, end: int
) -> list[tuple[int, float]]:
    """(period start, value) for periods starting in [start, end], at `resolution`."""
    store.bound()
    if m.calc in ("mean", "p95") and resolution == "hour":
        return _spread(store, account, m, bucket, start, end)
    buckets = _scope(store, account, m, bucket)
    if m.calc == "p95":
        return _percentiles(store, account, m, buckets, resolution, start, end)
    periods = _periods(store, account, m, buckets, resolution, start, end)
    out = []
    for p in sorted(periods):
        value = _value(m, periods[p])
        if value is not None:
            out.append((p, value))
    return out


def totals(
    store: Store,
    account: str,
    series: Sequence[str],
    bucket: str = ACCOUNT,
    start: int = 0,
    end: int | None = None,
) -> dict[str, float]:
    """Each of `series` summed over its samples from `start` (a UTC midnight)
    to `end` (None: all the newer ones), series without any left out. Whole UTC
    days come from the daily rollups, the hours of the watermark's day before it
    from the hourly ones, and the raw samples from the `ROLLUP_FROM` watermark
    on: the raw purge takes nothing from the sums, and no sample counts twice.
    Four queries whatever the range."""
    if start % DAY:
        raise ValueError(f"totals start at a UTC midnight, not at {start}")
    store.bound()
    m = Metric("+".join(series), "", "sum", "", "", series=tuple(series))
    got: dict[str, float] = defaultdict(float)
    for aggs in _periods(store, account, m, [bucket], "day", start, end).values():
        for name, agg in aggs.items():
            got[name] += agg.sum
    return dict(got)


def _periods(
    store: Store,
    account: str,
    m: Metric,
    buckets: list[str] | None,
    resolution: str,
    start: int,
    end: int | None,
) -> Periods:
    """`m`'s series aggregated per period from `start` to `end` (None: no end):
    the rollups before the watermark, raw samples from it on."""
    size = PERIOD.get(resolution, 0)
    periods: Periods = defaultdict(dict)
    raw_from = start
    if resolution != "raw":
        mark = state.get(store, state.ROLLUP_FROM)
        # Rollups up to the watermark; raw samples from it on, aggregated alike.
        if mark is not None:
            raw_from = max(start, int(mark) if end is None else min(int(mark), end + 1))
        if resolution == "day":
            day = floor(raw_from, DAY)
            _rollups(store, periods, SampleDaily, account, m, buckets, start, day, DAY)
            _rollups(
                store, periods, SampleHourly, account, m, buckets, max(start, day), raw_from, DAY
            )
        else:
            _rollups(store, periods, SampleHourly, account, m, buckets, start, raw_from, HOUR)
    _raw(store, periods, account, m, buckets, raw_from, end, size)
    return periods


def _spread(
    store: Store, account: str, m: Metric, bucket: str, start: int, end: int
) -> list[tuple[int, float]]:
    """A mean or p95 by the hour, of one bucket's series together or, for the
    account, of every bucket's. The rolled-up hours come from `spread_hourly`,
    a row an hour (the rollup job summed and ranked them); the hours from the
    `ROLLUP_FROM` watermark on are summed, or ranked hour by hour, by the store
    from the raw samples (an hour or so, with the rollup job every 15 minutes).
    The same figures as adding up every series' hourly rows (and for the
    account, every bucket's) and ranking every raw sample, which at a thousand
    buckets takes seconds. A p95's last hour, cut at `end`, is ranked from the
    raw samples up to `end`, as before."""
    mark = state.get(store, state.ROLLUP_FROM)
    raw_from = start if mark is None else max(start, min(int(mark), end + 1))
    if m.calc == "p95":
        raw_from = min(raw_from, floor(end + 1, HOUR))
    kept = state.get(store, RAW_KEPT_FROM)
    out: dict[int, float] = {}
    rows = store.rows(
        "SELECT ts, count, sum, p95 FROM spread_hourly WHERE account = ? AND metric = ? "
        "AND bucket = ? AND ts >= ? AND ts < ?",
        (account, m.name, bucket, start, raw_from),
    )
    for ts, count, total, ranked in rows:
        if m.calc == "mean" and count:
            out[int(ts)] = float(total) / int(count)
        elif m.calc == "p95" and ranked is not None and (kept is None or ts >= kept):
            out[int(ts)] = float(ranked)
    if raw_from > end:
        return sorted(out.items())
    one = None if bucket == ACCOUNT else bucket  # the account: every bucket's samples
    if m.calc == "p95" and end - raw_from > RANK_HOURS * HOUR:
        # Many hours not rolled up (a store the rollup job has not run on): one
        # read of their samples costs less than ranking hour by hour.
        lo = raw_from if kept is None else max(raw_from, kept)
        values: dict[int, list[float]] = defaultdict(list)
        for ts, value in cast(
            "Iterable[tuple[int, float]]",
            Sample.select(Sample.ts, Sample.value)
            .where(*_where(Sample, account, m, None if one is None else [one], lo, end, True))
            .tuples(),
        ):
            values[ts - ts % HOUR].append(float(value))
        out |= {h: p95(v) for h, v in values.items()}
        return sorted(out.items())
    one_bucket = "" if one is None else " AND bucket = ?"
    hours = store.rows(
        f"SELECT (ts / {HOUR}) * {HOUR} AS p, SUM(value), COUNT(*) FROM sample "
        f"WHERE account = ? AND metric IN ({marks(m.reads)}) AND ts >= ? AND ts <= ?"
        f"{one_bucket} GROUP BY p",
        (account, *m.reads, raw_from, end, *([] if one is None else [one])),
    )
    for period, summed, n in hours:
        if m.calc == "mean":
            out[int(period)] = float(summed or 0.0) / int(n)
        elif kept is None or period >= kept:
            hour = int(period)
            # The hour's samples were just counted: its rank needs no second count.
            start, stop = max(hour, raw_from), min(hour + HOUR, end + 1)
            top = ranked_p95(store, account, m.reads, start, stop, one, count=int(n))
            if top is not None:
                out[hour] = top
    return sorted(out.items())


# The hours after the rollup watermark a p95 ranks in the store, one query each;
# more are read and ranked here.
RANK_HOURS = 3


def _scope(store: Store, account: str, m: Metric, bucket: str) -> list[str]:
    """Which buckets' series to read. The account's mean and p95 span every
    bucket's probes; listing them lets the (account, metric, bucket, ts) index
    seek each series' range instead of walking the metric's whole history."""
    if bucket != ACCOUNT or m.calc not in ("mean", "p95"):
        return [bucket]
    return series_buckets(store, account, m.reads)


def _where(
    model: type[Sample] | type[SampleHourly] | type[SampleDaily],
    account: str,
    m: Metric,
    buckets: list[str] | None,
    lo: int,
    hi: int | None,
    closed: bool = False,
) -> list[Expression]:
    cond = [model.account == account, model.metric.in_(list(m.reads)), model.ts >= lo]
    if hi is not None:  # None: no end
        cond.append(model.ts <= hi if closed else model.ts < hi)
    if buckets is not None:
        cond.append(model.bucket == buckets[0] if len(buckets) == 1 else model.bucket.in_(buckets))
    return cond


def _period_of(ts: int, size: int) -> int:
    return ts if size == 0 else ts - ts % size


def _rollups(
    store: Store,
    periods: Periods,
    model: type[SampleHourly] | type[SampleDaily],
    account: str,
    m: Metric,
    buckets: list[str] | None,
    lo: int,
    hi: int,
    size: int,
) -> None:
    if lo >= hi:
        return
    where = _where(model, account, m, buckets, lo, hi)
    if m.calc == "last":
        newest = cast(
            "Iterable[tuple[int, str, float]]",
            model.select(model.ts, model.metric, model.last).where(*where).tuples(),
        )
        for ts, metric, last in newest:
            _newest(periods, _period_of(ts, size), metric, float(last), (ts, 0))
        return
    # Sums and counts add across buckets and, for days, across hours.
    p = (model.ts / size) * size
    rows = cast(
        "Iterable[tuple[int, str, float | None, int | None]]",
        model.select(p, model.metric, fn.SUM(model.sum), fn.SUM(model.count))
        .where(*where)
        .group_by(p, model.metric)
        .tuples(),
    )
    for period, metric, total, count in rows:
        _add(periods, int(period), metric, float(total or 0.0), int(count or 0))


def _raw(
    store: Store,
    periods: Periods,
    account: str,
    m: Metric,
    buckets: list[str] | None,
    lo: int,
    hi: int | None,
    size: int,
) -> None:
    if hi is not None and lo > hi:
        return
    where = _where(Sample, account, m, buckets, lo, hi, closed=True)
    if m.calc == "last":
        newest = cast(
            "Iterable[tuple[int, int, str, float]]",
            Sample.select(Sample.ts, Sample.id, Sample.metric, Sample.value).where(*where).tuples(),
        )
        for ts, sid, metric, value in newest:
            _newest(periods, _period_of(ts, size), metric, float(value), (ts, sid))
        return
    p = Sample.ts if size == 0 else (Sample.ts / size) * size
    rows = cast(
        "Iterable[tuple[int, str, float | None, int]]",
        Sample.select(p, Sample.metric, fn.SUM(Sample.value), fn.COUNT(SQL("*")))
        .where(*where)
        .group_by(p, Sample.metric)
        .tuples(),
    )
    for period, metric, total, count in rows:
        _add(periods, int(period), metric, float(total or 0.0), int(count))


def _add(periods: Periods, period: int, metric: str, total: float, count: int) -> None:
    agg = periods[period].setdefault(metric, _Agg())
    agg.sum += total
    agg.count += count


def _newest(periods: Periods, period: int, metric: str, value: float, at: tuple[int, int]) -> None:
    agg = periods[period].setdefault(metric, _Agg())
    agg.count += 1
    if at > agg.last_at:
        agg.last, agg.last_at = value, at


def _value(m: Metric, aggs: dict[str, _Agg]) -> float | None:
    present = {name: a for name, a in aggs.items() if a.count > 0}
    if not present:
        return None
    if m.calc == "last":
        # Analytics' series when the period holds one (as readings choose: per
        # storage class, as billed), else the newest; a tie (same rollup period)
        # goes to the series later in reads.
        name = max(
            present,
            key=lambda n: (series_source(n) == "analytics", present[n].last_at, m.reads.index(n)),
        )
        return present[name].last
    if m.calc in ("sum", "today"):
        return sum(a.sum for a in present.values())
    if m.calc == "ratio":
        num, den = (present.get(name) for name in m.reads[:2])
        if den is None or den.sum == 0:
            return None
        return 100.0 * (num.sum if num is not None else 0.0) / den.sum
    if m.calc == "mean":
        return sum(a.sum for a in present.values()) / sum(a.count for a in present.values())
    raise ValueError(f"metric {m.name}: unknown calc {m.calc!r}")


def _percentiles(
    store: Store,
    account: str,
    m: Metric,
    buckets: list[str] | None,
    resolution: str,
    start: int,
    end: int,
) -> list[tuple[int, float]]:
    size = PERIOD.get(resolution, 0)
    kept = state.get(store, RAW_KEPT_FROM)
    lo = start if kept is None else max(start, kept)
    values: dict[int, list[float]] = defaultdict(list)
    rows = cast(
        "Iterable[tuple[int, float]]",
        Sample.select(Sample.ts, Sample.value)
        .where(*_where(Sample, account, m, buckets, lo, end, closed=True))
        .tuples(),
    )
    for ts, value in rows:
        values[_period_of(ts, size)].append(float(value))
    # A period that began before the raw horizon lost some of its samples.
    return [(p, p95(v)) for p, v in sorted(values.items()) if kept is None or p >= kept]
