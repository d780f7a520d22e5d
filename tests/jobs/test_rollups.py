"""Hourly and daily rollups and the retention purge, against real SQLite files
and PostgreSQL: exact aggregates, incremental recompute, never losing data."""

from __future__ import annotations

from datetime import UTC, datetime

from r2tui.config import Retention
from r2tui.jobs import JobContext, run_job
from r2tui.store import Store, rollups, state
from r2tui.store.models import JobRun, Sample, SampleDaily, SampleHourly
from r2tui.store.writes import SampleRow, add_samples, replace_series
from tests.support.configs import account_for, make_config

H, D = 3600, 86400
DAY0 = int(datetime(2025, 3, 14, tzinfo=UTC).timestamp())  # a UTC midnight
NOW = DAY0 + D + 12 * H + 30 * 60  # 2025-03-15 12:30 UTC


def put(
    st: Store, ts: int, metric: str, value: float, bucket: str = "*", account: str = "acc"
) -> None:
    add_samples(st, account, [SampleRow(metric, value, bucket)], ts=ts)


def hourly(metric: str | None = None) -> list[tuple]:
    q = SampleHourly.select(
        SampleHourly.account,
        SampleHourly.bucket,
        SampleHourly.metric,
        SampleHourly.ts,
        SampleHourly.count,
        SampleHourly.sum,
        SampleHourly.min,
        SampleHourly.max,
        SampleHourly.last,
    )
    if metric:
        q = q.where(SampleHourly.metric == metric)
    return sorted(q.tuples())


def daily(metric: str | None = None) -> list[tuple]:
    q = SampleDaily.select(
        SampleDaily.account,
        SampleDaily.bucket,
        SampleDaily.metric,
        SampleDaily.ts,
        SampleDaily.count,
        SampleDaily.sum,
        SampleDaily.min,
        SampleDaily.max,
        SampleDaily.last,
    )
    if metric:
        q = q.where(SampleDaily.metric == metric)
    return sorted(q.tuples())


def test_exact_hourly_and_daily_aggregates(st: Store) -> None:
    # Day 0, hour 10: three samples, the newest (10:50) is not the largest.
    put(st, DAY0 + 10 * H + 60, "ms", 40.0, "b1")
    put(st, DAY0 + 10 * H + 3000, "ms", 10.0, "b1")
    put(st, DAY0 + 10 * H + 1200, "ms", 70.0, "b1")
    # Hour 11: two samples in the same second; the one stored last is the last.
    put(st, DAY0 + 11 * H + 5, "ms", 20.0, "b1")
    put(st, DAY0 + 11 * H + 5, "ms", 30.0, "b1")
    # Another bucket and another account in the same hour stay apart.
    put(st, DAY0 + 10 * H + 100, "ms", 1.0, "b2")
    put(st, DAY0 + 10 * H + 100, "ms", 2.0, "b1", account="other")
    # Day 1, the current hour (12:xx), partial.
    put(st, DAY0 + D + 12 * H + 60, "ms", 5.0, "b1")
    result = rollups.roll_up(st, NOW)
    assert (result.start, result.end) == (DAY0 + 10 * H, DAY0 + D + 13 * H)
    assert result.hours == 27 and result.hourly_rows == 5 and result.daily_rows == 4
    assert hourly() == [
        ("acc", "b1", "ms", DAY0 + 10 * H, 3, 120.0, 10.0, 70.0, 10.0),
        ("acc", "b1", "ms", DAY0 + 11 * H, 2, 50.0, 20.0, 30.0, 30.0),
        ("acc", "b1", "ms", DAY0 + D + 12 * H, 1, 5.0, 5.0, 5.0, 5.0),
        ("acc", "b2", "ms", DAY0 + 10 * H, 1, 1.0, 1.0, 1.0, 1.0),
        ("other", "b1", "ms", DAY0 + 10 * H, 1, 2.0, 2.0, 2.0, 2.0),
    ]
    assert daily() == [
        ("acc", "b1", "ms", DAY0, 5, 170.0, 10.0, 70.0, 30.0),
        ("acc", "b1", "ms", DAY0 + D, 1, 5.0, 5.0, 5.0, 5.0),
        ("acc", "b2", "ms", DAY0, 1, 1.0, 1.0, 1.0, 1.0),
        ("other", "b1", "ms", DAY0, 1, 2.0, 2.0, 2.0, 2.0),
    ]
    assert state.get(st, state.ROLLUP_FROM) == DAY0 + D + 12 * H


def test_nothing_stored_leaves_the_watermark_unset(st: Store) -> None:
    assert rollups.roll_up(st, NOW) == rollups.RollupResult(0, 0, 0, None, DAY0 + D + 13 * H)
    assert state.get(st, state.ROLLUP_FROM) is None
    assert hourly() == [] and daily() == []


def test_next_run_recomputes_only_the_current_hour(st: Store) -> None:
    put(st, NOW - 5 * H, "requests", 10.0)
    rollups.roll_up(st, NOW)
    put(st, NOW + 60, "requests", 7.0)
    again = rollups.roll_up(st, NOW + 120)
    assert (again.start, again.hours) == (DAY0 + D + 12 * H, 1)
    assert [r[3:6] for r in hourly()] == [
        (NOW - 5 * H - 1800, 1, 10.0),
        (DAY0 + D + 12 * H, 1, 7.0),
    ]
    assert [r[3:6] for r in daily()] == [(DAY0 + D, 2, 17.0)]


def test_a_sample_stored_late_for_the_previous_hour_is_counted(st: Store) -> None:
    """Early in an hour the watermark stays on the previous hour: a probe stamped
    at 12:59:58 and stored after a roll-up at 13:00:30 still lands in hour 12."""
    put(st, DAY0 + 12 * H + 600, "ms", 1.0)
    rollups.roll_up(st, DAY0 + 13 * H + 30)
    assert state.get(st, state.ROLLUP_FROM) == DAY0 + 12 * H
    put(st, DAY0 + 13 * H - 2, "ms", 3.0)
    rollups.roll_up(st, DAY0 + 13 * H + 900)
    assert state.get(st, state.ROLLUP_FROM) == DAY0 + 13 * H
    assert [r[3:] for r in hourly()] == [(DAY0 + 12 * H, 2, 4.0, 1.0, 3.0, 3.0)]


def test_replace_series_in_the_past_is_recomputed(st: Store) -> None:
    """An analytics window queried again rewrites the past: its hours and days
    are recomputed, the hours around it are left alone."""
    rows = [(DAY0 + h * H, "*", "requests", 100.0) for h in range(24)]
    replace_series(st, "acc", ["requests"], DAY0, DAY0 + D, rows)
    put(st, DAY0 + 5 * H + 10, "probe_ok", 1.0, "b1")
    rollups.roll_up(st, NOW)
    assert state.get(st, state.ROLLUP_FROM) == DAY0 + D + 12 * H
    assert daily("requests") == [("acc", "*", "requests", DAY0, 24, 2400.0, 100.0, 100.0, 100.0)]
    # Hours 4 and 5 again: one grows, one disappears (Cloudflare had late data).
    replace_series(
        st,
        "acc",
        ["requests"],
        DAY0 + 4 * H,
        DAY0 + 6 * H,
        [(DAY0 + 4 * H, "*", "requests", 130.0)],
    )
    assert state.get(st, state.ROLLUP_FROM) == DAY0 + 4 * H
    again = rollups.roll_up(st, NOW)
    assert again.start == DAY0 + 4 * H and again.hours == 20 + 13
    got = {r[3]: r[5] for r in hourly("requests")}
    assert len(got) == 23 and DAY0 + 5 * H not in got
    assert got[DAY0 + 4 * H] == 130.0 and got[DAY0 + 3 * H] == 100.0
    assert daily("requests") == [("acc", "*", "requests", DAY0, 23, 2330.0, 100.0, 130.0, 100.0)]
    # The probe sample in a recomputed hour is still there, once.
    assert [r[3:6] for r in hourly("probe_ok")] == [(DAY0 + 5 * H, 1, 1.0)]


def test_a_long_backlog_is_rolled_up_a_day_at_a_time(st: Store) -> None:
    for day in range(4):
        put(st, DAY0 - 3 * D + day * D + 7 * H, "total_bytes", 1000.0 + day)
    result = rollups.roll_up(st, NOW)
    assert result.start == DAY0 - 3 * D + 7 * H
    assert result.hours == (NOW - NOW % H + H - result.start) // H
    assert [(r[3], r[8]) for r in daily()] == [
        (DAY0 - 3 * D + day * D, 1000.0 + day) for day in range(4)
    ]
    assert len(hourly()) == 4


def test_purge_never_drops_what_is_not_rolled_up(st: Store) -> None:
    old = NOW - 20 * D
    put(st, old, "ms", 1.0)
    put(st, NOW - 60, "ms", 2.0)
    # Never rolled up: nothing raw goes, however old.
    assert rollups.purge(st, Retention(), NOW) == rollups.PurgeResult(0, 0, 0)
    assert Sample.select().count() == 2
    rollups.roll_up(st, NOW)
    assert rollups.purge(st, Retention(), NOW).samples == 1
    assert [s.value for s in Sample.select()] == [2.0]
    assert state.get(st, rollups.RAW_KEPT_FROM) == NOW - NOW % H - 14 * D
    # A backfill 20 days back lowers the watermark: its samples wait for a roll-up.
    replace_series(
        st,
        "acc",
        ["requests"],
        old - old % H,
        old - old % H + H,
        [(old - old % H, "*", "requests", 9.0)],
    )
    assert rollups.purge(st, Retention(), NOW).samples == 0
    rollups.roll_up(st, NOW)
    assert rollups.purge(st, Retention(), NOW).samples == 1
    assert [r[3:6] for r in hourly("requests")] == [(old - old % H, 1, 9.0)]


def test_a_backfill_below_the_raw_horizon_keeps_other_series(st: Store) -> None:
    """Raw probe samples of 20 days ago are purged, their hourly rows kept; an
    analytics backfill of that hour adds its series without wiping the probes'."""
    hour = NOW - NOW % H - 20 * D
    put(st, hour + 60, "probe_get_ms", 80.0, "b1")
    rollups.roll_up(st, NOW)
    assert rollups.purge(st, Retention(), NOW).samples == 1
    replace_series(st, "acc", ["requests"], hour, hour + H, [(hour, "*", "requests", 5.0)])
    rollups.roll_up(st, NOW)
    # Sorted by bucket: the account's requests, then b1's probe.
    assert [(r[2], r[3], r[5]) for r in hourly()] == [
        ("requests", hour, 5.0),
        ("probe_get_ms", hour, 80.0),
    ]
    day = hour - hour % D
    assert [(r[2], r[3], r[5]) for r in daily()] == [
        ("requests", day, 5.0),
        ("probe_get_ms", day, 80.0),
    ]


def test_purge_rollups_by_age(st: Store) -> None:
    for age_days in (100, 80, 2000, 1000):
        put(st, NOW - age_days * D, "total_bytes", float(age_days))
    rollups.roll_up(st, NOW)
    assert len(hourly()) == 4 and len(daily()) == 4
    purged = rollups.purge(st, Retention(), NOW)
    assert purged == rollups.PurgeResult(samples=4, hourly=3, daily=1)
    assert [r[8] for r in hourly()] == [80.0]
    assert sorted(r[8] for r in daily()) == [80.0, 100.0, 1000.0]
    assert state.get(st, rollups.HOURLY_KEPT_FROM) == NOW - NOW % D - 90 * D


def test_rollup_job_runs_and_reports(store: Store) -> None:
    put(store, NOW - 3 * H, "ms", 1.0)
    put(store, NOW - 30 * D, "ms", 2.0)
    config = make_config((account_for("http://127.0.0.1:9"),), store_url=store.url)
    ctx = JobContext(config=config, store=store, clock=lambda: float(NOW))
    result = run_job("rollup", ctx)
    assert result.ok, result.errors
    hours = (NOW - NOW % H + H - (NOW - 30 * D - (NOW - 30 * D) % H)) // H
    assert result.items == hours
    assert result.summary == f"rolled up {hours} hours, purged 1 raw sample"
    again = run_job("rollup", ctx)
    assert again.summary == "rolled up 1 hour, purged 0 raw samples"
    assert [(r.job, r.ok) for r in JobRun.select().order_by(JobRun.id)] == [
        ("rollup", True),
        ("rollup", True),
    ]


def test_a_sample_stored_late_still_reaches_the_rollups(st: Store) -> None:
    put(st, NOW - 600, "ms", 1.0)
    rollups.roll_up(st, NOW)
    mark = state.get(st, state.ROLLUP_FROM)
    assert mark is not None and mark > NOW - 3 * H
    # A write the store refused three hours ago is taken now, with its own time.
    put(st, NOW - 3 * H, "ms", 9.0)
    assert state.get(st, state.ROLLUP_FROM) == (NOW - 3 * H) - (NOW - 3 * H) % H
    rollups.roll_up(st, NOW)
    hour = (NOW - 3 * H) - (NOW - 3 * H) % H
    assert [(r[3], r[5]) for r in hourly("ms") if r[3] == hour] == [(hour, 9.0)]
