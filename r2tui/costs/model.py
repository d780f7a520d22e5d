"""A month of usage turned into money: month to date, each day's share, the
forecast and its range, the free tier's burn-down, spikes and savings. Pure:
it takes what `store.usage.read` returns and gives numbers back.

How each figure is defined (docs/costs.md says the same):

- Storage per bucket and UTC day is that day's peak bytes; a day without a
  sample carries the previous day's level (the data is still there). Each
  storage class's peak is measured where Cloudflare's analytics said the class
  (a bucket holding both has one row per class); else the day's peak is split
  by the Infrequent Access share of the bucket's last listing (estimated).
- Requests to IA objects are counted where the analytics said each request's
  storage class (measured), else the listing's IA share of objects is applied
  (estimated). IA retrieval is the bytes successful GETs of IA objects sent,
  where the analytics gave byte sums too (measured), else GETs x the IA share
  of bytes x the mean object size (estimated).
- Each bucket's bill says, per kind of charge, whether its usage was measured,
  estimated or partly either (`Basis`).
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
from r2tui.store.usage import (
    CLASSIFIED,
    MEASURED_RETRIEVAL,
    UNCLASSIFIED,
    UNMEASURED_GETS,
    BucketUsage,
)

TRAILING_DAYS = 7
KINDS = ("storage", "requests", "retrieval")


@dataclass(frozen=True)
class Level:
    """A bucket's stored bytes on one day: `classes` the (Standard, IA) peaks
    analytics measured, or None when the total is split by the listing's share."""

    total: float
    classes: tuple[float, float] | None = None

    @property
    def estimated(self) -> bool:
        return self.classes is None and self.total > 0

    def ia(self, u: BucketUsage) -> float:
        return self.classes[1] if self.classes is not None else self.total * u.ia_byte_share

    def standard(self, u: BucketUsage) -> float:
        if self.classes is not None:
            return self.classes[0]
        return self.total * float(1 - share(u.ia_byte_share))


NOTHING = Level(0.0)


@dataclass
class Basis:
    """Per kind of charge, whether some of a bill's usage was measured and
    whether some was estimated (from the last listing)."""

    measured: set[str] = field(default_factory=set)
    estimated: set[str] = field(default_factory=set)

    def add(self, kind: str, measured: bool, estimated: bool) -> None:
        if measured:
            self.measured.add(kind)
        if estimated:
            self.estimated.add(kind)

    def merge(self, other: Basis) -> None:
        self.measured |= other.measured
        self.estimated |= other.estimated

    def value(self, kind: str) -> float:
        """1.0 measured (or nothing to measure), 0.0 estimated, 0.5 partly."""
        if kind not in self.estimated:
            return 1.0
        return 0.5 if kind in self.measured else 0.0


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
    basis: Basis = field(default_factory=Basis)  # this month's usage


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
    basis: Basis = field(default_factory=Basis)  # the month's usage, every bucket

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
    return (
        pct is not None
        and baseline is not None
        and pct >= s.spike_pct
        and float(today - baseline) >= s.spike_min_usd
    )


def _days(start: int, end: int) -> range:
    return range(start, end, DAY)


def class_levels(u: BucketUsage, days: range) -> list[Level]:
    """Stored bytes for each day; a day without a sample keeps the level before
    it, and a bucket that is gone stores nothing."""
    level = NOTHING
    for d in sorted(set(u.peak_bytes) | set(u.class_peaks)):
        if d >= days.start:
            break
        level = _level_on(u, d)
    out = []
    for d in days:
        if d in u.peak_bytes or d in u.class_peaks:
            level = _level_on(u, d)
        out.append(NOTHING if u.gone_from is not None and d >= u.gone_from else level)
    return out


def _level_on(u: BucketUsage, day: int) -> Level:
    """A day with a sample: its classes measured where analytics said them, and
    then the total is their sum (the bill charges each class)."""
    classes = u.class_peaks.get(day)
    if classes is not None:
        standard, ia = classes
        # Bytes of a class the API named that is neither (or of rows without a
        # class beside classed ones) are in the day's total: billed as Standard,
        # the dearer storage, so that no stored byte goes unbilled.
        rest = u.peak_bytes.get(day, 0.0) - (standard + ia)
        if rest > 0:
            standard += rest
        return Level(standard + ia, (standard, ia))
    return Level(u.peak_bytes[day])


def levels(u: BucketUsage, days: range) -> list[float]:
    """Peak bytes for each day, every class together."""
    return [level.total for level in class_levels(u, days)]


def first_known(u: BucketUsage) -> int | None:
    """The first day with a storage sample: before it, the level is unknown."""
    return min([*u.peak_bytes, *u.class_peaks], default=None)


def share(value: float) -> Decimal:
    """A float share as the decimal it prints as: 0.6, not 0.59999999999999997…"""
    return Decimal(repr(value))


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


def month_basis(u: BucketUsage, start: int, end: int, days: list[Level]) -> Basis:
    """Whether the usage of [start, end) with `days` stored was measured or
    estimated, per kind of charge."""
    b = Basis()
    b.add("storage", any(d.classes is not None for d in days), any(d.estimated for d in days))
    counted = unclassified = 0.0
    for series in ("class_a_requests", "class_b_requests"):
        counted += u.requests(CLASSIFIED + series, start, end)
        unclassified += u.requests(UNCLASSIFIED + series, start, end)
    b.add("requests", counted > 0, unclassified > 0)
    # GETs of periods that said both the class and the bytes: their IA bytes
    # read are measured, a zero included.
    unmeasured = u.requests(UNMEASURED_GETS, start, end)
    measured_gets = u.requests("download_requests", start, end) - unmeasured
    b.add(
        "retrieval",
        u.requests(MEASURED_RETRIEVAL, start, end) > 0 or measured_gets > 0,
        unmeasured > 0,
    )
    return b


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
    for k in order[: max(0, left)]:
        floors[k] += Decimal("0.01")
    return floors


def bucket_shares(b: Bill, usages: Mapping[str, Usage]) -> dict[str, dict[str, Decimal]]:
    """Each bucket's share of each kind of charge, by its share of the usage
    each line bills."""
    out: dict[str, dict[str, Decimal]] = {
        k: {"storage": ZERO, "requests": ZERO, "retrieval": ZERO} for k in usages
    }
    for line in b.lines:
        weights = {k: Decimal(getattr(u, USAGE_FIELD[line.item])) for k, u in usages.items()}
        for k, part in allocate(line.usd, weights).items():
            out[k][line.kind] += part
    return out


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


def round_usd(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))
