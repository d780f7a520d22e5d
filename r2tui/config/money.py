"""The money settings: [pricing] (the price list, overridable) and [costs]
(what counts as a cost spike)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from r2tui.config.errors import source_name
from r2tui.config.model import CostSettings
from r2tui.config.reader import Reader
from r2tui.pricing import LIST_PRICES, PriceList

PRICE_KEYS = tuple(f.name for f in fields(PriceList) if f.name != "source")


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
        try:
            LIST_PRICES.overridden({name: value}, "")
        except ValueError as exc:
            r.fail(name, str(exc).removeprefix(f"{name} "))
            continue
        values[name] = value
    if not values:
        return LIST_PRICES
    return LIST_PRICES.overridden(values, f"{source_name(file_path)} [pricing]")


def costs(r: Reader) -> CostSettings:
    r.check_known({"spike_baseline_days", "spike_pct", "spike_min_usd"})
    d = CostSettings()
    days = r.positive_int("spike_baseline_days", d.spike_baseline_days)
    pct = r.get("spike_pct", (int, float), d.spike_pct, "a percentage above 0")
    if pct <= 0:
        r.fail("spike_pct", f"expected a percentage above 0, got {pct!r}")
        pct = d.spike_pct
    least = r.get("spike_min_usd", (int, float), d.spike_min_usd, "a dollar amount of 0 or more")
    if least < 0:
        r.fail("spike_min_usd", f"expected a dollar amount of 0 or more, got {least!r}")
        least = d.spike_min_usd
    return CostSettings(spike_baseline_days=days, spike_pct=float(pct),
                        spike_min_usd=float(least))
