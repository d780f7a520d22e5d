"""Cost spikes: the last 24 hours at list price (no free tier) against the
mean of the days before them."""

from __future__ import annotations

from decimal import Decimal

from r2tui.config.model import CostSettings
from r2tui.costs.bill import ZERO, list_cost
from r2tui.costs.daily_usage import day_usage
from r2tui.costs.levels import class_levels
from r2tui.costs.usage import BucketUsage
from r2tui.metrics import DAY
from r2tui.pricing import PriceList


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


def last_day(
    u: BucketUsage, now: int, prices: PriceList, baseline_days: int
) -> tuple[Decimal, Decimal | None]:
    """The last 24 hours at list price, and the mean of the `baseline_days` 24-hour
    windows before them that have data."""
    first = min([*u.hourly, *u.peak_bytes], default=now)
    costs = []
    for k in range(baseline_days + 1):
        hi = now - k * DAY
        lo = hi - DAY
        if k > 0 and lo < first:
            break
        day = (hi - 1) - (hi - 1) % DAY
        level = class_levels(u, range(day, day + DAY, DAY))[0]
        costs.append(list_cost(day_usage(u, lo, hi, level, 0, prices), prices))
    baseline = sum(costs[1:], ZERO) / len(costs[1:]) if costs[1:] else None
    return costs[0], baseline
