"""The metric catalog: every number r2tui stores is a sample of one of these.

A *gauge* is a level at a moment (bytes stored); a *counter* sample holds what
happened since the previous sample of the same series (requests made), so a
sum over a range is the total for that range.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT = "*"  # the bucket value for account-wide series; never NULL


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    kind: str  # "gauge" or "counter"
    help: str
    source: str  # what produces it


CATALOG: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("total_files", "objects", "gauge",
               "Objects stored, from the last full inventory.", "inventory"),
        Metric("total_bytes", "bytes", "gauge",
               "Bytes stored, from the last full inventory.", "inventory"),
        Metric("standard_bytes", "bytes", "gauge",
               "Bytes in the Standard storage class.", "inventory"),
        Metric("ia_bytes", "bytes", "gauge",
               "Bytes in the Infrequent Access storage class.", "inventory"),
        Metric("quota_usage_pct", "%", "gauge",
               "Bytes stored as a share of the configured quota.", "inventory"),
        Metric("new_large_objects", "objects", "counter",
               "Objects above the large-object size created since the previous inventory.",
               "inventory"),
        Metric("inventory_seconds", "s", "gauge",
               "Wall time of the last full listing of a bucket.", "inventory"),
        Metric("probe_put_ms", "ms", "gauge", "Canary PUT latency.", "probe"),
        Metric("probe_get_ms", "ms", "gauge", "Canary GET latency.", "probe"),
        Metric("probe_head_ms", "ms", "gauge", "Canary HEAD latency.", "probe"),
        Metric("probe_delete_ms", "ms", "gauge", "Canary DELETE latency.", "probe"),
        Metric("probe_ok", "bool", "gauge",
               "1 when every step of the canary succeeded, else 0.", "probe"),
        Metric("endpoint_ok", "bool", "gauge",
               "1 when the endpoint answered the last check (HeadBucket), else 0.", "check"),
        Metric("endpoint_ms", "ms", "gauge", "Latency of the last endpoint check.", "check"),
        Metric("monitor_class_a_ops", "requests", "counter",
               "Class A requests r2tui itself made (list pages, canary PUTs).", "monitor"),
        Metric("monitor_class_b_ops", "requests", "counter",
               "Class B requests r2tui itself made (canary GET and HEAD).", "monitor"),
        Metric("monitor_free_ops", "requests", "counter",
               "Free requests r2tui itself made (canary DELETE).", "monitor"),
        Metric("monitor_cost_usd", "USD", "counter",
               "What r2tui's own requests cost at list price, before the free tier.",
               "monitor"),
    )
}


def describe(name: str) -> Metric:
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(CATALOG))}") from None
