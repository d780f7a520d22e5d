"""Reports: the daily and monthly reports kept in the store, listed on the
left, the highlighted one shown as Markdown on the right.

The screen never reads the store on the event loop: it is given a source whose
two reads (the list, one report) run on thread workers, so tests can hand it
any reports and a slow store never freezes the app."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from markdown_it import MarkdownIt
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Markdown, Static
from textual.worker import get_current_worker

from r2tui.reports.model import period_label
from r2tui.reports.render import to_markdown
from r2tui.reports.stored import StoredRow, listing, load
from r2tui.store import Store
from r2tui.tui.format import LINE_CELLS, data
from r2tui.tui.resources import style
from r2tui.tui.screens.styled import StyledOnce
from r2tui.tui.widgets.footer import KeyFooter
from r2tui.tui.widgets.table import Column, FilterTable, Row

EMPTY = (
    "No reports yet. The daily_report and monthly_report jobs keep one here after "
    "each UTC day and month; `r2tui report daily` prints one now."
)
COLUMNS = [
    Column("kind", "Kind", 8),
    Column("period", "Period", 11),
    Column("generated", "Generated", 17),
]


def report_parser() -> MarkdownIt:
    """Textual's own parser ("gfm-like") without raw HTML and without turning a
    bare address into a link. A report escapes what it quotes (keys, bucket
    names), and holds no link of its own; here nothing in it can become an
    element or a link all the same, and no link opens a browser (open_links)."""
    return MarkdownIt("gfm-like", options_update={"html": False, "linkify": False})


class ReportSource(Protocol):
    def listing(self) -> list[StoredRow]: ...
    def markdown(self, report_id: int) -> str | None: ...


class StoreReports:
    """The account's reports in the store; each call runs on a worker thread."""

    def __init__(self, account: str, store: Store) -> None:
        self.account = account
        self.store = store

    def listing(self) -> list[StoredRow]:
        try:
            return listing(self.store, self.account)
        finally:
            self.store.thread_done()  # this worker thread ends; give its connection back

    def markdown(self, report_id: int) -> str | None:
        try:
            report = load(self.store, report_id)
        finally:
            self.store.thread_done()
        return None if report is None else to_markdown(report)


def local(ts: float) -> str:
    """Local time on screen: the store keeps UTC."""
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


class ReportsScreen(StyledOnce[None]):
    CSS_PATH = [style("reports.tcss")]
    BINDINGS = [
        # Priority: the list's table would otherwise take escape (it clears a filter).
        Binding(
            "escape",
            "close",
            "Close",
            id="reports.close",
            priority=True,
            tooltip="Clear the list's filter, else close the reports",
        ),
    ]

    class Listed(Message):
        def __init__(self, rows: list[StoredRow] | None, error: str | None = None) -> None:
            super().__init__()
            self.rows = rows
            self.error = error

    class Shown(Message):
        def __init__(self, report_id: int, text: str | None, error: str | None = None) -> None:
            super().__init__()
            self.report_id = report_id
            self.text = text
            self.error = error

    def __init__(self, source: ReportSource, account: str = "") -> None:
        super().__init__()
        self.source = source
        self.account = account
        self.rows: list[StoredRow] | None = None  # None: still loading
        self.shown_id: int | None = None  # the report in the viewer
        self.wanted_id: int | None = None  # the report asked for last
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="reports-title")
        with Horizontal(id="reports-body"):
            yield FilterTable(
                COLUMNS, empty=EMPTY, sort_column=1, descending=True, id="reports-list"
            )
            with VerticalScroll(id="reports-view"):
                yield Markdown(
                    "", id="reports-markdown", parser_factory=report_parser, open_links=False
                )
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_title("loading…")
        self._list()

    # ---- keys ---------------------------------------------------------------------------
    def action_close(self) -> None:
        table = self.query_one(FilterTable)
        if table.filter_text or table.query_one(".table-filter").has_class("-shown"):
            table.action_clear_filter()
            return
        self.dismiss(None)

    # ---- loading ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="reports-list", exit_on_error=False)
    def _list(self) -> None:
        try:
            rows = self.source.listing()
        except Exception as exc:  # a locked store: say so on the screen, keep the app up
            self.post_message(self.Listed(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Listed(rows))

    @work(thread=True, exclusive=True, group="reports-show", exit_on_error=False)
    def _show(self, report_id: int) -> None:
        try:
            text = self.source.markdown(report_id)
        except Exception as exc:
            if not get_current_worker().is_cancelled:
                self.post_message(self.Shown(report_id, None, f"{type(exc).__name__}: {exc}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Shown(report_id, text))

    @on(Listed)
    def _listed(self, event: Listed) -> None:
        self.rows = event.rows or []
        self.error = event.error
        table = self.query_one(FilterTable)
        table.set_rows(
            [
                Row(
                    str(r.id),
                    (r.kind, period_label(r.kind, r.period_start), local(r.generated_at)),
                    (r.kind, r.period_start, r.generated_at),
                )
                for r in self.rows
            ]
        )
        if event.error:
            self._show_title(f"could not read the reports: {event.error}", error=True)
        else:
            count = len(self.rows)
            self._show_title(f"{count} report{'s' if count != 1 else ''}")
        table.table.focus()
        if table.visible_keys:
            self._want(int(table.visible_keys[table.table.cursor_row]))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._want(int(event.row_key.value))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        # Enter: read the report; the keys then scroll it.
        self.query_one("#reports-view").focus()

    def _want(self, report_id: int) -> None:
        if report_id == self.wanted_id:
            return
        self.wanted_id = report_id
        self._show(report_id)

    @on(Shown)
    async def _shown(self, event: Shown) -> None:
        if event.report_id != self.wanted_id:
            return  # the cursor moved on: the newer request wins
        if event.error is not None:
            text = f"Could not read this report: {event.error}"
        elif event.text is None:
            text = "This report is no longer in the store."
        else:
            text = event.text
        await self.query_one("#reports-markdown", Markdown).update(text)
        self.query_one("#reports-view", VerticalScroll).scroll_home(animate=False)
        self.shown_id = event.report_id  # last: a test waiting on it sees the text

    # ---- rendering ----------------------------------------------------------------------
    def _show_title(self, detail: str, error: bool = False) -> None:
        who = f" · {self.account}" if self.account else ""
        # The account's name and a store's error are text from outside.
        self.query_one("#reports-title", Static).update(
            Text.assemble(
                ("Reports", "bold"),
                data(who, "bold cyan", LINE_CELLS),
                (" · ", "dim"),
                data(detail, "red" if error else "dim", LINE_CELLS),
                (" · ↑↓ choose, enter reads, / filters, escape closes", "dim"),
            )
        )
