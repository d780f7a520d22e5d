"""Realistic demo buckets, written straight into moto's in-process backend.

Through the backend a key costs ~30 µs instead of ~5 ms over HTTP. Bodies are
a few bytes; the listed size is set on the key, so the demo can hold
terabytes of "data" in a few megabytes of memory.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

DAY = 86400.0
KB, MB, GB = 1000, 1000**2, 1000**3
UNICODE_NAMES = (
    "Résumé 2026.pdf",
    "報告書.docx",
    "фото отпуска.jpg",
    "notes (final) v2.md",
    "data#1.csv",
    "emoji 🎉 party.png",
    "Ångström ÿ.txt",
    "a+b=c.xlsx",
    "space  double.zip",
    "what?.pdf",
    "100% done.png",
    "tab\tname.txt",
    "README",
    "Makefile",
    ".env.example",
    "quote's.json",
)


def _size(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, int(rng.lognormvariate(math.log(median), sigma)))


def _age(rng: random.Random, max_days: float) -> float:
    """Log-uniform between an hour and max_days: most objects are recent."""
    return math.exp(rng.uniform(math.log(1 / 24), math.log(max_days))) * DAY


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def media(rng: random.Random, n: int, now: float) -> Iterator[tuple[str, int, float, str]]:
    for i in range(n):
        age = _age(rng, 500)
        d = datetime.fromtimestamp(now - age, UTC)
        roll = rng.random()
        if roll < 0.62:
            ext = rng.choices(
                ["jpg", "jpeg", "png", "webp", "heic", "gif"], [40, 5, 20, 20, 10, 5]
            )[0]
            key = f"images/{d:%Y/%m/%d}/IMG_{i:05d}.{ext}"
            size = _size(rng, 900 * KB, 0.9)
        elif roll < 0.92:
            key = f"thumbs/{rng.choice(['160x160', '320x240', '640x480'])}/{_hex(rng, 10)}.webp"
            size = _size(rng, 25 * KB, 0.6)
        else:
            campaign = rng.choice(["spring-launch", "black-friday", "onboarding", "webinars"])
            res = rng.choice(["720p", "1080p", "4k"])
            key = f"videos/{campaign}/clip-{i:05d}-{res}.{rng.choice(['mp4', 'mov', 'webm'])}"
            size = _size(rng, 180 * MB if res != "4k" else 900 * MB, 1.0)
        yield key, size, now - age, "STANDARD_IA" if age > 300 * DAY and roll < 0.62 else "STANDARD"


def backups(rng: random.Random, days: int, now: float) -> Iterator[tuple[str, int, float, str]]:
    for day in range(days):
        t = now - day * DAY - rng.uniform(0, 3600)
        d = datetime.fromtimestamp(t, UTC)
        cls = "STANDARD_IA" if day > 7 else "STANDARD"
        yield f"postgres/{d:%Y-%m-%d}/base.tar.zst", _size(rng, 14 * GB, 0.25), t, cls
        yield f"postgres/{d:%Y-%m-%d}/globals.sql.gz", _size(rng, 40 * KB, 0.3), t, cls
        yield f"redis/{d:%Y-%m-%d}/dump.rdb", _size(rng, 600 * MB, 0.2), t, cls
        for h in range(0, 24, 6):
            wal = (f"postgres/{d:%Y-%m-%d}/wal/{_hex(rng, 24).upper()}", _size(rng, 16 * MB, 0.05))
            # Today's later segments are not written yet (drawn all the same: the
            # objects after them must not depend on the hour the demo starts).
            if t + h * 3600 <= now:
                yield (*wal, t + h * 3600, cls)


def logs(rng: random.Random, n: int, now: float) -> Iterator[tuple[str, int, float, str]]:
    services = ["api", "auth", "billing", "worker"]
    for i in range(n):
        age = rng.uniform(0, 120) * DAY
        d = datetime.fromtimestamp(now - age, UTC)
        cls = "STANDARD_IA" if age > 60 * DAY else "STANDARD"
        roll = rng.random()
        if roll < 0.7:
            key = f"cdn/{d:%Y/%m/%d/%H}/part-{i:06d}.json.gz"
            size = _size(rng, 2 * MB, 0.8)
        elif roll < 0.9:
            key = f"app/{rng.choice(services)}/{d:%Y-%m-%d}/{i:06d}.log"
            size = _size(rng, 300 * KB, 1.2)
        else:
            key = f"warehouse/events/dt={d:%Y-%m-%d}/part-{i:06d}.parquet"
            size = _size(rng, 40 * MB, 0.7)
        yield key, size, now - age, cls


def static_site(rng: random.Random, now: float) -> Iterator[tuple[str, int, float, str]]:
    fixed = [
        ("index.html", 18 * KB),
        ("robots.txt", 200),
        ("sitemap.xml", 40 * KB),
        ("favicon.ico", 15 * KB),
        ("404.html", 6 * KB),
    ]
    for key, size in fixed:
        yield key, size, now - _age(rng, 30), "STANDARD"
    for section in ("guide", "api", "blog", "changelog"):
        for p in range(30):
            yield (
                f"docs/{section}/{section}-{p:03d}.html",
                _size(rng, 30 * KB, 0.5),
                (now - _age(rng, 200)),
                "STANDARD",
            )
    for name in ("app", "vendor", "charts", "editor", "search"):
        for _ in range(4):
            h = _hex(rng, 8)
            yield (
                f"assets/js/{name}.{h}.js",
                _size(rng, 120 * KB, 0.8),
                now - _age(rng, 90),
                ("STANDARD"),
            )
            yield (
                f"assets/css/{name}.{h}.css",
                _size(rng, 20 * KB, 0.6),
                now - _age(rng, 90),
                ("STANDARD"),
            )
    for i in range(12):
        yield f"assets/fonts/inter-{i}.woff2", _size(rng, 90 * KB, 0.2), now - 300 * DAY, "STANDARD"
    for i in range(40):
        ext = rng.choice(["svg", "png", "webp"])
        yield (
            f"assets/img/illustration-{i:03d}.{ext}",
            _size(rng, 60 * KB, 1.0),
            (now - _age(rng, 300)),
            "STANDARD",
        )


def uploads(rng: random.Random, n: int, now: float) -> Iterator[tuple[str, int, float, str]]:
    kinds = [
        ("pdf", 1.5 * MB),
        ("docx", 300 * KB),
        ("xlsx", 200 * KB),
        ("zip", 30 * MB),
        ("png", 1.2 * MB),
        ("jpg", 2.5 * MB),
        ("mp3", 6 * MB),
        ("txt", 4 * KB),
        ("csv", 800 * KB),
        ("heic", 2 * MB),
    ]
    users = [_hex(rng, 8) for _ in range(max(1, n // 15))]
    for user in users:
        yield f"u/{user}/", 0, now - _age(rng, 400), "STANDARD"  # a folder marker
    for i in range(n):
        user = rng.choice(users)
        folder = rng.choice(["documents", "photos", "shared", "inbox", "archive/2025"])
        if rng.random() < 0.08:
            name = rng.choice(UNICODE_NAMES)
            size = _size(rng, 500 * KB, 1.5)
        else:
            ext, median = rng.choice(kinds)
            stem = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10)))
            name = f"{stem}-{i}.{ext}"
            size = _size(rng, median, 1.1)
        yield f"u/{user}/{folder}/{name}", size, now - _age(rng, 400), "STANDARD"


def layout(scale: float) -> dict[str, Any]:
    """Bucket name → a callable producing its objects."""
    s = max(scale, 0.01)
    return {
        "media-assets": lambda rng, now: media(rng, int(4000 * s), now),
        "app-backups": lambda rng, now: backups(rng, max(2, int(45 * s)), now),
        "logs-archive": lambda rng, now: logs(rng, int(6000 * s), now),
        "static-site": lambda rng, now: static_site(rng, now),
        "user-uploads": lambda rng, now: uploads(rng, int(1500 * s), now),
    }


def seed(
    backend: Any, scale: float = 1.0, seed_value: int = 2026, now: float | None = None
) -> dict[str, int]:
    """Create the demo buckets in `backend`; returns objects per bucket. Every
    object is dated at `now` (the time it is seeded at) or before: never after."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC).timestamp() if now is None else now
    counts: dict[str, int] = {}
    for bucket, make in layout(scale).items():
        backend.create_bucket(bucket, region_name="us-east-1")
        keys = set()
        for key, size, modified, storage_class in make(rng, now):
            fake = backend.put_object(bucket, key, b"", storage=storage_class)
            fake.contentsize = size
            # moto keeps naive UTC datetimes.
            fake.last_modified = datetime(1970, 1, 1) + timedelta(seconds=min(modified, now))
            keys.add(key)
        counts[bucket] = len(keys)
    return counts
