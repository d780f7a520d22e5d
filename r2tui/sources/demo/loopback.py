"""An HTTP server on 127.0.0.1 and a free port, served from a daemon thread:
what the demo's analytics API and its webhook receiver share. Neither writes
to stderr (the TUI owns the terminal) and a client that goes silent never
holds a thread for long."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

log = logging.getLogger(__name__)


class LoopbackServer:
    """Serves `handler` on `host` (loopback) and `port` (0: a free one) at `path`
    once started; its handlers reach this object as `self.server.owner`."""

    def __init__(
        self,
        name: str,
        handler: type[QuietHandler],
        path: str,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._name = name
        self._handler = handler
        self._path = path
        self._host = host
        self._port = port
        self._httpd: OwnedServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"the {self._name} server is not running")
        # An AF_INET server's address: typeshed allows bytes for any family's host.
        host, port = cast("tuple[str, int]", self._httpd.server_address[:2])
        return f"http://{host}:{port}{self._path}"

    def start(self) -> None:
        if self._httpd is not None:
            return
        self._httpd = OwnedServer((self._host, self._port), self._handler)
        self._httpd.owner = self
        self._httpd.name = self._name
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=self._name,
            daemon=True,
        )
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


class OwnedServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Any  # the LoopbackServer subclass that started it: each handler casts it
    name: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr, which the TUI owns.
        log.debug("%s request from %s failed", self.name, client_address, exc_info=True)


class QuietHandler(BaseHTTPRequestHandler):
    server: OwnedServer
    timeout = 30  # a client that goes silent must not hold a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log on stderr: the TUI owns the terminal
