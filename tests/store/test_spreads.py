"""The account's mean and p95 (every bucket's probes together) as the rewritten
reads give them, on SQLite and PostgreSQL, against the same figures computed by
brute force from every raw sample:

- history's hourly points, from `spread_hourly` where the rollup job filled it
  and from raw samples after its watermark, through roll-ups, a late sample
  below the watermark and the raw purge;
- readings of a few buckets (the dashboard's) against readings of them all;
- migration 11 filling `spread_hourly` as the rollup job would.

Values are multiples of 1/4: their sums are exact in any order."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from r2tui.config import Retention
from r2tui.metrics import ACCOUNT, PROBE_LATENCY_SERIES
from r2tui.store import Store, history, readings, rollups, state
from r2tui.store.migrations import migrate
from r2tui.store.models import SpreadHourly
from r2tui.store.writes import SampleRow, add_samples, replace_series, sync_buckets

ACC = "acc"
H, D = 3600, 86400
DAY0 = int(datetime(2025, 3, 14, tzinfo=UTC).timestamp())  # a UTC midnight
NOW = DAY0 + D + 12 * H + 30 * 60  # a day and a half later
BUCKETS = ("b1", "b2", "b3")
Raw = list[tuple[int, float]]  # (ts, value) of every latency sample, every bucket


def seed(st: Store, start: int, end: int) -> Raw:
    """Probes every 20 minutes in each bucket (a step or two each), the
    account's endpoint check every hour, from `start` to `end`: one write."""
    sync_buckets(st, ACC, list(BUCKETS), ts=start)
    rows: list[tuple[int, str, str, float]] = []
    for ts in range(start, end, 1200):
        for i, b in enumerate(BUCKETS):
            k = (ts // 1200 * 7 + i * 13) % 40
            rows.append((ts, b, "probe_get_ms", 20 + k / 4))
            if k % 3:
                rows.append((ts + i, b, "probe_put_ms", 50 + k / 2))
        if ts % H == 0:
            rows.append((ts, ACCOUNT, "endpoint_ms", 30.25))
        rows.append((ts, "b1", "probe_ok", 1.0))  # not a latency: never read
    metrics = sorted({m for _, _, m, _ in rows})
    replace_series(st, ACC, metrics, start, end + H, rows)
    return [(ts, v) for ts, _, m, v in rows if m in PROBE_LATENCY_SERIES]


def brute(raw: Raw, calc: str, start: int, end: int, kept: int | None = None) -> dict[int, float]:
    """The account's hourly figure from every raw sample in [start, end]."""
    hours: dict[int, list[float]] = defaultdict(list)
    for ts, v in raw:
        if start <= ts <= end:
            hours[ts - ts % H].append(v)
    if calc == "mean":
        return {h: sum(v) / len(v) for h, v in hours.items()}
    return {h: readings.p95(v) for h, v in hours.items() if kept is None or h >= kept}


def charted(st: Store, metric: str, range_: str = "7d", now: int = NOW) -> dict[int, float]:
    return dict(history.series(st, ACC, metric, ACCOUNT, range_, now=now).points)


def test_the_accounts_hourly_mean_and_p95_are_every_raw_sample_together(st: Store) -> None:
    raw = seed(st, DAY0, NOW - 20 * 60)
    start = NOW - NOW % H - 6 * D  # a 7-day chart's first hour

    def check(kept: int | None = None) -> None:
        assert charted(st, "avg_response_ms") == brute(raw, "mean", start, NOW)
        assert charted(st, "p95_response_ms") == brute(raw, "p95", start, NOW, kept)
        spark = history.sparkline(st, ACC, "p95_response_ms", ACCOUNT, NOW)
        last_day = brute(raw, "p95", NOW - NOW % H - 23 * H, NOW, kept)
        assert spark == [last_day[h] for h in sorted(last_day)]

    check()  # nothing rolled up: every hour from raw samples
    rollups.roll_up(st, NOW - 6 * H)  # the watermark mid-way: spread rows, then raw
    assert SpreadHourly.select().where(SpreadHourly.p95.is_null(False)).count() > 24
    check()
    # A late probe below the watermark: raw again from its hour, then rolled up.
    late = NOW - D + 3 * H + 7
    add_samples(st, ACC, [SampleRow("probe_head_ms", 999.5, "b2")], ts=late)
    raw.append((late, 999.5))
    check()
    rollups.roll_up(st, NOW)
    check()
    # A chart ending at an earlier `now` ranks its last, cut hour from raw samples.
    then = NOW - 5 * H - 25 * 60
    first = then - then % H - 23 * H
    assert charted(st, "p95_response_ms", "24h", then) == brute(raw, "p95", first, then)
    # Purged raw samples: no p95 before the raw horizon; the mean stays (hourly rows).
    rollups.purge(st, Retention(samples_days=1), NOW)
    kept = state.get(st, rollups.RAW_KEPT_FROM)
    assert kept is not None and start < kept
    check(kept)


def test_a_few_buckets_read_as_among_them_all(st: Store) -> None:
    """The dashboard reads the account and one bucket; the account's mean and p95
    are then summed and ranked by the store, over every bucket."""
    raw = seed(st, NOW - 3 * H, NOW)
    add_samples(
        st,
        ACC,
        [SampleRow("stored_objects", 5.0, b) for b in BUCKETS]
        + [SampleRow("requests", 8.0, b) for b in BUCKETS],
        ts=NOW - H - 60,
    )
    every = readings.readings(st, ACC, ["avg_response_ms", "p95_response_ms"], NOW)
    assert set(every) == {ACCOUNT, *BUCKETS}
    names = ["avg_response_ms", "p95_response_ms", "total_files", "requests_per_hour"]
    every = readings.readings(st, ACC, names, NOW)
    for wanted in ({ACCOUNT, "b2"}, {ACCOUNT}, {"b3"}):
        some = readings.readings(st, ACC, names, NOW, buckets=wanted)
        assert some == {b: every[b] for b in wanted if b in every}
    # The account's: every bucket's probes of the last hour and its own check.
    last_hour = [v for ts, v in raw if NOW - H <= ts <= NOW]
    assert every[ACCOUNT]["p95_response_ms"].value == readings.p95(last_hour)


def test_migration_11_fills_the_hours_as_the_rollup_job_would(st: Store) -> None:
    raw = seed(st, DAY0, NOW - 20 * 60)
    rollups.roll_up(st, NOW)
    rollups.purge(st, Retention(samples_days=1), NOW)
    kept = state.get(st, rollups.RAW_KEPT_FROM)
    filled = spread_rows(kept)
    assert filled and any(p is not None for *_, p in filled)
    # The store as version 10 left it: no index, no spread rows; opened again.
    st.db.execute_sql("DROP INDEX sample_account_metric_ts_bucket_value")
    st.db.execute_sql("DROP TABLE spread_hourly")
    st.db.execute_sql("DELETE FROM schema_version WHERE version = 11")
    assert migrate(st.db) == [11]
    assert spread_rows(kept) == filled
    start = NOW - NOW % H - 6 * D
    assert charted(st, "p95_response_ms") == brute(raw, "p95", start, NOW, kept)
    assert charted(st, "avg_response_ms") == brute(raw, "mean", start, NOW)


def spread_rows(kept: int | None) -> list[tuple[str, str, int, int, float, float | None]]:
    """The rows as history reads them: no p95 before the raw horizon (a row
    ranked before the purge keeps its figure, unread), and not the last, partial
    hour (the rollup job's own: it sums it again at each run)."""
    sh = SpreadHourly
    rows = sh.select(sh.account, sh.metric, sh.ts, sh.count, sh.sum, sh.p95).order_by(
        sh.metric, sh.ts
    )
    return [
        (a, m, ts, n, total, p if kept is None or ts >= kept else None)
        for a, m, ts, n, total, p in rows.tuples()
        if ts < NOW - NOW % H
    ]
