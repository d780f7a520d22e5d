"""The header: account, DEMO marker, age of the data, the collector's state."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from r2tui.tui.format import data, duration
from r2tui.tui.widgets.text import set_text
from r2tui.waits import WAIT_SHOWN_SECONDS, waiting_text

# One line at 120 columns: the account and the endpoint (scheme, host, port and
# path only) take what a real R2 endpoint needs; a collector's failure (a
# server's words) what is left. Whatever still does not fit ends in "…".
ACCOUNT_CELLS = 24
ENDPOINT_CELLS = 64
DETAIL_CELLS = 80

STATE_STYLE = {
    "starting": "yellow",
    "idle": "green",
    "running": "bold cyan",
    "paused": "bold yellow",
    "failing": "bold red",
    "never": "yellow",
    "stopping": "yellow",
    "expired": "bold red",  # a viewer's: the collecting process stopped renewing its lease
}


@dataclass(frozen=True)
class HeaderState:
    account: str
    endpoint: str  # as shown: never userinfo or a query (config.secrets.shown_url)
    demo: bool
    state: str  # starting, idle, running, paused, failing, never, stopping
    detail: str
    data_at: float | None
    now: float
    refresh_seconds: float
    next_run: str = ""


def render_header(h: HeaderState) -> Text:
    text = Text.assemble((" r2tui ", "bold reverse"), " ")
    if h.demo:
        text.append(" DEMO ", "bold black on yellow")
        text.append(" ")
    text.append_text(data(h.account, "bold", ACCOUNT_CELLS))
    if h.endpoint:
        text.append_text(data(f" @ {h.endpoint}", "dim", ENDPOINT_CELLS))
    text.append("  │  data ")
    if h.data_at is None:
        text.append("none yet", "yellow")
    else:
        stale = h.now - h.data_at
        text.append(f"{duration(stale)} old", "yellow" if stale > 86400 * 2 else "")
    text.append("  │  collector ")
    text.append(h.state, STATE_STYLE.get(h.state, ""))
    if h.detail:
        text.append_text(data(f": {h.detail}", "red" if h.state == "failing" else "", DETAIL_CELLS))
    if h.next_run and h.state in ("idle", "never"):
        text.append(f"  (next: {h.next_run})", "dim")
    text.append(f"  │  refresh {h.refresh_seconds:g}s", "dim")
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


class StatusHeader(Static):
    def show(self, state: HeaderState) -> None:
        set_text(self, render_header(state))


__all__ = ["WAIT_SHOWN_SECONDS", "HeaderState", "StatusHeader", "render_header", "waiting_text"]
