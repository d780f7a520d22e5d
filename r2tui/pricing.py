"""The R2 price model: pure functions, no I/O.

This holds what the monitor needs to cost its own requests; the full bill
(storage, free tier, rounding, Infrequent Access) grows here with the costs
issue. Prices in USD from Cloudflare's public list.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASS_A_ACTIONS = frozenset({
    "ListBuckets", "PutBucket", "CreateBucket", "ListObjects", "ListObjectsV2", "PutObject",
    "CopyObject", "CompleteMultipartUpload", "CreateMultipartUpload",
    "LifecycleStorageTierTransition", "ListMultipartUploads", "UploadPart", "UploadPartCopy",
    "ListParts", "PutBucketEncryption", "PutBucketCors", "PutBucketLifecycleConfiguration",
})
CLASS_B_ACTIONS = frozenset({
    "HeadBucket", "HeadObject", "GetObject", "UsageSummary", "GetBucketEncryption",
    "GetBucketLocation", "GetBucketCors", "GetBucketLifecycleConfiguration",
})
FREE_ACTIONS = frozenset({"DeleteObject", "DeleteBucket", "AbortMultipartUpload"})


@dataclass(frozen=True)
class PriceList:
    standard_class_a_per_million: float = 4.50
    standard_class_b_per_million: float = 0.36
    source: str = "Cloudflare R2 public price list"


LIST_PRICES = PriceList()


def operation_class(action: str) -> str:
    """'A', 'B' or 'free'. Unknown actions count as Class A so that a new
    operation name never hides cost."""
    if action in CLASS_B_ACTIONS:
        return "B"
    if action in FREE_ACTIONS:
        return "free"
    return "A"


def is_known_action(action: str) -> bool:
    return action in CLASS_A_ACTIONS or action in CLASS_B_ACTIONS or action in FREE_ACTIONS


def request_cost_usd(class_a: int, class_b: int, prices: PriceList = LIST_PRICES) -> float:
    """Standard-class request cost at list price, before any free tier."""
    return (class_a * prices.standard_class_a_per_million
            + class_b * prices.standard_class_b_per_million) / 1_000_000
