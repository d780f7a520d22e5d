"""A month of usage turned into money: month to date, each day's share, the
forecast and its range, the free tier's burn-down, spikes and savings. Pure:
it takes what `store.usage.read` returns and gives numbers back.

How each figure is defined (the README's Cost section says the same):

- Storage per bucket and UTC day is that day's peak bytes; a day without a
  sample carries the previous day's level (the data is still there). The
  Infrequent Access share and the IA share of requests come from the bucket's
  last listing; GETs of IA data read the mean object size (an estimate: the
  analytics API gives no bytes per request).
- Month to date is the bill (free tier, rounding up) of the month's usage so
  far, summed over buckets. Each day's cost is what that day added to it, so
  the days sum to the month to date; the daily average is the month to date
  over the days elapsed.
- The forecast bills the usage the month reaches if requests keep the pace of
  the last 7 days and storage stays where it is; the low end takes the
  quietest of those days and no growth, the high end the busiest day and the
  storage growth of the last 7 days continued.
- A spike compares the last 24 hours' cost at list price (no free tier) with
  the mean of the 7 days before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from r2tui.config.model import CostSettings
from r2tui.metrics import DAY, HOUR
from r2tui.pricing import (
    USAGE_FIELD,
    ZERO,
    Bill,
    PriceList,
    Usage,
    gb_month,
    ia_minimum_byte_days,
    to_cents,
    total_usage,
)
from r2tui.store.usage import BucketUsage

TRAILING_DAYS = 7


@dataclass
class BucketCosts:
    month_usage: Usage = field(default_factory=Usage)
    projected: Usage = field(default_factory=Usage)  # the usage the month reaches at pace
    month_to_date: Decimal = ZERO  # its share of the account's bill
    forecast: Decimal = ZERO
    by_kind: dict[str, Decimal] = field(default_factory=dict)  # storage | requests | retrieval
    daily: dict[int, Decimal] = field(default_factory=dict)  # list cost per day
    today: Decimal = ZERO  # the last 24 hours at list price
    baseline: Decimal | None = None  # mean day of the baseline at list price
    ia_saving: Decimal | None = None  # per month, if moved to Infrequent Access
    standard_saving: Decimal | None = None  # per month, if its IA data moved to Standard


@dataclass
class MonthCosts:
    month_start: int
    month_end: int
    now: int
    bill: Bill
    forecast: Bill
    forecast_low: Bill
    forecast_high: Bill
    daily: dict[int, Decimal]  # day start → what the day added to the bill
    buckets: dict[str, BucketCosts]
    today: Decimal  # the last 24 hours at list price
    baseline: Decimal | None
    runs_out: dict[str, int | None]  # free allowance → when it runs out; None: not this month
    last_month: Bill | None = None
    last_daily: dict[int, Decimal] = field(default_factory=dict)  # last month's days
    has_requests: bool = False  # some request counts exist (analytics)

    @property
    def month_to_date(self) -> Decimal:
        return self.bill.total

    @property
    def daily_average(self) -> Decimal:
        # Days begun, as the bill counts them: the month to date holds today's
        # whole storage already, from its first hour.
        return self.bill.total / max(1, -(-(self.now - self.month_start) // DAY))

    @property
    def increase_pct(self) -> float | None:
        return increase_pct(self.today, self.baseline)


def increase_pct(today: Decimal, baseline: Decimal | None) -> float | None:
    if baseline is None or baseline <= 0:
        return None
    return float(100 * (today - baseline) / baseline)


def is_spike(today: Decimal, baseline: Decimal | None, s: CostSettings) -> bool:
    pct = increase_pct(today, baseline)
    return (pct is not None and baseline is not None and pct >= s.spike_pct
            and float(today - baseline) >= s.spike_min_usd)


def _days(start: int, end: int) -> range:
    return range(start, end, DAY)


def levels(u: BucketUsage, days: range) -> list[float]:
    """Peak bytes for each day; a day without a sample keeps the level before it,
    and a bucket that is gone stores nothing."""
    known = sorted(u.peak_bytes)
    level = 0.0
    for d in known:
        if d < days.start:
            level = u.peak_bytes[d]
    out = []
    for d in days:
        level = u.peak_bytes.get(d, level)
        out.append(0.0 if u.gone_from is not None and d >= u.gone_from else level)
    return out


def first_known(u: BucketUsage) -> int | None:
    """The first day with a storage sample: before it, the level is unknown."""
    return min(u.peak_bytes, default=None)


def share(value: float) -> Decimal:
    """A float share as the decimal it prints as: 0.6, not 0.59999999999999997…"""
    return Decimal(repr(value))


def day_usage(u: BucketUsage, day: int, end: int, peak: float, ia_extra_byte_days: int,
              prices: PriceList) -> Usage:
    """A bucket's usage over [day, end) with `peak` bytes stored that day."""
    ia = share(u.ia_byte_share)
    ia_ops = share(u.ia_object_share)
    per_gb_month = Decimal(prices.bytes_per_gb) * prices.billing_period_days
    a = Decimal(int(u.requests("class_a_requests", day, end)))
    b = Decimal(int(u.requests("class_b_requests", day, end)))
    gets = Decimal(int(u.requests("download_requests", day, end)))
    stored = gb_month([peak], prices)
    return Usage(
        standard_gb_month=stored * (1 - ia),
        standard_class_a=a * (1 - ia_ops), standard_class_b=b * (1 - ia_ops),
        ia_gb_month=stored * ia + Decimal(ia_extra_byte_days) / per_gb_month,
        ia_class_a=a * ia_ops, ia_class_b=b * ia_ops,
        ia_retrieval_gb=gets * ia * share(u.mean_object_bytes) / prices.bytes_per_gb)


def month_usage(u: BucketUsage, start: int, end: int, prices: PriceList
                ) -> tuple[Usage, dict[int, Usage]]:
    """A bucket's usage from `start` (a day start) to `end`, in total and per day.
    The IA minimum's ledger starts `ia_minimum_days` earlier, so bytes added late
    last month and deleted early in this one are still charged; or at the first
    stored level, whose age is unknown and taken as old enough."""
    days = _days(start, end)
    peaks = levels(u, days)
    lo = start - prices.ia_minimum_days * DAY
    first = first_known(u)
    if first is not None:
        lo = max(lo, first)
    ledger = range(lo, end, DAY)
    extras = ia_minimum_byte_days([p * u.ia_byte_share for p in levels(u, ledger)],
                                  prices.ia_minimum_days) if len(ledger) else []
    extra = {d: x for d, x in zip(ledger, extras, strict=True)}
    per_day = {d: day_usage(u, d, min(d + DAY, end), peaks[i], extra.get(d, 0), prices)
               for i, d in enumerate(days)}
    return total_usage(per_day.values()), per_day


def allocate(total: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """`total` split by weight, each part exact (not rounded)."""
    whole = sum(weights.values(), ZERO)
    if whole <= 0:
        return dict.fromkeys(weights, ZERO)
    return {k: total * w / whole for k, w in weights.items()}


def split_cents(total: Decimal, parts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Parts rounded to cents so that they add up to `total` rounded to cents
    (largest remainder): a per-bucket table sums to the account's figure."""
    floors = {k: v.quantize(Decimal("0.01"), rounding="ROUND_FLOOR") for k, v in parts.items()}
    left = int((to_cents(total) - sum(floors.values(), ZERO)) * 100)
    order = sorted(parts, key=lambda k: (floors[k] - parts[k], k))
    for k in order[:max(0, left)]:
        floors[k] += Decimal("0.01")
    return floors


def bucket_shares(b: Bill, usages: Mapping[str, Usage]) -> dict[str, dict[str, Decimal]]:
    """Each bucket's share of each kind of charge, by its share of the usage
    each line bills."""
    out: dict[str, dict[str, Decimal]] = {k: {"storage": ZERO, "requests": ZERO,
                                              "retrieval": ZERO} for k in usages}
    for line in b.lines:
        weights = {k: Decimal(getattr(u, USAGE_FIELD[line.item])) for k, u in usages.items()}
        for k, part in allocate(line.usd, weights).items():
            out[k][line.kind] += part
    return out


def pace(u: BucketUsage, series: str, now: int, days: int = TRAILING_DAYS
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


def project(u: BucketUsage, mtd: Usage, today: int, now: int, month_end: int,
            prices: PriceList, case: str) -> Usage:
    """The usage the month reaches: `case` is "mid", "low" or "high"."""
    pick = {"mid": 0, "low": 1, "high": 2}[case]
    remaining = Decimal(max(0, month_end - now)) / DAY
    # Days whose storage the month so far does not hold: from tomorrow, or from
    # today when `now` is its very first second.
    ahead_from = now if now == today else today + DAY
    full_days = max(0, (month_end - ahead_from) // DAY)
    level = Decimal(levels(u, range(today, today + DAY, DAY))[0])
    growth = ZERO
    first = first_known(u)
    if case == "high" and first is not None:
        # Growth since the window's first known level: days before the first
        # sample are unknown, not empty.
        since = max(today - TRAILING_DAYS * DAY, first)
        span = (today - since) // DAY
        if span > 0:
            then = Decimal(levels(u, range(since, since + DAY, DAY))[0])
            growth = max(ZERO, (level - then) / span)
    # Days ahead stored at the level, growing by `growth` a day in the high case.
    future_bytes = level * full_days + growth * full_days * (full_days + 1) / 2
    stored = future_bytes / (Decimal(prices.bytes_per_gb) * prices.billing_period_days)
    ia, ia_ops = share(u.ia_byte_share), share(u.ia_object_share)
    a = pace(u, "class_a_requests", now)[pick] * remaining
    b = pace(u, "class_b_requests", now)[pick] * remaining
    gets = pace(u, "download_requests", now)[pick] * remaining
    ahead = Usage(standard_gb_month=stored * (1 - ia), ia_gb_month=stored * ia,
                  standard_class_a=a * (1 - ia_ops), standard_class_b=b * (1 - ia_ops),
                  ia_class_a=a * ia_ops, ia_class_b=b * ia_ops,
                  ia_retrieval_gb=gets * ia * share(u.mean_object_bytes) / prices.bytes_per_gb)
    return mtd + ahead


def round_usd(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))
