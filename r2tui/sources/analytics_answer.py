"""What can go wrong with a Cloudflare analytics query, and the check of an
answer's shape: every row validated before any is used, each asked field
(graphql_queries.Selection) required, the fields not asked left at the rows'
defaults (storage class "", bytes None, sample interval 1.0)."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from r2tui.observations import OperationGroup, StorageSnapshot

HOUR = 3600
T = TypeVar("T")
# JSON can spell a lone surrogate ("\\ud800"), which is no Unicode text: no store
# can hold it, and one such bucket name would fail every read of the analytics.
_SURROGATE = re.compile("[\ud800-\udfff]")


class AnalyticsError(Exception):
    """A query failed; ``reason`` says why in one line and never holds the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AnalyticsAuthError(AnalyticsError):
    """The token was refused or may not read this account: retrying will not help."""


class AnalyticsUnknownAccount(AnalyticsAuthError):
    """The answer lists no account for the id: a typo, or a token scoped elsewhere.
    Cloudflare does not tell the two apart, so neither can we."""


class AnalyticsRateLimited(AnalyticsError):
    """HTTP 429 on every attempt, or a rate-limit error in the answer."""


class AnalyticsUnavailable(AnalyticsError):
    """5xx answers or no answer at all (refused, timed out) on every attempt."""


class AnalyticsMalformed(AnalyticsError):
    """The answer does not have the documented shape."""


def _one_line(text: object, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# ---- refusals the client can act on ---------------------------------------------------

# Cloudflare's wording for a field a dataset does not offer is "unknown field..."
# (developers.cloudflare.com/analytics/graphql-api/errors/); GraphQL's reference
# implementations say "Cannot query field". Either, naming the field, counts.
_UNKNOWN_FIELD = re.compile(r"unknown field|cannot query field|has no field", re.IGNORECASE)
# "limit must be positive number and not greater than 10000" (same page).
_MAX_LIMIT = re.compile(r"not greater than\s*(\d+)", re.IGNORECASE)


def error_messages(errors: Any) -> list[str]:
    """The messages of a GraphQL `errors` value, whatever its shape."""
    items = errors if isinstance(errors, list) else [errors]
    out = []
    for item in items:
        message = item.get("message") if isinstance(item, dict) else item
        if isinstance(message, str) and message:
            out.append(message)
    return out


def refused_fields(messages: Iterable[str], candidates: Iterable[str]) -> set[str]:
    """The candidate fields that an "unknown field" message names."""
    found: set[str] = set()
    for message in messages:
        if _UNKNOWN_FIELD.search(message):
            found |= {
                f
                for f in candidates
                if re.search(rf"(?<![A-Za-z0-9_]){re.escape(f)}(?![A-Za-z0-9_])", message)
            }
    return found


def max_page_size(messages: Iterable[str]) -> int | None:
    """The largest limit a "not greater than N" message allows, if one says so."""
    for message in messages:
        if "limit" in message.lower() and (m := _MAX_LIMIT.search(message)):
            size = int(m.group(1))
            return size if size >= 1 else None
    return None


def _type_name(value: object) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _malformed(path: str, verb: str, value: object, wanted: str) -> AnalyticsMalformed:
    return AnalyticsMalformed(
        f"malformed answer from Cloudflare analytics: {path} {verb} "
        f"{_type_name(value)}, not {wanted}"
    )


def _get(
    obj: dict[str, Any], key: str, path: str, kind: type[T] | tuple[type[T], ...], wanted: str
) -> T:
    if key not in obj:
        raise AnalyticsMalformed(
            f"malformed answer from Cloudflare analytics: {path}.{key} missing"
        )
    value = obj[key]
    if not isinstance(value, kind) or (kind is not str and isinstance(value, bool)):
        raise _malformed(f"{path}.{key}", "is", value, wanted)
    return value


def _text(obj: dict[str, Any], key: str, path: str) -> str:
    value = _get(obj, key, path, str, "a string")
    if not value.isascii() and _SURROGATE.search(value):
        # Kept as the escape r2tui.literal shows it as: one stable name, stored.
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return value


def _rows(answer: dict[str, Any], dataset: str, account_id: str) -> list[Any]:
    data = _get(answer, "data", "answer", dict, "an object")
    viewer = _get(data, "viewer", "data", dict, "an object")
    accounts = _get(viewer, "accounts", "data.viewer", list, "a list")
    if not accounts:
        raise AnalyticsUnknownAccount(
            f"Cloudflare analytics knows no account {account_id}: the account id is wrong "
            "or the API token cannot see it"
        )
    if not isinstance(accounts[0], dict):
        raise _malformed("data.viewer.accounts[0]", "is", accounts[0], "an object")
    return _get(accounts[0], dataset, "data.viewer.accounts[0]", list, "a list")


def _dimensions(row: object, path: str) -> tuple[dict[str, Any], int, str]:
    if not isinstance(row, dict):
        raise _malformed(path, "is", row, "an object")
    dims = _get(row, "dimensions", path, dict, "an object")
    dpath = f"{path}.dimensions"
    hour = _hour(_text(dims, "datetimeHour", dpath), f"{dpath}.datetimeHour")
    return dims, hour, _text(dims, "bucketName", dpath)


@functools.lru_cache(maxsize=1024)
def _hour_of(text: str) -> int | None:
    """Epoch seconds of an RFC 3339 time, None when it is none; cached: a page's
    rows share a few hours."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return None if when.tzinfo is None else int(when.timestamp())


def _hour(text: str, path: str) -> int:
    epoch = _hour_of(text)
    if epoch is None:
        raise AnalyticsMalformed(
            f"malformed answer from Cloudflare analytics: {path} is not "
            f"an RFC 3339 time ({_one_line(repr(text), 60)})"
        )
    if epoch % HOUR:
        raise AnalyticsMalformed(
            f"malformed answer from Cloudflare analytics: {path} is not "
            f"on the hour ({_one_line(text, 60)})"
        )
    return epoch


def _count(obj: dict[str, Any], key: str, path: str) -> int:
    value = _get(obj, key, path, int, "an integer")
    if value < 0:
        raise AnalyticsMalformed(
            f"malformed answer from Cloudflare analytics: {path}.{key} is negative ({value})"
        )
    return value


def _interval(obj: dict[str, Any], key: str, path: str) -> float:
    """avg { sampleInterval }: 1 when every event counted, 10 for one in ten. JSON
    writes it as a number (1.0 or 1); below 1 it would mean more than every event."""
    value = _get(obj, key, path, (int, float), "a number")
    if isinstance(value, bool) or not math.isfinite(value) or value < 1:
        raise AnalyticsMalformed(
            f"malformed answer from Cloudflare analytics: {path}.{key} "
            f"is {_one_line(repr(value), 40)}, not a number >= 1"
        )
    return float(value)


def _storage_class(dims: dict[str, Any], path: str, asked: frozenset[str]) -> str:
    # Unknown classes are kept as given: they are data, and a new class must not
    # fail every read.
    if "storageClass" not in asked:
        return ""
    # null: a row about no object (a bucket-level operation) has no class.
    if dims.get("storageClass", "") is None:
        return ""
    return _text(dims, "storageClass", path)


def _operation(row: dict[str, Any], path: str, asked: frozenset[str]) -> OperationGroup:
    """One operations row; `asked`: the fields the query asked (Selection.names)."""
    dims, hour, bucket = _dimensions(row, path)
    dpath, spath = f"{path}.dimensions", f"{path}.sum"
    total = _get(row, "sum", path, dict, "an object")
    interval = 1.0
    if "sampleInterval" in asked:
        interval = _interval(
            _get(row, "avg", path, dict, "an object"), "sampleInterval", f"{path}.avg"
        )
    return OperationGroup(
        hour=hour,
        bucket=bucket,
        action=_text(dims, "actionType", dpath),
        status=_text(dims, "actionStatus", dpath),
        code=_count(dims, "responseStatusCode", dpath),
        requests=_count(total, "requests", spath),
        storage_class=_storage_class(dims, dpath, asked),
        response_bytes=(
            _count(total, "responseBytes", spath) if "responseBytes" in asked else None
        ),
        object_bytes=(
            _count(total, "responseObjectSize", spath) if "responseObjectSize" in asked else None
        ),
        sample_interval=interval,
    )


def _snapshot(row: dict[str, Any], path: str, asked: frozenset[str]) -> StorageSnapshot:
    """One storage row; `asked`: the fields the query asked (Selection.names)."""
    dims, hour, bucket = _dimensions(row, path)
    mpath = f"{path}.max"
    top = _get(row, "max", path, dict, "an object")
    return StorageSnapshot(
        hour=hour,
        bucket=bucket,
        objects=_count(top, "objectCount", mpath),
        pending_uploads=_count(top, "uploadCount", mpath),
        payload_bytes=_count(top, "payloadSize", mpath),
        metadata_bytes=_count(top, "metadataSize", mpath),
        storage_class=_storage_class(dims, f"{path}.dimensions", asked),
    )
