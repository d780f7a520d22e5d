"""Cloudflare's GraphQL analytics API over httpx: hourly R2 operation counts and
storage snapshots for one account, per storage class, with byte sums and the
sample interval when the API offers them.

Every failure raises an AnalyticsError whose ``reason`` is one line for the TUI
header and the activity log. A query yields every row of its window or raises,
with one exception said in ``partial``: a single bucket whose one hour still
fills a whole page (see `AnalyticsClient`).

No row limit: a window whose page comes back full goes on from the page's last
hour (rows are ordered by hour, so every earlier hour is complete), and one
hour that fills a page alone is split by bucket: halves of the bucket names
with ``bucketName_in``, then the buckets not named yet with
``bucketName_notin``, until each answer fits. Windows and batches never
overlap, so no row comes back twice.

Pacing: every HTTP attempt spends one query of the token's process-wide budget
(r2tui.sources.query_budget, within Cloudflare's documented limits); when it
is spent the client waits, said to `waits`, and a stop cancels the wait.

Bucket names are kept exactly as the API gives them: buckets with a
jurisdiction arrive as ``<jurisdiction>_<bucket>`` (e.g. ``eu_media``), which is
also what keeps ``eu_media`` and a plain ``media`` bucket apart.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlparse

import httpx

from r2tui import __version__
from r2tui.config.secrets import Secret, SecretUrl, scrub, secret_url, shown_host
from r2tui.observations import OperationGroup, StorageSnapshot
from r2tui.sources import graphql_queries as gq
from r2tui.sources.analytics_answer import (
    AnalyticsAuthError,
    AnalyticsError,
    AnalyticsMalformed,
    AnalyticsRateLimited,
    AnalyticsUnavailable,
    AnalyticsUnknownAccount,
    _malformed,
    _one_line,
    _operation,
    _rows,
    _snapshot,
    error_messages,
    max_page_size,
    refused_fields,
)
from r2tui.sources.errors import Cancelled
from r2tui.sources.graphql_queries import BucketFilter, BucketOp, Selection, rfc3339
from r2tui.sources.query_budget import QueryBudget, budget_for
from r2tui.waits import QUERY_BUDGET, Waits

__all__ = [
    "AnalyticsAuthError",
    "AnalyticsClient",
    "AnalyticsError",
    "AnalyticsMalformed",
    "AnalyticsRateLimited",
    "AnalyticsUnavailable",
    "AnalyticsUnknownAccount",
    "forget_learned",
    "rfc3339",
]
log = logging.getLogger("r2tui.analytics")
R = TypeVar("R", OperationGroup, StorageSnapshot)
Parse = Callable[[dict[str, Any], str, frozenset[str]], R]

HOUR = 3600
MAX_DELAY = 60.0  # longest single wait, Retry-After included: a job must not stall for long
# An endpoint that accepts and never answers is given up on within about a minute:
# 3 attempts x 20 s without an answer (5 s when it does not even accept), plus two
# backoff waits of at most 1 s and 2 s at the default backoff: 63 s at worst.
TIMEOUT = 20.0
CONNECT_TIMEOUT = 5.0
MAX_ATTEMPTS = 3
# What the header's "waiting N s for HOST" says the client waits on.
WAIT_QUERY = "Cloudflare analytics"
WAIT_BUDGET = QUERY_BUDGET
PERMISSION = '"Account Analytics: Read"'
_AUTH_WORDS = (
    "not authorized",
    "unauthorized",
    "authentication",
    "forbidden",
    "permission",
    "access denied",
)
_AUTH_CODES = {"authz", "authn", "unauthorized", "unauthenticated", "forbidden"}
_RATE_WORDS = ("rate limit", "rate-limit", "budget", "too many requests")
# What an endpoint refused, per (shown URL, dataset), for the whole process: a later
# job run does not pay the failed query again.
_learned_lock = threading.Lock()
_refused_fields: dict[tuple[str, str], set[str]] = {}
_page_sizes: dict[tuple[str, str], int] = {}
_NOTES = {
    (gq.STORAGE_DATASET, "storageClass"): "storage classes come from listings",
    (
        gq.OPERATIONS_DATASET,
        "storageClass",
    ): "Infrequent Access requests are estimated from listings",
    (gq.OPERATIONS_DATASET, "responseBytes"): "bytes sent are not measured",
    (
        gq.OPERATIONS_DATASET,
        "responseObjectSize",
    ): "object sizes are not measured: Infrequent Access retrieval is estimated",
    (gq.OPERATIONS_DATASET, "sampleInterval"): "figures are taken as not sampled",
}


def forget_learned() -> None:
    """Forget every endpoint's refused fields and page sizes (for tests)."""
    with _learned_lock:
        _refused_fields.clear()
        _page_sizes.clear()


class _Refused(Exception):
    """A query the API refused (HTTP 4xx or an errors answer): raised as `error`
    unless its messages say what to change (a field, the page size)."""

    def __init__(self, error: AnalyticsError, messages: list[str]) -> None:
        super().__init__(error.reason)
        self.error = error
        self.messages = messages


class AnalyticsClient:
    """Queries one account's R2 datasets. Not thread-safe: one per job run.

    After each call, for the caller to say:

    - ``refused``: dataset -> optional fields the endpoint does not offer (found
      by this client or earlier in the process); their rows carry storage class
      "", bytes None, sample interval 1.0;
    - ``notes``: one line per refusal this client found, e.g. "Cloudflare
      analytics does not offer storageClass on r2StorageAdaptiveGroups: storage
      classes come from listings";
    - ``partial``: one line per bucket whose single hour still filled a page
      (its first page of rows is kept);
    - ``queries_sent``: HTTP attempts, retries and re-sends included.
    """

    def __init__(
        self,
        url: str | SecretUrl,
        token: Secret,
        account_id: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
        page_limit: int = gq.PAGE_LIMIT,
        max_window: int = 86400,
        waits: Waits | None = None,
        budget: QueryBudget | None = None,
    ) -> None:
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
        self.notes: list[str] = []
        self.partial: list[str] = []
        with _learned_lock:
            self.refused: dict[str, set[str]] = {
                ds: set(names) for (url_, ds), names in _refused_fields.items() if url_ == self.url
            }
            self._page_limits = {
                ds: size for (url_, ds), size in _page_sizes.items() if url_ == self.url
            }
        self._token = token
        self._sleep = sleep
        self._stop = stop
        self._rng = rng or random.Random()
        self._waits = waits
        self._host = urlparse(self._url.reveal()).hostname or self.url
        self._budget = (
            budget
            if budget is not None
            else budget_for(token.reveal(), _endpoint(self._url.reveal(), self._host))
        )
        self._http = httpx.Client(
            # Our own Authorization header as given: without an `auth`, httpx turns a
            # URL's userinfo into Basic auth, which would replace the Bearer token.
            auth=_as_given,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, connect_timeout)),
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

    def operations(
        self, start: int, end: int, *, buckets: Iterable[str] = ()
    ) -> list[OperationGroup]:
        """Requests per hour, bucket, action, status and storage class for
        [start, end). `buckets`: names the account is known to have, as the API
        spells them; they only make a busy hour's split cheaper, rows of other
        buckets come back too."""
        return self._fetch(gq.OPERATIONS_DATASET, _operation, start, end, buckets)

    def storage(
        self, start: int, end: int, *, buckets: Iterable[str] = ()
    ) -> list[StorageSnapshot]:
        """Hourly storage snapshots per bucket and storage class for [start, end)."""
        return self._fetch(gq.STORAGE_DATASET, _snapshot, start, end, buckets)

    # ---- windows -------------------------------------------------------------------

    def _fetch(
        self, dataset: str, parse: Parse[R], start: int, end: int, buckets: Iterable[str]
    ) -> list[R]:
        start, end = int(start), int(end)
        hints = frozenset(buckets)
        rows: list[R] = []
        for lo, hi in _chunks(start, end, self.max_window):
            rows.extend(self._window(dataset, parse, lo, hi, hints))
        # Stable: rows of one hour keep the API's order.
        rows.sort(key=lambda r: r.hour)
        log.debug(
            "analytics %s %s..%s: %d rows in all", dataset, rfc3339(start), rfc3339(end), len(rows)
        )
        return rows

    def _window(
        self, dataset: str, parse: Parse[R], start: int, end: int, hints: frozenset[str]
    ) -> list[R]:
        rows: list[R] = []
        lo = start
        while lo < end:
            page, full = self._page(dataset, parse, lo, end)
            if not full:
                return rows + page
            hours = [r.hour for r in page]
            # Going on from the last hour is only right for an ordered page of the
            # window asked (and only then sure to move on).
            if any(a > b for a, b in itertools.pairwise(hours)):
                raise AnalyticsMalformed(
                    f"malformed answer from Cloudflare analytics: a full page of {dataset} "
                    "is not ordered by datetimeHour"
                )
            if hours[0] < lo - lo % HOUR or hours[-1] >= end:
                raise AnalyticsMalformed(
                    f"malformed answer from Cloudflare analytics: a full page of {dataset} "
                    f"holds hours outside {rfc3339(lo)}..{rfc3339(end)}"
                )
            last = hours[-1]
            if last > hours[0]:
                # Every hour before the last is whole; the last may be cut: ask again from it.
                rows += [r for r in page if r.hour < last]
                lo = max(lo, last)
            else:  # one hour fills the page alone
                hi = min(end, last + HOUR)
                rows += self._by_bucket(dataset, parse, lo, hi, hints, page)
                lo = hi
        return rows

    def _by_bucket(
        self,
        dataset: str,
        parse: Parse[R],
        start: int,
        end: int,
        hints: frozenset[str],
        page: list[R],
    ) -> list[R]:
        """One hour's rows, asked in batches of buckets: the names known (hints and
        the full page's), then the buckets not named yet, until an answer fits."""
        rows: list[R] = []
        named: set[str] = set()
        todo = set(hints) | {r.bucket for r in page}
        while True:
            # The batch holds every row of a full page: it is full too, so halve it at once.
            rows += self._batch(dataset, parse, start, end, sorted(todo), known_full=page)
            named |= todo
            page, full = self._page(dataset, parse, start, end, ("notin", sorted(named)))
            if not full:
                return rows + page
            todo = {r.bucket for r in page} - named
            if not todo:
                raise AnalyticsMalformed(
                    f"malformed answer from Cloudflare analytics: {dataset} answered buckets "
                    "that bucketName_notin left out"
                )

    def _batch(
        self,
        dataset: str,
        parse: Parse[R],
        start: int,
        end: int,
        names: list[str],
        known_full: list[R] | None = None,
    ) -> list[R]:
        if not names:
            return []
        if known_full is None:
            page, full = self._page(dataset, parse, start, end, ("in", names))
            if not full:
                return page
            known_full = page
        if len(names) == 1:
            self.partial.append(
                f"{dataset}: bucket {names[0]} alone fills a page of {len(known_full)} rows "
                # The rows' hour, not the window's start: the same bucket-hour reads
                # the same whichever window found it (the job says it once).
                f"in the hour from {rfc3339(min(r.hour for r in known_full))}; only those "
                "rows are counted"
            )
            log.warning("analytics: %s", self.partial[-1])
            return known_full
        mid = len(names) // 2
        return self._batch(dataset, parse, start, end, names[:mid]) + self._batch(
            dataset, parse, start, end, names[mid:]
        )

    def _page(
        self,
        dataset: str,
        parse: Parse[R],
        start: int,
        end: int,
        buckets: tuple[BucketOp, list[str]] | None = None,
    ) -> tuple[list[R], bool]:
        """One query's rows, and whether the page was full (rows may be missing)."""
        while True:
            selection = gq.SELECTIONS[dataset].without(self.refused.get(dataset, ()))
            limit = self._page_limits.get(dataset, self.page_limit)
            variables: dict[str, Any] = {
                "accountTag": self.account_id,
                "start": rfc3339(start),
                "end": rfc3339(end),
                "limit": limit,
            }
            op: BucketFilter = None
            if buckets is not None:
                op, variables["buckets"] = buckets[0], buckets[1]
            try:
                answer = self._post(gq.query(dataset, selection, op), variables)
            except _Refused as refusal:
                if self._learn(dataset, selection, limit, refusal.messages):
                    continue
                raise refusal.error from None
            raw = _rows(answer, dataset, self.account_id)
            # Every row is checked before any is kept: one bad row fails the whole query.
            asked = selection.names()
            rows = [parse(row, f"{dataset}[{i}]", asked) for i, row in enumerate(raw)]
            log.debug(
                "analytics %s page %s..%s%s: %d rows",
                dataset,
                rfc3339(start),
                rfc3339(end),
                f" ({op} {len(buckets[1])} buckets)" if buckets else "",
                len(rows),
            )
            return rows, len(rows) >= limit

    def _learn(self, dataset: str, selection: Selection, limit: int, messages: list[str]) -> bool:
        """Takes what a refusal says to change; False when it says nothing we can."""
        fields = refused_fields(messages, selection.names() & gq.OPTIONAL_FIELDS)
        if fields:
            self.refused.setdefault(dataset, set()).update(fields)
            with _learned_lock:
                _refused_fields.setdefault((self.url, dataset), set()).update(fields)
            for name in sorted(fields):
                self.notes.append(
                    f"Cloudflare analytics does not offer {name} on {dataset}: "
                    f"{_NOTES.get((dataset, name), 'left out')}"
                )
                log.info("analytics: %s", self.notes[-1])
            return True
        size = max_page_size(messages)
        if size is not None and size < limit:
            self._page_limits[dataset] = size
            with _learned_lock:
                _page_sizes[(self.url, dataset)] = size
            log.info("analytics: %s answers at most %d rows of %s a page", self.url, size, dataset)
            return True
        return False

    # ---- HTTP ----------------------------------------------------------------------

    def _post(self, query: str, variables: dict[str, Any]) -> Any:
        failure = ""
        kind: type[AnalyticsError] = AnalyticsUnavailable
        for attempt in range(1, self.max_attempts + 1):
            if self._stop is not None and self._stop.is_set():
                raise Cancelled()
            self._spend_budget()
            retry_after: float | None = None
            self.queries_sent += 1
            try:
                with self._waiting(WAIT_QUERY):
                    resp = self._http.post(
                        self._url.reveal(),
                        json={"query": query, "variables": variables},
                        headers={"Authorization": self._bearer()},
                    )
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                kind, failure = AnalyticsUnavailable, self._transport_reason(exc)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # bad URL: retrying won't help
                # The library's message may quote the request's headers: scrub it.
                raise AnalyticsError(
                    f"cannot query Cloudflare analytics at {self.url}: "
                    f"{_one_line(self._scrub(str(exc)))}"
                ) from None
            else:
                status = resp.status_code
                if status == 200:
                    return self._decode(resp)
                if status in (401, 403):
                    raise AnalyticsAuthError(
                        f"Cloudflare analytics refused the API token (HTTP {status}); it needs "
                        f"the {PERMISSION} permission for account {self.account_id}"
                    )
                if status == 429:
                    kind = AnalyticsRateLimited
                    failure = "rate-limited the token (HTTP 429)"
                elif status >= 500:
                    kind, failure = AnalyticsUnavailable, f"answered HTTP {status}"
                else:
                    # Cloudflare answers a query it cannot run (an unknown field, a
                    # limit above the page size) with HTTP 400 and its errors.
                    messages = _cloudflare_messages(resp)
                    detail = self._scrub(_one_line(messages[0], 160)) if messages else ""
                    raise _Refused(
                        AnalyticsError(
                            f"Cloudflare analytics answered HTTP {status}"
                            + (f": {detail}" if detail else "")
                        ),
                        messages,
                    )
                retry_after = _retry_after(resp.headers.get("Retry-After"))
            if attempt < self.max_attempts:
                self._wait(attempt, retry_after)
        times = f"{self.max_attempts} times" if self.max_attempts > 1 else "once"
        if kind is AnalyticsRateLimited:
            raise AnalyticsRateLimited(
                f"Cloudflare analytics {failure} {times}; backing off until the next run"
            )
        raise kind(f"Cloudflare analytics {failure} {times}; will retry next run")

    def _waiting(self, what: str) -> contextlib.AbstractContextManager[None]:
        """Said to `waits` while it lasts: the header shows whom the job waits for.
        The host only, never the URL, which may carry credentials."""
        if self._waits is None:
            return contextlib.nullcontext()
        # Host and port as the header names the account's endpoints (shown_host).
        return self._waits.waiting(shown_host(self._url) or self._host, what)

    def _spend_budget(self) -> None:
        """One query of the token's budget; waits (cancellably) while it is spent."""
        while (delay := self._budget.take()) > 0:
            log.info(
                "analytics: %d queries in %.0f s spent; waiting %.0f s for Cloudflare's "
                "query budget",
                self._budget.limit,
                self._budget.window,
                delay,
            )
            with self._waiting(WAIT_BUDGET):
                self._pause(delay)

    def _bearer(self) -> str:
        token = self._token.reveal()
        if not token or not all(33 <= ord(c) <= 126 for c in token):
            raise AnalyticsAuthError(
                f"the API token (from {self._token.source}) contains spaces, line breaks or "
                "other characters no token has; check how it is set"
            )
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
        log.debug(
            "analytics: retrying in %.2f s (attempt %d of %d)",
            delay,
            attempt + 1,
            self.max_attempts,
        )
        self._pause(delay)

    def _pause(self, delay: float) -> None:
        """Sleeps `delay` seconds; a stop ends the wait at once with Cancelled."""
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
            raise AnalyticsMalformed(
                f"malformed answer from Cloudflare analytics: not JSON ({len(resp.content)} bytes)"
            ) from None
        if not isinstance(answer, dict):
            raise _malformed("the answer", "is", answer, "an object")
        errors = answer.get("errors")
        if errors:  # data beside errors is partial: keep none of it
            self._raise_graphql_error(errors)
        return answer

    def _raise_graphql_error(self, errors: Any) -> None:
        first = errors[0] if isinstance(errors, list) else errors
        messages = error_messages(errors)
        text = self._scrub(_one_line(messages[0] if messages else "unspecified error", 160))
        ext = first.get("extensions") if isinstance(first, dict) else None
        code = str(ext.get("code", "")).lower() if isinstance(ext, dict) else ""
        lowered = text.lower()
        if code in _AUTH_CODES or any(w in lowered for w in _AUTH_WORDS):
            raise AnalyticsAuthError(
                f"Cloudflare analytics: {text} (the token needs "
                f"{PERMISSION} for account {self.account_id})"
            )
        # The budget is per 5 minutes: waiting seconds here would not help.
        if "rate" in code or any(w in lowered for w in _RATE_WORDS):
            raise AnalyticsRateLimited(
                f"Cloudflare analytics: {text}; backing off until the next run"
            )
        raise _Refused(AnalyticsError(f"Cloudflare analytics: {text}"), messages)


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


# ---- small helpers -------------------------------------------------------------------


def _as_given(request: httpx.Request) -> httpx.Request:
    return request


def _endpoint(url: str, host: str) -> str:
    """Host and port, no credentials: what a query budget is kept for."""
    try:
        port = urlparse(url).port
    except ValueError:  # a bad port fails the first query, with its reason
        port = None
    return f"{host}:{port}" if port else host


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header; an HTTP date or junk falls back to backoff."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds) if seconds == seconds else None  # NaN is junk too


def _cloudflare_messages(resp: httpx.Response) -> list[str]:
    """The messages of a Cloudflare error body (REST or GraphQL style), if any."""
    try:
        body = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return error_messages(errors) if isinstance(errors, list) else []
