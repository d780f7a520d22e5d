"""The R2 price model against Cloudflare's published rules and worked examples.

Every expected amount is worked by hand in the comment beside it from the public
price list (https://developers.cloudflare.com/r2/pricing/): Standard $0.015/GB-month, $4.50 and
$0.36 per million Class A and B; IA $0.01/GB-month, $9.00 and $0.90 per
million, $0.01/GB retrieved; Standard's free tier 10 GB-month, 1,000,000 Class
A, 10,000,000 Class B. The properties at the end hold for any usage and any
non-negative prices."""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.costs.bill import (
    ITEMS,
    Usage,
    bill,
    billable_units,
    gb_month,
    ia_minimum_byte_days,
    list_cost,
    to_cents,
    total_usage,
)
from r2tui.pricing import (
    CLASS_A_ACTIONS,
    CLASS_B_ACTIONS,
    FREE_ACTIONS,
    LIST_PRICES,
    LIST_SOURCE,
    PriceList,
    is_billed,
    is_known_action,
    operation_class,
    request_cost_usd,
)

D = Decimal
GB = 1_000_000_000
MILLION = 1_000_000


def line_usd(usage: Usage, item: str, free_tier: bool = True) -> Decimal:
    return bill(usage, free_tier=free_tier).line(item).usd


# --- rounding at and around each billing unit ----------------------------------------


@pytest.mark.parametrize(
    ("requests", "units", "usd"),
    [
        # 1,000,000 - 1,000,000 free = 0 -> nothing to bill
        (1_000_000, 0, D("0")),
        # 1,000,001 - 1,000,000 = 1 -> rounds up to 1 million -> 1 x $4.50
        (1_000_001, 1, D("4.50")),
        # 2,000,000 - 1,000,000 = 1,000,000 -> exactly 1 million -> 1 x $4.50
        (2_000_000, 1, D("4.50")),
        # 2,000,001 - 1,000,000 = 1,000,001 -> rounds up to 2 million -> 2 x $4.50 = $9.00
        (2_000_001, 2, D("9.00")),
    ],
)
def test_class_a_rounds_up_to_the_million_after_the_free_tier(
    requests: int, units: int, usd: Decimal
) -> None:
    line = bill(Usage(standard_class_a=requests)).line("standard_class_a")
    assert line.billable == units * MILLION
    assert line.usd == usd
    assert line.free == 1_000_000


@pytest.mark.parametrize(
    ("requests", "units", "usd"),
    [
        # 10,000,000 - 10,000,000 free = 0
        (10_000_000, 0, D("0")),
        # 10,000,001 - 10,000,000 = 1 -> 1 million -> 1 x $0.36
        (10_000_001, 1, D("0.36")),
        # 11,000,000 - 10,000,000 = 1,000,000 -> 1 million -> $0.36
        (11_000_000, 1, D("0.36")),
        # 11,000,001 - 10,000,000 = 1,000,001 -> 2 million -> 2 x $0.36 = $0.72
        (11_000_001, 2, D("0.72")),
    ],
)
def test_class_b_rounds_up_to_the_million_after_the_free_tier(
    requests: int, units: int, usd: Decimal
) -> None:
    line = bill(Usage(standard_class_b=requests)).line("standard_class_b")
    assert line.billable == units * MILLION
    assert line.usd == usd


@pytest.mark.parametrize(
    ("gb_months", "units", "usd"),
    [
        # 10 - 10 free = 0
        (D("10"), 0, D("0")),
        # 10.000001 - 10 = 0.000001 -> rounds up to 1 GB-month -> $0.015
        (D("10.000001"), 1, D("0.015")),
        # 11 - 10 = 1 -> 1 GB-month -> $0.015
        (D("11"), 1, D("0.015")),
        # 11.1 - 10 = 1.1 -> 2 GB-month -> 2 x $0.015 = $0.030
        (D("11.1"), 2, D("0.030")),
    ],
)
def test_standard_storage_rounds_up_to_the_gb_month(
    gb_months: Decimal, units: int, usd: Decimal
) -> None:
    line = bill(Usage(standard_gb_month=gb_months)).line("standard_storage")
    assert line.billable == units
    assert line.usd == usd


def test_ia_retrieval_rounds_up_to_the_gb() -> None:
    # 1.1 GB, no free tier -> 2 GB -> 2 x $0.01 = $0.02
    line = bill(Usage(ia_retrieval_gb=D("1.1"))).line("ia_retrieval")
    assert (line.billable, line.usd, line.free) == (2, D("0.02"), 0)


def test_billable_units_directly() -> None:
    assert billable_units(D(5), D(10), 1) == 0  # below the free tier: nothing
    assert billable_units(D(10), D(10), 1) == 0  # 10 - 10 = 0
    assert billable_units(D("10.5"), D(10), 1) == 1  # 0.5 -> 1
    assert billable_units(D(1), D(0), MILLION) == 1  # a single request -> 1 million
    assert billable_units(D(3 * MILLION), D(0), MILLION) == 3  # exactly 3 million


# --- free tier ----------------------------------------------------------------------


def test_infrequent_access_has_no_free_tier() -> None:
    usage = Usage(ia_gb_month=D(1), ia_class_a=1, ia_class_b=1, ia_retrieval_gb=D(1))
    b = bill(usage)
    # Each line: 1 unit at its IA price; none of Standard's allowance applies.
    assert b.line("ia_storage").usd == D("0.01")  # 1 GB-month x $0.01
    assert b.line("ia_class_a").usd == D("9.00")  # 1 request -> 1 million x $9.00
    assert b.line("ia_class_b").usd == D("0.90")  # 1 request -> 1 million x $0.90
    assert b.line("ia_retrieval").usd == D("0.01")  # 1 GB x $0.01
    assert all(
        b.line(i).free == 0 for i in ("ia_storage", "ia_class_a", "ia_class_b", "ia_retrieval")
    )
    # $0.01 + $9.00 + $0.90 + $0.01 = $9.92
    assert b.total == D("9.92")


def test_standard_usage_inside_the_free_tier_costs_nothing() -> None:
    b = bill(
        Usage(standard_gb_month=D(10), standard_class_a=1_000_000, standard_class_b=10_000_000)
    )
    assert b.total == 0
    # The free allowance used is the usage itself, never more.
    small = bill(Usage(standard_gb_month=D(3))).line("standard_storage")
    assert (small.free, small.billable) == (3, 0)


def test_without_the_free_tier_everything_is_billed() -> None:
    usage = Usage(standard_gb_month=D(10), standard_class_a=1_000_000, standard_class_b=10_000_000)
    b = bill(usage, free_tier=False)
    # 10 x $0.015 = $0.15; 1 million x $4.50; 10 million x $0.36 = $3.60
    assert b.line("standard_storage").usd == D("0.15")
    assert b.line("standard_class_a").usd == D("4.50")
    assert b.line("standard_class_b").usd == D("3.60")
    assert b.total == D("8.25")  # 0.15 + 4.50 + 3.60
    assert all(line.free == 0 for line in b.lines)


# --- the IA 30-day minimum ---------------------------------------------------------


def test_bytes_gone_on_day_five_are_charged_twenty_five_more_days() -> None:
    # 1 GB appears on day 1 and is gone on day 6: stored days 1-5, age 5 when it
    # goes, so 30 - 5 = 25 more days of 1 GB on day 6.
    series = [0, GB, GB, GB, GB, GB, 0, 0]
    assert ia_minimum_byte_days(series) == [0, 0, 0, 0, 0, 0, 25 * GB, 0]


def test_day_zero_bytes_count_as_old_enough() -> None:
    # What is there on the first day has an unknown age: assume >= 30 days.
    assert ia_minimum_byte_days([5 * GB, 2 * GB, 0]) == [0, 0, 0]


def test_the_newest_lot_is_removed_first() -> None:
    # Day 1: +10 GB (lot of day 1); day 3: +5 GB (lot of day 3); day 4: -5 GB.
    # LIFO takes the day-3 lot, age 4 - 3 = 1 -> 5 GB x 29 days. (FIFO would
    # take the day-1 lot, age 3, and charge 5 GB x 27.)
    extra = ia_minimum_byte_days([0, 10 * GB, 10 * GB, 15 * GB, 10 * GB])
    assert extra == [0, 0, 0, 0, 5 * GB * 29]


def test_a_removal_spanning_lots_charges_each_lot_its_own_age() -> None:
    # Day 1: +2 GB; day 2: +3 GB; day 5: down to 0. Newest first: 3 GB aged
    # 5 - 2 = 3 -> 3 x 27; then 2 GB aged 5 - 1 = 4 -> 2 x 26. 81 + 52 = 133 GB-days.
    extra = ia_minimum_byte_days([0, 2 * GB, 5 * GB, 5 * GB, 5 * GB, 0])
    assert extra[5] == 133 * GB and sum(extra) == 133 * GB


def test_bytes_older_than_the_minimum_are_free_to_go() -> None:
    # Added day 1, gone day 31: age 30 -> max(0, 30 - 30) = 0.
    series = [0] + [GB] * 30 + [0]
    assert sum(ia_minimum_byte_days(series)) == 0
    # A shorter minimum: gone at age 5 with a 7-day minimum -> 2 more days.
    assert ia_minimum_byte_days([0, GB, GB, GB, GB, GB, 0], minimum_days=7)[6] == 2 * GB


def test_growth_never_charges() -> None:
    assert ia_minimum_byte_days([0, GB, 2 * GB, 2 * GB, 7 * GB]) == [0, 0, 0, 0, 0]


# --- GB-month --------------------------------------------------------------------


def test_gb_month_is_the_average_of_daily_peaks() -> None:
    # REFERENCE: 1 GB x 5 days + 3 GB x 25 days = (5 + 75) / 30 = 8/3 GB-month.
    months = gb_month([GB] * 5 + [3 * GB] * 25)
    assert abs(months - D(8) / D(3)) < D("1e-20")
    # ceil(2.666...) = 3 GB-month with no free tier -> 3 x $0.015 = $0.045
    line = bill(Usage(standard_gb_month=months), free_tier=False).line("standard_storage")
    assert (line.billable, line.usd) == (3, D("0.045"))
    # Inside the 10 GB-month free tier it costs nothing.
    assert bill(Usage(standard_gb_month=months)).total == 0


def test_gb_month_is_exact_for_whole_gigabytes() -> None:
    # 10 GB every day for 30 days = 10 GB-month exactly: the free tier, no more.
    assert gb_month([10 * GB] * 30) == 10
    assert bill(Usage(standard_gb_month=gb_month([10 * GB] * 30))).total == 0
    # One more byte on one day: 10 + 1/(1e9 x 30) > 10 -> 1 GB-month -> $0.015
    assert bill(Usage(standard_gb_month=gb_month([10 * GB + 1] + [10 * GB] * 29))).total == D(
        "0.015"
    )


# --- operations ---------------------------------------------------------------------


def test_unknown_actions_are_class_a_and_flagged() -> None:
    assert operation_class("PutBucketWebsite") == "A"
    assert not is_known_action("PutBucketWebsite")
    assert all(operation_class(a) == "A" and is_known_action(a) for a in CLASS_A_ACTIONS)
    assert all(operation_class(a) == "B" and is_known_action(a) for a in CLASS_B_ACTIONS)
    assert all(operation_class(a) == "free" and is_known_action(a) for a in FREE_ACTIONS)


@pytest.mark.parametrize(
    ("status", "billed"),
    [
        (200, True),
        (401, False),
        (403, False),
        (400, True),
        (404, True),
        (412, True),
        (500, True),
    ],
)
def test_only_authentication_and_authorization_failures_are_free(status: int, billed: bool) -> None:
    assert is_billed(status) is billed


def test_request_cost_is_list_price_before_the_free_tier() -> None:
    # 1,000,000 x $4.50/M + 500,000 x $0.36/M = 4.50 + 0.18 = $4.68
    assert request_cost_usd(1_000_000, 500_000) == pytest.approx(4.68)
    assert request_cost_usd(0, 0) == 0


def test_mixed_classes_in_one_bill() -> None:
    usage = Usage(
        standard_gb_month=D(25),
        standard_class_a=3_500_000,
        standard_class_b=12_000_000,
        ia_gb_month=D("40.5"),
        ia_class_a=10,
        ia_class_b=2_000_001,
        ia_retrieval_gb=D(3),
    )
    b = bill(usage)
    expected = {
        "standard_storage": D("0.225"),  # 25 - 10 = 15 x $0.015
        "standard_class_a": D("13.50"),  # 3.5M - 1M = 2.5M -> 3 x $4.50
        "standard_class_b": D("0.72"),  # 12M - 10M = 2M -> 2 x $0.36
        "ia_storage": D("0.41"),  # 40.5 -> 41 x $0.01
        "ia_class_a": D("9.00"),  # 10 -> 1 million x $9.00
        "ia_class_b": D("2.70"),  # 2,000,001 -> 3 million x $0.90
        "ia_retrieval": D("0.03"),  # 3 GB x $0.01
    }
    assert {line.item: line.usd for line in b.lines} == expected
    # 0.225 + 13.50 + 0.72 + 0.41 + 9.00 + 2.70 + 0.03 = 26.585 -> $26.59 half-up
    assert b.total == D("26.585")
    assert b.total_usd == D("26.59")
    assert b.by_kind("storage") == D("0.635")  # 0.225 + 0.41
    assert b.by_kind("requests") == D("25.92")  # 13.50 + 0.72 + 9.00 + 2.70
    assert b.by_kind("retrieval") == D("0.03")


def test_usage_adds_up_and_moves_to_ia() -> None:
    a = Usage(standard_gb_month=D(1), standard_class_a=2, ia_retrieval_gb=D(1))
    b = Usage(standard_gb_month=D(2), ia_gb_month=D(3), standard_class_b=5)
    total = total_usage([a, b])
    assert total == Usage(
        standard_gb_month=D(3),
        standard_class_a=2,
        standard_class_b=5,
        ia_gb_month=D(3),
        ia_retrieval_gb=D(1),
    )
    assert total.as_ia() == Usage(
        ia_gb_month=D(6), ia_class_a=2, ia_class_b=5, ia_retrieval_gb=D(1)
    )


# --- Cloudflare's worked examples (developers.cloudflare.com/r2/pricing) -----------


def test_cloudflare_example_standard() -> None:
    b = bill(Usage(standard_gb_month=D(1000), standard_class_a=1000, standard_class_b=1_000_000))
    # 1,000 - 10 free = 990 GB-month x $0.015 = $14.85
    assert b.line("standard_storage").billable == 990
    assert b.line("standard_storage").usd == D("14.85")
    # 1,000 Class A and 1,000,000 Class B are within 1M and 10M free.
    assert b.by_kind("requests") == 0
    assert b.total_usd == D("14.85")


def test_cloudflare_example_infrequent_access() -> None:
    # 1,000 objects x 1 GB stored from day 1, deleted on day 6 (after 5 days):
    # 5 days stored + 25 days of the 30-day minimum = 30 days of 1,000 GB.
    series = [0] + [1000 * GB] * 5 + [0] * 24
    extra = ia_minimum_byte_days(series)
    assert sum(extra) == 25 * 1000 * GB
    months = gb_month([s + e for s, e in zip(series, extra, strict=True)])
    assert months == 1000  # 1,000 GB x 30 days / 30
    b = bill(
        Usage(ia_gb_month=months, ia_class_a=1000, ia_class_b=1_000_000, ia_retrieval_gb=D(1000))
    )
    assert b.line("ia_storage").usd == D("10.00")  # 1,000 x $0.01
    assert b.line("ia_class_a").usd == D("9.00")  # 1,000 -> 1 million x $9.00
    assert b.line("ia_class_b").usd == D("0.90")  # 1,000,000 = 1 million x $0.90
    assert b.line("ia_retrieval").usd == D("10.00")  # 1,000 GB x $0.01
    assert b.total_usd == D("29.90")  # 10 + 9 + 0.90 + 10


def test_cloudflare_example_asset_hosting() -> None:
    # 100,000 objects x 100 KB = 1e10 bytes = 10 GB, all month: 10 GB-month, free.
    months = gb_month([100_000 * 100_000] * 30)
    assert months == 10
    b = bill(
        Usage(standard_gb_month=months, standard_class_a=100_000, standard_class_b=300_000_000)
    )
    assert b.line("standard_storage").usd == 0
    assert b.line("standard_class_a").usd == 0  # 100,000 < 1M free
    # 300,000,000 - 10,000,000 = 290,000,000 -> 290 x $0.36 = $104.40
    assert b.line("standard_class_b").billable == 290_000_000
    assert b.total_usd == D("104.40")


# --- price overrides ---------------------------------------------------------------


def test_an_override_changes_the_bill_and_names_its_source() -> None:
    prices = LIST_PRICES.overridden(
        {"standard_class_b_per_million": 0.5, "free_class_b": 0}, "contract 2025"
    )
    assert prices.source == "contract 2025"
    assert prices.standard_class_b_per_million == D("0.5")
    assert LIST_PRICES.source == LIST_SOURCE  # the list itself is untouched
    b = bill(Usage(standard_class_b=3_000_000), prices)
    # No free Class B any more: 3 million x $0.50 = $1.50
    assert b.total == D("1.5")
    assert b.prices.source == "contract 2025"


def test_overriding_the_gigabyte_changes_gb_month() -> None:
    prices = LIST_PRICES.overridden({"bytes_per_gb": 2**30}, "binary")
    assert prices.bytes_per_gb == 2**30 and isinstance(prices.bytes_per_gb, int)
    # 2^30 bytes for 30 days with 2^30-byte gigabytes = 1 GB-month
    assert gb_month([2**30] * 30, prices) == 1
    # A float that is a whole number is a whole number.
    assert LIST_PRICES.overridden({"bytes_per_gb": 1e9}, "x").bytes_per_gb == GB


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"standard_storage": 1}, "unknown price 'standard_storage'"),
        ({"source": "x"}, "unknown price 'source'"),
        ({"ia_storage_gb_month": -0.01}, "ia_storage_gb_month must be a number of 0 or more"),
        ({"free_class_a": "lots"}, "free_class_a must be a number"),
        ({"free_class_a": None}, "free_class_a must be a number"),
        ({"standard_class_a_per_million": True}, "standard_class_a_per_million"),
        ({"standard_class_a_per_million": float("nan")}, "standard_class_a_per_million must be"),
        ({"standard_class_a_per_million": float("inf")}, "standard_class_a_per_million must be"),
        ({"bytes_per_gb": 1.5}, "bytes_per_gb must be a whole number of 1 or more"),
        ({"bytes_per_gb": 0}, "bytes_per_gb must be a whole number of 1 or more"),
        ({"billing_period_days": False}, "billing_period_days"),
    ],
)
def test_a_bad_override_names_the_field(values: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        LIST_PRICES.overridden(values, "test")


def test_unknown_price_lists_the_valid_names() -> None:
    with pytest.raises(ValueError) as info:
        LIST_PRICES.overridden({"egress": 0}, "test")
    valid = [f.name for f in fields(PriceList) if f.name != "source"]
    assert all(name in str(info.value) for name in valid)


# --- properties --------------------------------------------------------------------

gb_values = st.decimals(
    min_value=0, max_value=10**7, places=6, allow_nan=False, allow_infinity=False
)
counts = st.integers(min_value=0, max_value=10**11)
usages = st.builds(
    Usage,
    standard_gb_month=gb_values,
    standard_class_a=counts,
    standard_class_b=counts,
    ia_gb_month=gb_values,
    ia_class_a=counts,
    ia_class_b=counts,
    ia_retrieval_gb=gb_values,
)
money = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False)
price_lists = st.builds(
    PriceList,
    standard_storage_gb_month=money,
    standard_class_a_per_million=money,
    standard_class_b_per_million=money,
    ia_storage_gb_month=money,
    ia_class_a_per_million=money,
    ia_class_b_per_million=money,
    ia_retrieval_per_gb=money,
    free_storage_gb_month=gb_values,
    free_class_a=counts.map(Decimal),
    free_class_b=counts.map(Decimal),
)
USAGE_FIELDS = [f.name for f in fields(Usage)]


@settings(max_examples=200, deadline=None)
@given(
    usage=usages,
    prices=price_lists,
    free_tier=st.booleans(),
    name=st.sampled_from(USAGE_FIELDS),
    more=st.integers(min_value=0, max_value=10**9),
)
def test_the_bill_is_non_negative_and_monotone(
    usage: Usage, prices: PriceList, free_tier: bool, name: str, more: int
) -> None:
    before = bill(usage, prices, free_tier)
    grown = replace(usage, **{name: getattr(usage, name) + more})
    assert before.total >= 0
    assert bill(grown, prices, free_tier).total >= before.total


@settings(max_examples=200, deadline=None)
@given(usage=usages, prices=price_lists, free_tier=st.booleans())
def test_billable_is_usage_after_free_rounded_up_to_one_unit(
    usage: Usage, prices: PriceList, free_tier: bool
) -> None:
    b = bill(usage, prices, free_tier)
    for item, line in zip(ITEMS, b.lines, strict=True):
        free = D(getattr(prices, item.free)) if free_tier and item.free else D(0)
        over = max(D(0), line.usage - free)
        assert over <= line.billable < over + item.unit_size
        assert line.billable % item.unit_size == 0
        assert line.usd == line.billable / item.unit_size * D(getattr(prices, item.price))


@settings(max_examples=200, deadline=None)
@given(usage=usages, prices=price_lists, free_tier=st.booleans())
def test_the_total_is_the_sum_of_lines_and_rounds_to_the_nearest_cent(
    usage: Usage, prices: PriceList, free_tier: bool
) -> None:
    b = bill(usage, prices, free_tier)
    assert b.total == sum(line.usd for line in b.lines)
    assert b.total == sum(b.by_kind(k) for k in ("storage", "requests", "retrieval"))
    assert abs(to_cents(b.total) - b.total) <= D("0.005")
    assert b.total_usd == to_cents(b.total)


@settings(max_examples=200, deadline=None)
@given(usage=usages, prices=price_lists)
def test_the_monthly_bill_without_free_tier_is_at_least_list_cost(
    usage: Usage, prices: PriceList
) -> None:
    assert bill(usage, prices, free_tier=False).total >= list_cost(usage, prices)


levels = st.lists(st.integers(min_value=0, max_value=10**15), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(series=levels, minimum=st.integers(min_value=1, max_value=90))
def test_the_ia_minimum_charges_only_removals_younger_than_the_minimum(
    series: list[int], minimum: int
) -> None:
    extra = ia_minimum_byte_days(series, minimum)
    assert len(extra) == len(series) and extra[0] == 0
    for day in range(1, len(series)):
        gone = series[day - 1] - series[day]
        # Bytes removed on `day` were at least a day old: at most minimum - 1 more days each.
        assert 0 <= extra[day] <= max(0, gone) * (minimum - 1)


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=10**15),
    start=st.integers(1, 40),
    days=st.integers(1, 60),
    minimum=st.integers(1, 60),
)
def test_an_object_is_charged_for_at_least_the_minimum(
    size: int, start: int, days: int, minimum: int
) -> None:
    # One object from day `start`, gone after `days` days: stored days plus
    # extra equals max(days, minimum) x size.
    series = [0] * start + [size] * days + [0]
    extra = ia_minimum_byte_days(series, minimum)
    assert sum(series) + sum(extra) == max(days, minimum) * size
