"""What sources observe, as plain data: sources produce these, the store
writes them. Neither side knows the other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class ObjectEntry:
    key: str
    size: int
    last_modified: float  # epoch seconds, UTC
    storage_class: str


@dataclass(frozen=True)
class Tally:
    """Objects and bytes under one key of a breakdown."""

    objects: int
    bytes: int


class PrefixTotals(NamedTuple):
    """One prefix (a folder: a key's parts up to a "/") of a bucket: the objects and
    bytes under it, and of those the ones directly in it (`files_*`; at the
    deepest prefix counted, everything under it). A named tuple: an inventory of
    a thousand buckets makes hundreds of thousands, where a frozen dataclass cost
    a tenth of the job's own time in making them."""

    prefix: str  # "logs/2026/": every part ends with "/"
    objects: int
    bytes: int
    files_objects: int
    files_bytes: int


@dataclass(frozen=True)
class BucketInventory:
    bucket: str
    started_at: float
    finished_at: float
    objects: int
    bytes: int
    by_extension: dict[str, Tally]
    by_storage_class: dict[str, Tally]
    largest: list[ObjectEntry]
    newest: list[ObjectEntry]
    new_large: list[ObjectEntry]  # created since the previous inventory, above the threshold
    new_large_count: int  # may exceed len(new_large), which is capped
    list_requests: int
    other_extensions: bool = False  # distinct types beyond the cap counted as "(other)"
    # Keys that cut the bucket into parts of equal count: the next listing starts there.
    split_keys: tuple[str, ...] = ()
    split_positions: tuple[int, ...] = ()  # each split key's position: keys at or before it
    # Prefixes down to `prefix_depth` (0: not counted), the largest kept
    # (sources/listing/prefixes.py), largest first; the others are counted in
    # their parents' totals only, and `root_files` are the objects outside any.
    prefixes: tuple[PrefixTotals, ...] = ()
    root_files: Tally = Tally(0, 0)
    prefix_depth: int = 0
    prefixes_dropped: int = 0  # distinct prefixes beyond the cap, not kept
    # The pinned prefixes (the last inventory's kept ones, those rules name) not
    # kept, with their exact totals (0 when gone): their series go on.
    pinned_prefixes: tuple[PrefixTotals, ...] = ()


# What one canary probe sends, in order (`sources.s3.probe_bucket`): what a
# probe costs is these operations' classes (`pricing.operation_class`).
PROBE_OPERATIONS = ("PutObject", "GetObject", "HeadObject", "DeleteObject")


@dataclass(frozen=True)
class ProbeStep:
    operation: str  # PutObject, GetObject, HeadObject, DeleteObject
    ok: bool
    ms: float
    error: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    bucket: str
    at: float
    steps: list[ProbeStep]

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def error(self) -> str | None:
        return next((f"{s.operation}: {s.error}" for s in self.steps if not s.ok), None)


@dataclass
class RequestTally:
    """Requests the monitor itself sent: billed ones by R2 operation class, and
    attempts R2 does not bill (refused with 401/403, or never answered)."""

    class_a: int = 0
    class_b: int = 0
    free: int = 0
    unbilled: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)  # every attempt

    def add(self, operation: str, op_class: str, billed: bool = True) -> None:
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
        if not billed:
            self.unbilled += 1
        elif op_class == "A":
            self.class_a += 1
        elif op_class == "B":
            self.class_b += 1
        else:
            self.free += 1

    @property
    def total(self) -> int:
        """Billed requests."""
        return self.class_a + self.class_b + self.free

    @property
    def attempts(self) -> int:
        return self.total + self.unbilled


# Storage classes as Cloudflare's analytics name them (the S3 API says STANDARD
# and STANDARD_IA). "" means the answer did not say: the API refused the field.
STANDARD = "Standard"
INFREQUENT_ACCESS = "InfrequentAccess"


@dataclass(frozen=True)
class OperationGroup:
    """One row of Cloudflare's r2OperationsAdaptiveGroups: requests of one kind
    to one bucket in one hour."""

    hour: int  # epoch seconds of the hour's start, UTC
    bucket: str
    action: str  # actionType, e.g. "PutObject"
    status: str  # actionStatus: "success", "userError" or "internalError"
    code: int  # responseStatusCode
    requests: int
    storage_class: str = ""  # STANDARD, INFREQUENT_ACCESS, or "" when not known
    # sum { responseBytes }: bytes sent in the responses' bodies; None when the
    # API refused the field (not asked, not measured).
    response_bytes: int | None = None
    # sum { responseObjectSize }: the size of the objects the requests were about
    # (the uploaded object for a PUT, the object read for a GET).
    object_bytes: int | None = None
    # avg { sampleInterval }: 1.0 when every request was counted, 10.0 when the
    # figures were estimated from one request in ten (Cloudflare scales the sums).
    sample_interval: float = 1.0


@dataclass(frozen=True)
class StorageSnapshot:
    """One row of r2StorageAdaptiveGroups: a bucket's size in one hour (the
    maximum of the snapshots taken in it)."""

    hour: int
    bucket: str
    objects: int
    pending_uploads: int  # uploadCount: multipart uploads in progress
    payload_bytes: int
    metadata_bytes: int
    storage_class: str = ""  # STANDARD, INFREQUENT_ACCESS, or "" when not known


def ancestors(prefix: str) -> list[str]:
    """`prefix` and every prefix above it, outermost first: "a/b/" → ["a/", "a/b/"]."""
    out = []
    i = prefix.find("/")
    while i >= 0:
        out.append(prefix[: i + 1])
        i = prefix.find("/", i + 1)
    return out
