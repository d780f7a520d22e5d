"""Stored history replayed as `check_alerts` read it: the backtest.

The engine evaluates every rule at its cadence (every minute by default) on
`store.readings`: the newest sample of a gauge, the last full hour of a
counter, today so far, the mean or p95 of the last 60 minutes. Here the same
figures come from one read of the stored samples, as a step function per
bucket: the value `readings` gives at any time between two steps is the
earlier step's. `r2tui.alerts.states.replay` then steps each alert at the
engine's cadence over it, so `for`, keep-firing-for and missing data behave
as they did live, and a burst shorter than an hour still fires.

Raw samples are read where they are kept; before the raw horizon
(`RAW_KEPT_FROM`) the hourly rollups stand in for them, each hour's figure
held from the hour's start (a count per hour is then exact; a gauge's and a
mean's are the hour's last and mean, a p95 is unknown).

Cloudflare's hourly counts count, as in `readings`, from when the analytics
job has stored the hour whole: its windows end `ANALYTICS_LAG` before each
run, so with `collects` (collect_metrics' cadence) an hour counts from the
first run that long after its end, as it did live; without it, only the
stored windows' end as it is now holds back the newest hours.

A change rule compares the value at `t` with the value `readings` gave at
`t - window` with the analytics stored as far as they were then: both from
the same stored entries."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from r2tui.alerts.rules import Rule
from r2tui.alerts.states import Firing, replay
from r2tui.metrics import ACCOUNT, ANALYTICS_LAG, CATALOG, DAY, HOUR, Metric, series_source
from r2tui.store import state
from r2tui.store.db import Store
from r2tui.store.models import Sample, SampleHourly
from r2tui.store.readings import RECENT, day_of, newest_samples, p95
from r2tui.store.rollups import RAW_KEPT_FROM

Steps = list[tuple[int, float | None]]  # (from when, value), oldest first


@dataclass(frozen=True)
class _Entry:
    """A stored sample, or an hour's rollup standing in for its samples."""

    ts: int
    sid: int  # insertion order (rollups: -1, older than any sample of their time)
    series: str
    value: float  # a sample's value; a rollup's last
    total: float  # a sample's value; a rollup's sum
    count: int  # 1; a rollup's count


@dataclass(frozen=True)
class BucketReplay:
    bucket: str
    firings: list[Firing]
    entries: int  # stored samples (or rollup hours) read


Cadence = int | Sequence[int]  # every so many seconds (on multiples), or the times


def eval_times(start: int, end: int, every: int) -> range:
    """check_alerts' times in [start, end]: every `every` seconds, on multiples."""
    first = -(-start // every) * every
    return range(first, end + 1, every)


def _times(cadence: Cadence, start: int, end: int) -> Sequence[int]:
    if isinstance(cadence, int):
        return eval_times(start, end, cadence)
    return [t for t in sorted(cadence) if start <= t <= end]


def backtest(
    store: Store,
    rule: Rule,
    account: str,
    buckets: Sequence[str],
    start: int,
    end: int,
    every: Cadence = 60,
    tz: str = "UTC",
    collects: Cadence | None = None,
) -> list[BucketReplay]:
    """How `rule` would have fired for each of `buckets` ("*": the account),
    evaluated over [start, end] on the stored history: every `every` seconds,
    or at the times given (a cron schedule's). `collects`: when collect_metrics
    ran (seconds, or the times, from before `start` less the rule's window and
    two hours), for when each hour's analytics were stored."""
    times = _times(every, start, end)
    if not times:
        return []
    m = CATALOG[rule.metric]
    lo = start - rule.window if rule.is_change else start
    ran = None if collects is None else _times(collects, lo - 2 * HOUR, end)
    history = _History(store, account, m, list(buckets), lo, end, tz, ran)
    out = []
    for bucket in buckets:
        steps = history.steps(bucket, start, end)
        if rule.is_change:
            steps = changes(rule, steps, history.steps(bucket, start, end, rule.window), start)
        out.append(BucketReplay(bucket, replay(rule, steps, times), history.seen(bucket)))
    return out


def changes(rule: Rule, now: Steps, past: Steps, start: int) -> Steps:
    """A change rule's value from `start` on: the change from what `readings`
    gave `window` ago (`past`, stepped at the times it was read back) to now."""
    now_at, past_at = _lookup(now), _lookup(past)
    points = sorted({start} | {t for t, _ in (*now, *past) if t >= start})
    return _compress((t, rule.change_of(now_at(t), past_at(t))) for t in points)


def _lookup(steps: Steps) -> Callable[[int], float | None]:
    times = [t for t, _ in steps]

    def at(t: int) -> float | None:
        i = bisect_right(times, t) - 1
        return steps[i][1] if i >= 0 else None

    return at


def _compress(points: Iterable[tuple[int, float | None]]) -> Steps:
    out: Steps = []
    for t, v in points:
        if not out or out[-1][1] != v:
            out.append((t, v))
    return out


class _History:
    """One metric's stored entries for some buckets, and the value `readings`
    gives for any of them at any time."""

    def __init__(
        self,
        store: Store,
        account: str,
        m: Metric,
        buckets: list[str],
        lo: int,
        end: int,
        tz: str,
        collects: Sequence[int] | None = None,
    ) -> None:
        self.m, self.tz = m, tz
        self.store = store
        self.collects = collects
        store.bound()
        # Far enough back for the first value: a gauge's newest sample (a day and
        # a bit, then anything older), a counter's last full hour, today, an hour.
        back = {"last": RECENT, "sum": 2 * HOUR, "ratio": 2 * HOUR, "today": 2 * DAY}
        since = lo - back.get(m.calc, HOUR + 1)
        spread = m.calc in ("mean", "p95")
        # The account's mean and p95 take every bucket's samples together.
        wanted = None if spread and ACCOUNT in buckets else buckets
        kept = state.get(store, RAW_KEPT_FROM)
        raw_from = since if kept is None else max(since, kept)
        self.by_bucket: dict[str, list[_Entry]] = defaultdict(list)
        if raw_from > since and m.calc != "p95":
            self._rollups(account, wanted, since, raw_from)
        self._raw(account, wanted, raw_from, end)
        if m.calc == "last":
            self._newest_before(account, buckets, since)
        for entries in self.by_bucket.values():
            entries.sort(key=lambda e: (e.ts, e.sid))
        if spread and ACCOUNT in buckets:
            every = sorted(
                (e for entries in list(self.by_bucket.values()) for e in entries),
                key=lambda e: (e.ts, e.sid),
            )
            self.by_bucket[ACCOUNT] = every
        # readings counts an hour of analytics once the stored windows reach its end.
        stored_to = state.get(store, state.analytics_key(account))
        self.stored_to = stored_to if m.source == "analytics" else None

    def _raw(self, account: str, buckets: list[str] | None, lo: int, hi: int) -> None:
        where = [Sample.account == account, Sample.metric.in_(list(self.m.reads))]
        if buckets is not None:
            where.append(Sample.bucket.in_(buckets))
        rows = cast(
            "Iterable[tuple[str, str, int, int, float]]",
            Sample.select(Sample.bucket, Sample.metric, Sample.ts, Sample.id, Sample.value)
            .where(*where, Sample.ts >= lo, Sample.ts <= hi)
            .tuples(),
        )
        for bucket, series, ts, sid, value in rows:
            v = float(value)
            self.by_bucket[bucket].append(_Entry(int(ts), int(sid), series, v, v, 1))

    def _rollups(self, account: str, buckets: list[str] | None, lo: int, hi: int) -> None:
        where = [SampleHourly.account == account, SampleHourly.metric.in_(list(self.m.reads))]
        if buckets is not None:
            where.append(SampleHourly.bucket.in_(buckets))
        rows = cast(
            "Iterable[tuple[str, str, int, float, float, int]]",
            SampleHourly.select(
                SampleHourly.bucket,
                SampleHourly.metric,
                SampleHourly.ts,
                SampleHourly.last,
                SampleHourly.sum,
                SampleHourly.count,
            )
            .where(*where, SampleHourly.ts >= lo - lo % HOUR, SampleHourly.ts < hi)
            .tuples(),
        )
        for bucket, series, ts, last, total, count in rows:
            if count:
                self.by_bucket[bucket].append(
                    _Entry(int(ts), -1, series, float(last), float(total), int(count))
                )

    def _newest_before(self, account: str, buckets: list[str], lo: int) -> None:
        """A gauge's newest sample before the read: the first value may be older.
        One query for every bucket of a glob (`readings.newest_samples`)."""
        for bucket, series, ts, sid, value in newest_samples(
            self.store, account, self.m.reads, buckets, lo, inclusive=False
        ):
            self.by_bucket[bucket].append(_Entry(ts, sid, series, value, value, 1))

    def seen(self, bucket: str) -> int:
        return len(self.by_bucket.get(bucket, ()))

    # ---- the value readings gives at a time --------------------------------------------
    def stored_to_at(self, t: int) -> int | None:
        """Where the analytics were stored to at `t`: the last collection's
        windows' end, never past where they are stored to now."""
        if self.stored_to is None or not self.collects:
            return self.stored_to
        i = bisect_right(self.collects, t) - 1
        return self.stored_to if i < 0 else min(self.stored_to, self.collects[i] - ANALYTICS_LAG)

    def steps(self, bucket: str, start: int, end: int, back: int = 0) -> Steps:
        """The value `readings(..., now=t, back=back)` gives for t in [start, end]."""
        entries = self.by_bucket.get(bucket, [])
        ts = [e.ts for e in entries]
        value_at, moves = self._calc(entries, ts, back)
        points = sorted({start} | {p for p in moves if start < p <= end})
        return _compress((p, value_at(p)) for p in points)

    def _calc(
        self, entries: list[_Entry], ts: list[int], back: int
    ) -> tuple[Callable[[int], float | None], Iterable[int]]:
        """The value at a time, read `back` seconds before it, and the times it can change."""
        calc = self.m.calc
        if calc in ("sum", "ratio"):
            first = ts[0] - ts[0] % HOUR if ts else 0
            hours = range(first + HOUR + back, (ts[-1] if ts else 0) + 3 * HOUR + back, HOUR)
            fold = self._sum if calc == "sum" else self._ratio
            collected = self.collects if self.stored_to is not None and self.collects else ()

            def hourly(t: int) -> float | None:
                done = (t - back) - (t - back) % HOUR
                mark = self.stored_to_at(t)
                if mark is not None:
                    # The stored windows' end as it was `back` ago: moved back as well.
                    done = min(done, (mark - back) - (mark - back) % HOUR)
                return fold(entries[bisect_left(ts, done - HOUR) : bisect_left(ts, done)])

            return hourly, (*hours, *collected)
        value_at, moves = self._at(entries, ts)
        return (lambda t: value_at(t - back)), (p + back for p in moves)

    def _at(
        self, entries: list[_Entry], ts: list[int]
    ) -> tuple[Callable[[int], float | None], Iterable[int]]:
        """The value at a time of a metric the analytics' progress does not hold
        back, and the times it can change."""
        calc = self.m.calc
        if calc == "last":
            return (lambda t: _newest(entries, ts, t)), (
                p for e in entries for p in (e.ts, e.ts + RECENT)
            )
        if calc == "today":
            days = (
                {day_of(p, self.tz) for p in range(ts[0], ts[-1] + 2 * DAY, HOUR)} if ts else set()
            )

            def today(t: int) -> float | None:
                return self._sum(entries[bisect_left(ts, day_of(t, self.tz)) : bisect_right(ts, t)])

            return today, {*ts, *days}
        if calc in ("mean", "p95"):

            def spread(t: int) -> float | None:
                window = entries[bisect_left(ts, t - HOUR) : bisect_right(ts, t)]
                if not window:
                    return None
                if calc == "p95":
                    return p95([e.value for e in window])
                return sum(e.total for e in window) / sum(e.count for e in window)

            return spread, (p for e in entries for p in (e.ts, e.ts + HOUR + 1))
        raise ValueError(f"metric {self.m.name}: unknown calc {calc!r}")

    @staticmethod
    def _sum(entries: list[_Entry]) -> float | None:
        return sum(e.total for e in entries) if entries else None

    def _ratio(self, entries: list[_Entry]) -> float | None:
        num = sum(e.total for e in entries if e.series == self.m.reads[0])
        dens = [e.total for e in entries if e.series != self.m.reads[0]]
        if not dens or sum(dens) <= 0:
            return None
        return 100.0 * num / sum(dens)


def _newest(entries: list[_Entry], ts: list[int], t: int) -> float | None:
    """As `readings._last`: among the samples of the last day and a bit,
    analytics' newest when there is one, else the newest; else the newest ever."""
    hi = bisect_right(ts, t)
    if hi == 0:
        return None
    window = entries[bisect_right(ts, t - RECENT) : hi]
    if not window:
        return entries[hi - 1].value
    best = max(window, key=lambda e: (series_source(e.series) == "analytics", e.ts, e.sid))
    return best.value
