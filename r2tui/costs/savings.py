"""What a bucket's storage class costs the account: the saving of moving its
Standard data to Infrequent Access, or its IA data back to Standard."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from r2tui.costs.bill import Usage, bill, ia_minimum_byte_days
from r2tui.costs.figures import BucketCosts
from r2tui.costs.forecast import pace
from r2tui.costs.levels import class_levels, share
from r2tui.costs.usage import BucketUsage
from r2tui.metrics import DAY
from r2tui.pricing import PriceList


def savings(
    name: str,
    u: BucketUsage,
    out: Mapping[str, BucketCosts],
    total: Usage,
    month_start: int,
    now: int,
    month_end: int,
    prices: PriceList,
) -> tuple[Decimal | None, Decimal | None]:
    """What the account's month would cost less with this bucket's Standard data
    in Infrequent Access (IA's dearer requests, its retrieval fee for every GET
    and its 30-day minimum for data that churns all count against it), and with
    its IA data back in Standard. None where the bucket has no such data."""
    p = out[name].projected
    others = total - p
    as_is = bill(others + p, prices).total
    std_part = Usage(
        standard_gb_month=p.standard_gb_month,
        standard_class_a=p.standard_class_a,
        standard_class_b=p.standard_class_b,
    )
    ia_part = Usage(
        ia_gb_month=p.ia_gb_month,
        ia_class_a=p.ia_class_a,
        ia_class_b=p.ia_class_b,
        ia_retrieval_gb=p.ia_retrieval_gb,
    )
    to_ia = to_std = None
    remaining = Decimal(max(0, month_end - now)) / DAY
    gets = (
        Decimal(u.requests("download_requests", month_start, now))
        + pace(u, "download_requests", now)[0] * remaining
    )
    # GETs of objects of unknown size would make the retrieval fee look free.
    if p.standard_gb_month > 0 and not (gets > 0 and u.mean_object_bytes <= 0):
        std = 1 - share(u.ia_byte_share)
        peaks = class_levels(u, range(month_start - DAY, now, DAY))
        churn = sum(ia_minimum_byte_days([v.standard(u) for v in peaks], prices.ia_minimum_days))
        moved = Usage(
            ia_gb_month=p.standard_gb_month
            + Decimal(churn) / (Decimal(prices.bytes_per_gb) * prices.billing_period_days),
            ia_class_a=p.standard_class_a,
            ia_class_b=p.standard_class_b,
            ia_retrieval_gb=gets * std * share(u.mean_object_bytes) / prices.bytes_per_gb,
        )
        to_ia = as_is - bill(others + ia_part + moved, prices).total
    if p.ia_gb_month > 0:
        # As if its IA data had been Standard all month: requests at Standard rates,
        # no retrieval fee and no IA minimum.
        back = Usage(
            standard_gb_month=p.ia_gb_month,
            standard_class_a=p.ia_class_a,
            standard_class_b=p.ia_class_b,
        )
        to_std = as_is - bill(others + std_part + back, prices).total
    return to_ia, to_std
