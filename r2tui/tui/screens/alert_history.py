"""Alert history: every transition the engine recorded (pending, firing,
resolved, escalated), newest first, searched in the store as you type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from r2tui.tui.alert_ops import AlertOps
from r2tui.tui.alert_style import STATE_STYLE, bucket_text, value_text
from r2tui.tui.failures import reason
from r2tui.tui.format import BUCKET_CELLS, LINE_CELLS, cell, data, visible
from r2tui.tui.resources import style
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.screens.styled import StyledOnce
from r2tui.tui.widgets.footer import KeyFooter
from r2tui.tui.widgets.table import Column, FilterTable, Row

SEARCH_DELAY = 0.3  # seconds of quiet typing before the store is searched
LIMIT = 500
COLUMNS = [
    Column("time", "Time", width=16, numeric=True),
    Column("rule", "Rule", flex=True),
    Column("bucket", "Bucket", width=12),
    Column("change", "From → to", width=21),
    Column("value", "Value", width=12, numeric=True),
]


class HistoryTable(FilterTable):
    """The screen's search box searches the store; the table's own filter
    would only narrow what is loaded, so `/` goes to the search instead."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in ("filter", "clear_filter")


class AlertHistoryScreen(StyledOnce[None]):
    CSS_PATH = [style("alerts.tcss")]
    BINDINGS = [
        Binding(
            "escape",
            "close",
            "Close",
            id="alert_history.close",
            priority=True,
            tooltip="Clear the search, else close the alert history",
        ),
        Binding(
            "slash",
            "search",
            "Search",
            id="alert_history.search",
            tooltip="Search the alert history (rule, bucket, message)",
        ),
    ]

    class Found(Message):
        def __init__(
            self, search: str, rows: list[dict[str, Any]] | None, error: str | None = None
        ) -> None:
            super().__init__()
            self.search, self.rows, self.error = search, rows, error

    def __init__(self, ops: AlertOps, account: str = "") -> None:
        super().__init__()
        self.ops = ops
        self.account = account
        self.rows: dict[str, dict[str, Any]] = {}
        self.search = ""
        self.shown_search: str | None = None  # what the table shows results for
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="alert-history-title")
        yield Input(
            placeholder="search: a rule, a bucket, a word of the message…",
            id="alert-history-search",
        )
        yield HistoryTable(
            COLUMNS,
            empty="no alert has changed state yet",
            sort_column=0,
            descending=True,
            id="alert-history-table",
        )
        yield KeyFooter(compact=True)  # many keys: the compact style fits them

    def on_mount(self) -> None:
        self._show_title("loading…")
        self._find("")
        self.query_one(HistoryTable).table.focus()

    def action_search(self) -> None:
        self.query_one("#alert-history-search", Input).focus()

    def action_close(self) -> None:
        box = self.query_one("#alert-history-search", Input)
        if box.value:
            box.value = ""  # the change searches again, for everything
            self.query_one(HistoryTable).table.focus()
            return
        self.dismiss(None)

    @on(Input.Changed, "#alert-history-search")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.search = event.value.strip()
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self._find(self.search))

    @on(Input.Submitted, "#alert-history-search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.search = event.value.strip()
        self._find(self.search)
        self.query_one(HistoryTable).table.focus()

    @work(thread=True, exclusive=True, group="alert-history", exit_on_error=False)
    def _find(self, search: str) -> None:
        try:
            rows = self.ops.history(search, LIMIT)
        except Exception as exc:
            self.post_message(self.Found(search, None, reason(exc)))
            return
        self.post_message(self.Found(search, rows))

    @on(Found)
    def _found(self, event: Found) -> None:
        if event.search != self.search:
            return  # typed on since: a newer search is coming
        if event.error is not None:
            self._show_title(f"could not read the history: {event.error}", error=True)
            return
        found = event.rows or []
        self.rows = {str(i): r for i, r in enumerate(found)}
        table = self.query_one(HistoryTable)
        table.empty = (
            f"nothing matches “{event.search}”"
            if event.search
            else "no alert has changed state yet"
        )
        table.set_rows([_row(str(i), r) for i, r in enumerate(found)])
        n = len(found)
        more = f" (the newest {LIMIT})" if n >= LIMIT else ""
        what = f" matching “{event.search}”" if event.search else ""
        self._show_title(f"{n} change{'s' if n != 1 else ''}{what}{more}")
        self.shown_search = event.search

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        r = self.rows.get(str(event.row_key.value))
        if r is not None:
            self.app.push_screen(
                MessageScreen(
                    f"{_when(r['ts'])} · {r.get('rule', '')} · {bucket_text(str(r.get('bucket')))}",
                    visible(str(r.get("message", ""))),
                    error=r.get("to") == "firing",
                )
            )

    def _show_title(self, detail: str, error: bool = False) -> None:
        who = f" · {self.account}" if self.account else ""
        # What was searched for, the account's name and a store's error: from outside.
        self.query_one("#alert-history-title", Static).update(
            Text.assemble(
                ("Alert history", "bold"),
                data(who, "bold cyan", LINE_CELLS),
                (" · ", "dim"),
                data(detail, "red" if error else "dim", LINE_CELLS),
                (" · / searches, enter opens, escape closes", "dim"),
            )
        )


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def _row(key: str, r: dict[str, Any]) -> Row:
    before, after = str(r.get("from") or ""), str(r.get("to") or "")
    change = (
        Text.assemble(
            (before, STATE_STYLE.get(before, "")), " → ", (after, STATE_STYLE.get(after, ""))
        )
        if before or after
        else cell(str(r.get("message", "")), style="dim")
    )
    value = r.get("value")
    value_cell = (
        value_text(value, str(r.get("unit", ""))) if isinstance(value, int | float) else "–"
    )
    bucket = r.get("bucket") or "*"
    # Text, not str: a str cell is markup, and "[a-z]*" would vanish.
    return Row(
        key,
        (
            Text(_when(r["ts"])),
            cell(str(r.get("rule", ""))),
            cell(bucket_text(bucket), BUCKET_CELLS),
            change,
            Text(value_cell),
        ),
        (
            r["ts"],
            str(r.get("rule", "")).casefold(),
            bucket,
            change.plain,
            value if isinstance(value, int | float) else None,
        ),
        (visible(bucket_text(bucket)),),
    )
