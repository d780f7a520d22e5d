"""The exporter's HTTP server: `/metrics` (Prometheus' text format, or
OpenMetrics when the scraper asks for it) and `/healthz`, on a threaded
server from the standard library.

`/healthz` answers 200 when every account's collector is alive and 503 when
one is not, with a JSON body saying which and why (`exporter.liveness`).
Each request reads the store on a thread of its own and gives the thread's
connection back when it is done.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from r2tui.exporter.families import Scope, registry_for
from r2tui.exporter.liveness import collector_alive

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from r2tui.store import Store

log = logging.getLogger(__name__)

INDEX = b"r2tui exporter: /metrics (Prometheus), /healthz (the collectors)\n"


def health_doc(store: Store, scope: Scope, now: float) -> dict[str, Any]:
    """Whether each account's collector is alive, and the whole answer's."""
    accounts = []
    for account in scope.accounts:
        live = collector_alive(store, account, now, schedules=scope.schedules, tz=scope.tz)
        accounts.append(
            {
                "account": account,
                "alive": live.alive,
                "lease": live.state,
                "holder": live.holder,
                "heartbeat_age_seconds": live.heartbeat_age,
                "reason": live.reason,
            }
        )
    return {"alive": all(a["alive"] for a in accounts), "accounts": accounts}


def application(
    store: Store, scope: Scope, clock: Callable[[], float] = time.time
) -> WSGIApplication:
    """The exporter as a WSGI application over a fresh registry."""
    metrics = make_wsgi_app(registry_for(store, scope))

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        try:
            if path == "/metrics":
                body: Iterable[bytes] = metrics(environ, start_response)
                return body
            if path == "/healthz":
                doc = health_doc(store, scope, clock())
                status = "200 OK" if doc["alive"] else "503 Service Unavailable"
                start_response(status, [("Content-Type", "application/json")])
                return [(json.dumps(doc, indent=2) + "\n").encode()]
            if path == "/":
                start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
                return [INDEX]
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found: try /metrics or /healthz\n"]
        finally:
            # This request's thread ends: give its connection back.
            store.close()

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a scrape in flight never keeps the process from exiting


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("exporter: " + format, *args)


class Exporter:
    """The server, bound at construction (port 0 takes a free one: `port` says which)."""

    def __init__(self, store: Store, scope: Scope, host: str, port: int) -> None:
        server_class = _Server6 if ":" in host else _Server
        self.server = make_server(
            host,
            port,
            application(store, scope),
            server_class=server_class,
            handler_class=_QuietHandler,
        )
        self.scope = scope
        self.host = host
        self.port: int = self.server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def start(self) -> None:
        """Serve on a daemon thread of its own and return."""
        self._thread = threading.Thread(
            target=self.serve_forever, name="r2tui-exporter", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()
