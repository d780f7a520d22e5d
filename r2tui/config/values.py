"""Parsers for config values. Each returns the value or raises ValueError with a
message that says what would be valid; the loader adds file and key."""

from __future__ import annotations

import math
import re
from urllib.parse import urlparse

from r2tui.config.secrets import shown_url

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
            scaled = float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]
            # "9999…9 GB" overflows to inf: a size no bucket has, refused like any typo.
            if math.isfinite(scaled) and scaled >= 1:
                return int(scaled)
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
    """Validate a five-field crontab line with APScheduler's own parser.

    Returns the line with its weekday field spelled as names: APScheduler 3.x
    reads weekday numbers with 0 = Monday where crontab has 0 (and 7) = Sunday,
    so "0 9 * * 1" would otherwise run on Tuesdays and "* * * * 7" be refused.
    Names mean the same day to both, so the scheduler can use the result as is."""
    from apscheduler.triggers.cron import CronTrigger

    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron schedule has 5 fields (minute hour day month weekday), "
            f"got {len(fields)} in {value!r}"
        )
    try:
        fields[4] = _crontab_weekdays(fields[4])
        CronTrigger.from_crontab(" ".join(fields), timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron schedule {value!r}: {exc}") from None
    return " ".join(fields)


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _crontab_weekdays(text: str) -> str:
    """A crontab weekday field (numbers 0-7 with Sunday as 0 and 7, names, ranges,
    lists, steps) as a list of day names, or "*" for every day."""
    days: set[int] = set()
    for part in text.lower().split(","):
        span, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"weekday step must be a whole number above 0 in {text!r}")
            step = int(step_text)
        if span == "*":
            first, last = 0, 6
        else:
            start, dash, end = span.partition("-")
            first = _weekday(start, text)
            # "1/2" runs from Monday to the end of the week, as APScheduler reads it.
            last = _weekday(end, text) if dash else (6 if slash else first)
            if last < first:
                raise ValueError(f"weekday range {span!r} runs backwards in {text!r}")
        days.update(day % 7 for day in range(first, last + 1, step))
    if days == set(range(7)):
        return "*"
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def _weekday(token: str, text: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    raise ValueError(
        f"weekday {token!r} in {text!r} is not valid: use 0-7 (0 and 7 are Sunday) "
        "or sun, mon, tue, wed, thu, fri, sat"
    )


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
    shown = shown_url(value) if isinstance(value, str) else value  # never its credentials
    raise ValueError(f"expected an http:// or https:// URL with a host, got {shown!r}")


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
