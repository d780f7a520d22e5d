"""Catalog metrics now and over the previous window, computed exactly from
stored samples (a real SQLite file; PostgreSQL for the grouped queries)."""

from __future__ import annotations

import pytest

from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.store import Store, open_store, readings, state, writes
from r2tui.store.writes import SampleRow

ACC = "acc"
# 2026-03-14 15:20:00 UTC, a Saturday: the last complete hour is 14:00–15:00.
NOW = 1773501600
H = 1773500400  # 15:00, the start of the current hour
DAY = 86400


def put(st: Store, ts: int, metric: str, value: float, bucket: str = ACCOUNT) -> None:
    writes.add_samples(st, ACC, [SampleRow(metric, value, bucket)], ts=ts)


def test_every_metric_has_a_unit_help_and_a_known_calc() -> None:
    for m in CATALOG.values():
        assert m.unit and m.help.endswith(".") and len(m.help) < 120, m.name
        assert m.calc in ("last", "sum", "today", "ratio", "mean", "p95"), m.name
        if m.calc == "ratio":
            assert len(m.reads) == 2, m.name


def test_last_takes_the_newest_of_either_source_and_compares_with_a_day_ago(store: Store) -> None:
    put(store, H - DAY - 100, "total_files", 900)  # the inventory, a day and more ago
    put(store, H - 3600, "stored_objects", 1000)  # analytics, an hour ago
    put(store, H - 7200, "total_files", 950)  # an older inventory than the analytics
    r = readings.reading(store, ACC, "total_files", ACCOUNT, NOW)
    assert (r.value, r.previous, r.at) == (1000, 900, H - 3600)
    # (1000 - 900) / 900 = 11.11 %
    assert r.trend_pct == pytest.approx(100 / 9)


def test_sums_use_the_last_complete_hour_and_the_hour_before(store: Store) -> None:
    for ts, value in ((H, 7), (H - 3600, 5), (H - 7200, 4), (H - 10800, 100)):
        put(store, ts, "class_a_requests", value, "media")
    r = readings.reading(store, ACC, "class_a_ops", "media", NOW)
    # The current hour (7) is partial and left out; 14:00 holds 5, 13:00 holds 4.
    assert (r.value, r.previous) == (5, 4)
    assert r.trend_pct == pytest.approx(25.0)


def test_today_starts_at_midnight_in_the_configured_zone(store: Store) -> None:
    midnight_utc = H - 15 * 3600
    put(store, midnight_utc - 3600, "upload_requests", 50)  # 23:00 yesterday UTC
    put(store, midnight_utc, "upload_requests", 10)
    put(store, H, "upload_requests", 3)
    put(store, midnight_utc - DAY, "upload_requests", 2)  # yesterday 00:00
    put(store, H - DAY + 3600, "upload_requests", 99)  # yesterday 16:00: later than now's time
    utc = readings.reading(store, ACC, "uploads_today", ACCOUNT, NOW)
    # Today: 10 + 3. Yesterday up to 15:20: only its 00:00 hour (2); its 16:00 and
    # 23:00 hours come later in the day than now.
    assert (utc.value, utc.previous) == (13, 2)
    # In Asia/Tokyo (UTC+9) "today" began at 15:00 UTC: only the 15:00 hour counts.
    tokyo = readings.reading(store, ACC, "uploads_today", ACCOUNT, NOW, tz="Asia/Tokyo")
    assert tokyo.value == 3


def test_error_rate_is_errors_over_requests_and_absent_without_requests(store: Store) -> None:
    put(store, H - 3600, "requests", 400, "media")
    put(store, H - 3600, "error_requests", 30, "media")
    put(store, H - 7200, "requests", 200, "media")
    put(store, H - 7200, "error_requests", 2, "media")
    put(store, H - 3600, "error_requests", 0, "site")  # no requests recorded for site
    r = readings.readings(store, ACC, ["error_rate_pct"], NOW)
    # 30 / 400 = 7.5 %; the hour before 2 / 200 = 1 %.
    assert r["media"]["error_rate_pct"].value == pytest.approx(7.5)
    assert r["media"]["error_rate_pct"].previous == pytest.approx(1.0)
    assert "site" not in r  # no denominator, no rate: never a made-up 0 %


def test_mean_and_p95_cover_the_last_sixty_minutes_of_probes(store: Store) -> None:
    values = [100.0, 200.0, 300.0, 400.0, 5000.0]
    for i, v in enumerate(values):
        put(store, NOW - 600 * i, "probe_get_ms", v, "media")
    put(store, NOW - 3700, "probe_get_ms", 10.0, "media")  # the hour before
    put(store, NOW - 300, "endpoint_ms", 50.0)  # account-level check
    media = readings.reading(store, ACC, "avg_response_ms", "media", NOW)
    assert media.value == pytest.approx(sum(values) / 5)  # 1,200 ms
    assert media.previous == 10.0
    account = readings.reading(store, ACC, "avg_response_ms", ACCOUNT, NOW)
    assert account.value == pytest.approx((sum(values) + 50) / 6)  # 6,050 / 6
    p = readings.reading(store, ACC, "p95_response_ms", "media", NOW)
    assert p.value == 5000.0  # nearest rank: ceil(0.95 * 5) = 5th of 5


def test_p95_nearest_rank() -> None:
    assert readings.p95([float(i) for i in range(1, 101)]) == 95.0
    assert readings.p95([3.0]) == 3.0


def test_no_samples_means_no_value(store: Store) -> None:
    for name in CATALOG:
        assert readings.reading(store, ACC, name, ACCOUNT, NOW).value is None


@pytest.mark.postgres
def test_grouped_queries_on_postgresql(pg_url: str) -> None:
    st = open_store(pg_url)
    try:
        put(st, H - 3600, "requests", 10, "a")
        put(st, H - 3600, "error_requests", 1, "a")
        put(st, H - 3600, "stored_objects", 5, "a")
        put(st, H - 1800, "total_files", 6, "a")
        got = readings.readings(st, ACC, ["error_rate_pct", "total_files"], NOW)
        assert got["a"]["error_rate_pct"].value == pytest.approx(10.0)
        # Analytics' hourly figure, though a listing came after it.
        assert got["a"]["total_files"].value == 5
    finally:
        st.close()


def test_storage_figures_come_from_analytics_when_there_are_any(store: Store) -> None:
    """With a token the storage figures are analytics' (per class, as billed), even
    when a listing ran after the last analytics hour; without, the listing's."""
    put(store, H - 3600, "stored_objects", 5, "a")
    put(store, H - 1800, "total_files", 6, "a")  # a listing, later
    put(store, H - 1800, "total_files", 9, "b")  # listed only
    got = readings.readings(store, ACC, ["total_files"], NOW)
    assert (got["a"]["total_files"].value, got["a"]["total_files"].series) == (5, "stored_objects")
    assert (got["b"]["total_files"].value, got["b"]["total_files"].series) == (9, "total_files")


def test_last_finds_a_bucket_whose_newest_sample_is_days_old(store: Store) -> None:
    put(store, NOW - 3 * DAY, "total_files", 42, "cold")  # listed three days ago, not since
    put(store, NOW - 600, "stored_objects", 7, "hot")
    got = readings.readings(store, ACC, ["total_files"], NOW)
    assert got["cold"]["total_files"].value == 42
    assert got["cold"]["total_files"].at == NOW - 3 * DAY
    assert got["hot"]["total_files"].value == 7


def test_today_trend_compares_the_same_share_of_yesterday(store: Store) -> None:
    midnight = H - 15 * 3600
    for i in range(15):  # 60 an hour, yesterday and today, hours 00:00 to 14:00
        put(store, midnight + i * 3600, "upload_requests", 60)
        put(store, midnight - DAY + i * 3600, "upload_requests", 60)
    put(store, H - DAY, "upload_requests", 60)  # yesterday's whole 15:00 hour
    put(store, H, "upload_requests", 20)  # today's 15:00 hour, 20 minutes in
    r = readings.reading(store, ACC, "uploads_today", ACCOUNT, NOW)
    # Today 15 * 60 + 20 = 920; yesterday 15 * 60 + 20/60 of its 15:00 hour = 920.
    assert (r.value, r.previous) == (920, pytest.approx(920))
    assert r.trend_pct == pytest.approx(0.0)


def test_no_requests_is_no_error_rate_not_zero(store: Store) -> None:
    put(store, H - 3600, "requests", 0)
    put(store, H - 3600, "error_requests", 0)
    assert readings.reading(store, ACC, "error_rate_pct", ACCOUNT, NOW).value is None
    assert readings.reading(store, ACC, "requests_per_hour", ACCOUNT, NOW).value == 0


def test_hourly_sums_wait_for_the_analytics_to_cover_the_hour(store: Store) -> None:
    for hour, value in ((H - 3 * 3600, 1), (H - 2 * 3600, 2), (H - 3600, 3)):
        put(store, hour, "denied_requests", value)
    # Stored to 14:30 (a failing source, say): 14:00 is not complete; 13:00 is.
    writes.replace_series(
        store,
        ACC,
        ("requests",),
        H - 3600,
        H - 1800,
        [],
        marks={state.analytics_key(ACC): H - 1800},
    )
    r = readings.reading(store, ACC, "failed_access", ACCOUNT, NOW)
    assert (r.value, r.previous) == (2, 1)
    writes.replace_series(
        store, ACC, ("requests",), H, H + 60, [], marks={state.analytics_key(ACC): H + 60}
    )
    assert readings.reading(store, ACC, "failed_access", ACCOUNT, NOW).value == 3


def test_a_day_in_a_half_hour_zone_starts_at_the_hour_holding_midnight() -> None:
    # Asia/Kolkata is UTC+5:30: midnight of 2026-03-14 local is 18:30 UTC the day before.
    start = readings.day_start(NOW, "Asia/Kolkata")
    assert start == 1773424800  # 2026-03-13 18:00 UTC
