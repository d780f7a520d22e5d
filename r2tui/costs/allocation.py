"""The account's bill split between its buckets: each bucket's share of each
line by its share of the usage the line bills, in cents that add up to the
account's figure, and its share of what each day added."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from r2tui.costs.bill import USAGE_FIELD, ZERO, Bill, Usage, to_cents
from r2tui.costs.figures import BucketCosts


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


def share_days(daily: Mapping[int, Decimal], out: Mapping[str, BucketCosts]) -> None:
    """Each bucket's share of what each day added to the bill, by its share of
    the day's usage at list price: the buckets' days add up to the account's."""
    for d, added in daily.items():
        weights = {n: c.daily.get(d, ZERO) for n, c in out.items()}
        whole = sum(weights.values(), ZERO)
        for n, c in out.items():
            c.daily[d] = added * weights[n] / whole if whole > 0 else ZERO
