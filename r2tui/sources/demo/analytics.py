"""The demo account's GraphQL analytics endpoint on loopback.

It answers r2tui's queries the way Cloudflare's API does, from
`DemoAnalytics`' history, through r2tui.sources.graphql_answer (the tests'
peer answers through it too). Its page size is far below Cloudflare's 10,000
rows: a day of the demo's operations does not fit one page, so the client's
going on from a full page's last hour happens here, while the month's first
backfill stays a couple of hundred queries (within the query budget, so the
demo starts without waiting).
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

from r2tui.observations import OperationGroup, StorageSnapshot
from r2tui.sources.demo.history import (
    ACCESS_BURST_BUCKET,
    ERROR_BURST_BUCKET,
    DemoAnalytics,
    bucket_totals,
)
from r2tui.sources.demo.loopback import LoopbackServer, QuietHandler
from r2tui.sources.graphql_answer import answer as answer_query
from r2tui.sources.graphql_answer import errors_document, parse_time
from r2tui.sources.graphql_queries import OPERATIONS_DATASET

__all__ = [
    "ACCESS_BURST_BUCKET",
    "DEMO_PAGE_LIMIT",
    "ERROR_BURST_BUCKET",
    "GRAPHQL_PATH",
    "DemoAnalytics",
    "DemoGraphQLServer",
    "bucket_totals",
    "parse_time",
]

log = logging.getLogger(__name__)
GRAPHQL_PATH = "/client/v4/graphql"
# Rows per page the demo's endpoint answers at most (Cloudflare: 10,000). About
# 70 operation rows an hour: a page holds some 7 hours, a day takes 4 or 5 queries.
DEMO_PAGE_LIMIT = 500


class DemoGraphQLServer(LoopbackServer):
    """Cloudflare's GraphQL analytics endpoint for the demo account, on
    127.0.0.1 and a free port, served from a daemon thread."""

    def __init__(
        self,
        analytics: DemoAnalytics,
        token: str,
        account_id: str,
        host: str = "127.0.0.1",
        port: int = 0,
        page_limit: int = DEMO_PAGE_LIMIT,
    ) -> None:
        self.analytics = analytics
        self.token = token
        self.account_id = account_id
        self.page_limit = page_limit
        super().__init__("demo-graphql", _Handler, GRAPHQL_PATH, host, port)

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
            return 403, _errors(
                "Authentication error: the API token is invalid or lacks Account Analytics: Read",
                code=10000,
            )
        try:
            doc = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, _errors(f"the request body is not JSON: {exc}")
        if not isinstance(doc, dict) or not isinstance(doc.get("query"), str):
            return 400, _errors('the request body must be a JSON object with a "query" string')
        return answer_query(
            doc["query"],
            doc.get("variables") or {},
            self._rows,
            account_id=self.account_id,
            page_limit=self.page_limit,
        )

    def _rows(
        self, dataset: str, start: float, end: float
    ) -> list[OperationGroup] | list[StorageSnapshot]:
        if dataset == OPERATIONS_DATASET:
            return self.analytics.operations(start, end)
        return self.analytics.storage(start, end)


def _errors(message: str, code: int | None = None) -> dict[str, Any]:
    return errors_document(message, code)


class _Handler(QuietHandler):
    server_version = "r2tui-demo-graphql"

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
            server = cast("DemoGraphQLServer", self.server.owner)
            status, doc = server.answer(self.headers.get("Authorization"), body)
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
