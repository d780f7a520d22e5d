"""The config's value parsers: durations, sizes and cron lines, each good form
read as written and each bad one refused."""

from __future__ import annotations

import math

import pytest

from r2tui.config.values import parse_cron, parse_duration, parse_schedule, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("6h", 21600),
        ("1d", 86400),
        ("1w", 604800),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("2M", 120),
        (90, 90),
    ],
)
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m5", "5x", "-5m", "5m garbage", True, 0, -1, 1.5])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        (500, 500),
        ("500", 500),
        ("1 KB", 1000),
        ("2kib", 2048),
        ("1.5 TiB", int(1.5 * 2**40)),
        ("3 GB", 3 * 10**9),
        (" 7 pb ", 7 * 10**15),
    ],
)
def test_sizes(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GB", "5 XB", "-1 GB", "0.0000001 B", True, 1.5, -3])
def test_bad_sizes(text: object) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "cron"),
    [
        ("0 3 * * *", "0 3 * * *"),
        ("0  3 * *  *", "0 3 * * *"),
        ("0 9 * * 1", "0 9 * * mon"),
        ("0 9 * * 0", "0 9 * * sun"),
        ("0 9 * * 7", "0 9 * * sun"),
        ("0 9 * * 5-7", "0 9 * * sun,fri,sat"),
        ("0 9 * * MON-fri", "0 9 * * mon,tue,wed,thu,fri"),
        ("0 9 * * */2", "0 9 * * sun,tue,thu,sat"),
        ("0 9 * * 1-5/2", "0 9 * * mon,wed,fri"),
        ("0 9 * * 0-6", "0 9 * * *"),
        ("0 9 * * sat,1", "0 9 * * mon,sat"),
    ],
)
def test_cron_weekdays_follow_crontab(text: str, cron: str) -> None:
    assert parse_cron(text) == cron
    assert parse_schedule(text) == (None, cron)


def test_cron_weekday_runs_on_the_day_written() -> None:
    """APScheduler 3.x numbers weekdays from Monday = 0; crontab from Sunday = 0.
    The normalised line must fire on the crontab day."""
    from datetime import UTC, datetime

    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(parse_cron("0 9 * * 1"), timezone=UTC)
    fire = trigger.get_next_fire_time(None, datetime(2025, 1, 1, tzinfo=UTC))  # a Wednesday
    assert fire is not None and fire.strftime("%A %H:%M") == "Monday 09:00"


@pytest.mark.parametrize(
    "text", ["0 9 * * 8", "0 9 * * funday", "0 9 * * 5-2", "0 9 * * 1/0", "0 9 * * 1-", "0 9 * * ,"]
)
def test_bad_cron_weekdays(text: str) -> None:
    with pytest.raises(ValueError, match="invalid cron schedule"):
        parse_cron(text)


def test_nan_is_never_a_duration_or_size() -> None:
    for parser in (parse_duration, parse_size):
        with pytest.raises(ValueError):
            parser(math.nan)
