"""textual-serve's web server as `r2tui serve` runs it: its own start-up line
on stderr instead of textual-serve's banner, and r2tui's log file instead of
textual-serve's terminal logging (its two documented hooks)."""

from __future__ import annotations

from aiohttp import web
from textual_serve.server import Server

from r2tui.literal import visible
from r2tui.output import say

TITLE = "r2tui"


class WebServer(Server):
    """Serves `command`, one process per browser session."""

    def __init__(self, command: str, host: str, port: int, public_url: str | None) -> None:
        # textual-serve's own default would put an IPv6 host in the URL without brackets.
        shown_host = f"[{host}]" if ":" in host else host
        super().__init__(
            command,
            host=host,
            port=port,
            title=TITLE,  # the page's title; textual-serve's default is the command
            public_url=public_url or f"http://{shown_host}:{port}",
        )

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
