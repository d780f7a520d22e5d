"""A deterministic stream of R2-like objects: nested keys, heavy-tailed sizes, dates.

The bucket mixes the workloads an R2 account tends to hold, so the listing and
the inventory fold see realistic key lengths, directory fan-out, file types
(compound ones such as ``.log.gz`` included) and a size distribution where a
few objects hold most of the bytes:

    users/<uid>/photos/<yyyy>/<mm>/IMG_<serial>.jpg     many small-ish photos
    users/<uid>/docs/<name>_<serial>.pdf|docx|xlsx       office documents
    media/videos/<yyyy>/<mm>/<slug>-<serial>.mp4         Pareto: a few huge files
    logs/<service>/<yyyy>/<mm>/<dd>-<hh>-<serial>.log.gz  rotated logs
    events/<yyyy>/<mm>/<dd>/<hex>.json                  tiny JSON events
    static/<build>/assets/<hex>.js|css|woff2|svg|png     web assets
    exports/<team>/<name>-<serial>.csv|parquet           very wide lognormal
    backups/<db>/<yyyy>-<mm>-<dd>/part-<serial>.tar.zst  Pareto, often STANDARD_IA
    users/<uid>/.keep, misc/<NAME>                      keys with no extension

Every key carries a global serial, so keys are unique by construction and
``generate(n)`` is a prefix of ``generate(m)`` for n < m: a small run lists
the same objects a big run starts with.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Generic, TypeVar

# Bumped whenever the stream or its summary changes, so --keep-data regenerates.
GENERATOR_VERSION = 2
SEED = 20_240_601
MAX_OBJECT = 5 * 1024**4  # R2's largest object (multipart): 5 TiB
OBJECTS_PER_USER = 1_000

# family: weight. Photos and logs dominate counts; videos and backups dominate bytes.
FAMILIES: dict[str, int] = {
    "photo": 34,
    "doc": 8,
    "video": 3,
    "log": 20,
    "event": 15,
    "asset": 9,
    "export": 5,
    "backup": 3,
    "noext": 3,
}
SERVICES = ("api", "auth", "billing", "search", "worker", "cdn-edge", "ingest")
DATABASES = ("orders-pg", "users-pg", "analytics-ch")
TEAMS = ("finance", "growth", "ops", "research")
DOC_NAMES = ("invoice", "contract", "report", "statement", "receipt")
MISC_NAMES = ("README", "LICENSE", "CHANGELOG", "Makefile", "Dockerfile")
YEARS = (2021, 2022, 2023, 2024, 2025)


@dataclass(frozen=True, slots=True)
class Obj:
    key: str
    size: int
    mtime: int  # Unix seconds, consistent with the date in the key when it has one
    storage_class: str  # STANDARD or STANDARD_IA (rclone lists everything as STANDARD)


def _lognormal(rnd: random.Random, median: float, sigma: float) -> int:
    return int(rnd.lognormvariate(math.log(median), sigma))


def _pareto(rnd: random.Random, minimum: float, alpha: float) -> int:
    return int(minimum * rnd.paretovariate(alpha))


T = TypeVar("T")


class _Weighted(Generic[T]):
    """A weighted choice with its cumulative weights computed once: random.choices
    recomputes them on every call, which doubled the generator's time."""

    def __init__(self, weighted: dict[T, int]) -> None:
        self.values = list(weighted)
        self.cum = list(accumulate(weighted.values()))
        self.total = self.cum[-1]

    def __call__(self, rnd: random.Random) -> T:
        return self.values[bisect(self.cum, rnd.random() * self.total)]


_FAMILY = _Weighted(FAMILIES)
_YEAR = _Weighted(dict(zip(YEARS, (1, 2, 3, 5, 8), strict=True)))  # accounts grow
_DOC = _Weighted({"pdf": 5, "docx": 2, "xlsx": 2})
_ASSET = _Weighted({"js": 4, "css": 2, "woff2": 1, "svg": 2, "png": 3})


def _date(rnd: random.Random) -> tuple[int, int, int, int]:
    """A day and an mtime inside it; later years are busier."""
    year = _YEAR(rnd)
    month = rnd.randrange(1, 13)
    day = rnd.randrange(1, 29)
    t = int(datetime(year, month, day, tzinfo=UTC).timestamp()) + rnd.randrange(86_400)
    return year, month, day, t


def generate(n: int, seed: int = SEED) -> Iterator[Obj]:
    rnd = random.Random(seed)
    users = max(1, n // OBJECTS_PER_USER)
    for serial in range(n):
        family = _FAMILY(rnd)
        year, month, day, mtime = _date(rnd)
        uid = 10_000 + rnd.randrange(users)
        storage_class = "STANDARD"
        if family == "photo":
            key = f"users/{uid}/photos/{year}/{month:02d}/IMG_{serial:07d}.jpg"
            size = _lognormal(rnd, 2_400_000, 0.7)
        elif family == "doc":
            ext = _DOC(rnd)
            key = f"users/{uid}/docs/{rnd.choice(DOC_NAMES)}_{serial:07d}.{ext}"
            size = _lognormal(rnd, 180_000, 1.3)
        elif family == "video":
            key = f"media/videos/{year}/{month:02d}/clip-{serial:07d}.mp4"
            size = _pareto(rnd, 8_000_000, 1.1)
        elif family == "log":
            service = rnd.choice(SERVICES)
            key = (
                f"logs/{service}/{year}/{month:02d}/"
                f"{day:02d}-{rnd.randrange(24):02d}-{serial:07d}.log.gz"
            )
            size = _lognormal(rnd, 250_000, 1.6)
            # Old logs are moved to Infrequent Access by a lifecycle rule.
            if year <= 2022:
                storage_class = "STANDARD_IA"
        elif family == "event":
            key = f"events/{year}/{month:02d}/{day:02d}/{rnd.getrandbits(64):016x}{serial:07d}.json"
            size = _lognormal(rnd, 1_800, 0.9)
        elif family == "asset":
            ext = _ASSET(rnd)
            key = f"static/build-{serial // 2_000:04d}/assets/{rnd.getrandbits(48):012x}.{ext}"
            size = _lognormal(rnd, 40_000, 1.2)
        elif family == "export":
            ext = rnd.choice(("csv", "csv", "parquet"))
            key = f"exports/{rnd.choice(TEAMS)}/{year}-{month:02d}-export-{serial:07d}.{ext}"
            size = _lognormal(rnd, 4_000_000, 2.2)
        elif family == "backup":
            db = rnd.choice(DATABASES)
            key = f"backups/{db}/{year}-{month:02d}-{day:02d}/part-{serial:07d}.tar.zst"
            size = _pareto(rnd, 60_000_000, 1.3)
            storage_class = "STANDARD_IA" if rnd.random() < 0.7 else "STANDARD"
        else:  # keys without an extension, which the fold files under "(none)"
            key = (
                f"users/{uid}/.keep-{serial:07d}"
                if rnd.random() < 0.5
                else f"misc/{rnd.choice(MISC_NAMES)}-{serial:07d}"
            )
            size = _lognormal(rnd, 3_000, 1.0)
        yield Obj(key, max(0, min(size, MAX_OBJECT)), mtime, storage_class)


def summary(n: int, seed: int = SEED) -> dict[str, int]:
    """Totals every listing is checked against, and the shape the report describes."""
    ia = 0
    sizes: list[int] = []
    dirs: set[str] = set()
    leaves: set[str] = set()
    for obj in generate(n, seed):
        sizes.append(obj.size)
        if obj.storage_class == "STANDARD_IA":
            ia += 1
        parts = obj.key.split("/")[:-1]
        leaves.add("/".join(parts))
        for j in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:j]))
    sizes.sort()
    total = sum(sizes)
    top_1pct = sum(sizes[n - max(1, n // 100) :])
    return {
        "objects": n,
        "bytes": total,
        "standard_ia": ia,
        "directories": len(dirs),
        "leaf_directories": len(leaves),
        "median_size": sizes[n // 2],
        "top_1pct_bytes_permille": top_1pct * 1000 // max(1, total),
    }
