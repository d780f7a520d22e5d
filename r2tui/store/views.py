"""What the store reads return: plain dataclasses the panes, reports and
`status --json` render. No database in here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from r2tui.alerts.views import AlertsView
    from r2tui.store.health import HealthView

# A run still open after this long belongs to a process that died elsewhere.
STALE_RUN_SECONDS = 6 * 3600


@dataclass(frozen=True)
class TallyRow:
    key: str
    objects: int
    bytes: int


@dataclass(frozen=True)
class ObjectRow:
    bucket: str
    key: str
    size: int
    last_modified: int
    storage_class: str


@dataclass(frozen=True)
class BucketStorage:
    name: str
    objects: int
    bytes: int
    inventoried_at: int
    list_requests: int
    duration_s: float
    by_extension: list[TallyRow] = field(default_factory=list)
    by_storage_class: list[TallyRow] = field(default_factory=list)
    largest: list[ObjectRow] = field(default_factory=list)
    newest: list[ObjectRow] = field(default_factory=list)
    other_extensions: bool = False


@dataclass(frozen=True)
class MonitorSpend:
    since: int
    class_a: int
    class_b: int
    free: int
    usd: float


@dataclass(frozen=True)
class StorageView:
    account: str
    total_objects: int
    total_bytes: int
    buckets: list[BucketStorage]
    by_extension: list[TallyRow]
    by_storage_class: list[TallyRow]
    largest: list[ObjectRow]
    spend: MonitorSpend
    not_inventoried: list[str]  # buckets seen but never listed yet
    quota_bytes: int | None = None
    oldest_inventory_at: int | None = None

    @property
    def usage_pct(self) -> float | None:
        if not self.quota_bytes:
            return None
        return 100.0 * self.total_bytes / self.quota_bytes

    @property
    def has_data(self) -> bool:
        return bool(self.buckets)


# One line per job run: routine unless the run failed. Everything else (alerts
# firing and resolving, buckets found and lost, large uploads, failures, cost
# spikes, sources failing and recovering) is what matters.
ROUTINE_KINDS = ("job",)
NOTABLE_DAYS = 7  # how far back the read of what matters looks


@dataclass(frozen=True)
class ActivityRow:
    id: int
    ts: int
    kind: str
    level: str
    bucket: str | None
    message: str

    @property
    def routine(self) -> bool:
        """A job run that did not fail: the Activity pane hides it until asked."""
        return self.kind in ROUTINE_KINDS and self.level != "error"


@dataclass(frozen=True)
class JobStatus:
    job: str
    started_at: int
    finished_at: int | None
    ok: bool | None
    items: int
    error: str | None
    host: str

    @property
    def running(self) -> bool:
        return self.finished_at is None and time.time() - self.started_at < STALE_RUN_SECONDS


@dataclass(frozen=True)
class CollectorView:
    state: str  # "never", "idle", "running", "failing"
    detail: str
    jobs: list[JobStatus]
    last_success_at: int | None


@dataclass(frozen=True)
class ProbeRow:
    bucket: str
    at: int
    ok: bool
    ms: dict[str, float]  # "put", "get", "head", "delete" → latency of the last probe


@dataclass(frozen=True)
class EndpointRow:
    at: int
    ok: bool
    ms: float | None


@dataclass(frozen=True)
class Reading:
    """A catalog metric's value now and over the previous equal window. None
    means no data: never shown as a zero."""

    metric: str
    value: float | None
    previous: float | None = None
    at: int | None = None  # the newest sample behind the value
    # The stored series the value was read from, for a metric that reads more
    # than one (`metrics.series_source` says whether a listing or analytics).
    series: str | None = None
    # Some of the requests behind the value were counted from a sample: the
    # figure is Cloudflare's estimate, scaled up (adaptive sampling).
    sampled: bool = False

    @property
    def trend_pct(self) -> float | None:
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return 100.0 * (self.value - self.previous) / abs(self.previous)


@dataclass(frozen=True)
class MetricCard:
    metric: str
    title: str
    unit: str
    reading: Reading
    spark: list[float]  # hourly values over the last 24 hours, oldest first
    warn_above: float | None = None
    needs_token: bool = False
    spark_span: str = "the last 24 h"  # what the sparkline covers, as the card says it

    @property
    def warning(self) -> bool:
        v = self.reading.value
        return self.warn_above is not None and v is not None and v > self.warn_above


@dataclass(frozen=True)
class MetricsView:
    account: str
    bucket: str  # "*" for the account, else the bucket the cards are for
    analytics: bool  # an API token is configured for this account
    analytics_at: int | None  # the end of the newest analytics window stored
    cards: list[MetricCard]
    values: dict[str, dict[str, Reading]]  # bucket ("*" too) → metric → reading
    buckets: list[str]  # buckets with data, for the filter


@dataclass(frozen=True)
class Series:
    """One metric over a range, at the resolution the range needs."""

    metric: str
    bucket: str
    range: str  # "1h", "24h", "7d", "30d", "90d", "1y"
    resolution: str  # "raw", "hour" or "day"
    unit: str
    start: int
    end: int
    points: list[tuple[int, float]]  # (ts, value), oldest first; gaps are absent


MEASURED = "measured"
ESTIMATED = "estimated"


@dataclass(frozen=True)
class CostLine:
    """One line of the month-to-date bill, as `costs.bill.Line`, in floats."""

    item: str
    label: str
    unit: str
    usage: float
    free: float  # the free allowance this line used
    billable: float  # rounded up to whole billing units
    usd: float
    basis: str = ESTIMATED  # MEASURED or ESTIMATED: how its usage was found
    reason: str = ""  # one short line: where the usage came from

    @property
    def estimated(self) -> bool:
        return self.basis != MEASURED


@dataclass(frozen=True)
class BucketCost:
    name: str
    month_to_date_usd: float  # the bucket's share of the account's bill
    storage_usd: float
    requests_usd: float
    retrieval_usd: float
    forecast_month_usd: float | None
    today_usd: float | None  # the last 24 hours at list price
    increase_pct: float | None  # against the baseline days
    ia_saving_usd: float | None  # a month, if moved to Infrequent Access (< 0: dearer)
    standard_saving_usd: float | None = None  # a month, if its IA data moved to Standard
    # Kind of charge ("storage", "requests", "retrieval") → MEASURED or ESTIMATED.
    basis: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FreeTierGauge:
    item: str
    label: str
    unit: str
    used: float
    allowance: float
    runs_out_at: int | None  # the day it did, or when it will this month; None: lasts

    @property
    def used_pct(self) -> float:
        return 100.0 * self.used / self.allowance if self.allowance else 0.0


@dataclass(frozen=True)
class Recommendation:
    kind: str  # infrequent_access | standard | pending_uploads | monitor
    bucket: str | None
    text: str
    saving_usd: float | None = None  # a month


@dataclass(frozen=True)
class CostsView:
    account: str
    computed_at: int | None  # when calculate_costs last stored figures; None: never
    month_start: int
    month_to_date_usd: float
    daily_average_usd: float
    forecast_month_usd: float
    forecast_low_usd: float
    forecast_high_usd: float
    storage_usd: float
    requests_usd: float
    retrieval_usd: float
    last_month_usd: float | None
    today_usd: float | None
    increase_pct: float | None
    monitor_month_usd: float  # r2tui's own requests this month, at list price
    lines: list[CostLine]
    buckets: list[BucketCost]
    daily: list[tuple[int, float]]  # (UTC day start, what the day added to the bill)
    free_tier: list[FreeTierGauge]
    recommendations: list[Recommendation]
    prices_source: str
    requests_known: bool  # request counts came from analytics; else storage only

    @property
    def has_data(self) -> bool:
        return self.computed_at is not None

    @property
    def change_pct(self) -> float | None:
        """The forecast against last month's bill."""
        if not self.last_month_usd:
            return None
        return 100.0 * (self.forecast_month_usd - self.last_month_usd) / self.last_month_usd


@dataclass(frozen=True)
class Dashboard:
    account: str
    generated_at: int
    storage: StorageView
    activity: list[ActivityRow]  # the newest events, newest first
    collector: CollectorView
    probes: list[ProbeRow] = field(default_factory=list)
    endpoint: EndpointRow | None = None
    metrics: MetricsView | None = None
    costs: CostsView | None = None
    alerts: AlertsView | None = None
    # Each source's health (store.health): what a pane says when it lacks data,
    # and since when its figures are stale. Read through `health.of(dash)`.
    health: HealthView | None = None
    # The newest events that matter (not routine), however many job runs came
    # after them: of the last NOTABLE_DAYS days, newest first.
    notable: list[ActivityRow] = field(default_factory=list)
    # Of the known buckets, those the probes must probe at every run (named by
    # a rule on a probe metric, or with new errors in the last hour), before
    # the account's probe.buckets: the Cost pane's probe plan counts them.
    probe_must: frozenset[str] = frozenset()

    @property
    def data_at(self) -> int | None:
        """When the newest observation was made: a listing, a probe, a check. Not
        when a job last ran: a run can succeed and observe nothing."""
        times = [b.inventoried_at for b in self.storage.buckets]
        times += [p.at for p in self.probes if p.ok]
        if self.endpoint is not None and self.endpoint.ok:
            times.append(self.endpoint.at)
        if self.metrics is not None and self.metrics.analytics_at is not None:
            times.append(self.metrics.analytics_at)
        return max(times, default=None)

    @property
    def data_age_s(self) -> int | None:
        at = self.data_at
        return None if at is None else max(0, self.generated_at - at)
