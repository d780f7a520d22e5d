"""R2's public price list: what storage, requests and data retrieval cost, the
monthly free tier, and which operation is billed as Class A, Class B or not at
all (developers.cloudflare.com/r2/pricing). Prices are `Decimal`; the config's
[pricing] table overrides them (`PriceList.overridden` checks each value).

The list and lookups in it, imported by nothing of ours, so it sits at the
bottom of the layers: the config (the [pricing] table), the sources (which
class a request is) and the store (what r2tui's own requests cost) read it.
The bill built on it, free tier and rounding up included, is `r2tui.costs.bill`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal

CLASS_A_ACTIONS = frozenset(
    {
        "ListBuckets",
        "PutBucket",
        "CreateBucket",
        "ListObjects",
        "ListObjectsV2",
        "PutObject",
        "CopyObject",
        "CompleteMultipartUpload",
        "CreateMultipartUpload",
        "LifecycleStorageTierTransition",
        "ListMultipartUploads",
        "UploadPart",
        "UploadPartCopy",
        "ListParts",
        "PutBucketEncryption",
        "PutBucketCors",
        "PutBucketLifecycleConfiguration",
    }
)
CLASS_B_ACTIONS = frozenset(
    {
        "HeadBucket",
        "HeadObject",
        "GetObject",
        "UsageSummary",
        "GetBucketEncryption",
        "GetBucketLocation",
        "GetBucketCors",
        "GetBucketLifecycleConfiguration",
    }
)
FREE_ACTIONS = frozenset({"DeleteObject", "DeleteBucket", "AbortMultipartUpload"})

MILLION = 1_000_000
LIST_SOURCE = "Cloudflare R2 public price list (developers.cloudflare.com/r2/pricing)"


@dataclass(frozen=True)
class PriceList:
    """Prices in USD and the monthly free tier; each can be overridden in the
    config (a price change, a negotiated rate), and `source` says where they
    came from."""

    standard_storage_gb_month: Decimal = Decimal("0.015")
    standard_class_a_per_million: Decimal = Decimal("4.50")
    standard_class_b_per_million: Decimal = Decimal("0.36")
    ia_storage_gb_month: Decimal = Decimal("0.01")
    ia_class_a_per_million: Decimal = Decimal("9.00")
    ia_class_b_per_million: Decimal = Decimal("0.90")
    ia_retrieval_per_gb: Decimal = Decimal("0.01")
    free_storage_gb_month: Decimal = Decimal(10)
    free_class_a: Decimal = Decimal(1_000_000)
    free_class_b: Decimal = Decimal(10_000_000)
    # R2 counts decimal gigabytes, as its dashboard does.
    bytes_per_gb: int = 1_000_000_000
    billing_period_days: int = 30
    ia_minimum_days: int = 30
    source: str = LIST_SOURCE

    def overridden(self, values: Mapping[str, object], source: str) -> PriceList:
        """A copy with `values` (field name → number) in place; ValueError naming
        the field and what is valid otherwise."""
        known = {f.name: f for f in fields(self) if f.name != "source"}
        changes: dict[str, object] = {}
        for name, raw in values.items():
            if name not in known:
                raise ValueError(f"unknown price {name!r}; valid: {', '.join(known)}")
            try:
                value = Decimal(str(raw))
            except ArithmeticError:
                raise ValueError(f"{name} must be a number, not {raw!r}") from None
            if isinstance(raw, bool) or not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a number of 0 or more, not {raw!r}")
            if known[name].type == "int":
                if value != value.to_integral_value() or value < 1:
                    raise ValueError(f"{name} must be a whole number of 1 or more, not {raw!r}")
                changes[name] = int(value)
            else:
                changes[name] = value
        return replace(self, **changes, source=source)  # type: ignore[arg-type]


LIST_PRICES = PriceList()


def operation_class(action: str) -> str:
    """'A', 'B' or 'free'. Unknown actions count as Class A so that a new
    operation name never hides cost; `is_known_action` tells them apart."""
    if action in CLASS_B_ACTIONS:
        return "B"
    if action in FREE_ACTIONS:
        return "free"
    return "A"


def is_known_action(action: str) -> bool:
    return action in CLASS_A_ACTIONS or action in CLASS_B_ACTIONS or action in FREE_ACTIONS


def is_billed(status_code: int) -> bool:
    """Requests refused for authentication or authorization (401, 403) are not billed."""
    return status_code not in (401, 403)


def request_cost_usd(class_a: int, class_b: int, prices: PriceList = LIST_PRICES) -> float:
    """Standard-class request cost at list price, before any free tier: what the
    bill's `list_cost` gives for these requests alone."""
    return float(
        Decimal(class_a) * prices.standard_class_a_per_million / MILLION
        + Decimal(class_b) * prices.standard_class_b_per_million / MILLION
    )
