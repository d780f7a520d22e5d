"""A loopback stand-in for Cloudflare's GraphQL analytics endpoint, over real HTTP.

It answers r2tui's queries from the rows it holds through
r2tui.sources.graphql_answer, as the demo does: rows with start <= hour < end
(and within the bucket filter), grouped by the asked dimensions, ordered by
hour, cut at `limit`; a limit above ``page_limit`` and a field in
``unknown_fields`` are refused with HTTP 400 in Cloudflare's words. A wrong
token gets a 403 (or, with ``refuse="errors"``, an HTTP 200 errors answer), an
unknown account gets ``accounts: []``. Scripted answers (``push``) are served
first, one per request, for fault tests. With a ``clock``, each request
records the clock's time (``Seen.at``): pacing tests read when queries came.

    with GraphQLPeer(operations=[...]) as peer:
        client = AnalyticsClient(peer.url, Secret(peer.token, "test"), peer.account_id)
"""

from __future__ import annotations

import bisect
import json
import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from r2tui.config.model import Secret
from r2tui.observations import INFREQUENT_ACCESS, STANDARD, OperationGroup, StorageSnapshot
from r2tui.sources.analytics import AnalyticsClient
from r2tui.sources.graphql_answer import answer as answer_query
from r2tui.sources.graphql_queries import (
    OPERATIONS_DATASET,
    PAGE_LIMIT,
    STORAGE_DATASET,
)
from r2tui.sources.graphql_queries import (
    operation_row as operation_row,  # re-exported: the tests shape scripted rows with it
)
from r2tui.sources.graphql_queries import (
    storage_row as storage_row,  # re-exported, as operation_row
)
from r2tui.sources.query_budget import QueryBudget
from tests.support.peers import LoopbackHTTP

TOKEN = "peer-token-5ecret-do-not-print"
ACCOUNT = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Seen:
    """One request as the peer received it; header names are lower-case."""

    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when it was not JSON
    at: float = 0.0  # the peer's clock when it came, if it has one

    @property
    def variables(self) -> dict[str, Any]:
        return (self.body or {}).get("variables") or {}

    @property
    def dataset(self) -> str | None:
        query = (self.body or {}).get("query") or ""
        return next((d for d in (OPERATIONS_DATASET, STORAGE_DATASET) if d in query), None)

    @property
    def window(self) -> tuple[int, int]:
        return _epoch(self.variables["start"]), _epoch(self.variables["end"])

    @property
    def buckets(self) -> tuple[str, list[str]] | None:
        """("in" or "notin", names) for a query cut by bucket."""
        query = (self.body or {}).get("query") or ""
        for op in ("notin", "in"):
            if f"bucketName_{op}:" in query:
                return op, list(self.variables.get("buckets") or [])
        return None


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def answer(dataset: str, rows: list[dict[str, Any]], errors: Any = None) -> dict[str, Any]:
    """A whole answer, as Cloudflare shapes it; tests edit it and `push` it."""
    return {"data": {"viewer": {"accounts": [{dataset: rows}]}}, "errors": errors}


def errors_answer(message: str, code: str = "authz", data: Any = None) -> dict[str, Any]:
    return {
        "data": data,
        "errors": [
            {"message": message, "path": ["viewer", "accounts"], "extensions": {"code": code}}
        ],
    }


REFUSED_BODY = {
    "success": False,
    "errors": [{"code": 10000, "message": "Authentication error"}],
    "messages": [],
    "result": None,
}


class _ByHour:
    """Rows indexed by hour, rebuilt when the list held changes: a query reads
    only its window's rows, so a month of a thousand buckets stays quick."""

    def __init__(self) -> None:
        self._of: tuple[int, int] | None = None
        self._hours: list[int] = []
        self._rows: dict[int, list[Any]] = {}

    def between(self, held: list[Any], start: float, end: float) -> Iterator[Any]:
        if self._of != (id(held), len(held)):
            self._rows = {}
            for r in held:
                self._rows.setdefault(r.hour, []).append(r)
            self._hours = sorted(self._rows)
            self._of = (id(held), len(held))
        lo = bisect.bisect_left(self._hours, start)
        hi = bisect.bisect_left(self._hours, end)
        for hour in self._hours[lo:hi]:
            yield from self._rows[hour]


class GraphQLPeer(LoopbackHTTP):
    def __init__(
        self,
        operations: list[OperationGroup] | None = None,
        storage: list[StorageSnapshot] | None = None,
        *,
        token: str = TOKEN,
        account_id: str = ACCOUNT,
        refuse: str = "http",
        page_limit: int = PAGE_LIMIT,
        unknown_fields: Iterable[str] = (),
        clock: Callable[[], float] | None = None,
    ) -> None:
        assert refuse in ("http", "errors")
        self.operations: list[OperationGroup] = list(operations or [])
        self.storage: list[StorageSnapshot] = list(storage or [])
        self.token = token
        self.account_id = account_id
        self.refuse = refuse
        self.page_limit = page_limit
        self.unknown_fields = set(unknown_fields)
        self.clock = clock
        self._index = {OPERATIONS_DATASET: _ByHour(), STORAGE_DATASET: _ByHour()}
        self.requests: list[Seen] = []
        self.script: deque[tuple[int, bytes, dict[str, str]]] = deque()
        self._lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: with Nagle on, each answer waits
            # for a delayed ACK (~40 ms).
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body, headers = peer._answer(self.path, dict(self.headers.items()), raw)
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:  # keep test output clean
                pass

        super().__init__(Handler, "graphql-peer")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/client/v4/graphql"

    def push(
        self,
        status: int,
        body: bytes | str | dict[str, Any] | list[Any] = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve this answer to the next request, before any normal answer."""
        if isinstance(body, dict | list):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.script.append((status, body, dict(headers or {})))

    def _answer(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        seen = Seen(
            path,
            {k.lower(): v for k, v in headers.items()},
            body,
            self.clock() if self.clock is not None else 0.0,
        )
        with self._lock:
            self.requests.append(seen)
            if self.script:
                return self.script.popleft()
        return self._normal(seen)

    def _normal(self, seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        def reply(status: int, obj: Any) -> tuple[int, bytes, dict[str, str]]:
            return status, json.dumps(obj).encode(), {}

        if seen.headers.get("authorization") != f"Bearer {self.token}":
            if self.refuse == "errors":
                return reply(200, errors_answer("not authorized for that account"))
            return reply(403, REFUSED_BODY)
        if not isinstance(seen.body, dict) or not isinstance(seen.body.get("query"), str):
            return reply(400, errors_answer("unknown or missing query", code="parse"))
        status, doc = answer_query(
            seen.body["query"],
            seen.variables,
            self._rows,
            account_id=self.account_id,
            page_limit=self.page_limit,
            unknown_fields=self.unknown_fields,
        )
        return reply(status, doc)

    def _rows(self, dataset: str, start: float, end: float) -> Iterator[Any]:
        held = self.operations if dataset == OPERATIONS_DATASET else self.storage
        return self._index[dataset].between(held, start, end)


# ---- for the client's tests ------------------------------------------------------

H = 3600
T0 = int(datetime(2026, 11, 29, tzinfo=UTC).timestamp())  # midnight UTC


def ops_rows(hours: int, per_hour: int = 2, start: int = T0) -> list[OperationGroup]:
    """Rows with every field measured: classes, byte sums, a sampled row now and then."""
    actions = [
        ("PutObject", "success", 200),
        ("GetObject", "userError", 404),
        ("ListObjects", "internalError", 500),
    ]
    out = []
    for h in range(hours):
        for i in range(per_hour):
            action, status, code = actions[(h + i) % len(actions)]
            bucket = ("media", "eu_media", "logs")[i % 3]
            requests = 1000 * h + i + 1
            size = requests * 2_500_000_017  # past 2**31 soon: no truncation anywhere
            out.append(
                OperationGroup(
                    start + h * H,
                    bucket,
                    action,
                    status,
                    code,
                    requests=requests,
                    storage_class=(STANDARD, INFREQUENT_ACCESS)[(h + i) % 2],
                    response_bytes=0 if action == "PutObject" else size // 3,
                    object_bytes=size,
                    sample_interval=10.0 if (h + i) % 5 == 4 else 1.0,
                )
            )
    return out


def storage_rows(hours: int, start: int = T0) -> list[StorageSnapshot]:
    return [
        StorageSnapshot(
            start + h * H,
            b,
            objects=10 * h + i,
            pending_uploads=i,
            payload_bytes=(h + 1) * 1_000_000_007 + i,
            metadata_bytes=512 * h,
            storage_class=STANDARD,
        )
        for h in range(hours)
        for i, b in enumerate(("media", "eu_media"))
    ]


class Sleeps(list[float]):
    """A recording `sleep`: retries cost no time and every wait is checked."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(peer_or_url: GraphQLPeer | str, sleep: Any, **kwargs: Any) -> AnalyticsClient:
    """A client with recorded sleeps, a fixed jitter and a budget of its own (the
    process-wide one would carry spending from test to test)."""
    url = peer_or_url if isinstance(peer_or_url, str) else peer_or_url.url
    kwargs.setdefault("rng", random.Random(7))
    kwargs.setdefault("budget", QueryBudget())
    return AnalyticsClient(
        url,
        Secret(kwargs.pop("token", TOKEN), "test"),
        kwargs.pop("account_id", ACCOUNT),
        sleep=sleep,
        **kwargs,
    )
