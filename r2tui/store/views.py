"""What the store reads return: plain dataclasses the panes, reports and
`status --json` render. No database in here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class ActivityRow:
    id: int
    ts: int
    kind: str
    level: str
    bucket: str | None
    message: str


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
class Dashboard:
    account: str
    generated_at: int
    storage: StorageView
    activity: list[ActivityRow]
    collector: CollectorView
    probes: list[ProbeRow] = field(default_factory=list)
    endpoint: EndpointRow | None = None
    # Filled by their own issues; empty until then, never invented.
    metrics: dict = field(default_factory=dict)
    costs: dict = field(default_factory=dict)
    alerts: dict = field(default_factory=dict)

    @property
    def data_at(self) -> int | None:
        """When the newest observation was made: a listing, a probe, a check. Not
        when a job last ran: a run can succeed and observe nothing."""
        times = [b.inventoried_at for b in self.storage.buckets]
        times += [p.at for p in self.probes if p.ok]
        if self.endpoint is not None and self.endpoint.ok:
            times.append(self.endpoint.at)
        return max(times, default=None)

    @property
    def data_age_s(self) -> int | None:
        at = self.data_at
        return None if at is None else max(0, self.generated_at - at)
