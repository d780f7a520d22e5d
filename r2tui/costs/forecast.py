"""The usage the month reaches: requests at the pace of the trailing days
(the mean, the quietest and the busiest day), storage at today's level (or
growing as it grew, the high case)."""

from __future__ import annotations

from decimal import Decimal

from r2tui.costs.bill import ZERO, Usage
from r2tui.costs.daily_usage import estimated_read_bytes
from r2tui.costs.levels import Level, class_levels, first_known, share
from r2tui.costs.usage import (
    CLASSIFIED,
    MEASURED_RETRIEVAL,
    UNCLASSIFIED,
    UNMEASURED_GETS,
    BucketUsage,
)
from r2tui.metrics import DAY, HOUR
from r2tui.pricing import PriceList

TRAILING_DAYS = 7


def pace(
    u: BucketUsage, series: str, now: int, days: int = TRAILING_DAYS
) -> tuple[Decimal, Decimal, Decimal]:
    """Requests per day over the trailing days with data: mean, quietest, busiest.
    Windows end at the last complete hour, and one cut short by the first data
    is scaled by whole hours: an hour's requests never stand for a second's."""
    end = now - now % HOUR
    first = min(u.hourly, default=end)
    per_day = []
    for k in range(days):
        hi = end - k * DAY
        lo = max(first, hi - DAY)
        if hi <= lo:
            break
        per_day.append(Decimal(u.requests(series, lo, hi)) * DAY / (hi - lo))
    if not per_day:
        return ZERO, ZERO, ZERO
    return sum(per_day, ZERO) / len(per_day), min(per_day), max(per_day)


def project(
    u: BucketUsage, mtd: Usage, today: int, now: int, month_end: int, prices: PriceList, case: str
) -> Usage:
    """The usage the month reaches: `case` is "mid", "low" or "high"."""
    pick = {"mid": 0, "low": 1, "high": 2}[case]
    remaining = Decimal(max(0, month_end - now)) / DAY
    # Days whose storage the month so far does not hold: from tomorrow, or from
    # today when `now` is its very first second.
    ahead_from = now if now == today else today + DAY
    full_days = max(0, (month_end - ahead_from) // DAY)
    level = class_levels(u, range(today, today + DAY, DAY))[0]
    then = None
    first = first_known(u)
    if case == "high" and first is not None:
        # Growth since the window's first known level: days before the first
        # sample are unknown, not empty.
        since = max(today - TRAILING_DAYS * DAY, first)
        span = (today - since) // DAY
        if span > 0:
            then = class_levels(u, range(since, since + DAY, DAY))[0], span
    per_gb_month = Decimal(prices.bytes_per_gb) * prices.billing_period_days
    std_gb, ia_gb = _ahead_gb_month(u, level, then, full_days, per_gb_month)
    a_std, a_ia = paced_split(u, "class_a_requests", now, pick, remaining)
    b_std, b_ia = paced_split(u, "class_b_requests", now, pick, remaining)
    read = pace(u, MEASURED_RETRIEVAL, now)[pick] * remaining + estimated_read_bytes(
        u, pace(u, UNMEASURED_GETS, now)[pick] * remaining
    )
    ahead = Usage(
        standard_gb_month=std_gb,
        ia_gb_month=ia_gb,
        standard_class_a=a_std,
        standard_class_b=b_std,
        ia_class_a=a_ia,
        ia_class_b=b_ia,
        ia_retrieval_gb=read / prices.bytes_per_gb,
    )
    return mtd + ahead


def _ahead_gb_month(
    u: BucketUsage,
    level: Level,
    then: tuple[Level, int] | None,
    full_days: int,
    per_gb_month: Decimal,
) -> tuple[Decimal, Decimal]:
    """(Standard, IA) GB-month of the days ahead: stored at today's level of each
    class, growing by its growth a day since `then` (the high case) if it grew.
    Levels split by the listing are split after the sum, as the bill's days are."""
    if level.classes is None and (then is None or then[0].classes is None):
        total = Decimal(level.total)
        growth = ZERO if then is None else max(ZERO, (total - Decimal(then[0].total)) / then[1])
        stored = (total * full_days + growth * full_days * (full_days + 1) / 2) / per_gb_month
        ia = share(u.ia_byte_share)
        return stored * (1 - ia), stored * ia
    out = []
    for part in (Level.standard, Level.ia):
        now_level = Decimal(repr(part(level, u)))
        growth = ZERO
        if then is not None:
            past, span = then
            growth = max(ZERO, (now_level - Decimal(repr(part(past, u)))) / span)
        future = now_level * full_days + growth * full_days * (full_days + 1) / 2
        out.append(future / per_gb_month)
    return out[0], out[1]


def paced_split(
    u: BucketUsage, series: str, now: int, pick: int, remaining: Decimal
) -> tuple[Decimal, Decimal]:
    """(Standard, IA) requests of `series` ahead at the trailing pace: the IA part
    counted where the requests said their class, else the listing's share."""
    counted = pace(u, CLASSIFIED + series, now)[pick] * remaining
    ia_counted = pace(u, CLASSIFIED + "ia_" + series, now)[pick] * remaining
    rest = pace(u, UNCLASSIFIED + series, now)[pick] * remaining
    ia_ops = share(u.ia_object_share)
    return counted - ia_counted + rest * (1 - ia_ops), ia_counted + rest * ia_ops
