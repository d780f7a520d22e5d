"""Deliveries: the notifications the outbox sent or is trying to send, newest
first (time, alert, firing or resolved, the channel's name, how it went), read
again at each of the app's store reads. In the demo, its firing alert arrives
here once its webhook receiver (the channel `demo-inbox`) has taken it.

A channel shows by its name only: its URL may hold a token. The screen never
reads the store on the event loop: its source's read runs on a thread worker."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from r2tui.alerts.deliveries import Delivery, recent
from r2tui.alerts.outbox import DEAD, HELD, PENDING, SENT, SUMMARISED
from r2tui.store import Store
from r2tui.tui import messages as msg
from r2tui.tui.failures import reason
from r2tui.tui.format import LINE_CELLS, cell, data, visible
from r2tui.tui.resources import style
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.screens.styled import StyledOnce
from r2tui.tui.widgets.footer import KeyFooter
from r2tui.tui.widgets.table import Column, FilterTable, Row

EMPTY = "nothing delivered yet: a notification shows here once an alert fires or resolves"
DEMO_NOTE = (
    "The demo's alerts go to the channel demo-inbox: a webhook receiver the demo "
    "runs on this machine (127.0.0.1)."
)
COLUMNS = [
    Column("time", "Time", width=16, numeric=True),
    # The alert and the delivery's result share what the fixed columns leave: at
    # 80 columns a fixed 30-cell result left the alert's name 10 cells (16 now).
    Column("alert", "Alert", flex=True, min_width=12),
    Column("status", "Status", width=9),
    Column("channel", "Channel", width=12),
    Column("delivery", "Delivery", flex=True, min_width=12),
]
STATUS_STYLE = {"firing": "bold red", "resolved": "green"}
STATE_STYLE = {SENT: "green", PENDING: "yellow", DEAD: "bold red", HELD: "dim", SUMMARISED: "dim"}


class DeliverySource(Protocol):
    def recent(self) -> list[Delivery]: ...


class StoreDeliveries:
    """The store's outbox; each call runs on a worker thread."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def recent(self) -> list[Delivery]:
        try:
            return recent(self.store)
        finally:
            self.store.thread_done()  # this worker thread ends; give its connection back


class DeliveriesScreen(StyledOnce[None]):
    CSS_PATH = [style("deliveries.tcss")]
    BINDINGS = [
        Binding(
            "escape",
            "close",
            "Close",
            id="deliveries.close",
            priority=True,
            tooltip="Close the deliveries",
        ),
    ]

    class Read(Message):
        def __init__(self, rows: list[Delivery] | None, error: str | None = None) -> None:
            super().__init__()
            self.rows, self.error = rows, error

    def __init__(self, source: DeliverySource, demo: bool = False) -> None:
        super().__init__()
        self.source = source
        self.demo = demo
        self.rows: dict[str, Delivery] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="deliveries-title")
        yield FilterTable(
            COLUMNS, empty=EMPTY, sort_column=0, descending=True, id="deliveries-table"
        )
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self._show_title("loading…")
        self._read()
        self.query_one(FilterTable).table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(msg.StoreChanged)
    def _store_changed(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="deliveries", exit_on_error=False)
    def _read(self) -> None:
        try:
            rows = self.source.recent()
        except Exception as exc:  # a locked or unreachable store: say so, keep the rows
            self.post_message(self.Read(None, reason(exc)))
            return
        self.post_message(self.Read(rows))

    @on(Read)
    def _show(self, event: Read) -> None:
        if event.rows is None:
            self._show_title(f"could not read the outbox: {event.error}", error=True)
            return
        self.rows = {str(d.id): d for d in event.rows}
        self.query_one(FilterTable).set_rows([delivery_row(d) for d in event.rows])
        sent = sum(1 for d in event.rows if d.sent)
        n = len(event.rows)
        self._show_title(f"{n} notification{'s' if n != 1 else ''}, {sent} sent")

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        d = self.rows.get(str(event.row_key.value))
        if d is not None:
            self.app.push_screen(
                MessageScreen(
                    f"{when(d.at)} · {d.alert} · {d.channel}",
                    detail(d),
                    error=d.state == DEAD,
                )
            )

    def _show_title(self, detail: str, error: bool = False) -> None:
        text = Text.assemble(
            ("Deliveries", "bold"),
            (" · ", "dim"),
            data(detail, "red" if error else "dim", LINE_CELLS),  # a store's error: from outside
            (" · enter opens, escape closes", "dim"),
        )
        if self.demo:
            text.append("\n")
            text.append(DEMO_NOTE, "dim")
        self.query_one("#deliveries-title", Static).update(text)


def when(ts: float) -> str:
    """Local time on screen: the store keeps UTC."""
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def outcome(d: Delivery) -> Text:
    """ "sent", "pending (2 attempts): could not connect…", "dead: HTTP 404 …" """
    text = Text(d.state, STATE_STYLE.get(d.state, ""))
    if d.state != SENT and d.attempts:
        text.append(f" ({d.attempts} attempt{'s' if d.attempts != 1 else ''})", "dim")
    if d.state != SENT and d.error:
        text.append(": ")
        text.append_text(data(d.error, "dim"))  # a server's reply: from outside
    return text


def detail(d: Delivery) -> str:
    """The delivery in full, one field a line; each value by the rule of
    `visible`, so that none forges a line."""
    lines = [
        f"alert: {visible(d.alert)}",
        f"status: {visible(d.status)}",
        f"channel: {visible(d.channel)}",
        f"kind: {visible(d.kind)}",
        f"delivery: {d.state}" + (f" after {d.attempts} attempt(s)" if d.attempts else ""),
    ]
    if d.error:
        lines.append(f"last error: {visible(d.error)}")
    return "\n".join(lines)


def delivery_row(d: Delivery) -> Row:
    # Text, not str: a rule's name is the user's, and "[a-z]*" would vanish as markup.
    return Row(
        str(d.id),
        (
            Text(when(d.at)),
            cell(d.alert),
            Text(d.status, STATUS_STYLE.get(d.status, "")),
            cell(d.channel),
            outcome(d),
        ),
        (d.at, d.alert.casefold(), d.status, d.channel.casefold(), d.state),
        (visible(d.alert), visible(d.channel)),
    )
