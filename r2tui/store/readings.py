"""Catalog metrics now, and over the previous equal window, for the account and
every bucket at once (or for the few buckets a pane shows): a few grouped
queries for all the metrics asked, however many buckets. They are plain SQL
(`Store.rows`): a pane refresh makes a few dozen.

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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from peewee import Expression

from r2tui.metrics import ACCOUNT, DAY, HOUR, PREFIX_SERIES, Metric, describe, series_source
from r2tui.store import state
from r2tui.store.db import Store
from r2tui.store.models import Sample
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
    prefix_scopes: Sequence[str] | None = None,
    buckets: Collection[str] | None = None,
) -> dict[str, dict[str, Reading]]:
    """bucket ("*" for the account) → metric → reading, for every bucket with data.

    `prefix_scopes`: for a metric kept per prefix, read only the series these
    scopes (alert rules', "bucket/prefix/" or a glob) may name, not the
    account's thousands (None: all of them). A reading may still fall outside
    a glob (a superset is read): `alerts.engine.targets` matches exactly.

    `back`: the readings as they stood `back` seconds before `now` (a change
    rule's past), with the analytics stored as far as they were then: the
    stored windows' end moves back with the clock. Else an hour's count read at
    `now - back` would wait on the analytics as they stand at `now`, while the
    count at `now` does not: the two could read the same hour.

    `buckets`: only these ("*": the account), as they would read among all
    (the account's mean and p95 still take every bucket's samples); None: every
    bucket. A pane showing one bucket reads two series sets, not a thousand.

    A few queries whatever the metrics: each window (the last hour, today,
    yesterday so far...) is read once for every metric that looks at it."""
    out: dict[str, dict[str, Reading]] = defaultdict(dict)
    wanted = None if buckets is None else frozenset(buckets)
    asked = [describe(name) for name in metrics]
    known = _series_keys(store, account, {s for m in asked for s in m.reads}, wanted, prefix_scopes)
    stored_to = state.get(store, state.analytics_key(account))
    if back:
        now -= back
        stored_to = None if stored_to is None else stored_to - back
    reader = _Reader(store, account, known, now, tz, stored_to, wanted, asked)
    for m in asked:
        found = reader.evaluate(m)
        current, previous, at = found.values, found.previous, found.at
        for bucket, value in current.items():
            out[bucket][m.name] = Reading(
                m.name,
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


Window = tuple[int, int]  # [start, end)
Sums = dict[tuple[str, str], tuple[float, int]]  # (bucket, series) → sum, newest time


class _Reader:
    """The metrics asked of one `readings` call, evaluated together: each time
    window's samples are read once, for every series and bucket any of the
    metrics needs there (`plan`), and each metric takes its own from them."""

    def __init__(
        self,
        store: Store,
        account: str,
        known: dict[str, set[str]],
        now: float,
        tz: str,
        stored_to: int | None,
        wanted: frozenset[str] | None,
        metrics: list[Metric],
    ) -> None:
        self.store, self.account, self.known = store, account, known
        self.now, self.t, self.tz, self.stored_to = now, int(now), tz, stored_to
        self.hour = self.t - self.t % HOUR
        # The account's mean and p95 are every bucket's samples together: theirs
        # as read when every bucket is (False); the store's sums and ranks of them
        # all when some are, the account among them (True, `_whole`); none
        # without it.
        self.whole = False if wanted is None else True if ACCOUNT in wanted else None
        self.spreads: SpreadCache = {}  # mean and p95 read the same probe samples
        self.to_sum: dict[Window, tuple[set[str], set[str]]] = {}  # series, buckets
        self.sums: dict[Window, Sums] = {}
        self.gauges: tuple[set[str], set[str]] = (set(), set())  # series, buckets
        self.newest: dict[int, dict[str, Newest]] = {}  # until → metric → newest
        self.metrics = metrics
        for m in metrics:
            self._plan(m)

    def buckets(self, m: Metric) -> list[str]:
        return sorted(set().union(*(self.known.get(s, set()) for s in m.reads)))

    def done(self, m: Metric) -> int:
        """The end of the last hour of `m`'s counts: analytics hours are complete
        once the stored windows reach their end."""
        if m.source != "analytics" or self.stored_to is None:
            return self.hour
        return min(self.hour, self.stored_to - self.stored_to % HOUR)

    def windows(self, m: Metric) -> tuple[Window, ...]:
        """A counter's windows: now, before, (today: the hour a day ago) and
        where its sampled requests are counted, in that order."""
        if m.calc in ("sum", "ratio"):
            done = self.done(m)
            return (done - HOUR, done), (done - 2 * HOUR, done - HOUR), (done - HOUR, done)
        today = (day_of(self.now, self.tz), self.t + 1)
        yesterday = (previous_day_of(self.now, self.tz), self.hour - DAY)
        return today, yesterday, (self.hour - DAY, self.hour - DAY + HOUR), today

    def _plan(self, m: Metric) -> None:
        buckets = self.buckets(m)
        if not buckets:
            return
        if m.calc == "last":
            self.gauges[0].update(m.reads)
            self.gauges[1].update(buckets)
        elif m.calc in ("sum", "ratio", "today"):
            *counted, sampled = self.windows(m)
            for window in counted:
                self._need(window, m.reads, buckets)
            if m.sampled_series is not None:
                self._need(sampled, (m.sampled_series,), buckets)

    def _need(self, window: Window, series: Iterable[str], buckets: list[str]) -> None:
        want = self.to_sum.setdefault(window, (set(), set()))
        want[0].update(series)
        want[1].update(buckets)

    def summed(self, window: Window) -> Sums:
        """Each (bucket, series)'s sum and newest time in the window, for every
        metric that counts there: one grouped query."""
        if window not in self.sums:
            series, buckets = self.to_sum[window]
            start, end = window
            self.sums[window] = {
                (bucket, metric): (float(total or 0.0), int(ts))
                for bucket, metric, total, ts in self.store.rows(
                    "SELECT bucket, metric, SUM(value), MAX(ts) FROM sample WHERE account = ? "
                    f"AND metric IN ({marks(series)}) AND bucket IN ({marks(buckets)}) "
                    "AND ts >= ? AND ts < ? GROUP BY bucket, metric",
                    (self.account, *sorted(series), *sorted(buckets), start, end),
                )
            }
        return self.sums[window]

    def evaluate(self, m: Metric) -> _Found:
        buckets = self.buckets(m)
        spread = m.calc in ("mean", "p95")
        if not buckets and not (spread and self.whole):
            return _Found({}, {}, {})
        t = self.t
        if m.calc == "last":
            cur, at, series = self.last(t)[m.name]
            prev, _, _ = self.last(t - DAY)[m.name]
            return _Found(cur, prev, at, series if len(m.reads) > 1 else {})
        if m.calc in ("sum", "ratio", "today"):
            return self._counted(m, buckets)
        if spread:
            reads = (self.store, self.account, buckets, m.reads)
            cur, at = _spread(reads, t - HOUR, t + 1, m.calc, self.spreads, self.whole)
            prev, _ = _spread(reads, t - 2 * HOUR, t - HOUR + 1, m.calc, self.spreads, self.whole)
            return _Found(cur, prev, at)
        raise ValueError(f"metric {m.name}: unknown calc {m.calc!r}")

    def _counted(self, m: Metric, buckets: list[str]) -> _Found:
        *counted, sampled_in = self.windows(m)
        now, before = counted[0], counted[1]
        if m.calc == "sum":
            cur, at = _sums(self.summed(now), m.reads)
            prev, _ = _sums(self.summed(before), m.reads)
        elif m.calc == "ratio":
            cur, at = _ratio(self.summed(now), m.reads)
            prev, _ = _ratio(self.summed(before), m.reads)
        else:
            # Today so far against yesterday up to the same time. Counts are
            # hourly: today's current hour is partial, so yesterday's matching
            # hour counts for the share of it that today's data covers.
            cur, at = _sums(self.summed(now), m.reads)
            prev, _ = _sums(self.summed(before), m.reads)
            partial, _ = _sums(self.summed(counted[2]), m.reads)
            seen_to = self.t if self.stored_to is None else min(self.t, self.stored_to)
            share = min(1.0, max(0.0, (seen_to - self.hour) / HOUR))
            for bucket, value in partial.items():
                prev[bucket] = prev.get(bucket, 0.0) + share * value
        sampled: set[str] = set()
        if m.sampled_series is not None:
            # The buckets some of whose requests in the window were counted from a
            # sample: their figure of `m` is an estimate.
            counts, _ = _sums(self.summed(sampled_in), (m.sampled_series,))
            sampled = {b for b, v in counts.items() if v > 0 and b in buckets}
        return _Found(cur, prev, at, sampled=sampled)

    def last(self, until: int) -> dict[str, Newest]:
        """Each gauge's newest sample at or before `until` per bucket, among its
        series, for every gauge asked. Gauges are written at least daily, so the
        last day and a bit usually holds every bucket's newest sample: read it
        whole (once for every gauge), which is cheaper than asking the store for
        each maximum. Buckets without a recent sample are looked up, once for
        every gauge that has some."""
        if until in self.newest:
            return self.newest[until]
        series, buckets = self.gauges
        rows = self.store.rows(
            "SELECT bucket, ts, id, value, metric FROM sample WHERE account = ? "
            f"AND metric IN ({marks(series)}) AND bucket IN ({marks(buckets)}) "
            "AND ts <= ? AND ts > ?",
            (self.account, *sorted(series), *sorted(buckets), until, until - RECENT),
        )
        by_series: dict[str, list[tuple[str, int, int, float, str]]] = defaultdict(list)
        for row in rows:
            by_series[row[4]].append(row)
        got: dict[str, Newest] = {}
        missing: dict[str, list[str]] = {}
        for m in self.metrics:
            if m.calc != "last" or m.name in got:
                continue
            mine = [row for s in m.reads for row in by_series.get(s, ())]
            got[m.name] = _newest(mine, prefer_analytics=True)
            missing[m.name] = sorted(set(self.buckets(m)) - set(got[m.name][0]))
        lacking = [m for m in self.metrics if missing.get(m.name)]
        if lacking:
            older = newest_samples(
                self.store,
                self.account,
                {s for m in lacking for s in m.reads},
                {b for m in lacking for b in missing[m.name]},
                until,
            )
            for m in lacking:
                gone = set(missing[m.name])
                values, at, which = got[m.name]
                found = _newest(
                    [(b, ts, sid, v, s) for b, s, ts, sid, v in older if s in m.reads and b in gone]
                )
                values.update(found[0])
                at.update(found[1])
                which.update(found[2])
        self.newest[until] = got
        return got


def _series_keys(
    store: Store,
    account: str,
    series: set[str],
    buckets: frozenset[str] | None,
    prefix_scopes: Sequence[str] | None = None,
) -> dict[str, set[str]]:
    """metric → the buckets that have samples of it, among `series` and `buckets`
    (None: every bucket); a prefix series only within `prefix_scopes` when given
    (an account's prefixes bring thousands of series)."""
    out: dict[str, set[str]] = defaultdict(set)
    prefixed = {s for s in series if s in PREFIX_SERIES}
    plain = series if prefix_scopes is None else series - prefixed
    sql = f"SELECT metric, bucket FROM series_key WHERE account = ? AND (metric IN ({marks(plain)})"
    params: list[object] = [account, *sorted(plain)]
    if prefixed and prefix_scopes:
        within, scoped = _within(prefix_scopes)
        sql += f" OR (metric IN ({marks(prefixed)}) AND ({within}))"
        params += [*sorted(prefixed), *scoped]
    sql += ")"
    if buckets is not None:
        sql += f" AND bucket IN ({marks(buckets)})"
        params += sorted(buckets)
    for metric, bucket in store.rows(sql, params):
        out[metric].add(bucket)
    return out


_LIKE_ESCAPE = "!"


def _within(scopes: Sequence[str]) -> tuple[str, list[str]]:
    """SQL (with its parameters) for the series names `scopes` may match: an exact
    name, or for a glob every name starting with its part before the first
    wildcard (LIKE's own `%`, `_` escaped; SQLite's LIKE ignores ASCII case, a
    superset all the same)."""
    exact = sorted({s for s in scopes if not any(c in s for c in "*?[")})
    parts, params = [f"bucket IN ({marks(exact)})"], list(exact)
    for scope in sorted(set(scopes) - set(exact)):
        head = scope[: min(scope.index(c) for c in "*?[" if c in scope)]
        parts.append(f"bucket LIKE ? ESCAPE '{_LIKE_ESCAPE}'")
        params.append("".join(_LIKE_ESCAPE + c if c in "%_!" else c for c in head) + "%")
    return " OR ".join(parts), params


def series_buckets(store: Store, account: str, series: tuple[str, ...]) -> list[str]:
    """The buckets (\"*\" included) that have samples of any of `series`."""
    store.bound()
    return [
        b
        for (b,) in store.rows(
            "SELECT DISTINCT bucket FROM series_key WHERE account = ? "
            f"AND metric IN ({marks(series)}) ORDER BY bucket",
            (account, *series),
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
    sql = (
        "SELECT k.bucket, k.metric, s.ts, s.id, s.value FROM series_key k CROSS JOIN sample s "
        f"WHERE k.account = ? AND k.metric IN ({marks(series := sorted(set(series)))}) "
        "AND s.account = k.account AND s.metric = k.metric AND s.bucket = k.bucket "
        "AND s.ts = (SELECT MAX(n.ts) FROM sample n WHERE n.account = k.account "
        f"AND n.metric = k.metric AND n.bucket = k.bucket AND n.ts {'<=' if inclusive else '<'} ?)"
    )
    params: list[object] = [account, *series, until]
    if buckets is not None:
        sql += f" AND k.bucket IN ({marks(wanted := sorted(set(buckets)))})"
        params += wanted
    return [
        (str(b), str(m), int(ts), int(sid), float(v))
        for b, m, ts, sid, v in store.rows(sql, params)
    ]


def _sums(sums: Sums, series: tuple[str, ...]) -> tuple[Values, dict[str, int]]:
    """Each bucket's sum of `series` and its newest time, from a window's sums."""
    values: Values = {}
    at: dict[str, int] = {}
    for (bucket, metric), (total, ts) in sums.items():
        if metric in series:
            values[bucket] = values.get(bucket, 0.0) + total
            at[bucket] = max(at.get(bucket, ts), ts)
    return values, at


def _ratio(sums: Sums, series: tuple[str, ...]) -> tuple[Values, dict[str, int]]:
    """100 x series[0] over series[1]; the newest time is the denominator's."""
    num: Values = defaultdict(float)
    den: Values = {}
    at: dict[str, int] = {}
    for (bucket, metric), (total, ts) in sums.items():
        if metric == series[0]:
            num[bucket] += total
        elif metric in series:
            den[bucket] = total
            at[bucket] = ts
    # No requests means no rate, not a rate of zero.
    values = {b: 100.0 * num[b] / d for b, d in den.items() if d > 0}
    return values, {b: at[b] for b in values}


Reads = tuple[Store, str, list[str], tuple[str, ...]]  # store, account, buckets, series


def _spread(
    reads: Reads, start: int, end: int, calc: str, cache: SpreadCache, whole: bool | None
) -> tuple[Values, dict[str, int]]:
    """Each bucket's mean or p95 of the samples in [start, end), and the
    account's: every bucket's samples together. `whole` False: every bucket is
    read, and the account's figure is theirs together; True: some are, and the
    store counts, sums and ranks every bucket's samples for the account; None:
    the account is not read."""
    store, account, buckets, series = reads
    key = (series, start, end)
    if key not in cache:
        by_bucket: dict[str, list[float]] = defaultdict(list)
        at: dict[str, int] = {}
        for bucket, value, ts in store.rows(
            "SELECT bucket, value, ts FROM sample WHERE account = ? "
            f"AND metric IN ({marks(series)}) AND bucket IN ({marks(buckets)}) "
            "AND ts >= ? AND ts < ?",
            (account, *series, *buckets, start, end),
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
                window.ranked = ranked_p95(store, account, series, start, end, count=count)
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


def _whole(
    store: Store, account: str, series: tuple[str, ...], start: int, end: int
) -> tuple[int, float, int] | None:
    """The count, sum and newest time of every bucket's samples of `series` in
    [start, end) (the account's own included), summed by the store. No bucket
    named: the (account, metric, ts) index reads every bucket's samples of the
    window in one range per series."""
    count, total, newest = store.rows(
        "SELECT COUNT(*), SUM(value), MAX(ts) FROM sample WHERE account = ? "
        f"AND metric IN ({marks(series)}) AND ts >= ? AND ts < ?",
        (account, *series, start, end),
    )[0]
    if not count:
        return None
    return int(count), float(total), int(newest)


def ranked_p95(
    store: Store,
    account: str,
    series: tuple[str, ...],
    start: int,
    end: int,
    bucket: str | None = None,
    count: int | None = None,
) -> float | None:
    """`p95` of every bucket's samples of `series` in [start, end) (or of
    `bucket`'s only), ranked by the store: the nearest rank counted from the
    top (a few percent of the rows to keep while sorting, not all of them). The
    count is a subquery of the same statement, so both see the same samples,
    unless the caller has just counted them (`count`: the dashboard's mean of
    the same window did), which spares a second walk over them.
    ceil(0.95 n) in integers: (95 n + 99) / 100."""
    where = f"account = ? AND metric IN ({marks(series)}) AND ts >= ? AND ts < ?"
    params: list[object] = [account, *series, start, end]
    if bucket is not None:
        where += " AND bucket = ?"
        params.append(bucket)
    if count is not None:
        rows = store.rows(
            f"SELECT value FROM sample WHERE {where} ORDER BY value DESC LIMIT 1 OFFSET ?",
            [*params, count - (count * 95 + 99) // 100],
        )
        return float(rows[0][0]) if rows else None
    rows = store.rows(
        f"SELECT value FROM sample WHERE {where} ORDER BY value DESC LIMIT 1 "
        f"OFFSET (SELECT COUNT(*) - (COUNT(*) * 95 + 99) / 100 FROM sample WHERE {where})",
        params + params,
    )
    return float(rows[0][0]) if rows else None


def marks(values: Collection[object]) -> str:
    """One `?` per value, for `IN (...)` in `Store.rows`' SQL; NULL (nothing
    matches) for none: PostgreSQL refuses `IN ()`."""
    return ", ".join("?" * len(values)) or "NULL"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile: a value that was really observed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
