"""A loopback stand-in for Cloudflare's GraphQL analytics endpoint, over real HTTP.

It answers the two queries of r2tui.sources.graphql_queries from the rows it
holds, the way Cloudflare does: rows with start <= hour < end, ordered by hour,
cut at `limit`. A wrong token gets a 403 (or, with ``refuse="errors"``, an
HTTP 200 errors answer), an unknown account gets ``accounts: []``. Scripted
answers (``push``) are served first, one per request, for fault tests.

    with GraphQLPeer(operations=[...]) as peer:
        client = AnalyticsClient(peer.url, Secret(peer.token, "test"), peer.account_id)
"""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from peers import LoopbackHTTP

from r2tui.config.model import Secret
from r2tui.observations import OperationGroup, StorageSnapshot
from r2tui.sources.analytics import AnalyticsClient
from r2tui.sources.graphql_queries import (
    OPERATIONS_DATASET,
    STORAGE_DATASET,
    operation_row,
    storage_row,
)

TOKEN = "peer-token-5ecret-do-not-print"
ACCOUNT = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Seen:
    """One request as the peer received it; header names are lower-case."""

    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when it was not JSON

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


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def answer(dataset: str, rows: list[dict[str, Any]], errors: Any = None) -> dict[str, Any]:
    """A whole answer, as Cloudflare shapes it; tests edit it and `push` it."""
    return {"data": {"viewer": {"accounts": [{dataset: rows}]}}, "errors": errors}


def errors_answer(message: str, code: str = "authz", data: Any = None) -> dict[str, Any]:
    return {"data": data, "errors": [{"message": message, "path": ["viewer", "accounts"],
                                      "extensions": {"code": code}}]}


REFUSED_BODY = {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}],
                "messages": [], "result": None}


class GraphQLPeer(LoopbackHTTP):
    def __init__(self, operations: list[OperationGroup] | None = None,
                 storage: list[StorageSnapshot] | None = None, *, token: str = TOKEN,
                 account_id: str = ACCOUNT, refuse: str = "http") -> None:
        assert refuse in ("http", "errors")
        self.operations: list[OperationGroup] = list(operations or [])
        self.storage: list[StorageSnapshot] = list(storage or [])
        self.token = token
        self.account_id = account_id
        self.refuse = refuse
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

    def push(self, status: int, body: bytes | str | dict[str, Any] | list[Any] = b"",
             headers: dict[str, str] | None = None) -> None:
        """Serve this answer to the next request, before any normal answer."""
        if isinstance(body, dict | list):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.script.append((status, body, dict(headers or {})))

    def _answer(self, path: str, headers: dict[str, str],
                raw: bytes) -> tuple[int, bytes, dict[str, str]]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        seen = Seen(path, {k.lower(): v for k, v in headers.items()}, body)
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
        dataset = seen.dataset
        if not isinstance(seen.body, dict) or dataset is None:
            return reply(400, errors_answer("unknown or missing query", code="parse"))
        try:
            start, end = seen.window
            limit = int(seen.variables["limit"])
        except (KeyError, TypeError, ValueError):
            return reply(200, errors_answer("bad variables", code="variables"))
        if seen.variables.get("accountTag") != self.account_id:
            return reply(200, {"data": {"viewer": {"accounts": []}}, "errors": None})
        held: list[Any] = self.operations if dataset == OPERATIONS_DATASET else self.storage
        shape = operation_row if dataset == OPERATIONS_DATASET else storage_row
        picked = sorted((r for r in held if start <= r.hour < end), key=lambda r: r.hour)
        return reply(200, answer(dataset, [shape(r) for r in picked[:limit]]))


# ---- for the client's tests ------------------------------------------------------

H = 3600
T0 = int(datetime(2026, 11, 29, tzinfo=UTC).timestamp())  # midnight UTC


def ops_rows(hours: int, per_hour: int = 2, start: int = T0) -> list[OperationGroup]:
    actions = [("PutObject", "success", 200), ("GetObject", "userError", 404),
               ("ListObjects", "internalError", 500)]
    out = []
    for h in range(hours):
        for i in range(per_hour):
            action, status, code = actions[(h + i) % len(actions)]
            bucket = ("media", "eu_media", "logs")[i % 3]
            out.append(OperationGroup(start + h * H, bucket, action, status, code,
                                      requests=1000 * h + i + 1))
    return out


def storage_rows(hours: int, start: int = T0) -> list[StorageSnapshot]:
    return [StorageSnapshot(start + h * H, b, objects=10 * h + i, pending_uploads=i,
                            payload_bytes=(h + 1) * 1_000_000_007 + i, metadata_bytes=512 * h)
            for h in range(hours) for i, b in enumerate(("media", "eu_media"))]


class Sleeps(list[float]):
    """A recording `sleep`: retries cost no time and every wait is checked."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(peer_or_url: GraphQLPeer | str, sleep: Any, **kwargs: Any) -> AnalyticsClient:
    url = peer_or_url if isinstance(peer_or_url, str) else peer_or_url.url
    kwargs.setdefault("rng", random.Random(7))
    return AnalyticsClient(url, Secret(kwargs.pop("token", TOKEN), "test"),
                           kwargs.pop("account_id", ACCOUNT), sleep=sleep, **kwargs)
