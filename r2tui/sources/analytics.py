"""Cloudflare's GraphQL analytics API over httpx: hourly R2 operation counts and
storage snapshots for one account.

Every failure raises an AnalyticsError whose ``reason`` is one line for the TUI
header and the activity log. Nothing partial is ever returned: a query that
needs several pages either yields every row of the window or raises.

Bucket names are kept exactly as the API gives them: buckets with a
jurisdiction arrive as ``<jurisdiction>_<bucket>`` (e.g. ``eu_media``), which is
also what keeps ``eu_media`` and a plain ``media`` bucket apart.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

import httpx

from r2tui import __version__
from r2tui.config.model import Secret
from r2tui.config.secrets import SecretUrl, scrub, secret_url
from r2tui.observations import OperationGroup, StorageSnapshot
from r2tui.sources import graphql_queries as gq
from r2tui.sources.analytics_answer import (
    AnalyticsAuthError,
    AnalyticsError,
    AnalyticsMalformed,
    AnalyticsRateLimited,
    AnalyticsTruncated,
    AnalyticsUnavailable,
    AnalyticsUnknownAccount,
    _malformed,
    _one_line,
    _operation,
    _rows,
    _snapshot,
)
from r2tui.sources.errors import Cancelled
from r2tui.sources.graphql_queries import rfc3339

__all__ = ["AnalyticsAuthError", "AnalyticsClient", "AnalyticsError", "AnalyticsMalformed",
           "AnalyticsRateLimited", "AnalyticsTruncated", "AnalyticsUnavailable",
           "AnalyticsUnknownAccount", "rfc3339"]
log = logging.getLogger("r2tui.analytics")
R = TypeVar("R", OperationGroup, StorageSnapshot)

HOUR = 3600
MAX_DELAY = 60.0  # longest single wait, Retry-After included: a job must not stall for long
PERMISSION = '"Account Analytics: Read"'
_AUTH_WORDS = ("not authorized", "unauthorized", "authentication", "forbidden", "permission",
               "access denied")
_AUTH_CODES = {"authz", "authn", "unauthorized", "unauthenticated", "forbidden"}
_RATE_WORDS = ("rate limit", "rate-limit", "budget", "too many requests")


class AnalyticsClient:
    """Queries one account's R2 datasets. Not thread-safe: one per job run."""

    def __init__(self, url: str | SecretUrl, token: Secret, account_id: str, *,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0,
                 max_attempts: int = 4, backoff: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep,
                 stop: threading.Event | None = None, rng: random.Random | None = None,
                 page_limit: int = gq.PAGE_LIMIT, max_window: int = 86400) -> None:
        if max_attempts < 1 or page_limit < 1 or max_window < HOUR:
            raise ValueError("max_attempts and page_limit must be >= 1, max_window >= 1 hour")
        # Posted to whole (a proxy's `?token=` must arrive); shown as `self.url`,
        # without userinfo, query or fragment.
        self._url = secret_url(url, "graphql_url")
        self.url = self._url.shown
        self.account_id = account_id
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.page_limit = page_limit
        self.max_window = max_window
        self.queries_sent = 0  # HTTP attempts, retries included: they count against the quota
        self._token = token
        self._sleep = sleep
        self._stop = stop
        self._rng = rng or random.Random()
        self._host = urlparse(self._url.reveal()).hostname or self.url
        self._http = httpx.Client(
            # Our own Authorization header as given: without an `auth`, httpx turns a
            # URL's userinfo into Basic auth, which would replace the Bearer token.
            auth=_as_given,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": f"r2tui/{__version__}"},
        )

    def __repr__(self) -> str:
        return f"AnalyticsClient({self._host}, account {self.account_id})"

    def __enter__(self) -> AnalyticsClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---- public queries ------------------------------------------------------------

    def operations(self, start: int, end: int) -> list[OperationGroup]:
        """Request counts per hour, bucket, action and status for [start, end)."""
        return self._fetch(gq.OPERATIONS_DATASET, gq.OPERATIONS_QUERY, _operation, start, end)

    def storage(self, start: int, end: int) -> list[StorageSnapshot]:
        """Hourly storage snapshots per bucket for [start, end)."""
        return self._fetch(gq.STORAGE_DATASET, gq.STORAGE_QUERY, _snapshot, start, end)

    # ---- windows -------------------------------------------------------------------

    def _fetch(self, dataset: str, query: str, parse: Callable[[dict[str, Any], str], R],
               start: int, end: int) -> list[R]:
        start, end = int(start), int(end)
        rows: list[R] = []
        for lo, hi in _chunks(start, end, self.max_window):
            rows.extend(self._window(dataset, query, parse, lo, hi))
        # Stable: rows of one hour keep the API's order.
        rows.sort(key=lambda r: r.hour)
        log.debug("analytics %s %s..%s: %d rows in all", dataset, rfc3339(start), rfc3339(end),
                  len(rows))
        return rows

    def _window(self, dataset: str, query: str, parse: Callable[[dict[str, Any], str], R],
                start: int, end: int) -> list[R]:
        answer = self._post(query, {"accountTag": self.account_id, "start": rfc3339(start),
                                    "end": rfc3339(end), "limit": self.page_limit})
        raw = _rows(answer, dataset, self.account_id)
        # Every row is checked before any is kept: one bad row fails the whole query.
        rows = [parse(row, f"{dataset}[{i}]") for i, row in enumerate(raw)]
        log.debug("analytics %s page %s..%s: %d rows", dataset, rfc3339(start), rfc3339(end),
                  len(rows))
        if len(rows) < self.page_limit:
            return rows
        # A full page may have dropped rows: ask again for each half.
        mid = _split_point(start, end)
        if mid is None:
            raise AnalyticsTruncated(
                f"Cloudflare analytics returned a full page ({self.page_limit} rows) of "
                f"{dataset} for the single hour from {rfc3339(start)}; rows would be lost")
        return (self._window(dataset, query, parse, start, mid)
                + self._window(dataset, query, parse, mid, end))

    # ---- HTTP ----------------------------------------------------------------------

    def _post(self, query: str, variables: dict[str, Any]) -> Any:
        failure = ""
        kind: type[AnalyticsError] = AnalyticsUnavailable
        for attempt in range(1, self.max_attempts + 1):
            if self._stop is not None and self._stop.is_set():
                raise Cancelled()
            retry_after: float | None = None
            self.queries_sent += 1
            try:
                resp = self._http.post(self._url.reveal(),
                                       json={"query": query, "variables": variables},
                                       headers={"Authorization": self._bearer()})
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                kind, failure = AnalyticsUnavailable, self._transport_reason(exc)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # bad URL: retrying won't help
                # The library's message may quote the request's headers: scrub it.
                raise AnalyticsError(f"cannot query Cloudflare analytics at {self.url}: "
                                     f"{_one_line(self._scrub(str(exc)))}") from None
            else:
                status = resp.status_code
                if status == 200:
                    return self._decode(resp)
                if status in (401, 403):
                    raise AnalyticsAuthError(
                        f"Cloudflare analytics refused the API token (HTTP {status}); it needs "
                        f"the {PERMISSION} permission for account {self.account_id}")
                if status == 429:
                    kind = AnalyticsRateLimited
                    failure = "rate-limited the token (HTTP 429)"
                elif status >= 500:
                    kind, failure = AnalyticsUnavailable, f"answered HTTP {status}"
                else:
                    detail = self._scrub(_cloudflare_message(resp))
                    raise AnalyticsError(f"Cloudflare analytics answered HTTP {status}"
                                         + (f": {detail}" if detail else ""))
                retry_after = _retry_after(resp.headers.get("Retry-After"))
            if attempt < self.max_attempts:
                self._wait(attempt, retry_after)
        times = f"{self.max_attempts} times" if self.max_attempts > 1 else "once"
        if kind is AnalyticsRateLimited:
            raise AnalyticsRateLimited(f"Cloudflare analytics {failure} {times}; "
                                       "backing off until the next run")
        raise kind(f"Cloudflare analytics {failure} {times}; will retry next run")

    def _bearer(self) -> str:
        token = self._token.reveal()
        if not token or not all(33 <= ord(c) <= 126 for c in token):
            raise AnalyticsAuthError(
                f"the API token (from {self._token.source}) contains spaces, line breaks or "
                "other characters no token has; check how it is set")
        return f"Bearer {token}"

    def _scrub(self, text: str) -> str:
        """Server and library text goes into reasons; make sure it cannot smuggle the
        token in, nor the URL's userinfo or query (httpx quotes the request URL)."""
        secret = self._token.reveal()
        text = text.replace(secret, "***") if secret else text
        return scrub(text, self._url)

    def _transport_reason(self, exc: httpx.HTTPError) -> str:
        if isinstance(exc, httpx.ConnectTimeout):
            return f"timed out connecting to {self._host}"
        if isinstance(exc, httpx.TimeoutException):
            return f"timed out waiting for {self._host} to answer"
        if isinstance(exc, httpx.ConnectError):
            why = re.sub(r"\[Errno -?\d+\]\s*", "", _one_line(self._scrub(str(exc)), 80))
            why = why or "refused"
            return f"could not connect to {self._host} ({why})"
        return f"lost the connection to {self._host} ({type(exc).__name__})"

    def _wait(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = min(retry_after, MAX_DELAY)
        else:
            # Full jitter: clients that failed together do not come back together.
            delay = self._rng.uniform(0.0, min(MAX_DELAY, self.backoff * 2 ** (attempt - 1)))
        log.debug("analytics: retrying in %.2f s (attempt %d of %d)", delay, attempt + 1,
                  self.max_attempts)
        if self._stop is not None and self._sleep is time.sleep:
            if self._stop.wait(delay):
                raise Cancelled()
            return
        self._sleep(delay)
        if self._stop is not None and self._stop.is_set():
            raise Cancelled()

    def _decode(self, resp: httpx.Response) -> Any:
        try:
            answer = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise AnalyticsMalformed("malformed answer from Cloudflare analytics: not JSON "
                                     f"({len(resp.content)} bytes)") from None
        if not isinstance(answer, dict):
            raise _malformed("the answer", "is", answer, "an object")
        errors = answer.get("errors")
        if errors:  # data beside errors is partial: keep none of it
            self._raise_graphql_error(errors)
        return answer

    def _raise_graphql_error(self, errors: Any) -> None:
        first = errors[0] if isinstance(errors, list) else errors
        message = first.get("message") if isinstance(first, dict) else first
        text = self._scrub(_one_line(message or "unspecified error", 160))
        ext = first.get("extensions") if isinstance(first, dict) else None
        code = str(ext.get("code", "")).lower() if isinstance(ext, dict) else ""
        lowered = text.lower()
        if code in _AUTH_CODES or any(w in lowered for w in _AUTH_WORDS):
            raise AnalyticsAuthError(f"Cloudflare analytics: {text} (the token needs "
                                     f"{PERMISSION} for account {self.account_id})")
        # The budget is per 5 minutes: waiting seconds here would not help.
        if "rate" in code or any(w in lowered for w in _RATE_WORDS):
            raise AnalyticsRateLimited(f"Cloudflare analytics: {text}; backing off until the "
                                       "next run")
        raise AnalyticsError(f"Cloudflare analytics: {text}")


# ---- windows -------------------------------------------------------------------------

def _chunks(start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Consecutive windows of at most `size` seconds, cut on hour boundaries so that
    no hour is split between two queries (its row would come back twice, halved)."""
    out = []
    lo = start
    while lo < end:
        hi = min(end, lo + size)
        if hi < end:
            aligned = hi - hi % HOUR
            hi = aligned if aligned > lo else hi
        out.append((lo, hi))
        lo = hi
    return out


def _split_point(start: int, end: int) -> int | None:
    """An hour boundary strictly inside (start, end), near the middle; None when the
    window lies within one hour."""
    mid = (start + end) // 2
    mid -= mid % HOUR
    if mid <= start:
        mid = start - start % HOUR + HOUR
    return mid if mid < end else None


# ---- small helpers -------------------------------------------------------------------

def _as_given(request: httpx.Request) -> httpx.Request:
    return request


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header; an HTTP date or junk falls back to backoff."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds) if seconds == seconds else None  # NaN is junk too


def _cloudflare_message(resp: httpx.Response) -> str:
    """The first message of a Cloudflare error body (REST or GraphQL style), if any."""
    try:
        body = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return _one_line(errors[0].get("message") or "", 160)
    return ""
