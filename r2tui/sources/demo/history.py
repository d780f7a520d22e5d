"""The demo account's analytics history: what Cloudflare's GraphQL datasets
would say about it, hour by hour.

Hours before the demo started are synthetic and deterministic: every
(bucket, hour) has its own seeded generator, so re-querying an hour gives the
same numbers, as r2tui's re-queries of recent windows expect. Two scripted
bursts sit at fixed offsets before the start so that the last 24 hours show
something worth alerting on. From the start on, the traffic generator's real
requests are added to a background that accrues with the hour (see
`DemoAnalytics.operations`).

Rows carry what Cloudflare's datasets would: the storage class (reads of a
bucket's older objects hit Infrequent Access, and storage has one row per
class per hour, split as the seeded objects are), byte sums (responseBytes:
what the responses sent; responseObjectSize: the size of the objects read or
written) and, in static-site's busiest afternoon hours, a sampled GetObject
row (sampleInterval 10, its count an estimate in tens) as Cloudflare's
adaptive sampling reports one.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from r2tui.observations import INFREQUENT_ACCESS, STANDARD, OperationGroup, StorageSnapshot

if TYPE_CHECKING:
    from r2tui.sources.demo.traffic import TrafficGenerator

HOUR = 3600
DAY = 86400
RETENTION = 31 * DAY  # Cloudflare keeps R2 analytics for 31 days
ERROR_BURST_OFFSET = 5 * HOUR  # before the start hour
ERROR_BURST_BUCKET = "media-assets"
# The hour before the start: the demo opens with "Failed access" firing, and watches it
# resolve as the hour turns.
ACCESS_BURST_OFFSET = HOUR
# r2tui reads the analytics a few minutes behind (their newest minutes are still
# arriving): in an hour's first minutes its last full hour is the one before the
# last. A start in those minutes has the burst in both hours, so that it fires
# from the start all the same and on until the hour turns.
SETTLING = 10 * 60
ACCESS_BURST_BUCKET = "user-uploads"
READS = frozenset({"GetObject", "HeadObject"})
WRITES = frozenset({"PutObject", "CompleteMultipartUpload", "UploadPart", "CopyObject"})

Base = tuple[str, str, int, int]  # action, actionStatus, responseStatusCode, requests
Totals = tuple[int, int, int]  # objects, payload bytes, multipart uploads in progress
ByClass = dict[str, Totals]  # storage class -> totals
KB, MB = 1000, 1000**2
PART_SIZE = 16 * MB  # the multipart uploads' part size
LISTING_BYTES = 14 * KB  # a ListObjectsV2 page's XML
SAMPLED_BUCKET = "static-site"
SAMPLED_HOURS = range(14, 17)  # UTC: its busiest hours are sampled, one GET in ten


class Row(NamedTuple):
    """One synthetic row: requests of one kind, class and status in one hour."""

    action: str
    status: str
    code: int
    storage_class: str
    requests: int
    sent: int  # responseBytes
    size: int  # responseObjectSize
    interval: float = 1.0  # sampleInterval


@dataclass(frozen=True)
class Profile:
    """How one bucket is used."""

    peak: float  # requests per hour at the daily peak (15:00 UTC)
    night: float  # the quietest hour's share of the peak (03:00 UTC)
    mix: dict[str, float]  # actionType -> share of requests
    not_found: float  # share of reads answered 404
    growth: float  # share of today's objects and bytes added over the last 30 days
    meta_per_object: int  # metadataSize per object, bytes
    pending: int  # at most this many multipart uploads in progress
    ok_codes: dict[str, tuple[int, float]]  # action -> (another success code, its share)
    read_size: int = 500 * KB  # a typical object read
    write_size: int = 1 * MB  # a typical object uploaded
    ia_reads: float = 0.0  # share of reads that hit Infrequent Access objects


PROFILES: dict[str, Profile] = {
    "media-assets": Profile(
        9_000,
        0.25,
        {
            "GetObject": 0.68,
            "HeadObject": 0.12,
            "ListObjectsV2": 0.03,
            "PutObject": 0.08,
            "CopyObject": 0.01,
            "CreateMultipartUpload": 0.01,
            "UploadPart": 0.05,
            "CompleteMultipartUpload": 0.01,
            "DeleteObject": 0.01,
        },
        0.012,
        0.06,
        320,
        3,
        {"GetObject": (206, 0.15)},  # video range requests
        read_size=700 * KB,
        write_size=1200 * KB,
        ia_reads=0.04,
    ),  # old images are IA
    "static-site": Profile(
        6_000,
        0.30,
        {
            "GetObject": 0.86,
            "HeadObject": 0.12,
            "ListObjectsV2": 0.01,
            "PutObject": 0.005,
            "DeleteObject": 0.005,
        },
        0.015,
        0.01,
        220,
        0,
        {"GetObject": (304, 0.10)},  # conditional GETs from caches
        read_size=35 * KB,
        write_size=40 * KB,
    ),
    "logs-archive": Profile(
        2_400,
        0.70,  # machines write logs day and night
        {
            "PutObject": 0.80,
            "ListObjectsV2": 0.08,
            "GetObject": 0.08,
            "HeadObject": 0.02,
            "DeleteObject": 0.02,
        },
        0.005,
        0.22,
        180,
        1,
        {},
        read_size=2 * MB,
        write_size=1500 * KB,
        ia_reads=0.15,
    ),  # logs past 60 days are IA
    "user-uploads": Profile(
        3_000,
        0.15,
        {
            "GetObject": 0.40,
            "HeadObject": 0.15,
            "PutObject": 0.25,
            "CreateMultipartUpload": 0.02,
            "UploadPart": 0.10,
            "CompleteMultipartUpload": 0.02,
            "ListObjectsV2": 0.03,
            "CopyObject": 0.01,
            "DeleteObject": 0.02,
        },
        0.015,
        0.10,
        420,
        5,
        {},
        read_size=1500 * KB,
        write_size=1500 * KB,
    ),
    "app-backups": Profile(
        40,
        1.0,  # a few checks an hour; the nightly backup is added separately
        {
            "ListObjectsV2": 0.4,
            "HeadObject": 0.3,
            "GetObject": 0.1,
            "PutObject": 0.1,
            "DeleteObject": 0.1,
        },
        0.0,
        0.02,
        260,
        0,
        {},
        read_size=40 * MB,
        write_size=16 * MB,
        ia_reads=0.3,
    ),  # dumps past a week are IA
}
DEFAULT_PROFILE = Profile(
    500,
    0.4,
    {
        "GetObject": 0.6,
        "HeadObject": 0.1,
        "PutObject": 0.2,
        "ListObjectsV2": 0.05,
        "DeleteObject": 0.05,
    },
    0.01,
    0.05,
    300,
    1,
    {},
)
BACKUP_HOUR = 2  # UTC: app-backups uploads the night's dumps in multipart
BACKUP_BATCH = {
    "CreateMultipartUpload": 3,
    "UploadPart": 180,
    "CompleteMultipartUpload": 3,
    "PutObject": 8,
    "DeleteObject": 11,
}


def action_status(code: int) -> str:
    """Cloudflare's actionStatus for an HTTP status code."""
    if code >= 500:
        return "internalError"
    return "userError" if code >= 400 else "success"


def class_totals(backend: Any, buckets: list[str] | None = None) -> dict[str, ByClass]:
    """Objects, payload bytes and multipart uploads in progress per bucket and
    storage class (as the analytics name them), read from moto's in-process
    backend without touching its HTTP side. Uploads in progress count as
    Standard, the class they are written in.

    The traffic thread writes to the backend meanwhile: copying the key store's
    version lists with dict.values is one C call, so it cannot see the dict
    change size mid-iteration."""
    totals: dict[str, ByClass] = {}
    for name in buckets if buckets is not None else list(backend.buckets):
        bucket = backend.buckets.get(name)
        if bucket is None:
            continue
        per: dict[str, list[int]] = {STANDARD: [0, 0]}
        for versions in list(dict.values(bucket.keys)):
            key = versions[-1] if versions else None
            size = getattr(key, "contentsize", None)  # delete markers have none
            if size is not None:
                ia = getattr(key, "storage_class", None) == "STANDARD_IA"
                tally = per.setdefault(INFREQUENT_ACCESS if ia else STANDARD, [0, 0])
                tally[0] += 1
                tally[1] += int(size)
        totals[name] = {
            cls: (objects, payload, len(bucket.multiparts) if cls == STANDARD else 0)
            for cls, (objects, payload) in per.items()
        }
    return totals


def bucket_totals(backend: Any, buckets: list[str] | None = None) -> dict[str, Totals]:
    """Objects, payload bytes and multipart uploads in progress per bucket."""
    return {name: _summed(per) for name, per in class_totals(backend, buckets).items()}


def _summed(per: ByClass) -> Totals:
    return (
        sum(t[0] for t in per.values()),
        sum(t[1] for t in per.values()),
        sum(t[2] for t in per.values()),
    )


def _hour(t: float) -> int:
    return int(t // HOUR * HOUR)


def _round(rng: random.Random, x: float) -> int:
    """Stochastic rounding: small expected counts still show up now and then."""
    return int(x + rng.random())


class DemoAnalytics:
    """Operations and storage per hour, as Cloudflare's datasets would report
    them for the demo account."""

    def __init__(
        self,
        counts: dict[str, int],
        sizes: dict[str, int],
        traffic: TrafficGenerator | None,
        started_at: float,
        seed: int,
        *,
        backend: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.counts = dict(counts)
        self.sizes = dict(sizes)
        self.traffic = traffic
        self.started_at = started_at
        self.seed = seed
        self.backend = backend  # moto's backend, for live storage totals; optional
        self.clock = clock
        self.backend_ttl = 5.0  # seconds between walks of the backend's keys
        self.start_hour = _hour(started_at)
        self.error_burst_hour = self.start_hour - ERROR_BURST_OFFSET
        self.access_burst_hours = tuple(
            sorted(
                {
                    self.start_hour - ACCESS_BURST_OFFSET,
                    _hour(started_at - SETTLING) - ACCESS_BURST_OFFSET,
                }
            )
        )
        self._lock = threading.Lock()  # the HTTP server answers from several threads
        self._synthetic: dict[tuple[str, int], list[Row]] = {}
        self._live: dict[tuple[int, str, str, int], int] = {}
        self._folded_ts = float("-inf")
        self._storage: dict[int, dict[str, ByClass]] = {}
        self._backend_read: tuple[float, dict[str, ByClass]] | None = None
        # Infrequent Access's share of each bucket's (objects, bytes), as seeded;
        # without a backend every object is Standard.
        self.ia_shares: dict[str, tuple[float, float]] = {}
        if backend is not None:
            for bucket, per in class_totals(backend, sorted(self.counts)).items():
                objects, payload, _ = _summed(per)
                ia = per.get(INFREQUENT_ACCESS, (0, 0, 0))
                self.ia_shares[bucket] = (
                    ia[0] / objects if objects else 0.0,
                    ia[1] / payload if payload else 0.0,
                )

    # ---- the public queries ------------------------------------------------------

    def hours(self, start: float, end: float) -> list[int]:
        """The hours in [start, end) that Cloudflare would still know about:
        not older than the retention, not in the future."""
        now = self.clock()
        first = max(math.ceil(start / HOUR), math.ceil((now - RETENTION) / HOUR)) * HOUR
        last = min(math.ceil(end / HOUR) * HOUR, _hour(now) + HOUR)
        return list(range(first, last, HOUR))

    def operations(self, start: float, end: float) -> list[OperationGroup]:
        """Requests per hour, bucket, action, status code and storage class in
        [start, end).

        Every hour gets the synthetic background scaled by how much of the hour
        has passed (all of it for past hours, so those stay fixed), plus the
        traffic generator's logged requests (Standard: it reads what it wrote).
        The live hours thus look like the history instead of holding only the
        generator's trickle, and the current hour accrues as it would at
        Cloudflare."""
        now = self.clock()
        hours = self.hours(start, end)
        live: dict[tuple[int, str], list[tuple[str, int, int]]] = {}
        with self._lock:
            self._fold_live()
            for (h, b, action, code), n in self._live.items():
                live.setdefault((h, b), []).append((action, code, n))
        out: list[OperationGroup] = []
        for hour in hours:
            share = min(1.0, max(0.0, (now - hour) / HOUR))
            for bucket in sorted(self.counts):
                p = self._profile(bucket)
                merged: dict[tuple[str, str, int, str], Row] = {}
                for row in self._synthetic_rows(bucket, hour):
                    scaled = row if share >= 1.0 else _scaled(row, share)
                    if scaled.requests:
                        _add(merged, scaled)
                for action, code, n in live.get((hour, bucket), []):
                    status = action_status(code)
                    _add(
                        merged,
                        Row(action, status, code, STANDARD, n, *_bytes(p, action, status, code, n)),
                    )
                out.extend(
                    OperationGroup(
                        hour,
                        bucket,
                        r.action,
                        r.status,
                        r.code,
                        r.requests,
                        r.storage_class,
                        r.sent,
                        r.size,
                        r.interval,
                    )
                    for _, r in sorted(merged.items())
                )
        return out

    def storage(self, start: float, end: float) -> list[StorageSnapshot]:
        """Each bucket's size per hour and storage class in [start, end); a
        class a bucket holds nothing in has no row."""
        hours = self.hours(start, end)
        out: list[StorageSnapshot] = []
        for hour in hours:
            for bucket in sorted(self.counts):
                if hour < self.start_hour:
                    per = self._split(bucket, self._past_storage(bucket, hour))
                else:
                    per = self._live_storage(bucket, hour)
                meta = self._profile(bucket).meta_per_object
                for cls in (STANDARD, INFREQUENT_ACCESS):
                    objects, payload, pending = per.get(cls, (0, 0, 0))
                    if cls == STANDARD or objects or payload:
                        out.append(
                            StorageSnapshot(
                                hour, bucket, objects, pending, payload, objects * meta, cls
                            )
                        )
        return out

    # ---- synthetic history -------------------------------------------------------

    def _profile(self, bucket: str) -> Profile:
        return PROFILES.get(bucket, DEFAULT_PROFILE)

    def _rng(self, kind: str, bucket: str, hour: int) -> random.Random:
        # A str seed hashes the same in every process (unlike hash()).
        return random.Random(f"{self.seed}:{kind}:{bucket}:{hour}")

    def _synthetic_rows(self, bucket: str, hour: int) -> list[Row]:
        """One whole hour of background requests, memoised: it never changes."""
        with self._lock:
            rows = self._synthetic.get((bucket, hour))
        if rows is None:
            rows = self._make_rows(bucket, hour)
            with self._lock:
                self._synthetic[(bucket, hour)] = rows
        return rows

    def _make_rows(self, bucket: str, hour: int) -> list[Row]:
        p = self._profile(bucket)
        rng = self._rng("ops", bucket, hour)
        when = datetime.fromtimestamp(hour, UTC)
        base = self._base_rows(bucket, hour, p, rng, when)
        rows: list[Row] = []
        for action, status, code, n in base:
            # Reads of the bucket's older objects are Infrequent Access reads.
            ia = _round(rng, n * p.ia_reads) if action in READS else 0
            for cls, count in ((STANDARD, n - ia), (INFREQUENT_ACCESS, ia)):
                if count <= 0:
                    continue
                interval = 1.0
                if (
                    bucket == SAMPLED_BUCKET
                    and when.hour in SAMPLED_HOURS
                    and action == "GetObject"
                    and code == 200
                    and count >= 100
                ):
                    # Sampled: Cloudflare reports the estimate, a count in tens.
                    count, interval = round(count / 10) * 10, 10.0
                sent, size = _bytes(p, action, status, code, count, rng.lognormvariate(0, 0.1))
                rows.append(Row(action, status, code, cls, count, sent, size, interval))
        return rows

    def _base_rows(
        self, bucket: str, hour: int, p: Profile, rng: random.Random, when: datetime
    ) -> list[Base]:
        """Requests by action and status code, whatever their class."""
        # Busiest mid-afternoon UTC, quietest before dawn; weekends a little calmer.
        day = 0.5 - 0.5 * math.cos(2 * math.pi * (when.hour - 3) / 24)
        rate = p.peak * (p.night + (1 - p.night) * day)
        rate *= (0.8 if when.weekday() >= 5 else 1.0) * rng.lognormvariate(0, 0.08)
        internal = rng.uniform(0.0015, 0.004)
        if bucket == ERROR_BURST_BUCKET and hour == self.error_burst_hour:
            internal = rng.uniform(0.25, 0.30)  # scripted: a storage backend hiccup
        counts = {a: rate * share * rng.lognormvariate(0, 0.05) for a, share in p.mix.items()}
        if bucket == "app-backups" and when.hour == BACKUP_HOUR:
            for action, n in BACKUP_BATCH.items():
                counts[action] = counts.get(action, 0.0) + n
        rows: list[Base] = []
        for action, expected in counts.items():
            n = _round(rng, expected)
            failed_5xx = _round(rng, n * internal)
            failed_4xx = 0
            if action in READS:
                failed_4xx = _round(rng, n * p.not_found)
            elif action in WRITES:
                failed_4xx = _round(rng, n * 0.002)  # BadDigest, EntityTooSmall and the like
            failed_4xx = min(failed_4xx, n - failed_5xx)
            ok = n - failed_5xx - failed_4xx
            other_code, other_share = p.ok_codes.get(action, (200, 0.0))
            other = _round(rng, ok * other_share)
            main_code = 204 if action == "DeleteObject" else 200
            rows += [
                (action, "success", main_code, ok - other),
                (action, "success", other_code, other),
                (action, "userError", 404 if action in READS else 400, failed_4xx),
                (action, "internalError", 500, failed_5xx),
            ]
        if bucket == ACCESS_BURST_BUCKET and hour in self.access_burst_hours:
            rows += self._access_burst(rng)
        return [r for r in rows if r[3] > 0]

    @staticmethod
    def _access_burst(rng: random.Random) -> list[Base]:
        """Scripted: a revoked key keeps trying, then someone probes with no
        valid signature at all; R2 refuses every request (and bills none)."""
        total = rng.randint(55, 78)
        listing = rng.randint(15, 22)
        reads = rng.randint(18, 26)
        return [
            ("ListObjectsV2", "userError", 403, listing),
            ("GetObject", "userError", 403, reads),
            ("PutObject", "userError", 401, total - listing - reads),
        ]

    def _past_storage(self, bucket: str, hour: int) -> Totals:
        """Storage grows towards the seeded totals at the start hour."""
        p = self._profile(bucket)
        rng = self._rng("storage", bucket, hour)
        age = (self.start_hour - hour) / DAY
        if bucket == "app-backups":
            # One batch of dumps a night: the size steps once a day, not smoothly.
            age = math.ceil((self.start_hour - hour - BACKUP_HOUR * HOUR) / DAY)
        grown = p.growth * min(age, 31) / 30
        objects = round(self.counts.get(bucket, 0) * (1 - grown))
        payload = round(self.sizes.get(bucket, 0) * (1 - grown * rng.uniform(0.97, 1.03)))
        pending = rng.randint(0, p.pending)
        if bucket == "app-backups":
            pending = 2 if datetime.fromtimestamp(hour, UTC).hour == BACKUP_HOUR else 0
        return objects, payload, pending

    def _split(self, bucket: str, totals: Totals) -> ByClass:
        """A bucket's totals by class, in the seeded shares."""
        objects, payload, pending = totals
        share_objects, share_bytes = self.ia_shares.get(bucket, (0.0, 0.0))
        ia_objects, ia_bytes = round(objects * share_objects), round(payload * share_bytes)
        return {
            STANDARD: (objects - ia_objects, payload - ia_bytes, pending),
            INFREQUENT_ACCESS: (ia_objects, ia_bytes, 0),
        }

    # ---- live ---------------------------------------------------------------------

    def _fold_live(self) -> None:
        """Tally the generator's new log entries into per-hour counts. The log
        is a bounded deque that forgets old requests: keeping our own tally
        keeps past live hours identical on every re-query. Requests to buckets
        that do not exist (the generator's "no-such-bucket") have no bucket
        analytics at Cloudflare either, so they are left out."""
        if self.traffic is None:
            return
        entries = list(self.traffic.log)  # one C-level copy while the generator appends
        i = len(entries)
        while i > 0 and entries[i - 1].ts > self._folded_ts:
            i -= 1
        for r in entries[i:]:
            if r.bucket in self.counts:
                key = (_hour(r.ts), r.bucket, r.action, r.status)
                self._live[key] = self._live.get(key, 0) + 1
        if entries:
            self._folded_ts = max(self._folded_ts, entries[-1].ts)

    def _live_storage(self, bucket: str, hour: int) -> ByClass:
        """The backend's real totals per class for the current hour (the hour's
        maximum, as Cloudflare reports); a past live hour keeps what was seen in
        it, or the latest earlier value when nobody looked."""
        current = _hour(self.clock())
        synthetic_pending = self._past_storage(bucket, hour)[2]
        with self._lock:
            seen = self._storage.setdefault(hour, {})
            if hour == current and (totals := self._read_backend()) and bucket in totals:
                old = seen.get(bucket, {})
                seen[bucket] = {
                    cls: _max(old.get(cls, (0, 0, 0)), now) for cls, now in totals[bucket].items()
                }
            if bucket not in seen:
                earlier = [h for h in self._storage if h < hour and bucket in self._storage[h]]
                seen[bucket] = (
                    self._storage[max(earlier)][bucket]
                    if earlier
                    else self._split(
                        bucket, (self.counts.get(bucket, 0), self.sizes.get(bucket, 0), 0)
                    )
                )
            per = dict(seen[bucket])
        # The generator never leaves an upload half done: add the usual few.
        objects, payload, uploads = per.get(STANDARD, (0, 0, 0))
        per[STANDARD] = (objects, payload, uploads + synthetic_pending)
        return per

    def _read_backend(self) -> dict[str, ByClass] | None:
        """Backend totals, at most every few seconds: one GraphQL page per
        bucket-hour should not walk thousands of keys each time."""
        if self.backend is None:
            return None
        now = time.monotonic()
        if self._backend_read is None or now - self._backend_read[0] >= self.backend_ttl:
            try:
                self._backend_read = (now, class_totals(self.backend, sorted(self.counts)))
            except Exception:  # the demo's analytics must not fail on a moto detail
                return self._backend_read[1] if self._backend_read else None
        return self._backend_read[1]


def _max(a: Totals, b: Totals) -> Totals:
    return max(a[0], b[0]), max(a[1], b[1]), max(a[2], b[2])


def _scaled(row: Row, share: float) -> Row:
    """The part of an hour's row seen so far."""
    return row._replace(
        requests=int(row.requests * share), sent=int(row.sent * share), size=int(row.size * share)
    )


def _add(merged: dict[tuple[str, str, int, str], Row], row: Row) -> None:
    key = (row.action, row.status, row.code, row.storage_class)
    seen = merged.get(key)
    merged[key] = (
        row
        if seen is None
        else seen._replace(
            requests=seen.requests + row.requests,
            sent=seen.sent + row.sent,
            size=seen.size + row.size,
        )
    )


def _bytes(
    p: Profile, action: str, status: str, code: int, n: int, jitter: float = 1.0
) -> tuple[int, int]:
    """(responseBytes, responseObjectSize) of n requests, as R2 reports them: a
    PutObject sends no body but concerns the object uploaded; a GetObject sends
    the object (a range read only the range, a 304 nothing); refused and failed
    requests concern no object."""
    if status != "success":
        return 0, 0
    if action == "GetObject":
        size = int(n * p.read_size * jitter)
        sent = {206: size // 4, 304: 0}.get(code, size)
        return sent, size
    if action == "HeadObject":
        return 0, int(n * p.read_size * jitter)
    if action in ("PutObject", "CopyObject"):
        return 0, int(n * p.write_size * jitter)
    if action == "UploadPart":
        return 0, n * PART_SIZE
    if action == "ListObjectsV2":
        return int(n * LISTING_BYTES * jitter), 0
    return 0, 0
