"""The demo account's GraphQL analytics endpoint on loopback.

It answers the two queries in `r2tui.sources.graphql_queries` the way
Cloudflare's API does, from `DemoAnalytics`' history. It is no GraphQL
engine: it recognises the dataset by name in the query text and reads the
window, limit and account from the variables, which is all r2tui sends.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from r2tui.sources.demo.history import (
    ACCESS_BURST_BUCKET,
    ERROR_BURST_BUCKET,
    DemoAnalytics,
    bucket_totals,
)
from r2tui.sources.graphql_queries import (
    OPERATIONS_DATASET,
    PAGE_LIMIT,
    STORAGE_DATASET,
    operation_row,
    storage_row,
)

__all__ = ["ACCESS_BURST_BUCKET", "ERROR_BURST_BUCKET", "GRAPHQL_PATH", "DemoAnalytics",
           "DemoGraphQLServer", "bucket_totals", "parse_time"]

log = logging.getLogger(__name__)
GRAPHQL_PATH = "/client/v4/graphql"


def parse_time(value: object) -> float:
    """RFC 3339 ("2026-11-29T04:00:00Z", or with an offset) to epoch seconds."""
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 time, got {value!r}")
    t = datetime.fromisoformat(value.strip())
    if t.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone")
    return t.timestamp()


class GraphQLError(Exception):
    """A query Cloudflare would refuse: HTTP `status` with an errors array."""

    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.status = status


class DemoGraphQLServer:
    """Cloudflare's GraphQL analytics endpoint for the demo account, on
    127.0.0.1 and a free port, served from a daemon thread."""

    def __init__(self, analytics: DemoAnalytics, token: str, account_id: str,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.analytics = analytics
        self.token = token
        self.account_id = account_id
        self._host = host
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the demo GraphQL server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{GRAPHQL_PATH}"

    def start(self) -> None:
        if self._httpd is not None:
            return
        self._httpd = _Server((self._host, self._port), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={
            "poll_interval": 0.2}, name="demo-graphql", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoGraphQLServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- answering ------------------------------------------------------------------

    def answer(self, auth: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON document) for one POST."""
        if auth != f"Bearer {self.token}":
            # Cloudflare refuses a bad or missing token before reading the query.
            return 403, _errors("Authentication error: the API token is invalid or lacks "
                                "Account Analytics: Read", code=10000)
        try:
            doc = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, _errors(f"the request body is not JSON: {exc}")
        if not isinstance(doc, dict) or not isinstance(doc.get("query"), str):
            return 400, _errors("the request body must be a JSON object with a \"query\" string")
        try:
            return 200, self._run(doc["query"], doc.get("variables") or {})
        except GraphQLError as exc:
            return exc.status, _errors(str(exc))

    def _run(self, query: str, variables: object) -> dict[str, Any]:
        if not isinstance(variables, dict):
            raise GraphQLError("variables must be a JSON object")
        has_ops, has_storage = OPERATIONS_DATASET in query, STORAGE_DATASET in query
        if has_ops == has_storage:
            raise GraphQLError(f"the demo answers one of {OPERATIONS_DATASET} or "
                               f"{STORAGE_DATASET} per query")
        dataset = OPERATIONS_DATASET if has_ops else STORAGE_DATASET
        try:
            start, end = parse_time(variables.get("start")), parse_time(variables.get("end"))
        except ValueError as exc:
            raise GraphQLError(f"variables start and end: {exc}") from exc
        limit = variables.get("limit", PAGE_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise GraphQLError(f"variable limit must be a non-negative integer, got {limit!r}")
        if limit > PAGE_LIMIT:
            raise GraphQLError(f"limit must not exceed {PAGE_LIMIT} (the dataset's maxPageSize)")
        if variables.get("accountTag") != self.account_id:
            # An account the token cannot see simply is not in the list.
            return {"data": {"viewer": {"accounts": []}}, "errors": None}
        rows = (self._operation_rows(start, end) if has_ops else self._storage_rows(start, end))
        return {"data": {"viewer": {"accounts": [{dataset: rows[:limit]}]}}, "errors": None}

    def _operation_rows(self, start: float, end: float) -> list[dict[str, Any]]:
        return [operation_row(g) for g in self.analytics.operations(start, end)]

    def _storage_rows(self, start: float, end: float) -> list[dict[str, Any]]:
        return [storage_row(s) for s in self.analytics.storage(start, end)]


def _errors(message: str, code: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "path": None}
    if code is not None:
        error["extensions"] = {"code": code}
    return {"data": None, "errors": [error]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: DemoGraphQLServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr, which the TUI owns.
        log.debug("demo GraphQL request from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "r2tui-demo-graphql"
    timeout = 30  # a client that goes silent must not hold a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log on stderr: the TUI owns the terminal

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != GRAPHQL_PATH:
            self._send(404, _errors(f"no such endpoint: {self.path}"))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, _errors("bad Content-Length"))
            return
        body = self.rfile.read(length)
        try:
            status, doc = self.server.app.answer(self.headers.get("Authorization"), body)
        except Exception:
            log.exception("demo GraphQL server failed")
            status, doc = 500, _errors("internal error in the demo analytics")
        self._send(status, doc)

    def do_GET(self) -> None:
        self._send(405, _errors("use POST"))

    def _send(self, status: int, doc: dict[str, Any]) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
