"""history.series and sparkline over real SQLite files and PostgreSQL, and the
`r2tui history` command: each calc kind, resolution per range, the raw tail
merged with rollups, periods without data left out."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from r2tui.config import Retention
from r2tui.store import Store, history, open_store, queries, readings, rollups, state
from r2tui.store.models import Sample
from r2tui.store.writes import SampleRow, add_samples, sync_buckets
from r2tui.tui.app import build_app
from tests.support.configs import account_for, make_config

H, D = 3600, 86400
DAY0 = int(datetime(2025, 3, 14, tzinfo=UTC).timestamp())  # a UTC midnight
NOW = DAY0 + D + 12 * H + 30 * 60  # 2025-03-15 12:30 UTC
HOUR_NOW = NOW - NOW % H


def put(st: Store, ts: int, metric: str, value: float, bucket: str = "*") -> None:
    add_samples(st, "acc", [SampleRow(metric, value, bucket)], ts=ts)


def pts(
    store: Store, metric: str, range_: str = "24h", bucket: str = "*", now: int = NOW
) -> list[tuple[int, float]]:
    return history.series(store, "acc", metric, bucket, range_, now=now).points


# ---- ranges and resolution -------------------------------------------------------------


def test_resolution_per_range_and_fallback() -> None:
    assert {r: history.resolution_for(r) for r in history.RANGES} == {
        "1h": "raw",
        "24h": "hour",
        "7d": "hour",
        "30d": "hour",
        "90d": "day",
        "1y": "day",
    }
    # Hourly rollups kept 20 days cannot draw 30 days: days instead.
    short = Retention(hourly_days=20)
    assert history.resolution_for("30d", short) == "day"
    assert history.resolution_for("7d", short) == "hour"
    assert history.resolution_for("1h", Retention(samples_days=0)) == "hour"


def test_unknown_metric_or_range_names_the_valid_values(st: Store) -> None:
    with pytest.raises(ValueError, match="unknown metric 'bytes'; valid: avg_response_ms,"):
        history.series(st, "acc", "bytes")
    with pytest.raises(ValueError, match=r"unknown range '2d'; valid: 1h, 24h, 7d, 30d, 90d, 1y"):
        history.series(st, "acc", "total_bytes", range_="2d")
    with pytest.raises(ValueError, match="unknown metric"):
        history.sparkline(st, "acc", "nope", "*", NOW)


def test_series_frame_and_empty_periods_absent(st: Store) -> None:
    put(st, HOUR_NOW - 3 * H + 10, "requests", 4.0)
    put(st, HOUR_NOW + 10, "requests", 6.0)
    s = history.series(st, "acc", "requests_per_hour", "*", "24h", now=NOW)
    assert (s.metric, s.bucket, s.range, s.resolution, s.unit) == (
        "requests_per_hour",
        "*",
        "24h",
        "hour",
        "requests",
    )
    assert (s.start, s.end) == (HOUR_NOW - 23 * H, NOW)
    # Two hours with data, no zeros invented for the 22 without.
    assert s.points == [(HOUR_NOW - 3 * H, 4.0), (HOUR_NOW, 6.0)]
    week = history.series(st, "acc", "requests_per_hour", "*", "90d", now=NOW)
    assert (week.resolution, week.start) == ("day", DAY0 + D - 89 * D)
    assert week.points == [(DAY0 + D, 10.0)]
    assert history.series(st, "acc", "requests_per_hour", "nosuch", "24h", now=NOW).points == []


# ---- calc kinds ------------------------------------------------------------------------


def test_last_takes_analytics_when_the_period_has_it_else_the_newest(st: Store) -> None:
    # Raw: the inventory's total_bytes at 10:07 is newer than analytics' 10:00, but
    # analytics' figure is the one shown (as the cards and status choose it).
    put(st, HOUR_NOW - 2 * H, "stored_bytes", 500.0)
    put(st, HOUR_NOW - 2 * H + 420, "total_bytes", 510.0)
    put(st, HOUR_NOW - H, "stored_bytes", 520.0)
    put(st, HOUR_NOW - H + 1800, "stored_bytes", 530.0)
    put(st, HOUR_NOW - 3 * H + 60, "total_bytes", 490.0)  # a listing alone in its hour
    assert pts(st, "total_bytes") == [
        (HOUR_NOW - 3 * H, 490.0),
        (HOUR_NOW - 2 * H, 500.0),
        (HOUR_NOW - H, 530.0),
    ]
    assert pts(st, "total_bytes", "1h") == [(HOUR_NOW - H + 1800, 530.0)]
    rollups.roll_up(st, NOW)
    # Rolled up, the same choice.
    assert pts(st, "total_bytes") == [
        (HOUR_NOW - 3 * H, 490.0),
        (HOUR_NOW - 2 * H, 500.0),
        (HOUR_NOW - H, 530.0),
    ]
    assert pts(st, "total_bytes", "90d") == [(DAY0 + D, 530.0)]


def test_today_runs_from_midnight_and_a_day_is_its_total(st: Store) -> None:
    for minute, v in ((0, 3.0), (20, 4.0), (70, 5.0)):
        put(st, HOUR_NOW - 2 * H + minute * 60, "upload_requests", v)
    put(st, DAY0 + 5 * H, "upload_requests", 100.0)
    put(st, HOUR_NOW - 2 * H, "upload_requests", 1.0, "b1")  # another bucket: not the account
    # Each hour: the day's uploads so far, as the card says them then (7, then
    # 7 + 5); yesterday's 100 is yesterday's, not today's.
    expected_day = [(HOUR_NOW - 2 * H, 7.0), (HOUR_NOW - H, 12.0)]
    assert pts(st, "uploads_today") == expected_day
    assert pts(st, "uploads_today", "90d") == [(DAY0, 100.0), (DAY0 + D, 12.0)]
    assert pts(st, "uploads_today", bucket="b1") == [(HOUR_NOW - 2 * H, 1.0)]
    rollups.roll_up(st, NOW)
    assert pts(st, "uploads_today") == expected_day
    assert pts(st, "uploads_today", "90d") == [(DAY0, 100.0), (DAY0 + D, 12.0)]


# ---- a today metric's history means what its card means --------------------------------


def _uploads(store: Store, hours: int = 80) -> None:
    """An upload count every hour for `hours` hours up to now (its partial
    hour too), for the account and one bucket: 1, 2, 3... so every sum differs."""
    for k in range(hours):
        ts = HOUR_NOW - k * H
        put(store, ts, "upload_requests", float(k + 1))
        put(store, ts, "upload_requests", float(2 * k + 1), "b1")


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "America/St_Johns"])
def test_a_today_metrics_last_point_is_its_card(store: Store, tz: str) -> None:
    """uploads_today's history ends at the card's figure (the day so far), in
    any zone (St John's is 3.5 hours off UTC), over rollups and raw samples."""
    _uploads(store)
    rollups.roll_up(store, HOUR_NOW - 30 * H)  # rolled up to yesterday; raw since
    card = readings.reading(store, "acc", "uploads_today", "*", NOW, tz)
    bucket_card = readings.reading(store, "acc", "uploads_today", "b1", NOW, tz)
    assert card.value is not None and bucket_card.value is not None
    for range_ in ("1h", "24h", "7d", "30d"):
        for bucket, want in (("*", card.value), ("b1", bucket_card.value)):
            got = history.series(store, "acc", "uploads_today", bucket, range_, now=NOW, tz=tz)
            assert got.points[-1][1] == want, (range_, bucket)
    # Within each day the points only grow, and start again after midnight.
    week = history.series(store, "acc", "uploads_today", "*", "7d", now=NOW, tz=tz).points
    drops = [(a, b) for (_, a), (_, b) in pairwise(week) if b < a]
    assert len(drops) == 3  # three midnights in the 80 hours
    midnight = readings.day_start(NOW, tz)
    assert dict(week)[midnight] == 1.0 + (HOUR_NOW - midnight) // H
    if tz == "UTC":  # daily rollups are UTC days: the day's total is the card's then
        days = history.series(store, "acc", "uploads_today", "*", "90d", now=NOW, tz=tz)
        assert days.points[-1][1] == card.value


@pytest.mark.parametrize(
    ("tz", "midnight_hour"),
    [
        # 2025-03-15 00:00 at UTC+5:30 is 2025-03-14 18:30 UTC.
        ("Asia/Kolkata", DAY0 + 18 * H),
        # 2025-03-15 00:00 at UTC-2:30 (daylight time since 9 March) is 02:30 UTC.
        ("America/St_Johns", DAY0 + D + 2 * H),
    ],
)
def test_the_hour_holding_midnight_counts_in_one_day(
    store: Store, tz: str, midnight_hour: int
) -> None:
    """In a zone half an hour off, the hour holding midnight counts in the new
    day only: the card and the history agree inside it, before and after
    midnight, and the day before it holds 24 hours, not 25."""
    for k in range(-30, 2):
        put(store, midnight_hour + k * H, "upload_requests", 1.0)
    for now in (midnight_hour + 10 * 60, midnight_hour + 40 * 60, midnight_hour - 1):
        card = readings.reading(store, "acc", "uploads_today", "*", now, tz).value
        last = history.series(store, "acc", "uploads_today", "*", "24h", now=now, tz=tz).points[-1]
        assert card == last[1], now - midnight_hour
        assert card == (24.0 if now < midnight_hour else 1.0)
    assert readings.day_of(midnight_hour + 40 * 60, tz) == midnight_hour


def test_the_tui_chart_ends_at_the_card_in_the_configured_zone(
    store: Store,
) -> None:
    """The TUI's chart (h on the card) reads the series in the config's zone:
    its last point is what the card shows."""
    _uploads(store)
    config = make_config((account_for("http://127.0.0.1:9", name="acc"),), timezone="Asia/Tokyo")
    app = build_app(config, store, clock=lambda: NOW, collect=False)
    view = queries.metrics_view(store, "acc", NOW, True, tz="Asia/Tokyo")
    card = next(c for c in view.cards if c.metric == "uploads_today")
    chart = app.main.load_history("uploads_today", "*", "24h")
    assert card.reading.value is not None
    assert chart.points[-1][1] == card.reading.value


def test_ratio_per_period(st: Store) -> None:
    h1, h2, h3, h4 = (HOUR_NOW - k * H for k in (4, 3, 2, 1))
    for ts, errors, requests in (
        (h1, 5.0, 200.0),
        (h2, 1.0, 0.0),
        (h3, None, 50.0),
        (h4, 2.0, None),
    ):
        if errors is not None:
            put(st, ts, "error_requests", errors)
        if requests is not None:
            put(st, ts, "requests", requests)
    put(st, h1 + 60, "requests", 50.0)  # a second sample in the hour adds up
    # h2: no requests, no rate; h3: requests and no errors stored is 0 %;
    # h4: errors without a request count is no rate either.
    assert pts(st, "error_rate_pct") == [(h1, 2.0), (h3, 0.0)]
    rollups.roll_up(st, NOW)
    assert pts(st, "error_rate_pct") == [(h1, 2.0), (h3, 0.0)]
    assert pts(st, "error_rate_pct", "90d") == [(DAY0 + D, 100.0 * 8.0 / 300.0)]


def test_mean_spans_reads_and_for_the_account_every_bucket(st: Store) -> None:
    sync_buckets(st, "acc", ["b1", "b2"], ts=NOW - D)
    h = HOUR_NOW - 2 * H
    put(st, h + 60, "probe_put_ms", 100.0, "b1")
    put(st, h + 60, "probe_get_ms", 20.0, "b1")
    put(st, h + 360, "probe_put_ms", 60.0, "b2")
    put(st, h + 400, "endpoint_ms", 40.0)
    put(st, h + 400, "probe_ok", 1.0, "b1")  # not a latency: not read
    assert pts(st, "avg_response_ms") == [(h, 55.0)]
    assert pts(st, "avg_response_ms", bucket="b1") == [(h, 60.0)]
    # Raw points: each probe's steps at its own time.
    assert pts(st, "avg_response_ms", "1h", bucket="b1", now=h + 600) == [(h + 60, 60.0)]
    assert pts(st, "avg_response_ms", "1h", now=h + 600) == [
        (h + 60, 60.0),
        (h + 360, 60.0),
        (h + 400, 40.0),
    ]
    rollups.roll_up(st, NOW)
    assert pts(st, "avg_response_ms") == [(h, 55.0)]
    assert pts(st, "avg_response_ms", "7d", bucket="b2") == [(h, 60.0)]
    assert pts(st, "avg_response_ms", "90d") == [(DAY0 + D, 55.0)]


def test_p95_is_nearest_rank_over_raw_values(st: Store) -> None:
    sync_buckets(st, "acc", ["b1"], ts=NOW - D)
    h = HOUR_NOW - H
    for i in range(1, 21):  # 1..20 ms: nearest rank 95 % of 20 is the 19th
        put(st, h + i * 60, "probe_get_ms", float(i), "b1")
    put(st, h + 5, "endpoint_ms", 1000.0)  # the account's own check joins its p95
    old = HOUR_NOW - 20 * D
    put(st, old + 60, "probe_get_ms", 7.0, "b1")
    assert pts(st, "p95_response_ms", bucket="b1") == [(h, 19.0)]
    assert pts(st, "p95_response_ms") == [(h, 20.0)]
    assert pts(st, "p95_response_ms", "30d", bucket="b1") == [(old, 7.0), (h, 19.0)]
    rollups.roll_up(st, NOW)
    rollups.purge(st, Retention(), NOW)
    # Beyond raw retention there is no percentile, rather than a wrong one.
    assert pts(st, "p95_response_ms", "30d", bucket="b1") == [(h, 19.0)]
    # A day the raw purge cut into is left out too.
    assert pts(st, "p95_response_ms", "1y", bucket="b1") == [(DAY0 + D, 19.0)]


# ---- rollups and the raw tail ----------------------------------------------------------


def test_rollups_and_raw_tail_merge_into_one_current_series(st: Store) -> None:
    """Hours before the watermark come from rollups; from it on, from raw
    samples, so a chart is current between two roll-ups. Days: daily rollups,
    then the current day's hours, then raw."""
    for d in range(3):
        put(st, DAY0 - 2 * D + d * D + 6 * H, "requests", 10.0 * (d + 1))
    put(st, HOUR_NOW - 2 * H + 5, "requests", 7.0)
    rollups.roll_up(st, NOW)
    # Stored after the roll-up, not rolled up yet.
    put(st, HOUR_NOW + 100, "requests", 1.0)
    put(st, NOW + 60, "requests", 99.0)  # after `now`: not in a chart that ends now
    assert state.get(st, state.ROLLUP_FROM) == HOUR_NOW
    assert pts(st, "requests_per_hour") == [(HOUR_NOW - 2 * H, 7.0), (HOUR_NOW, 1.0)]
    by_day = [(DAY0 - 2 * D, 10.0), (DAY0 - D, 20.0), (DAY0, 30.0), (DAY0 + D, 8.0)]
    assert pts(st, "requests_per_hour", "1y") == by_day
    # Below the watermark history reads the rollups alone: raw samples purged
    # there (here deleted by hand) change nothing, before or after a roll-up.
    Sample.delete().where(Sample.ts < HOUR_NOW).execute()
    assert pts(st, "requests_per_hour", "1y") == by_day
    rollups.roll_up(st, NOW)
    assert pts(st, "requests_per_hour", "1y") == by_day
    assert pts(st, "requests_per_hour") == [(HOUR_NOW - 2 * H, 7.0), (HOUR_NOW, 1.0)]


def test_unrolled_store_reads_raw_everywhere(st: Store) -> None:
    put(st, DAY0 - 40 * D, "total_files", 5.0)
    put(st, HOUR_NOW - H, "stored_objects", 9.0)
    assert state.get(st, state.ROLLUP_FROM) is None
    assert pts(st, "total_files", "1y") == [(DAY0 - 40 * D, 5.0), (DAY0 + D, 9.0)]
    assert pts(st, "total_files", "30d") == [(HOUR_NOW - H, 9.0)]


def test_sparkline_is_the_last_24_hourly_values(st: Store) -> None:
    put(st, HOUR_NOW - 24 * H, "requests", 1.0)  # 25 hours back: outside
    put(st, HOUR_NOW - 23 * H, "requests", 2.0)
    put(st, HOUR_NOW - 5 * H, "requests", 3.0)
    rollups.roll_up(st, HOUR_NOW - H)
    put(st, HOUR_NOW + 5, "requests", 4.0)
    assert history.sparkline(st, "acc", "requests_per_hour", "*", NOW) == [2.0, 3.0, 4.0]
    assert history.sparkline(st, "acc", "downloads_today", "*", NOW) == []


# ---- the command -----------------------------------------------------------------------


def _seeded_config(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    st = open_store(url)
    try:
        now = datetime.now(UTC).timestamp()
        hour = int(now) - int(now) % H
        put(st, hour - 2 * H, "stored_bytes", 1_500_000_000.0)
        put(st, hour - H, "stored_bytes", 2_000_000_000.0)
        put(st, hour - H, "stored_bytes", 3_000.0, "photos")
    finally:
        st.close()
    path = tmp_path / "r2tui.toml"
    path.write_text(
        f'[store]\nurl = "{url}"\n\n[accounts.acc]\n'
        'endpoint_url = "http://127.0.0.1:9"\naccess_key_id = "k"\n'
        'secret_access_key = "s"\n',
        encoding="utf-8",
    )
    return str(path)


def test_history_command_text(cli: Any, tmp_path: Path) -> None:
    config = _seeded_config(tmp_path)
    code, out, err = cli("history", "total_bytes", "--config", config)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "total_bytes (bytes)  account  range 24h  resolution hour  2 points"
    assert [line.split()[-2:] for line in lines[1:]] == [["1.5", "GB"], ["2.0", "GB"]]
    code, out, _ = cli(
        "history", "total_bytes", "--bucket", "photos", "--range", "1h", "--config", config
    )
    assert code == 0
    assert out.splitlines()[0].startswith("total_bytes (bytes)  photos  range 1h  resolution raw")
    code, out, _ = cli("history", "total_bytes", "--bucket", "none", "--config", config)
    assert code == 0 and out.splitlines()[-1] == "no data in this range"
    # A per-prefix metric of the account, or of a bucket, has no series: said so.
    for bucket in ((), ("--bucket", "photos")):
        code, out, err = cli("history", "prefix_bytes", *bucket, "--config", config)
        assert code == 2 and out == ""
        assert "history: prefix_bytes is per prefix: it needs --bucket BUCKET/PREFIX/" in err
    assert "not 'photos'" in err


def test_history_command_json(cli: Any, tmp_path: Path) -> None:
    code, out, err = cli(
        "history", "total_bytes", "--range", "7d", "--json", "--config", _seeded_config(tmp_path)
    )
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {
        "metric",
        "unit",
        "bucket",
        "range",
        "resolution",
        "each_point",
        "start",
        "end",
        "points",
    }
    assert doc["each_point"] is None  # a gauge: each point is its value then
    assert (doc["metric"], doc["unit"], doc["bucket"], doc["range"], doc["resolution"]) == (
        "total_bytes",
        "bytes",
        None,
        "7d",
        "hour",
    )
    assert [p["value"] for p in doc["points"]] == [1.5e9, 2e9]
    first = datetime.fromisoformat(doc["points"][0]["ts"].replace("Z", "+00:00"))
    assert first.minute == 0 and first.second == 0 and doc["points"][0]["ts"].endswith("Z")
    assert doc["start"] < doc["points"][0]["ts"] < doc["end"]


# Zones whose offset is not whole hours; at any moment of the year one of them is
# between noon and 10 pm, so that its day so far holds a dozen hours or more.
HALF_HOUR_ZONES = ("Asia/Kolkata", "America/St_Johns", "Australia/Adelaide", "Pacific/Chatham")


def _afternoon_zone(now: datetime) -> str:
    return next(z for z in HALF_HOUR_ZONES if 12 <= now.astimezone(ZoneInfo(z)).hour < 22)


def test_history_of_a_today_metric_ends_at_its_card(cli: Any, tmp_path: Path) -> None:
    """The CLI reads at the time it runs: the zone is one where that is afternoon
    (in Asia/Kolkata alone, from 18:00 to 03:00 UTC the day so far held too few
    hours, or the one hour that holds midnight)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    st = open_store(url)
    moment = datetime.now(UTC)
    tz = _afternoon_zone(moment)
    now = moment.timestamp()
    hour = int(now) - int(now) % H
    for k in range(30):
        put(st, hour - k * H, "upload_requests", 100.0 + k)
    st.close()
    path = tmp_path / "r2tui.toml"
    path.write_text(
        f'timezone = "{tz}"\n\n[store]\nurl = "{url}"\n\n[accounts.acc]\n'
        'endpoint_url = "http://127.0.0.1:9"\naccess_key_id = "k"\nsecret_access_key = "s"\n',
        encoding="utf-8",
    )
    code, out, err = cli("history", "uploads_today", "--json", "--config", str(path))
    assert code == 0, err
    doc = json.loads(out)
    code, text, _ = cli("history", "uploads_today", "--config", str(path))
    st = open_store(url)  # the CLI opened the store after us: open it again
    card = readings.reading(st, "acc", "uploads_today", "*", now, tz).value
    st.close()
    assert card is not None and card > 1000
    assert doc["each_point"] == f"the day so far, from midnight {tz}"
    assert doc["points"][-1]["value"] == card
    lines = text.splitlines()
    assert lines[0].endswith(f"(each point: the day so far, from midnight {tz})")
    assert lines[-1].endswith(f"  {card:,.0f} requests")  # as people read it: 2,370


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["history", "bytes"], "unknown metric 'bytes'; valid: avg_response_ms, class_a_ops"),
        (["history", "total_bytes", "--range", "2d"], "unknown range '2d'; valid: 1h, 24h"),
    ],
)
def test_history_command_usage_errors(cli: Any, tmp_path: Path, argv: list[str], says: str) -> None:
    code, out, err = cli(*argv, "--config", str(tmp_path / "absent.toml"))
    assert (code, out) == (2, "")
    assert says in err


def test_history_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`r2tui history … | head`: the reader leaves early; no traceback, exit 0."""
    config = _seeded_config(tmp_path)
    st = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    try:  # 720 hourly points: more than the 8 KB stdout buffer, so a write meets EPIPE
        hour = int(datetime.now(UTC).timestamp()) // H * H
        for i in range(720):
            put(st, hour - i * H, "stored_bytes", float(i))
    finally:
        st.close()
    script = Path(sys.executable).with_name("r2tui")
    proc = subprocess.Popen(
        [str(script), "history", "total_bytes", "--range", "30d", "--config", config],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the program writes a byte
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err
