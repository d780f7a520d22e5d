"""Parsers for config values. Each returns the value or raises ValueError with a
message that says what would be valid; the loader adds file and key."""

from __future__ import annotations

import re
from urllib.parse import urlparse

_SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_DURATION_RE = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
ACCOUNT_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def parse_size(value: object) -> int:
    """Bytes from an int or a string such as '500 GB' or '1.5 TiB'."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 500000000000 or \"500 GB\", got {value!r}")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"must be a positive number of bytes, got {value}")
        return value
    if isinstance(value, str):
        m = _SIZE_RE.match(value)
        if m and m.group(2).lower() in _SIZE_UNITS:
            n = int(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])
            if n > 0:
                return n
    raise ValueError(
        f"expected a size such as \"500 GB\", \"1.5 TiB\" or a number of bytes, got {value!r}"
    )


def parse_duration(value: object) -> int:
    """Seconds from an int or a string such as '30s', '5m', '6h', '1d' or '1h30m'."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        parts = _DURATION_RE.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in parts)
            if seconds > 0:
                return seconds
    raise ValueError(
        f"expected a duration such as \"30s\", \"5m\", \"6h\", \"1d\" or seconds, got {value!r}"
    )


def parse_cron(value: str) -> str:
    """Validate a five-field crontab line with APScheduler's own parser."""
    from apscheduler.triggers.cron import CronTrigger

    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron schedule has 5 fields (minute hour day month weekday), "
            f"got {len(fields)} in {value!r}"
        )
    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron schedule {value!r}: {exc}") from None
    return " ".join(fields)


def parse_schedule(value: object) -> tuple[int | None, str | None]:
    """(seconds, None) for an interval, (None, cron) for a crontab line."""
    if isinstance(value, str) and len(value.split()) == 5:
        return None, parse_cron(value)
    try:
        return parse_duration(value), None
    except ValueError:
        raise ValueError(
            f"expected an interval such as \"5m\" or \"6h\", or a cron line such as "
            f"\"0 */6 * * *\", got {value!r}"
        ) from None


def parse_url(value: object) -> str:
    if isinstance(value, str):
        u = urlparse(value)
        if u.scheme in ("http", "https") and u.hostname:
            return value.rstrip("/")
    raise ValueError(f"expected an http:// or https:// URL with a host, got {value!r}")


def parse_account_id(value: object) -> str:
    if isinstance(value, str) and ACCOUNT_ID_RE.match(value.strip().lower()):
        return value.strip().lower()
    raise ValueError(
        "expected the 32-character hexadecimal Cloudflare account id "
        "(dashboard → R2 → Account ID)"
    )


def parse_globs(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise ValueError(f"expected a list of bucket name globs such as [\"media-*\"], got {value!r}")
