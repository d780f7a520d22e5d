"""The bill: a month's usage priced by R2's rules. Pure functions, no I/O,
exact in decimal; the prices themselves are `r2tui.pricing.PriceList`.

The rules, from Cloudflare's public price list (developers.cloudflare.com/r2/pricing):

- Standard and Infrequent Access (IA) storage by the GB-month, Class A and
  Class B operations by the million, IA data retrieval by the GB.
- A monthly free tier for Standard only: 10 GB-month, 1,000,000 Class A,
  10,000,000 Class B.
- What is left after the free tier is rounded **up** to the next whole billing
  unit: 1,000,001 operations bill as 2 million, 1.1 GB-month as 2.
- GB-month: the sum of each day's peak stored bytes over the billing period
  (30 days), so 1 GB for 5 days then 3 GB for 25 days is 2.67 GB-month.
- IA's 30-day minimum storage duration: bytes removed younger than that are
  charged for the rest of the 30 days.

Money is `Decimal`: every price times a whole number of units is exact, so a
line is exact and the total is rounded half-up to the cent once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

from r2tui.pricing import LIST_PRICES, MILLION, PriceList

CENT = Decimal("0.01")
# Usage is settled to this before rounding up: far below one byte-day (3.3e-11
# GB-month), far above the error of summing a month of repeating decimals. Requests
# are whole in fact; split by a float share (0.6 is 0.5999…) they come out a hair
# over a million, which must not bill a second million.
RESOLUTION = Decimal("1e-15")
REQUEST_RESOLUTION = Decimal("1e-6")
# Digits for settling: a quantity near 1e13 requests at 1e-15 needs more than the
# default 28.
PRECISION = 60
ZERO = Decimal(0)


@dataclass(frozen=True)
class Usage:
    """One month's billable usage of an account, or of part of it."""

    # Requests are whole counts, or decimals where a bucket's requests are split
    # between the classes by its listing's IA share (see `settle`).
    standard_gb_month: Decimal = ZERO
    standard_class_a: Decimal | int = 0
    standard_class_b: Decimal | int = 0
    ia_gb_month: Decimal = ZERO
    ia_class_a: Decimal | int = 0
    ia_class_b: Decimal | int = 0
    ia_retrieval_gb: Decimal = ZERO

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            **{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)}
        )

    def as_ia(self) -> Usage:
        """The same usage had it been stored in Infrequent Access."""
        return Usage(
            ia_gb_month=self.standard_gb_month + self.ia_gb_month,
            ia_class_a=self.standard_class_a + self.ia_class_a,
            ia_class_b=self.standard_class_b + self.ia_class_b,
            ia_retrieval_gb=self.ia_retrieval_gb,
        )


def total_usage(parts: Iterable[Usage]) -> Usage:
    out = Usage()
    for u in parts:
        out = out + u
    return out


@dataclass(frozen=True)
class Item:
    name: str
    label: str
    unit: str  # what `usage` counts
    unit_size: int  # usage per billing unit
    price: str  # PriceList field: USD per billing unit
    free: str | None  # PriceList field: the free tier, in `unit`
    kind: str  # storage | requests | retrieval


ITEMS: tuple[Item, ...] = (
    Item(
        "standard_storage",
        "Standard storage",
        "GB-month",
        1,
        "standard_storage_gb_month",
        "free_storage_gb_month",
        "storage",
    ),
    Item(
        "standard_class_a",
        "Standard Class A",
        "requests",
        MILLION,
        "standard_class_a_per_million",
        "free_class_a",
        "requests",
    ),
    Item(
        "standard_class_b",
        "Standard Class B",
        "requests",
        MILLION,
        "standard_class_b_per_million",
        "free_class_b",
        "requests",
    ),
    Item("ia_storage", "IA storage", "GB-month", 1, "ia_storage_gb_month", None, "storage"),
    Item(
        "ia_class_a", "IA Class A", "requests", MILLION, "ia_class_a_per_million", None, "requests"
    ),
    Item(
        "ia_class_b", "IA Class B", "requests", MILLION, "ia_class_b_per_million", None, "requests"
    ),
    Item("ia_retrieval", "IA data retrieval", "GB", 1, "ia_retrieval_per_gb", None, "retrieval"),
)
USAGE_FIELD = {
    "standard_storage": "standard_gb_month",
    "standard_class_a": "standard_class_a",
    "standard_class_b": "standard_class_b",
    "ia_storage": "ia_gb_month",
    "ia_class_a": "ia_class_a",
    "ia_class_b": "ia_class_b",
    "ia_retrieval": "ia_retrieval_gb",
}


@dataclass(frozen=True)
class Line:
    item: str
    label: str
    unit: str
    kind: str
    usage: Decimal
    free: Decimal  # the free allowance used by this line
    billable: Decimal  # what is charged, rounded up to whole billing units, in `unit`
    usd: Decimal  # exact


@dataclass(frozen=True)
class Bill:
    lines: tuple[Line, ...]
    prices: PriceList = field(default=LIST_PRICES, compare=False)

    @property
    def total(self) -> Decimal:
        """Exact; `total_usd` is what an invoice shows."""
        return sum((line.usd for line in self.lines), ZERO)

    @property
    def total_usd(self) -> Decimal:
        return to_cents(self.total)

    def by_kind(self, kind: str) -> Decimal:
        return sum((line.usd for line in self.lines if line.kind == kind), ZERO)

    def line(self, item: str) -> Line:
        return next(line for line in self.lines if line.item == item)


def to_cents(usd: Decimal) -> Decimal:
    return usd.quantize(CENT, rounding=ROUND_HALF_UP)


def round_usd(value: Decimal) -> float:
    """A figure as a stored sample: to the millionth of a dollar."""
    return float(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def settle(quantity: Decimal, resolution: Decimal = RESOLUTION) -> Decimal:
    """`quantity` settled to RESOLUTION: a month of daily GB-months (each a
    repeating decimal, 100 GB a day is 3.333… GB-month) sums to 9.999…9 where
    the exact figure is 10, and must not then round up to 11."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Decimal(quantity).quantize(resolution, rounding=ROUND_HALF_EVEN)


def billable_units(usage: Decimal, free: Decimal, unit_size: int) -> int:
    """Whole billing units charged for `usage` after `free`, rounded up."""
    over = settle(Decimal(usage) - free, REQUEST_RESOLUTION if unit_size == MILLION else RESOLUTION)
    if over <= 0:
        return 0
    return int((over / unit_size).to_integral_value(rounding=ROUND_CEILING))


def bill(usage: Usage, prices: PriceList = LIST_PRICES, free_tier: bool = True) -> Bill:
    """The month's bill for `usage`: one line per item, free tier first, then
    rounding up to the next billing unit."""
    lines = []
    for item in ITEMS:
        used = Decimal(getattr(usage, USAGE_FIELD[item.name]))
        free = Decimal(getattr(prices, item.free)) if free_tier and item.free else ZERO
        units = billable_units(used, free, item.unit_size)
        lines.append(
            Line(
                item.name,
                item.label,
                item.unit,
                item.kind,
                used,
                min(free, used),
                Decimal(units * item.unit_size),
                units * Decimal(getattr(prices, item.price)),
            )
        )
    return Bill(tuple(lines), prices)


def list_cost(usage: Usage, prices: PriceList = LIST_PRICES) -> Decimal:
    """Usage at list price, pro rata: no free tier, no rounding. The cost of a
    day, or of one bucket, where the monthly rules do not apply."""
    total = ZERO
    for item in ITEMS:
        used = Decimal(getattr(usage, USAGE_FIELD[item.name]))
        total += used * Decimal(getattr(prices, item.price)) / item.unit_size
    return total


def gb_month(daily_peak_bytes: Iterable[float | int], prices: PriceList = LIST_PRICES) -> Decimal:
    """GB-month of a run of days, each given by its peak stored bytes."""
    total = sum((Decimal(int(b)) for b in daily_peak_bytes), ZERO)
    return total / (Decimal(prices.bytes_per_gb) * prices.billing_period_days)


def ia_minimum_byte_days(
    daily_peak_bytes: Sequence[float | int], minimum_days: int = 30
) -> list[int]:
    """Byte-days the IA minimum storage duration adds, per day of the input.

    Bytes that appear are a lot dated that day; bytes that go are taken from
    the newest lots first (the conservative reading: churned data is the most
    recent), and a lot younger than `minimum_days` is charged on the day it
    goes for the days it has left. Day 0's bytes count as already old enough:
    their age is not known."""
    lots: list[list[int]] = []  # [day, bytes], oldest first
    extra = [0] * len(daily_peak_bytes)
    previous = 0
    for day, raw in enumerate(daily_peak_bytes):
        level = int(raw)
        if day == 0:
            lots.append([-minimum_days, level])
        elif level > previous:
            lots.append([day, level - previous])
        else:
            gone = previous - level
            while gone > 0 and lots:
                lot = lots[-1]
                take = min(gone, lot[1])
                extra[day] += take * max(0, minimum_days - (day - lot[0]))
                lot[1] -= take
                gone -= take
                if lot[1] == 0:
                    lots.pop()
        previous = level
    return extra
