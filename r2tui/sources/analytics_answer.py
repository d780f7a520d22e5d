"""What can go wrong with a Cloudflare analytics query, and the check of an
answer's shape: every row validated before any is used."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from r2tui.observations import OperationGroup, StorageSnapshot

HOUR = 3600
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


class AnalyticsTruncated(AnalyticsError):
    """A one-hour window still fills a whole page: rows would be lost."""


def _one_line(text: object, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"



def _type_name(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null"}.get(type(value),
                                                                           type(value).__name__)


def _malformed(path: str, verb: str, value: object, wanted: str) -> AnalyticsMalformed:
    return AnalyticsMalformed(f"malformed answer from Cloudflare analytics: {path} {verb} "
                              f"{_type_name(value)}, not {wanted}")


def _get(obj: dict[str, Any], key: str, path: str, kind: type, wanted: str) -> Any:
    if key not in obj:
        raise AnalyticsMalformed(f"malformed answer from Cloudflare analytics: {path}.{key} "
                                 "missing")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _malformed(f"{path}.{key}", "is", value, wanted)
    if kind is str and _SURROGATE.search(value):
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
            "or the API token cannot see it")
    if not isinstance(accounts[0], dict):
        raise _malformed("data.viewer.accounts[0]", "is", accounts[0], "an object")
    return _get(accounts[0], dataset, "data.viewer.accounts[0]", list, "a list")


def _dimensions(row: object, path: str) -> tuple[dict[str, Any], int, str]:
    if not isinstance(row, dict):
        raise _malformed(path, "is", row, "an object")
    dims = _get(row, "dimensions", path, dict, "an object")
    hour = _hour(_get(dims, "datetimeHour", f"{path}.dimensions", str, "a string"),
                 f"{path}.dimensions.datetimeHour")
    return dims, hour, _get(dims, "bucketName", f"{path}.dimensions", str, "a string")


def _hour(text: str, path: str) -> int:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise AnalyticsMalformed(f"malformed answer from Cloudflare analytics: {path} is not "
                                 f"an RFC 3339 time ({_one_line(repr(text), 60)})")
    epoch = int(when.timestamp())
    if epoch % HOUR:
        raise AnalyticsMalformed(f"malformed answer from Cloudflare analytics: {path} is not "
                                 f"on the hour ({_one_line(text, 60)})")
    return epoch


def _count(obj: dict[str, Any], key: str, path: str) -> int:
    value = _get(obj, key, path, int, "an integer")
    if value < 0:
        raise AnalyticsMalformed(f"malformed answer from Cloudflare analytics: {path}.{key} "
                                 f"is negative ({value})")
    return value


def _operation(row: dict[str, Any], path: str) -> OperationGroup:
    dims, hour, bucket = _dimensions(row, path)
    total = _get(row, "sum", path, dict, "an object")
    return OperationGroup(
        hour=hour, bucket=bucket,
        action=_get(dims, "actionType", f"{path}.dimensions", str, "a string"),
        status=_get(dims, "actionStatus", f"{path}.dimensions", str, "a string"),
        code=_count(dims, "responseStatusCode", f"{path}.dimensions"),
        requests=_count(total, "requests", f"{path}.sum"))


def _snapshot(row: dict[str, Any], path: str) -> StorageSnapshot:
    _, hour, bucket = _dimensions(row, path)
    top = _get(row, "max", path, dict, "an object")
    return StorageSnapshot(
        hour=hour, bucket=bucket,
        objects=_count(top, "objectCount", f"{path}.max"),
        pending_uploads=_count(top, "uploadCount", f"{path}.max"),
        payload_bytes=_count(top, "payloadSize", f"{path}.max"),
        metadata_bytes=_count(top, "metadataSize", f"{path}.max"))
