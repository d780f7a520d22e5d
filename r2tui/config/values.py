"""Parsers for config values. Each returns the value or raises ValueError with a
message that says what would be valid; the loader adds file and key."""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import ParseResult, urlparse

from r2tui.config.secrets import shown_url
from r2tui.literal import quoted

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "pb": 10**15,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
    "pib": 2**50,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_DURATION_RE = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
ACCOUNT_ID_RE = re.compile(r"^[0-9a-f]{32}$")

# Bounds a person would never reach, and the values beyond them break later
# (a timedelta overflows past 999,999,999 days, SQLite past 2**63).
MINUTE, HOUR, DAY, YEAR = 60, 3600, 86400, 365 * 86400
MAX_DURATION = 10 * YEAR
MAX_SIZE = 2**60  # 1 EiB: more than any account stores
MAX_TEXT = 64  # characters of a duration or size written as text
MAX_NAME = 200  # characters of a name (an account, a window, a glob, a profile)
MAX_LIST = 1000  # items of a list of names
# How far ahead a cron line must fire at least once. Crontab has no year, and
# within 100 years every month, day and weekday comes round (29 February on a
# Monday takes 40 years across 2100): a line that does not fire by then never will.
CRON_HORIZON_YEARS = 100


def span_text(seconds: float) -> str:
    """A bound as people say it: "10 years", "1 hour", "90 s"."""
    for size, unit in ((YEAR, "year"), (DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n:,} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} s"


def size_text(size: int) -> str:
    """A size bound as people say it: "5 TiB", "1 EiB"."""
    for unit in ("EiB", "PiB", "TiB", "GiB", "MiB", "KiB"):
        scale = {
            "KiB": 2**10,
            "MiB": 2**20,
            "GiB": 2**30,
            "TiB": 2**40,
            "PiB": 2**50,
            "EiB": 2**60,
        }[unit]
        if size >= scale and size % scale == 0:
            return f"{size // scale:,} {unit}"
    return f"{size:,} bytes"


def parse_size(value: object, most: int = MAX_SIZE) -> int:
    """Bytes from an int or a string such as '500 GB' or '1.5 TiB', at most `most`."""
    if isinstance(value, bool):
        raise ValueError(f'expected a size such as 500000000000 or "500 GB", got {quoted(value)}')
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"must be a positive number of bytes, got {quoted(value)}")
        if value > most:
            raise ValueError(f"must be at most {size_text(most)}, got {quoted(value)}")
        return value
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        m = _SIZE_RE.match(value)
        if m and m.group(2).lower() in _SIZE_UNITS:
            scaled = float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]
            if scaled > most:
                raise ValueError(f"must be at most {size_text(most)}, got {quoted(value)}")
            if math.isfinite(scaled) and scaled >= 1:
                return int(scaled)
    raise ValueError(
        f'expected a size such as "500 GB", "1.5 TiB" or a number of bytes, got {quoted(value)}'
    )


def parse_duration(value: object, most: int = MAX_DURATION) -> int:
    """Seconds from an int or a string such as '30s', '5m', '6h', '1d' or '1h30m',
    above 0 and at most `most` (ten years unless said)."""
    seconds = 0
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and len(value) <= MAX_TEXT:
        text = value.strip().lower().replace(" ", "")
        parts = _DURATION_RE.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds > most:
        raise ValueError(f"must be at most {span_text(most)}, got {quoted(value)}")
    if seconds > 0:
        return seconds
    raise ValueError(
        f'expected a duration such as "30s", "5m", "6h", "1d" or seconds, got {quoted(value)}'
    )


def parse_cron(value: str) -> str:
    """Validate a five-field crontab line with APScheduler's own parser.

    Returns the line with its weekday field spelled as names: APScheduler 3.x
    reads weekday numbers with 0 = Monday where crontab has 0 (and 7) = Sunday,
    so "0 9 * * 1" would otherwise run on Tuesdays and "* * * * 7" be refused.
    Names mean the same day to both, so the scheduler can use the result as is."""
    # Start-up: APScheduler loads only when a config has a cron schedule.
    from apscheduler.triggers.cron import CronTrigger

    if len(value) > MAX_NAME:
        raise ValueError(f"a cron schedule is at most {MAX_NAME} characters, got {quoted(value)}")
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron schedule has 5 fields (minute hour day month weekday), "
            f"got {len(fields)} in {quoted(value)}"
        )
    now = datetime.now(UTC)
    try:
        fields[4] = _crontab_weekdays(fields[4])
        # The end date bounds APScheduler's search: without one, a line that never
        # fires is searched to the year 9999 (0.1 s) each time a plan is made.
        trigger = CronTrigger(
            minute=fields[0],
            hour=fields[1],
            day=fields[2],
            month=fields[3],
            day_of_week=fields[4],
            timezone="UTC",
            end_date=now + timedelta(days=CRON_HORIZON_YEARS * 366),
        )
    except ValueError as exc:
        raise ValueError(f"invalid cron schedule {quoted(value)}: {exc}") from None
    if trigger.get_next_fire_time(None, now) is None:
        raise ValueError(
            f"cron schedule {quoted(value)} never fires: no date matches its "
            "day, month and weekday together (such as 31 February)"
        )
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
                raise ValueError(f"weekday step must be a whole number above 0 in {quoted(text)}")
            step = int(step_text)
        if span == "*":
            first, last = 0, 6
        else:
            start, dash, end = span.partition("-")
            first = _weekday(start, text)
            # "1/2" runs from Monday to the end of the week, as APScheduler reads it.
            last = _weekday(end, text) if dash else (6 if slash else first)
            if last < first:
                raise ValueError(f"weekday range {quoted(span)} runs backwards in {quoted(text)}")
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
        f"weekday {quoted(token)} in {quoted(text)} is not valid: use 0-7 (0 and 7 are Sunday) "
        "or sun, mon, tue, wed, thu, fri, sat"
    )


def parse_schedule(value: object) -> tuple[int | None, str | None]:
    """(seconds, None) for an interval, (None, cron) for a crontab line."""
    if isinstance(value, str) and len(value.split()) == 5:
        return None, parse_cron(value)
    try:
        return parse_duration(value), None
    except ValueError as exc:
        if str(exc).startswith("must be at most"):
            raise
        raise ValueError(
            f'expected an interval such as "5m" or "6h", or a cron line such as '
            f'"0 */6 * * *", got {quoted(value)}'
        ) from None


def parse_url(value: object) -> str:
    # urlsplit drops tabs and line breaks where it finds them: refuse them instead.
    if isinstance(value, str) and not any(c.isspace() or not c.isprintable() for c in value):
        u = urlparse(value)
        if (
            u.scheme in ("http", "https")
            and u.hostname
            and _valid_host(u.hostname)
            and _valid_port(u)
        ):
            return value.rstrip("/")
    shown = shown_url(value) if isinstance(value, str) else value  # never its credentials
    raise ValueError(f"expected an http:// or https:// URL with a host, got {quoted(shown)}")


# A host name as botocore checks an endpoint's before it builds a client (it
# raises "Invalid endpoint" otherwise): dot-separated labels of letters, digits
# and hyphens, or an IP address.
_HOST_RE = re.compile(r"((?!-)[a-z\d-]{1,63}(?<!-)\.)*(?!-)[a-z\d-]{1,63}(?<!-)\.?", re.IGNORECASE)


def _valid_host(host: str) -> bool:
    if len(host) <= 255 and _HOST_RE.fullmatch(host):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _valid_port(url: ParseResult) -> bool:
    try:
        url.port  # noqa: B018 - parsing it is the check: "http://h:99999" raises
    except ValueError:
        return False
    return True


def parse_account_id(value: object) -> str:
    if isinstance(value, str) and ACCOUNT_ID_RE.match(value.strip().lower()):
        return value.strip().lower()
    raise ValueError(
        "expected the 32-character hexadecimal Cloudflare account id (dashboard → R2 → Account ID)"
    )


def parse_globs(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        if len(value) > MAX_LIST:
            raise ValueError(f"at most {MAX_LIST:,} globs, got {len(value):,}")
        long = next((v for v in value if len(v) > MAX_NAME), None)
        if long is not None:
            raise ValueError(f"a glob is at most {MAX_NAME} characters, got {quoted(long)}")
        return tuple(value)
    raise ValueError(
        f'expected a list of bucket name globs such as ["media-*"], got {quoted(value)}'
    )
