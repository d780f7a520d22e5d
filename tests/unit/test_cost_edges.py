"""The cost model at its edges, through `compute` on hand-built usage: a bucket
deleted mid-month, a bucket new in the last hours, a run at midnight, the IA
minimum across a month boundary, float shares at a billing unit, unknown object
sizes, and cents that add up. Each case was a bug found in review."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from r2tui.costs.forecast import pace
from r2tui.costs.month import compute, month_bounds
from r2tui.costs.usage import BucketUsage
from r2tui.metrics import DAY, HOUR
from r2tui.pricing import LIST_PRICES
from r2tui.status import _usd
from r2tui.tui.format import usd

GB = 1_000_000_000
NOV1 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
OCT1 = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())


def run(usages: dict[str, BucketUsage], now: int):  # type: ignore[no-untyped-def]
    start, end, before = month_bounds(now)
    return compute(usages, start, end, now, LIST_PRICES, None, before)


def steady(level: float, first: int, last: int, **kw: object) -> BucketUsage:
    u = BucketUsage(**kw)  # type: ignore[arg-type]
    u.peak_bytes = {d: level for d in range(first, last, DAY)}
    return u


def test_a_deleted_bucket_stops_costing() -> None:
    # 1,000 GB until it vanished from the listing on 4 Nov; its last sample is that day's.
    u = steady(1000 * GB, NOV1, NOV1 + 4 * DAY, gone_from=NOV1 + 4 * DAY)
    c = run({"old": u}, NOV1 + 19 * DAY)
    # 4 days x 1,000 GB = 4,000 GB-days / 30 = 133.33 GB-month, not 20 days' 666.67.
    assert c.bill.line("standard_storage").usage == pytest.approx(Decimal(4000) / 30)
    assert c.forecast.line("standard_storage").usage == pytest.approx(Decimal(4000) / 30)
    assert c.today == 0


def test_a_new_bucket_has_a_sane_pace() -> None:
    # 1,000 Class A an hour from 10 Nov 12:00; now one second past 11 Nov 12:00.
    start = NOV1 + 9 * DAY + 12 * HOUR
    u = BucketUsage(
        hourly={h: {"class_a_requests": 1000.0} for h in range(start, start + DAY + HOUR, HOUR)}
    )
    mean, low, high = pace(u, "class_a_requests", start + DAY + 1)
    # The last complete hour ends at 12:00: one whole day of 24,000 requests.
    assert (mean, low, high) == (24_000, 24_000, 24_000)
    # A window cut short by the first data is scaled by whole hours.
    assert pace(u, "class_a_requests", start + 3 * HOUR + 1)[0] == 24_000


def test_huge_usage_does_not_break_the_arithmetic() -> None:
    u = BucketUsage(hourly={NOV1 + h * HOUR: {"class_b_requests": 12e6} for h in range(24 * 10)})
    c = run({"busy": u}, NOV1 + 10 * DAY + 1)
    # 12 M an hour, steady: no crash settling ~1e10 requests, and high = mid.
    assert c.forecast_high.total == c.forecast.total > c.bill.total > 0


def test_a_run_at_midnight_forecasts_like_a_run_a_second_later() -> None:
    u = steady(1000 * GB, NOV1, NOV1 + 15 * DAY)
    at_midnight = run({"b": u}, NOV1 + 14 * DAY)
    later = run({"b": u}, NOV1 + 14 * DAY + 1)
    # A steady 1,000 GB month: 30,000 GB-days / 30 = 1,000 GB-month -> 990 x $0.015 = $14.85.
    assert at_midnight.forecast.total == later.forecast.total == Decimal("14.850")


def test_the_ia_minimum_reaches_back_into_last_month() -> None:
    # All IA: 100 GB, plus 900 GB added on 25 Oct and deleted on 2 Nov, 8 days old.
    u = BucketUsage(ia_byte_share=1.0, ia_object_share=1.0)
    u.peak_bytes = {
        d: (1000 if OCT1 + 24 * DAY <= d < NOV1 + DAY else 100) * GB
        for d in range(OCT1 - 40 * DAY, NOV1 + 10 * DAY, DAY)
    }
    c = run({"b": u}, NOV1 + 10 * DAY)
    # November: 1 Nov at 1,000 GB + 9 days at 100 GB = 1,900 GB-days, and the 900 GB owe
    # 22 more days: 19,800 GB-days. 21,700 / 30 = 723.33 GB-month.
    assert c.bill.line("ia_storage").usage == pytest.approx(Decimal(21_700) / 30)


def test_last_month_starts_its_ledger_at_the_first_known_level() -> None:
    # A steady 1,000 GB of IA from long before October, dropping to 100 GB on 10 Oct.
    u = BucketUsage(ia_byte_share=1.0, ia_object_share=1.0)
    u.peak_bytes = {
        d: (1000 if d < OCT1 + 9 * DAY else 100) * GB
        for d in range(OCT1 - 40 * DAY, NOV1 + 5 * DAY, DAY)
    }
    c = run({"b": u}, NOV1 + 5 * DAY)
    # October: 9 days x 1,000 + 22 x 100 = 11,200 GB-days / 30 = 373.33 -> 374 x $0.01;
    # the 900 GB were old (stored since before the ledger began): no minimum owed.
    assert c.last_month is not None and c.last_month.total == Decimal("3.74")


def test_a_float_share_does_not_bill_a_second_million() -> None:
    # 2,500,000 Class A, 60 % on IA objects: 1,000,000 Standard, inside the free tier.
    u = BucketUsage(ia_object_share=0.6, hourly={NOV1 + HOUR: {"class_a_requests": 2.5e6}})
    c = run({"b": u}, NOV1 + 2 * HOUR)
    assert c.bill.line("standard_class_a").usd == 0
    assert c.bill.line("ia_class_a").billable == 2_000_000  # 1,500,000 -> 2 M


def test_growth_is_measured_from_the_first_known_level() -> None:
    # 10 TB, flat, first sampled on 8 Nov: no growth for the high end to continue.
    u = steady(10_000 * GB, NOV1 + 7 * DAY, NOV1 + 10 * DAY)
    c = run({"b": u}, NOV1 + 9 * DAY + HOUR)
    assert c.forecast_high.total == c.forecast.total


def test_no_ia_advice_when_the_object_size_is_unknown() -> None:
    u = steady(1000 * GB, NOV1, NOV1 + 10 * DAY)
    u.hourly = {
        NOV1 + h * HOUR: {"download_requests": 2000.0, "class_b_requests": 2000.0}
        for h in range(24 * 9)
    }
    c = run({"hot": u}, NOV1 + 9 * DAY + HOUR)
    assert c.buckets["hot"].ia_saving is None  # no listing: GETs of unknown size


def test_bucket_cents_add_up_to_the_account() -> None:
    # Seven equal buckets of 11 GB: 77 GB-month - 10 free = 67 x $0.015 = $1.005 -> $1.01.
    usages = {f"b{i}": steady(11 * GB, NOV1, NOV1 + 30 * DAY) for i in range(7)}
    c = run(usages, NOV1 + 29 * DAY + 1)
    assert c.bill.total_usd == Decimal("1.01")
    assert sum(b.month_to_date for b in c.buckets.values()) == Decimal("1.01")


def test_money_is_shown_to_the_cent_half_up() -> None:
    assert usd(1.005) == "$1.01" and _usd(1.005) == 1.01
    assert usd(0) == "$0.00" and usd(0.000124) == "$0.000124"
