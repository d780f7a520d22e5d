"""The demo account's notification channel: a webhook receiver on loopback.

It takes what r2tui's webhook channel POSTs (Alertmanager's version 4 body),
answers 200 and keeps what it got, newest last, so the demo's first firing
alert is delivered somewhere real and can be seen to arrive. It binds
127.0.0.1 on a free port and lives as long as the demo's other servers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, cast

from r2tui.sources.demo.loopback import LoopbackServer, QuietHandler

log = logging.getLogger(__name__)

INBOX_CHANNEL = "demo-inbox"  # the channel's name in the demo's config
KEPT = 500  # deliveries remembered, the oldest forgotten first
BODY_MAX = 1_000_000  # bytes: r2tui's webhook bodies are a few KB


@dataclass(frozen=True)
class Received:
    """One POST the receiver accepted."""

    at: float
    receiver: str  # the channel's name, as the body says it
    status: str  # firing or resolved
    alerts: tuple[str, ...]  # each alert's name (its alertname label)


class DemoInbox(LoopbackServer):
    """A webhook receiver on 127.0.0.1 and a free port, served from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__("demo-inbox", _Handler, "/alerts", host, port)
        self._lock = threading.Lock()
        self._received: deque[Received] = deque(maxlen=KEPT)

    def received(self) -> list[Received]:
        """What arrived so far, oldest first."""
        with self._lock:
            return list(self._received)

    def take(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON reply) for one POSTed body."""
        try:
            doc = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, {"error": f"the body is not JSON: {exc}"}
        if not isinstance(doc, dict) or not isinstance(doc.get("alerts"), list):
            return 400, {"error": 'expected a webhook body with an "alerts" list'}
        names = []
        for alert in doc["alerts"]:
            labels = alert.get("labels") if isinstance(alert, dict) else None
            name = labels.get("alertname") if isinstance(labels, dict) else None
            names.append(name if isinstance(name, str) else "(unnamed)")
        status = doc.get("status")
        receiver = doc.get("receiver")
        got = Received(
            at=time.time(),
            receiver=receiver if isinstance(receiver, str) else "",
            status=status if isinstance(status, str) else "",
            alerts=tuple(names),
        )
        with self._lock:
            self._received.append(got)
        return 200, {"status": "received"}


class _Handler(QuietHandler):
    server_version = "r2tui-demo-inbox"

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, {"error": "bad Content-Length"})
            return
        if length > BODY_MAX:
            self._send(413, {"error": f"a body of at most {BODY_MAX:,} bytes"})
            return
        status, doc = cast("DemoInbox", self.server.owner).take(self.rfile.read(length))
        self._send(status, doc)

    def do_GET(self) -> None:
        self._send(405, {"error": "use POST"})

    def _send(self, status: int, doc: dict[str, Any]) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
