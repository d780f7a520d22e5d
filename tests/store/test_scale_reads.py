"""Reads rewritten for a thousand buckets, on SQLite and PostgreSQL, against
what they replace, computed by brute force:

- the account's mean and p95 (every bucket's probes together) by the hour in
  history, from `spread_hourly` where the rollup job filled it and from raw
  samples after its watermark, through roll-ups, a late sample below the
  watermark and the raw purge, against every raw sample;
- readings of a few buckets (the dashboard's) against readings of them all;
- migration 11 filling `spread_hourly` as the rollup job would;
- the Storage and Cost views kept between reads, read again when an
  inventory or a cost run changed;
- the last probe of each bucket, recent or older, and the newest count of
  unfinished uploads.

Latencies are multiples of 1/4: their sums are exact in any order."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from r2tui.config import Retention
from r2tui.costs.view import _RUNS as cost_runs
from r2tui.costs.view import _pending_uploads as pending_uploads
from r2tui.costs.view import costs_view
from r2tui.metrics import ACCOUNT, PROBE_LATENCY_SERIES
from r2tui.store import Store, history, queries, readings, rollups, state, writes
from r2tui.store.migrations import LATEST, migrate
from r2tui.store.models import SpreadHourly
from r2tui.store.views import ObjectRow, ProbeRow
from r2tui.store.writes import SampleRow, add_samples, replace_series, sync_buckets
from tests.store.test_queries import _storage_fixture, inventory, obj
from tests.support.store_data import ACC as STORE_ACC

ACC = "acc"
H, D = 3600, 86400
DAY0 = int(datetime(2025, 3, 14, tzinfo=UTC).timestamp())  # a UTC midnight
NOW = DAY0 + D + 12 * H + 30 * 60  # a day and a half later
BUCKETS = ("b1", "b2", "b3")
Raw = list[tuple[int, str, float]]  # (ts, bucket, value) of every latency sample


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
    return [(ts, b, v) for ts, b, m, v in rows if m in PROBE_LATENCY_SERIES]


def brute(
    raw: Raw,
    calc: str,
    start: int,
    end: int,
    kept: int | None = None,
    bucket: str = ACCOUNT,
) -> dict[int, float]:
    """The hourly figure from the raw samples in [start, end]: a bucket's, or
    the account's (every bucket's)."""
    hours: dict[int, list[float]] = defaultdict(list)
    for ts, b, v in raw:
        if start <= ts <= end and bucket in (ACCOUNT, b):
            hours[ts - ts % H].append(v)
    if calc == "mean":
        return {h: sum(v) / len(v) for h, v in hours.items()}
    return {h: readings.p95(v) for h, v in hours.items() if kept is None or h >= kept}


def charted(
    st: Store, metric: str, range_: str = "7d", now: int = NOW, bucket: str = ACCOUNT
) -> dict[int, float]:
    return dict(history.series(st, ACC, metric, bucket, range_, now=now).points)


def test_the_accounts_hourly_mean_and_p95_are_every_raw_sample_together(st: Store) -> None:
    raw = seed(st, DAY0, NOW - 20 * 60)
    start = NOW - NOW % H - 6 * D  # a 7-day chart's first hour

    def check(kept: int | None = None) -> None:
        for b in (ACCOUNT, "b2"):
            assert charted(st, "avg_response_ms", bucket=b) == brute(
                raw, "mean", start, NOW, bucket=b
            )
            assert charted(st, "p95_response_ms", bucket=b) == brute(
                raw, "p95", start, NOW, kept, b
            )
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
    raw.append((late, "b2", 999.5))
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
    last_hour = [v for ts, _, v in raw if NOW - H <= ts <= NOW]
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
    # (and none of what later versions add)
    st.db.execute_sql("DROP TABLE response_run")
    st.db.execute_sql("DROP INDEX job_run_account_job_id")
    st.db.execute_sql("DROP INDEX job_run_account_ok_finished_at")
    st.db.execute_sql("DELETE FROM schema_version WHERE version >= 11")
    assert migrate(st.db) == list(range(11, LATEST + 1))
    # The hours before the raw horizon at once, from the hourly rollups; later
    # ones read from raw samples until the rollup job ranks them.
    assert state.get(st, state.ROLLUP_FROM) == kept
    start = NOW - NOW % H - 6 * D
    for b in (ACCOUNT, "b1"):
        assert charted(st, "avg_response_ms", bucket=b) == brute(raw, "mean", start, NOW, bucket=b)
        assert charted(st, "p95_response_ms", bucket=b) == brute(raw, "p95", start, NOW, kept, b)
    rollups.roll_up(st, NOW)
    assert spread_rows(kept) == filled


def spread_rows(kept: int | None) -> list[tuple[str, str, str, int, int, float, float | None]]:
    """The rows as history reads them: no p95 before the raw horizon (a row
    ranked before the purge keeps its figure, unread), and not the last, partial
    hour (the rollup job's own: it sums it again at each run)."""
    sh = SpreadHourly
    rows = sh.select(sh.account, sh.bucket, sh.metric, sh.ts, sh.count, sh.sum, sh.p95)
    return sorted(
        (a, b, m, ts, n, total, p if kept is None or ts >= kept else None)
        for a, b, m, ts, n, total, p in rows.tuples()
        if ts < NOW - NOW % H
    )


def test_the_storage_view_reads_again_only_what_a_new_inventory_changed(st: Store) -> None:
    """The Storage view keeps what it read of the latest inventories between
    reads (a refresh every few seconds): a new inventory, a bucket gone or
    another account's are read as they are, the same as from nothing."""
    _storage_fixture(st)
    first = queries.storage_view(st, STORE_ACC, top_n=2, now=NOW)
    assert queries.storage_view(st, STORE_ACC, top_n=2, now=NOW) == first
    writes.save_inventory(
        st, STORE_ACC, inventory("beta", 400, ext={".csv": (9, 9000)}, largest=[obj("b9", 9000)])
    )
    writes.sync_buckets(st, STORE_ACC, ["beta", "gamma"], ts=5)  # alpha vanishes
    again = queries.storage_view(st, STORE_ACC, top_n=2, now=NOW)
    assert [(b.name, b.bytes) for b in again.buckets] == [("beta", 9000)]
    assert again.largest == [ObjectRow("beta", "b9", 9000, 1000, "STANDARD")]
    assert again.not_inventoried == ["gamma"]
    assert queries.storage_view(st, "other", now=NOW).buckets[0].bytes == 7000
    queries._LISTED.clear()  # from nothing
    assert queries.storage_view(st, STORE_ACC, top_n=2, now=NOW) == again


def test_the_last_probes_recent_or_older_are_read_alike(st: Store) -> None:
    """Each bucket's last probe is sought on its own, whether it is a minute or
    hours old (one query for every bucket): the same rows either way."""

    def probe(bucket: str, ts: int, ok: float, **ms: float) -> None:
        rows = [SampleRow(f"probe_{k}_ms", v, bucket) for k, v in ms.items()]
        add_samples(st, ACC, [*rows, SampleRow("probe_ok", ok, bucket)], ts=ts)

    probe("near", NOW - 60, 1.0, put=5.0, get=4.0)
    probe("far", NOW - 5 * H, 1.0, put=9.0)
    probe("far", NOW - 3 * H, 1.0, put=7.0, get=6.0)
    probe("far", NOW - 3 * H, 0.0)  # the same run stored again: the last row wins
    probe("mixed", NOW - 4 * H, 1.0, put=3.0)
    probe("mixed", NOW - 120, 0.0, put=2.0)
    probe("gone", NOW - 2 * D, 1.0, put=1.0)  # outside the day
    add_samples(st, "other", [SampleRow("probe_ok", 1.0, "near")], ts=NOW)
    assert queries.probes(st, ACC, NOW) == [
        ProbeRow("far", NOW - 3 * H, False, {"put": 7.0, "get": 6.0}),
        ProbeRow("mixed", NOW - 120, False, {"put": 2.0}),
        ProbeRow("near", NOW - 60, True, {"put": 5.0, "get": 4.0}),
    ]
    assert [p.bucket for p in queries.probes(st, ACC, NOW, window=300)] == ["mixed", "near"]


def test_the_cards_sparklines_read_together_are_each_ones(st: Store) -> None:
    """`history.sparklines` reads every card's series at once: the same lines as
    a `sparkline` each, for the account and for a bucket, through a roll-up."""
    seed(st, NOW - 30 * H, NOW)
    rows = []
    for i, ts in enumerate(range(NOW - 30 * H, NOW, H)):
        for b in (ACCOUNT, "b1"):
            rows += [
                (ts, b, "requests", 100.0 + i),
                (ts, b, "class_a_requests", 10.0 + i % 3),
                (ts, b, "class_b_requests", 20.0 + i % 5),
                (ts, b, "download_requests", 1.5 * i),
                (ts, b, "error_requests", float(i % 4)),
                (ts, b, "upload_requests", 2.5 * i),
                (ts, b, "stored_objects", 1000.0 - i),
                (ts, b, "stored_bytes", 8000.0 - i),
            ]
        rows.append((ts + 60, "b1", "monitor_class_a_ops", 1.0))
        rows.append((ts + 360, "b1", "monitor_class_a_ops", 2.0))
    rows.append((NOW - 20 * H + 5, "b1", "total_files", 990.0))  # a listing
    replace_series(st, ACC, sorted({r[2] for r in rows}), NOW - 31 * H, NOW + 1, rows)
    cards = [name for name, _ in queries.CARDS] + ["monitor_class_a_ops"]

    def same() -> None:
        for b in (ACCOUNT, "b1"):
            each = {m: history.sparkline(st, ACC, m, b, NOW) for m in cards}
            assert history.sparklines(st, ACC, cards, b, NOW) == each
            assert [m for m in cards if not each[m]] == (
                [] if b != ACCOUNT else ["monitor_class_a_ops"]
            )

    same()
    rollups.roll_up(st, NOW - 4 * H)
    same()


def test_each_buckets_newest_pending_upload_count_recent_or_older(st: Store) -> None:
    """The Cost pane's unfinished uploads: each bucket's newest count of the last
    two days, one seek per bucket however old its count."""

    def count(bucket: str, ts: int, value: float) -> None:
        add_samples(st, ACC, [SampleRow("pending_uploads", value, bucket)], ts=ts)

    count("fresh", NOW - 3 * D, 9.0)
    count("fresh", NOW - H, 4.0)
    count("older", NOW - D, 7.0)
    count("older", NOW - D + H, 5.0)
    count("cleared", NOW - D, 3.0)
    count("cleared", NOW - 2 * H, 0.0)
    count("gone", NOW - 3 * D, 8.0)  # before the two days
    count(ACCOUNT, NOW - H, 16.0)  # the account's total: no bucket
    assert pending_uploads(st, ACC, NOW) == {"fresh": 4.0, "older": 5.0, "cleared": 0.0}


def test_the_cost_view_reads_a_run_again_only_when_another_was_stored(st: Store) -> None:
    """The Cost pane keeps a run's figures (13,000 rows at 1,000 buckets) between
    reads: a later run, or more rows at the same time, are read as they are."""

    def run(at: int, usd: float, buckets: tuple[str, ...] = ("b1", "b2")) -> None:
        rows = [SampleRow("monthly_cost_usd", usd * 3), SampleRow("has_request_counts", 1.0)]
        for i, b in enumerate(buckets):
            rows += [
                SampleRow("monthly_cost_usd", usd + i, b),
                SampleRow("cost_storage_usd", usd, b),
                SampleRow("basis_storage", 1.0, b),
            ]
        add_samples(st, ACC, rows, ts=at)

    run(NOW - 2 * H, 1.0)
    first = costs_view(st, ACC, NOW)
    assert [(b.name, b.month_to_date_usd) for b in first.buckets] == [("b2", 2.0), ("b1", 1.0)]
    assert costs_view(st, ACC, NOW) == first
    run(NOW - H, 5.0)
    assert [b.month_to_date_usd for b in costs_view(st, ACC, NOW).buckets] == [6.0, 5.0]
    run(NOW - H, 9.0, ("b3",))  # another run stored at the same second
    again = costs_view(st, ACC, NOW)
    assert [b.name for b in again.buckets] == ["b3", "b2", "b1"]
    cost_runs.clear()  # from nothing
    assert costs_view(st, ACC, NOW) == again
