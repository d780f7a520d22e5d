"""The money settings: [pricing] (the price list, overridable) and [costs]
(what counts as a cost spike)."""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path

from r2tui.config.errors import source_name
from r2tui.config.model import CostSettings
from r2tui.config.reader import Reader, as_float, number
from r2tui.literal import quoted
from r2tui.pricing import LIST_PRICES, PriceList

PRICE_KEYS = tuple(f.name for f in fields(PriceList) if f.name != "source")
# The largest value of each price setting, and how the bound reads. Money is
# exact in decimal with a fixed number of digits: a price of 1e308 makes the
# costs job's rounding fail, so prices stop where no price list goes.
MAX_PRICE = 1_000_000  # USD per GB-month, per million requests, per GB
MOST: dict[str, tuple[float, str]] = {
    "free_storage_gb_month": (1e12, " GB-month"),
    "free_class_a": (1e15, " requests"),
    "free_class_b": (1e15, " requests"),
    "bytes_per_gb": (1e12, " bytes"),
    "billing_period_days": (366, " days"),
    "ia_minimum_days": (3650, " days (10 years)"),
}


def pricing(r: Reader, file_path: Path | None) -> PriceList:
    """[pricing] over the public list: a price change or a negotiated rate
    should not need a new release."""
    r.check_known(set(PRICE_KEYS))
    values: dict[str, object] = {}
    for name in PRICE_KEYS:
        # Strings are refused although Decimal would take "0.02": TOML has
        # numbers, and a quoted one is more likely a mistake than a wish.
        value = r.get(name, (int, float), None, "a number of 0 or more")
        if value is None:
            continue
        most, unit = MOST.get(name, (MAX_PRICE, " USD"))
        if value > most and value != math.inf:  # inf: the price list says "0 or more"
            r.fail(name, f"must be at most {number(most)}{unit}, got {quoted(value)}")
            continue
        try:
            LIST_PRICES.overridden({name: value}, "")
        except ValueError as exc:
            r.fail(name, str(exc).removeprefix(f"{name} "))
            continue
        values[name] = value
    if not values:
        return LIST_PRICES
    return LIST_PRICES.overridden(values, f"{source_name(file_path)} [pricing]")


MAX_SPIKE_PCT = 100_000  # a thousandfold day


def costs(r: Reader) -> CostSettings:
    r.check_known({"spike_baseline_days", "spike_pct", "spike_min_usd"})
    d = CostSettings()
    days = r.positive_int("spike_baseline_days", d.spike_baseline_days, most=365, unit=" days")
    pct = r.get("spike_pct", (int, float), d.spike_pct, "a percentage above 0")
    # nan compares false with everything: it would never flag a spike, silently.
    if not math.isfinite(as_float(pct)) or pct <= 0 or pct > MAX_SPIKE_PCT:
        r.fail(
            "spike_pct",
            f"expected a percentage above 0 and at most {number(MAX_SPIKE_PCT)}, got {quoted(pct)}",
        )
        pct = d.spike_pct
    least = r.get("spike_min_usd", (int, float), d.spike_min_usd, "a dollar amount of 0 or more")
    if not math.isfinite(as_float(least)) or least < 0 or least > MAX_PRICE:
        r.fail(
            "spike_min_usd",
            f"expected a dollar amount of 0 or more and at most "
            f"{number(MAX_PRICE)}, got {quoted(least)}",
        )
        least = d.spike_min_usd
    return CostSettings(spike_baseline_days=days, spike_pct=float(pct), spike_min_usd=float(least))
