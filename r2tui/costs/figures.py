"""The month's costs as the calculation gives them: the account's bills (to
date, the forecast and its range, last month's), what each day added, and
each bucket's share, spikes and savings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from r2tui.costs.basis import Basis
from r2tui.costs.bill import ZERO, Bill, Usage
from r2tui.costs.spikes import increase_pct
from r2tui.metrics import DAY


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
