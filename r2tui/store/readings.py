"""Catalog metrics now, and over the previous equal window, for the account and
every bucket at once: a few grouped queries per metric, however many buckets.

Windows, by the metric's `calc` (see `r2tui.metrics`):

- ``sum``, ``ratio``: the last complete clock hour. Cloudflare's analytics
  count requests per hour; a partial hour would make a rate jump with every
  minute, and a prorated one would invent numbers. Previous: the hour before.
- ``today``: the hours of today in the configured time zone (`day_of`: from
  the hour holding midnight). Previous: yesterday up to the same time of day.
- ``mean``, ``p95``: the 60 minutes ending now (probes run every few minutes).
  Previous: the 60 minutes before.
- ``last``: the newest sample. Previous: the newest a day earlier. For a
  metric that reads a listing's series and analytics' (total_bytes,
  ia_bytes...), the reading says which one the value is (`Reading.series`).

A reading of Cloudflare's request counts is marked `sampled` when some of
the requests in its window were counted from a sample (adaptive sampling: the
counts are estimates, scaled up).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from peewee import JOIN, SQL, Expression, fn

from r2tui.metrics import ACCOUNT, DAY, HOUR, Metric, describe, series_source
from r2tui.store import state
from r2tui.store.db import Store
from r2tui.store.models import Sample, SeriesKey
from r2tui.store.views import Reading

Values = dict[str, float]  # bucket → value
# The probe samples of a window (`_Window`), cached by (series, start, end):
# mean and p95 read the same samples.
SpreadCache = dict[tuple[tuple[str, ...], int, int], "_Window"]


def day_start(now: float, tz: str = "UTC") -> int:
    """The start of the UTC hour holding midnight of `now`'s local day in `tz`.
    Which day an hour's counts belong to is `day_of`'s: use that for today."""
    zone = ZoneInfo(tz)
    local = datetime.fromtimestamp(now, zone)
    midnight = int(datetime(local.year, local.month, local.day, tzinfo=zone).timestamp())
    return midnight - midnight % HOUR


def day_of(ts: float, tz: str = "UTC") -> int:
    """The start of the day the hour holding `ts` counts in: the latest
    `day_start` at or before that hour. The one rule for today's figures (the
    card, history, the backtest). Counts are hourly: in a zone whose offset is
    not whole hours (Asia/Kolkata, UTC+5:30) the hour holding midnight (18:00 to
    19:00 UTC) is the new day's, so the day takes in the half hour before
    midnight rather than lose the half after it, and no hour counts in two days."""
    hour = int(ts) - int(ts) % HOUR
    return day_start(hour + HOUR - 1, tz)


def previous_day_of(ts: float, tz: str = "UTC") -> int:
    """The start of the day before `day_of(ts)`'s."""
    return day_of(day_of(ts, tz) - HOUR, tz)


def readings(
    store: Store,
    account: str,
    metrics: list[str],
    now: float,
    tz: str = "UTC",
    back: int = 0,
    buckets: Collection[str] | None = None,
) -> dict[str, dict[str, Reading]]:
    """bucket ("*" for the account) → metric → reading, for every bucket with data.

    `back`: the readings as they stood `back` seconds before `now` (a change
    rule's past), with the analytics stored as far as they were then: the
    stored windows' end moves back with the clock. Else an hour's count read at
    `now - back` would wait on the analytics as they stand at `now`, while the
    count at `now` does not: the two could read the same hour.

    `buckets`: only these ("*": the account), as they would read among all
    (the account's mean and p95 still take every bucket's samples); None: every
    bucket. A pane showing one bucket reads two series sets, not a thousand."""
    out: dict[str, dict[str, Reading]] = defaultdict(dict)
    cache: SpreadCache = {}  # mean and p95 read the same probe samples
    wanted = None if buckets is None else frozenset(buckets)
    known = _series_keys(
        store, account, {s for name in metrics for s in describe(name).reads}, wanted
    )
    stored_to = state.get(store, state.analytics_key(account))
    if back:
        now -= back
        stored_to = None if stored_to is None else stored_to - back
    for name in metrics:
        metric = describe(name)
        found = _evaluate(store, account, metric, now, tz, cache, known, stored_to, wanted)
        current, previous, at = found.values, found.previous, found.at
        for bucket, value in current.items():
            out[bucket][name] = Reading(
                name,
                value,
                previous.get(bucket),
                at.get(bucket),
                series=found.series.get(bucket),
                sampled=bucket in found.sampled,
            )
    return dict(out)


@dataclass
class _Found:
    values: Values
    previous: Values
    at: dict[str, int]
    series: dict[str, str] = field(default_factory=dict)  # bucket → the series read
    sampled: set[str] = field(default_factory=set)  # buckets whose figure is sampled


def reading(
    store: Store, account: str, metric: str, bucket: str, now: float, tz: str = "UTC"
) -> Reading:
    return (
        readings(store, account, [metric], now, tz, buckets=[bucket])
        .get(bucket, {})
        .get(metric, Reading(metric, None))
    )


def _evaluate(
    store: Store,
    account: str,
    m: Metric,
    now: float,
    tz: str,
    cache: SpreadCache,
    known: dict[str, set[str]],
    stored_to: int | None,
    wanted: frozenset[str] | None = None,
) -> _Found:
    t = int(now)
    hour = t - t % HOUR
    buckets = sorted(set().union(*(known.get(s, set()) for s in m.reads)))
    # The account's mean and p95 are every bucket's samples together: theirs as
    # read when every bucket is (False); the store's sums and ranks of them all
    # when some are, the account among them (True, `_whole`); none without it.
    whole = False if wanted is None else True if ACCOUNT in wanted else None
    spread = m.calc in ("mean", "p95")
    if not buckets and not (spread and whole):
        return _Found({}, {}, {})
    where = (Sample.account == account) & Sample.metric.in_(m.reads) & Sample.bucket.in_(buckets)
    if m.calc == "last":
        cur, at, series = _last(store, where, account, m.reads, buckets, t)
        prev, _, _ = _last(store, where, account, m.reads, buckets, t - DAY)
        return _Found(cur, prev, at, series if len(m.reads) > 1 else {})
    # Analytics hours are complete once the stored windows reach their end.
    done = (
        hour
        if m.source != "analytics" or stored_to is None
        else min(hour, stored_to - stored_to % HOUR)
    )
    if m.calc in ("sum", "ratio"):
        if m.calc == "sum":
            cur, at = _sums(store, where, done - HOUR, done)
            prev, _ = _sums(store, where, done - 2 * HOUR, done - HOUR)
        else:
            cur, at = _ratio(store, where, m.reads[0], done - HOUR, done)
            prev, _ = _ratio(store, where, m.reads[0], done - 2 * HOUR, done - HOUR)
        return _Found(
            cur, prev, at, sampled=_sampled(store, account, m, buckets, done - HOUR, done)
        )
    if m.calc == "today":
        cur, prev, at = _today(store, where, now, tz, hour, stored_to)
        return _Found(
            cur, prev, at, sampled=_sampled(store, account, m, buckets, day_of(now, tz), t + 1)
        )
    if spread:
        reads = (store, account, where, m.reads)
        cur, at = _spread(reads, t - HOUR, t + 1, m.calc, cache, whole)
        prev, _ = _spread(reads, t - 2 * HOUR, t - HOUR + 1, m.calc, cache, whole)
        return _Found(cur, prev, at)
    raise ValueError(f"metric {m.name}: unknown calc {m.calc!r}")


def _sampled(
    store: Store, account: str, m: Metric, buckets: list[str], start: int, end: int
) -> set[str]:
    """The buckets some of whose requests in [start, end) were counted from a
    sample: their figure of `m` is an estimate."""
    series = m.sampled_series
    if series is None:
        return set()
    where = (Sample.account == account) & (Sample.metric == series) & Sample.bucket.in_(buckets)
    values, _ = _sums(store, where, start, end)
    return {b for b, v in values.items() if v > 0}


def _today(
    store: Store, where: Expression, now: float, tz: str, hour: int, stored_to: int | None
) -> tuple[Values, Values, dict[str, int]]:
    """Today so far against yesterday up to the same time. Counts are hourly:
    today's current hour is partial, so yesterday's matching hour counts for
    the share of it that today's data covers."""
    t = int(now)
    cur, at = _sums(store, where, day_of(now, tz), t + 1)
    seen_to = t if stored_to is None else min(t, stored_to)
    share = min(1.0, max(0.0, (seen_to - hour) / HOUR))
    prev, _ = _sums(store, where, previous_day_of(now, tz), hour - DAY)
    partial, _ = _sums(store, where, hour - DAY, hour - DAY + HOUR)
    for bucket, value in partial.items():
        prev[bucket] = prev.get(bucket, 0.0) + share * value
    return cur, prev, at


def _series_keys(
    store: Store, account: str, series: set[str], buckets: frozenset[str] | None
) -> dict[str, set[str]]:
    """metric → the buckets that have samples of it, among `series` and `buckets`
    (None: every bucket)."""
    out: dict[str, set[str]] = defaultdict(set)
    query = SeriesKey.select(SeriesKey.metric, SeriesKey.bucket).where(
        SeriesKey.account == account, SeriesKey.metric.in_(sorted(series))
    )
    if buckets is not None:
        query = query.where(SeriesKey.bucket.in_(sorted(buckets)))
    for metric, bucket in store.fetch(query):
        out[metric].add(bucket)
    return out


def series_buckets(store: Store, account: str, series: tuple[str, ...]) -> list[str]:
    """The buckets (\"*\" included) that have samples of any of `series`."""
    store.bound()
    return [
        b
        for (b,) in store.fetch(
            SeriesKey.select(SeriesKey.bucket)
            .distinct()
            .where(SeriesKey.account == account, SeriesKey.metric.in_(series))
            .order_by(SeriesKey.bucket)
        )
    ]


def series_filter(store: Store, account: str, series: tuple[str, ...]) -> Expression:
    """Samples of `series` in the account, with their buckets spelled out: the
    index (account, metric, bucket, ts) then seeks each series' time range
    instead of walking all its samples."""
    store.bound()
    return (
        (Sample.account == account)
        & Sample.metric.in_(series)
        & Sample.bucket.in_(series_buckets(store, account, series))
    )


# Where the newest sample is looked for first: gauges are written hourly
# (analytics) or daily (the inventory), so a day and a bit holds them.
RECENT = DAY + 2 * HOUR


Newest = tuple[Values, dict[str, int], dict[str, str]]  # values, their times, their series


def _last(
    store: Store,
    where: Expression,
    account: str,
    reads: tuple[str, ...],
    buckets: list[str],
    until: int,
) -> Newest:
    """The newest sample at or before `until` per bucket, among all the series.
    Gauges are written at least daily, so the last day and a bit usually holds
    every bucket's newest sample: read it whole, which is cheaper than asking
    the store for each maximum. Buckets without a recent sample are looked up."""
    rows = store.fetch(
        Sample.select(Sample.bucket, Sample.ts, Sample.id, Sample.value, Sample.metric).where(
            where, Sample.ts <= until, Sample.ts > until - RECENT
        )
    )
    values, at, series = _newest(rows, prefer_analytics=True)
    missing = sorted(set(buckets) - set(values))
    if missing:
        older, older_at, older_series = _newest(
            [
                (b, ts, sid, v, m)
                for b, m, ts, sid, v in newest_samples(store, account, reads, missing, until)
            ]
        )
        values.update(older)
        at.update(older_at)
        series.update(older_series)
    return values, at, series


def _newest(rows: list[tuple[str, int, int, float, str]], prefer_analytics: bool = False) -> Newest:
    """Each bucket's newest sample among the series. With `prefer_analytics`, a
    storage metric read from both the listing and Cloudflare's analytics takes
    analytics' newest (hourly, per storage class, billed as such) whenever the
    rows hold one, even when a listing came after it: analytics when there is a
    token, the listing otherwise. Callers pass recent rows only."""
    best: dict[str, tuple[int, int, int, float, str]] = {}
    for bucket, ts, sid, value, metric in rows:
        rank = int(prefer_analytics and series_source(metric) == "analytics")
        if bucket not in best or (rank, ts, sid) > best[bucket][:3]:
            best[bucket] = (rank, ts, sid, value, metric)
    return (
        {b: v[3] for b, v in best.items()},
        {b: v[1] for b, v in best.items()},
        {b: v[4] for b, v in best.items()},
    )


def newest_samples(
    store: Store,
    account: str,
    series: Iterable[str],
    buckets: Iterable[str] | None,
    until: int,
    inclusive: bool = True,
) -> list[tuple[str, str, int, int, float]]:
    """(bucket, series, ts, id, value) of the newest sample at or before `until`
    (before it, when not `inclusive`) of each of `series` in `buckets` (None:
    every bucket that has them), every sample at that time when several share
    it. One query however many buckets: each series is looked up in
    `series_key`, and its newest time is one seek on the (account, metric,
    bucket, ts) index. The CROSS JOIN keeps that order on SQLite, whose planner
    would otherwise walk every sample of the account (PostgreSQL plans it the
    same way by itself)."""
    store.bound()
    k, t = SeriesKey, Sample.alias("newest")
    newest = t.select(fn.MAX(t.ts)).where(
        t.account == k.account,
        t.metric == k.metric,
        t.bucket == k.bucket,
        t.ts <= until if inclusive else t.ts < until,
    )
    query = (
        k.select(k.bucket, k.metric, Sample.ts, Sample.id, Sample.value)
        .join(Sample, JOIN.CROSS)
        .where(
            k.account == account,
            k.metric.in_(sorted(set(series))),
            Sample.account == k.account,
            Sample.metric == k.metric,
            Sample.bucket == k.bucket,
            Sample.ts == newest,
        )
    )
    if buckets is not None:
        query = query.where(k.bucket.in_(sorted(set(buckets))))
    return [
        (str(b), str(m), int(ts), int(sid), float(v)) for b, m, ts, sid, v in store.fetch(query)
    ]


def _sums(store: Store, where: Expression, start: int, end: int) -> tuple[Values, dict[str, int]]:
    rows = store.fetch(
        Sample.select(Sample.bucket, fn.SUM(Sample.value), fn.MAX(Sample.ts))
        .where(where, Sample.ts >= start, Sample.ts < end)
        .group_by(Sample.bucket)
    )
    values, at = {}, {}
    for bucket, total, ts in rows:
        values[bucket], at[bucket] = float(total or 0.0), int(ts)
    return values, at


def _ratio(
    store: Store, where: Expression, num_name: str, start: int, end: int
) -> tuple[Values, dict[str, int]]:
    rows = store.fetch(
        Sample.select(Sample.bucket, Sample.metric, fn.SUM(Sample.value), fn.MAX(Sample.ts))
        .where(where, Sample.ts >= start, Sample.ts < end)
        .group_by(Sample.bucket, Sample.metric)
    )
    num: Values = defaultdict(float)
    den: Values = {}
    at: dict[str, int] = {}
    for bucket, metric, total, ts in rows:
        if metric == num_name:
            num[bucket] += float(total or 0.0)
        else:
            den[bucket] = float(total or 0.0)
            at[bucket] = int(ts)
    # No requests means no rate, not a rate of zero.
    values = {b: 100.0 * num[b] / d for b, d in den.items() if d > 0}
    return values, {b: at[b] for b in values}


Reads = tuple[Store, str, Expression, tuple[str, ...]]  # store, account, where, series


def _spread(
    reads: Reads, start: int, end: int, calc: str, cache: SpreadCache, whole: bool | None
) -> tuple[Values, dict[str, int]]:
    """Each bucket's mean or p95 of the samples in [start, end), and the
    account's: every bucket's samples together. `whole` False: every bucket is
    read, and the account's figure is theirs together; True: some are, and the
    store counts, sums and ranks every bucket's samples for the account; None:
    the account is not read."""
    store, account, where, series = reads
    key = (series, start, end)
    if key not in cache:
        by_bucket: dict[str, list[float]] = defaultdict(list)
        at: dict[str, int] = {}
        for bucket, value, ts in store.fetch(
            Sample.select(Sample.bucket, Sample.value, Sample.ts).where(
                where, Sample.ts >= start, Sample.ts < end
            )
        ):
            by_bucket[bucket].append(value)
            if ts > at.get(bucket, 0):
                at[bucket] = ts
        if whole is not False:
            # The account's own samples (endpoint checks) count in its figure only.
            by_bucket.pop(ACCOUNT, None)
            at.pop(ACCOUNT, None)
            summed = _whole(store, account, series, start, end) if whole else None
            cache[key] = _Window(by_bucket, at, summed)
        else:
            # The account is every bucket's probes together, plus its own endpoint checks.
            every = [v for values in by_bucket.values() for v in values]
            if every:
                by_bucket[ACCOUNT] = every
                at[ACCOUNT] = max(at.values())
            cache[key] = _Window(by_bucket, at)
    window = cache[key]
    agg = _mean if calc == "mean" else p95
    values = {b: agg(v) for b, v in window.by_bucket.items()}
    at = dict(window.at)
    if window.whole is not None:
        count, total, newest = window.whole
        if calc == "mean":
            values[ACCOUNT] = total / count
        else:
            if window.ranked is None:
                window.ranked = ranked_p95(store, account, series, start, end)
            if window.ranked is not None:
                values[ACCOUNT] = window.ranked
        at[ACCOUNT] = newest
    return values, at


@dataclass
class _Window:
    """One window's samples of a mean's or p95's series: each bucket's values
    and newest time, and with only some buckets read, the account's count, sum
    and newest time over every bucket (None: no sample), and its p95 once read."""

    by_bucket: dict[str, list[float]]
    at: dict[str, int]
    whole: tuple[int, float, int] | None = None
    ranked: float | None = None


def _in_window(account: str, series: tuple[str, ...], start: int, end: int) -> list[Expression]:
    # No bucket named: the (account, metric, ts) index then reads every bucket's
    # samples of the window in one range per series.
    return [
        Sample.account == account,
        Sample.metric.in_(series),
        Sample.ts >= start,
        Sample.ts < end,
    ]


def _whole(
    store: Store, account: str, series: tuple[str, ...], start: int, end: int
) -> tuple[int, float, int] | None:
    """The count, sum and newest time of every bucket's samples of `series` in
    [start, end) (the account's own included), summed by the store."""
    count, total, newest = store.fetch(
        Sample.select(fn.COUNT(SQL("*")), fn.SUM(Sample.value), fn.MAX(Sample.ts)).where(
            *_in_window(account, series, start, end)
        )
    )[0]
    if not count:
        return None
    return int(count), float(total), int(newest)


def ranked_p95(
    store: Store, account: str, series: tuple[str, ...], start: int, end: int
) -> float | None:
    """`p95` of every bucket's samples of `series` in [start, end), ranked by the
    store: the nearest rank counted from the top (a few percent of the rows to
    keep while sorting, not all of them). The count is a subquery of the same
    statement, so both see the same samples. ceil(0.95 n) in integers:
    (95 n + 99) / 100."""
    inner = Sample.alias("counted")
    n = fn.COUNT(SQL("*"))
    above = inner.select(n - (n * 95 + 99) / 100).where(
        inner.account == account,
        inner.metric.in_(series),
        inner.ts >= start,
        inner.ts < end,
    )
    rows = store.fetch(
        Sample.select(Sample.value)
        .where(*_in_window(account, series, start, end))
        .order_by(Sample.value.desc())
        .limit(1)
        .offset(above)
    )
    return float(rows[0][0]) if rows else None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile: a value that was really observed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
