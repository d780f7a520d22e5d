"""A bucket's billable usage day by day: each day's stored GB-month per
storage class, its requests split between Standard and Infrequent Access, the
IA bytes read, and the byte-days IA's minimum storage duration adds."""

from __future__ import annotations

from decimal import Decimal

from r2tui.costs.bill import Usage, gb_month, ia_minimum_byte_days, total_usage
from r2tui.costs.levels import Level, class_levels, first_known, share
from r2tui.costs.usage import (
    CLASSIFIED,
    MEASURED_RETRIEVAL,
    UNCLASSIFIED,
    UNMEASURED_GETS,
    BucketUsage,
)
from r2tui.metrics import DAY
from r2tui.pricing import PriceList


def _days(start: int, end: int) -> range:
    return range(start, end, DAY)


def stored_gb_month(u: BucketUsage, level: Level, prices: PriceList) -> tuple[Decimal, Decimal]:
    """A day's (Standard, IA) GB-month: each measured class's own peak, else the
    day's peak split by the listing's IA share."""
    if level.classes is not None:
        return gb_month([level.classes[0]], prices), gb_month([level.classes[1]], prices)
    stored = gb_month([level.total], prices)
    ia = share(u.ia_byte_share)
    return stored * (1 - ia), stored * ia


def split_requests(u: BucketUsage, series: str, start: int, end: int) -> tuple[Decimal, Decimal]:
    """(Standard, IA) billed requests of `series` over [start, end): counted per
    class where the requests said it, split by the listing's IA share of
    objects where they did not."""
    counted = Decimal(int(u.requests(CLASSIFIED + series, start, end)))
    ia_counted = Decimal(int(u.requests(CLASSIFIED + "ia_" + series, start, end)))
    rest = Decimal(int(u.requests(UNCLASSIFIED + series, start, end)))
    ia_ops = share(u.ia_object_share)
    return counted - ia_counted + rest * (1 - ia_ops), ia_counted + rest * ia_ops


def retrieval_gb(u: BucketUsage, start: int, end: int, prices: PriceList) -> Decimal:
    """IA data retrieval over [start, end): the bytes read from IA where they were
    measured, plus GETs x the IA share of bytes x the mean object size where not."""
    measured = Decimal(int(u.requests(MEASURED_RETRIEVAL, start, end)))
    gets = Decimal(int(u.requests(UNMEASURED_GETS, start, end)))
    return (measured + estimated_read_bytes(u, gets)) / prices.bytes_per_gb


def estimated_read_bytes(u: BucketUsage, gets: Decimal) -> Decimal:
    """IA bytes `gets` GETs read by the last listing: its IA share of bytes, each
    GET reading the mean object size."""
    return gets * share(u.ia_byte_share) * share(u.mean_object_bytes)


def day_usage(
    u: BucketUsage, day: int, end: int, level: Level, ia_extra_byte_days: int, prices: PriceList
) -> Usage:
    """A bucket's usage over [day, end) with `level` stored that day."""
    per_gb_month = Decimal(prices.bytes_per_gb) * prices.billing_period_days
    std_a, ia_a = split_requests(u, "class_a_requests", day, end)
    std_b, ia_b = split_requests(u, "class_b_requests", day, end)
    std_gb, ia_gb = stored_gb_month(u, level, prices)
    return Usage(
        standard_gb_month=std_gb,
        standard_class_a=std_a,
        standard_class_b=std_b,
        ia_gb_month=ia_gb + Decimal(ia_extra_byte_days) / per_gb_month,
        ia_class_a=ia_a,
        ia_class_b=ia_b,
        ia_retrieval_gb=retrieval_gb(u, day, end, prices),
    )


def month_usage(
    u: BucketUsage, start: int, end: int, prices: PriceList
) -> tuple[Usage, dict[int, Usage]]:
    """A bucket's usage from `start` (a day start) to `end`, in total and per day.
    The IA minimum's ledger starts `ia_minimum_days` earlier, so bytes added late
    last month and deleted early in this one are still charged; or at the first
    stored level, whose age is unknown and taken as old enough."""
    days = _days(start, end)
    peaks = class_levels(u, days)
    lo = start - prices.ia_minimum_days * DAY
    first = first_known(u)
    if first is not None:
        lo = max(lo, first)
    ledger = range(lo, end, DAY)
    extras = (
        ia_minimum_byte_days([p.ia(u) for p in class_levels(u, ledger)], prices.ia_minimum_days)
        if len(ledger)
        else []
    )
    extra = {d: x for d, x in zip(ledger, extras, strict=True)}
    per_day = {
        d: day_usage(u, d, min(d + DAY, end), peaks[i], extra.get(d, 0), prices)
        for i, d in enumerate(days)
    }
    return total_usage(per_day.values()), per_day
