"""The header: account, DEMO marker, age of the data, the collector's state."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

from r2tui.literal import visible
from r2tui.tui.format import data, duration
from r2tui.tui.widgets.fit import words
from r2tui.tui.widgets.text import set_text
from r2tui.waits import WAIT_SHOWN_SECONDS, waiting_text

# The account and the endpoint (scheme, host, port and path only) take at most
# what a real R2 endpoint needs; a collector's failure (a server's words) at
# most DETAIL_CELLS. Narrower, render_header leaves parts out by priority and
# shortens the reason at a word; whatever still does not fit ends in "…".
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


@dataclass(frozen=True)
class _Terse:
    """How much a header leaves out, from nothing to everything but the essentials
    (the account, the data's age, the collector's state and its reason)."""

    refresh: bool = True
    endpoint: bool = True
    next_run: bool = True
    labels: bool = True  # "data 5m old", "collector idle"; else "5m old", "idle"
    brand: bool = True


# Left out in this order as the line gets narrower; the reason, shortened at a
# word, goes last of all.
TERSER = (
    _Terse(),
    _Terse(refresh=False),
    _Terse(refresh=False, endpoint=False),
    _Terse(refresh=False, endpoint=False, next_run=False),
    _Terse(refresh=False, endpoint=False, next_run=False, labels=False),
    _Terse(refresh=False, endpoint=False, next_run=False, labels=False, brand=False),
)


def render_header(h: HeaderState, width: int | None = None) -> Text:
    """The header for a line `width` cells wide (None: as long as it takes): the
    least important parts go first (the refresh interval, the endpoint, the next
    run, the labels, the name r2tui), and only then does the reason shorten, at
    a word."""
    for terse in TERSER:
        text = _head(h, terse) + _detail(h, width) + _tail(h, terse)
        if width is None or text.cell_len <= width:
            return _one_line(text)
    terse = TERSER[-1]
    head, tail = _head(h, terse), _tail(h, terse)
    room = max(0, (width or 0) - head.cell_len - tail.cell_len)
    return _one_line(head + _detail(h, width, room) + tail)


def _head(h: HeaderState, terse: _Terse) -> Text:
    text = Text.assemble((" r2tui ", "bold reverse"), " ") if terse.brand else Text()
    if h.demo:
        text.append(" DEMO ", "bold black on yellow")
        text.append(" ")
    text.append_text(data(h.account, "bold", ACCOUNT_CELLS))
    if h.endpoint and terse.endpoint:
        text.append_text(data(f" @ {h.endpoint}", "dim", ENDPOINT_CELLS))
    gap = "  │  " if terse.labels else " │ "
    text.append(gap + ("data " if terse.labels else ""))
    if h.data_at is None:
        text.append("none yet" if terse.labels else "no data yet", "yellow")
    else:
        stale = h.now - h.data_at
        text.append(f"{duration(stale)} old", "yellow" if stale > 86400 * 2 else "")
    text.append(gap + ("collector " if terse.labels else ""))
    text.append(h.state, STATE_STYLE.get(h.state, ""))
    return text


def _detail(h: HeaderState, width: int | None, cells: int | None = None) -> Text:
    """ ": the reason", whole or shortened at a word to `cells` (a server's words:
    data, never markup); at most DETAIL_CELLS for a header of no set width."""
    if not h.detail:
        return Text()
    detail = visible(h.detail)
    if width is None:
        detail = words(detail, DETAIL_CELLS)
    if cells is not None:
        detail = words(detail, cells - 2) if cells > 3 else ""
    if not detail:
        return Text()
    return Text(f": {detail}", "red" if h.state == "failing" else "")


def _tail(h: HeaderState, terse: _Terse) -> Text:
    text = Text()
    if h.next_run and h.state in ("idle", "never") and terse.next_run:
        text.append(f"  (next: {h.next_run})", "dim")
    if terse.refresh:
        text.append(f"  │  refresh {h.refresh_seconds:g}s", "dim")
    return text


def _one_line(text: Text) -> Text:
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


class StatusHeader(Static):
    """The header line, worded for its width: it words itself again when resized."""

    state: HeaderState | None = None

    def show(self, state: HeaderState) -> None:
        self.state = state
        set_text(self, render_header(state, self.size.width or None))

    def on_resize(self, event: Resize) -> None:
        if self.state is not None:
            set_text(self, render_header(self.state, event.size.width or None))


__all__ = ["WAIT_SHOWN_SECONDS", "HeaderState", "StatusHeader", "render_header", "waiting_text"]
