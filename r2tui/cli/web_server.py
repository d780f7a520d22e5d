"""textual-serve's web server as `r2tui serve` runs it: its own start-up line
on stderr instead of textual-serve's banner, and r2tui's log file instead of
textual-serve's terminal logging (its two documented hooks).

It also answers only the address it serves. Browsers let any web page open a
WebSocket to any address, loopback included, and send no CORS check for it: a
page the user has open elsewhere could otherwise read the dashboard and type
keys. So a request whose `Origin` is another site's, or whose `Host` is not an
address of this server (a DNS name rebound to 127.0.0.1), is refused with 403,
and at most `max_sessions` sessions run at once (each is a process)."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

from r2tui.literal import visible
from r2tui.output import say

TITLE = "r2tui"
MAX_SESSIONS = 8  # each browser session is one r2tui process
LOOPBACK = ("127.0.0.1", "::1", "localhost")
LOOPBACK_NAMES = ("127.0.0.1", "[::1]", "localhost")


class WebServer(Server):
    """Serves `command`, one process per browser session."""

    def __init__(
        self,
        command: str,
        host: str,
        port: int,
        public_url: str | None,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        # textual-serve's own default would put an IPv6 host in the URL without brackets.
        shown_host = f"[{host}]" if ":" in host else host
        super().__init__(
            command,
            host=host,
            port=port,
            title=TITLE,  # the page's title; textual-serve's default is the command
            public_url=public_url or f"http://{shown_host}:{port}",
        )
        self.max_sessions = max_sessions
        self.sessions = 0
        served = urlsplit(self.public_url)
        self.origin = f"{served.scheme}://{served.netloc}".lower()
        self.hosts = {served.netloc.lower(), f"{shown_host}:{port}".lower()}
        if host in LOOPBACK:
            self.hosts |= {f"{name}:{port}" for name in LOOPBACK_NAMES}

    def refusal(self, request: web.Request) -> str | None:
        """Why this request is not one of ours, or None when it is."""
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() != self.origin:
            # The page may have been opened by another of our addresses (localhost).
            sent = urlsplit(origin.lower())
            if sent.scheme not in ("http", "https") or sent.netloc not in self.hosts:
                return f"the Origin {origin!r} is not this server's ({self.origin!r})"
        if request.host.lower() not in self.hosts:
            return f"the Host {request.host!r} is not an address of this server"
        return None

    def _refuse_foreign(self, request: web.Request) -> None:
        why = self.refusal(request)
        if why is not None:
            raise web.HTTPForbidden(text=f"r2tui serve: refused: {why}\n")

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        self._refuse_foreign(request)
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        self._refuse_foreign(request)
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(
                text=f"r2tui serve: {self.max_sessions} sessions are open already\n"
            )
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1

    def initialize_logging(self) -> None:
        """Nothing to do: `r2tui.runtime.setup_logging` has sent every log to r2tui's
        log file, textual-serve's and aiohttp's included."""

    async def on_startup(self, app: web.Application) -> None:
        say(
            f"r2tui serve: {visible(self.public_url)} (listening on "
            f"{visible(self.host)}:{self.port}); each browser session runs "
            f"{visible(self.command)}; Ctrl-C stops",
            err=True,
        )
