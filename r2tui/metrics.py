"""The metric catalog: every number r2tui shows, charts or alerts on.

Stored series come in two kinds. A *gauge* sample is a level at a moment
(bytes stored); a *counter* sample holds what happened in its interval
(requests in an hour), so a sum over a range is the total for that range.
Catalog metrics read one or more stored series and combine them by `calc`:

- ``last``: the newest sample of any of `series` (a gauge);
- ``sum``: the sum of `series` over the last full clock hour (a counter
  "per hour": Cloudflare counts requests by the hour);
- ``today``: the sum of `series` since the start of today in the configured
  time zone;
- ``ratio``: 100 * sum(series[0]) / sum(series[1]) over the last full hour;
- ``mean`` and ``p95``: over the raw samples of `series` in the last 60 minutes.

A trend compares a value with the previous equal window: the hour before,
yesterday up to the same time of day, or (for ``last``) the value a day ago.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT = "*"  # the bucket value for account-wide series; never NULL
HOUR = 3600
DAY = 86400

# Series the analytics job writes per hour (ts = the hour's start). A re-query
# of a window replaces exactly these, never a series another job writes.
# Request counts, every storage class together; the IA ones count the requests
# whose row said InfrequentAccess (billed ones only, as class_a/class_b).
REQUEST_COUNTERS = (
    "requests",
    "class_a_requests",
    "class_b_requests",
    "upload_requests",
    "download_requests",
    "error_requests",
    "denied_requests",
    "ia_class_a_requests",
    "ia_class_b_requests",
)
# How far the hour's counts can be trusted: requests whose row said a storage
# class (the IA counters above are measured only where this is above 0), whose
# row had byte sums, and that were counted from a sample (Cloudflare's adaptive
# sampling: the sums are estimates scaled up from one request in N).
QUALITY_COUNTERS = ("classified_requests", "measured_bytes_requests", "sampled_requests")
# Bytes from the operations' byte sums, written only for query windows (a day)
# whose every row had them (a window counted without them has no byte figure,
# never a zero):
# responseBytes of successful GetObject (bytes downloaded, egress-like), the
# object size of successful uploads, responseBytes of every request, and
# responseBytes of successful GetObject of Infrequent Access objects (what R2
# bills as IA data retrieval).
BYTE_COUNTERS = ("download_bytes", "upload_bytes", "response_bytes", "ia_retrieval_bytes")
ANALYTICS_COUNTERS = REQUEST_COUNTERS + QUALITY_COUNTERS + BYTE_COUNTERS
# Storage at the hour: totals are sums over the storage classes of the bucket;
# the per-class ones (bytes: payload and metadata, as billed) only when the
# answer said the class.
STORAGE_TOTALS = ("stored_objects", "stored_bytes", "pending_uploads")
STORAGE_BY_CLASS = (
    "stored_standard_objects",
    "stored_standard_bytes",
    "stored_ia_objects",
    "stored_ia_bytes",
)
ANALYTICS_GAUGES = STORAGE_TOTALS + STORAGE_BY_CLASS
ANALYTICS_SERIES = ANALYTICS_COUNTERS + ANALYTICS_GAUGES
# The analytics job's windows end this long before it runs (the newest minutes are
# still arriving): an hour's counts are stored whole once a run this long after
# the hour's end has stored them.
ANALYTICS_LAG = 180
# Where a stored series comes from, for the metrics that read a listing's figure
# or analytics' (status --json says which one a value is).
LISTING_SERIES = frozenset(
    {
        "total_files",
        "total_bytes",
        "standard_bytes",
        "ia_bytes",
        "standard_objects",
        "ia_objects",
        "prefix_bytes",
        "prefix_objects",
    }
)
# Catalog metrics beyond the cards that `status --json` reports: the storage
# classes and the bytes moved.
CLASS_METRICS = ("standard_bytes", "ia_bytes", "standard_objects", "ia_objects")
BYTES_METRICS = ("downloaded_bytes_today", "uploaded_bytes_today", "ia_retrieval_bytes_today")
# The ranges a chart or `r2tui history` can show, and how long each is.
RANGES: dict[str, int] = {
    "1h": HOUR,
    "24h": DAY,
    "7d": 7 * DAY,
    "30d": 30 * DAY,
    "90d": 90 * DAY,
    "1y": 365 * DAY,
}
# What the calculate_costs job stores at each run, all at the run's time ("last"
# gauges), per bucket and for the account; daily_cost_usd is apart: one sample a
# UTC day. The cost view reads exactly these.
COST_GAUGES = (
    "monthly_cost_usd",
    "cost_storage_usd",
    "cost_requests_usd",
    "cost_retrieval_usd",
    "forecast_month_usd",
    "today_cost_usd",
    "baseline_cost_usd",
    "daily_cost_increase_pct",
    "ia_saving_usd",
    "standard_saving_usd",
    "daily_average_usd",
    "forecast_low_usd",
    "forecast_high_usd",
    "last_month_usd",
    "free_storage_runs_out_at",
    "free_class_a_runs_out_at",
    "free_class_b_runs_out_at",
    "has_request_counts",
    *(f"basis_{kind}" for kind in ("storage", "requests", "retrieval")),
)
# basis_<kind>: how the month's usage behind a kind of charge was found: 1
# measured (or nothing to estimate), 0 estimated from the last listing, 0.5 partly.
USAGE_SERIES = (
    "usage_standard_gb_month",
    "usage_standard_class_a",
    "usage_standard_class_b",
    "usage_ia_gb_month",
    "usage_ia_class_a",
    "usage_ia_class_b",
    "usage_ia_retrieval_gb",
)
# A kept prefix's figures from each inventory, per "bucket/prefix/" (store/writes.py).
PREFIX_BYTES = "prefix_bytes"
PREFIX_OBJECTS = "prefix_objects"
PREFIX_SERIES = (PREFIX_BYTES, PREFIX_OBJECTS)
SERIES_NAME_MAX = 255  # characters the store's bucket column holds (PostgreSQL's VARCHAR)


def prefix_series(bucket: str, prefix: str) -> str | None:
    """Where a prefix's series are stored: "bucket/prefix/" in the bucket column,
    which no bucket name can be (they hold no "/"); None when too long for it."""
    name = f"{bucket}/{prefix}"
    return name if len(name) <= SERIES_NAME_MAX else None


PROBE_LATENCY_SERIES = (
    "probe_put_ms",
    "probe_get_ms",
    "probe_head_ms",
    "probe_delete_ms",
    "endpoint_ms",
)


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    calc: str  # last | sum | today | ratio | mean | p95
    help: str
    source: str  # analytics | inventory | probe | check | monitor | costs
    series: tuple[str, ...] = ()  # stored series read; () means the metric's own name
    needs_token: bool = False  # only Cloudflare's analytics API can give it
    warn_above: float | None = None  # the default warning thresholds

    @property
    def reads(self) -> tuple[str, ...]:
        return self.series or (self.name,)

    @property
    def sampled_series(self) -> str | None:
        """The counter of sampled requests behind the metric's figure, for the
        metrics that sum Cloudflare's request counts (which can be sampled)."""
        if self.source == "analytics" and self.calc in ("sum", "today", "ratio"):
            return "sampled_requests"
        return None

    @property
    def per_prefix(self) -> bool:
        """Stored per prefix ("bucket/prefix/"), not per bucket: a rule's scope names one."""
        return self.name in PREFIX_SERIES

    @property
    def kind(self) -> str:
        """How a period of the metric aggregates: gauges average, counters add."""
        return "gauge" if self.calc in ("last", "mean", "p95") else "counter"


_m = Metric  # the catalog's entries, shorter


CATALOG: dict[str, Metric] = {
    m.name: m
    for m in (
        # -- what is stored: analytics every few minutes, else the daily inventory
        _m(
            "total_files",
            "objects",
            "last",
            "Objects stored (analytics when a token is set, else the last full listing).",
            "analytics",
            series=("total_files", "stored_objects"),
        ),
        _m(
            "total_bytes",
            "bytes",
            "last",
            "Bytes stored, payload and metadata (analytics, else the last full listing).",
            "analytics",
            series=("total_bytes", "stored_bytes"),
        ),
        _m(
            "pending_uploads",
            "uploads",
            "last",
            "Multipart uploads started and not yet completed or aborted.",
            "analytics",
            needs_token=True,
        ),
        _m(
            "standard_bytes",
            "bytes",
            "last",
            "Standard storage class bytes, payload and metadata (analytics when it says "
            "the class, else the last listing).",
            "analytics",
            series=("standard_bytes", "stored_standard_bytes"),
        ),
        _m(
            "ia_bytes",
            "bytes",
            "last",
            "Infrequent Access bytes, payload and metadata (analytics when it says the "
            "class, else the last listing).",
            "analytics",
            series=("ia_bytes", "stored_ia_bytes"),
        ),
        _m(
            "standard_objects",
            "objects",
            "last",
            "Objects in the Standard storage class (analytics when it says the class, else "
            "the last listing).",
            "analytics",
            series=("standard_objects", "stored_standard_objects"),
        ),
        _m(
            "ia_objects",
            "objects",
            "last",
            "Objects in Infrequent Access (analytics when it says the class, else the last "
            "listing).",
            "analytics",
            series=("ia_objects", "stored_ia_objects"),
        ),
        _m(
            "quota_usage_pct",
            "%",
            "last",
            "Bytes stored as a share of the configured quota.",
            "inventory",
        ),
        _m(
            "new_large_objects",
            "objects",
            "sum",
            "Objects above the large-object size found new in the last hour.",
            "inventory",
        ),
        # -- per prefix (scope "bucket/prefix/"), from each listing (store/prefixes.py)
        _m(
            PREFIX_BYTES,
            "bytes",
            "last",
            'Bytes under a prefix (scope "photos/2026/") at the last full listing.',
            "inventory",
        ),
        _m(
            PREFIX_OBJECTS,
            "objects",
            "last",
            'Objects under a prefix (scope "photos/2026/") at the last full listing.',
            "inventory",
        ),
        _m(
            "inventory_seconds",
            "s",
            "last",
            "Wall time of the last full listing of a bucket.",
            "inventory",
        ),
        # -- traffic, from Cloudflare's analytics
        _m(
            "uploads_today",
            "requests",
            "today",
            "Successful PutObject, CompleteMultipartUpload and CopyObject requests today.",
            "analytics",
            series=("upload_requests",),
            needs_token=True,
        ),
        _m(
            "downloads_today",
            "requests",
            "today",
            "Successful GetObject requests today.",
            "analytics",
            series=("download_requests",),
            needs_token=True,
        ),
        _m(
            "downloaded_bytes_today",
            "bytes",
            "today",
            "Bytes sent by successful GetObject requests today (egress-like; range reads "
            "count what was sent).",
            "analytics",
            series=("download_bytes",),
            needs_token=True,
        ),
        _m(
            "uploaded_bytes_today",
            "bytes",
            "today",
            "Size of the objects written by successful uploads today (PutObject, "
            "CompleteMultipartUpload, CopyObject).",
            "analytics",
            series=("upload_bytes",),
            needs_token=True,
        ),
        _m(
            "ia_retrieval_bytes_today",
            "bytes",
            "today",
            "Bytes read from Infrequent Access objects today: what R2 bills as IA data retrieval.",
            "analytics",
            series=("ia_retrieval_bytes",),
            needs_token=True,
        ),
        _m(
            "requests_per_hour",
            "requests",
            "sum",
            "All requests in the last full hour.",
            "analytics",
            series=("requests",),
            needs_token=True,
        ),
        _m(
            "class_a_ops",
            "requests",
            "sum",
            "Class A (billed write and list) requests in the last full hour.",
            "analytics",
            series=("class_a_requests",),
            needs_token=True,
        ),
        _m(
            "class_b_ops",
            "requests",
            "sum",
            "Class B (billed read) requests in the last full hour.",
            "analytics",
            series=("class_b_requests",),
            needs_token=True,
        ),
        _m(
            "error_rate_pct",
            "%",
            "ratio",
            "Requests that did not succeed, as a share of all requests in the last full hour.",
            "analytics",
            series=("error_requests", "requests"),
            needs_token=True,
            warn_above=5.0,
        ),
        _m(
            "failed_access",
            "requests",
            "sum",
            "Requests refused as unauthorised or forbidden (401, 403) in the last full hour.",
            "analytics",
            series=("denied_requests",),
            needs_token=True,
        ),
        # -- speed, from r2tui's own canary probes or endpoint check
        _m(
            "avg_response_ms",
            "ms",
            "mean",
            "Mean latency of r2tui's canary requests (or endpoint checks) in the last hour.",
            "probe",
            series=PROBE_LATENCY_SERIES,
            warn_above=2000.0,
        ),
        _m(
            "p95_response_ms",
            "ms",
            "p95",
            "95th percentile latency of r2tui's canary requests in the last hour.",
            "probe",
            series=PROBE_LATENCY_SERIES,
        ),
        _m("probe_put_ms", "ms", "last", "Canary PUT latency.", "probe"),
        _m("probe_get_ms", "ms", "last", "Canary GET latency.", "probe"),
        _m("probe_head_ms", "ms", "last", "Canary HEAD latency.", "probe"),
        _m("probe_delete_ms", "ms", "last", "Canary DELETE latency.", "probe"),
        _m(
            "probe_ok",
            "bool",
            "last",
            "1 when every step of the canary succeeded, else 0.",
            "probe",
        ),
        _m(
            "endpoint_ok",
            "bool",
            "last",
            "1 when the endpoint answered the last check (HeadBucket), else 0.",
            "check",
        ),
        _m("endpoint_ms", "ms", "last", "Latency of the last endpoint check.", "check"),
        # -- money, from the calculate_costs job (the store's usage through R2's price list)
        _m(
            "monthly_cost_usd",
            "USD",
            "last",
            "This month's bill so far: free tier and rounding up applied (a bucket: its share).",
            "costs",
        ),
        _m(
            "forecast_month_usd",
            "USD",
            "last",
            "The month's bill if requests keep the last 7 days' pace and storage stays.",
            "costs",
        ),
        _m("daily_average_usd", "USD", "last", "The month to date over the days elapsed.", "costs"),
        _m(
            "daily_cost_usd",
            "USD",
            "last",
            "What each UTC day added to the month's bill (one point a day).",
            "costs",
        ),
        _m(
            "today_cost_usd",
            "USD",
            "last",
            "The last 24 hours at list price (no free tier): what spikes compare.",
            "costs",
        ),
        _m(
            "daily_cost_increase_pct",
            "%",
            "last",
            "The last 24 hours' cost against the mean day of the 7 before, in percent.",
            "costs",
        ),
        # -- what r2tui itself spends
        _m(
            "monitor_class_a_ops",
            "requests",
            "sum",
            "Class A requests r2tui itself made in the last hour (list pages, canary PUTs).",
            "monitor",
        ),
        _m(
            "monitor_class_b_ops",
            "requests",
            "sum",
            "Class B requests r2tui itself made in the last hour (canary GET and HEAD).",
            "monitor",
        ),
        _m(
            "monitor_free_ops",
            "requests",
            "sum",
            "Free requests r2tui itself made in the last hour (canary DELETE).",
            "monitor",
        ),
        _m(
            "monitor_cost_usd",
            "USD",
            "sum",
            "What r2tui's own requests in the last hour cost at list price, before the free tier.",
            "monitor",
        ),
    )
}


def series_source(series: str) -> str:
    """ "listing" or "analytics": where a stored series of the storage metrics
    comes from (the catalog's `source` names the metric's preferred one)."""
    return "listing" if series in LISTING_SERIES else "analytics"


def describe(name: str) -> Metric:
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(CATALOG))}") from None
