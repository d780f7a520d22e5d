"""The free tier's burn-down: how much of each monthly allowance is used, and
when it runs out at the current pace."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from r2tui.costs.bill import ZERO, Usage
from r2tui.costs.forecast import paced_split
from r2tui.costs.levels import Level, class_levels, share
from r2tui.costs.usage import BucketUsage
from r2tui.metrics import DAY
from r2tui.pricing import PriceList


def allowances(u: Usage, prices: PriceList) -> list[tuple[str, Decimal, Decimal]]:
    return [
        ("standard_storage", Decimal(u.standard_gb_month), prices.free_storage_gb_month),
        ("standard_class_a", Decimal(u.standard_class_a), prices.free_class_a),
        ("standard_class_b", Decimal(u.standard_class_b), prices.free_class_b),
    ]


ONE = Decimal(1)


def _standard_bytes(u: BucketUsage, level: Level) -> Decimal:
    """A day's Standard bytes: measured, or the listing's share of the total."""
    if level.classes is not None:
        return Decimal(level.classes[0])
    return Decimal(level.total) * (1 - share(u.ia_byte_share))


def runs_out(
    usages: Mapping[str, BucketUsage],
    account: Usage,
    crossed: dict[str, int],
    now: int,
    month_end: int,
    prices: PriceList,
) -> dict[str, int | None]:
    """When each free allowance runs out at the current pace: the day it did, a
    moment this month, or None when it lasts the month."""
    per_gb_month = Decimal(prices.bytes_per_gb) * prices.billing_period_days
    today = now - now % DAY
    rates = {"standard_storage": ZERO, "standard_class_a": ZERO, "standard_class_b": ZERO}
    for u in usages.values():
        level = class_levels(u, range(today, today + DAY, DAY))[0]
        rates["standard_storage"] += _standard_bytes(u, level) / per_gb_month
        rates["standard_class_a"] += paced_split(u, "class_a_requests", now, 0, ONE)[0]
        rates["standard_class_b"] += paced_split(u, "class_b_requests", now, 0, ONE)[0]
    out: dict[str, int | None] = {}
    for item, used, free in allowances(account, prices):
        if item in crossed:
            out[item] = crossed[item]
        elif rates[item] > 0:
            at = now + int((free - used) / rates[item] * DAY)
            out[item] = at if at < month_end else None
        else:
            out[item] = None
    return out
