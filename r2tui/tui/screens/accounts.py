"""The account picker: every configured account with its health, its firing
alerts and who collects it; enter shows the chosen one (k9s' contexts).

What each line says comes from the store, as every other screen's does: the
last collection (its sources' health and its jobs' last runs), the alerts
firing, and the per-account collector lease (host:pid and heartbeat age). The
screen reads it on a thread worker when it opens and again each time the app
reads the store (`StoreChanged`). Choosing an account dismisses the screen with
its name; the app switches (`R2App.switch_account`). Nothing here starts or
stops a collector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from r2tui.alerts.views import alerts_view
from r2tui.config.alert_model import MaintenanceWindow
from r2tui.store import Store, health, lease, queries
from r2tui.store.health import ANALYTICS
from r2tui.tui import messages as msg
from r2tui.tui.failures import reason
from r2tui.tui.format import LINE_CELLS, age, data
from r2tui.tui.resources import style
from r2tui.tui.screens.styled import StyledOnce
from r2tui.tui.widgets.table import MeasuredTable

COLUMNS = (
    ("account", "Account"),
    ("state", "Last collection"),
    ("alerts", "Alerts"),
    ("collector", "Collected by"),
)
STATE_STYLE = {"ok": "green", "running": "cyan", "failing": "bold red", "never": "yellow"}
NAME_CELLS = 24
STATE_CELLS = 44
COLLECTOR_CELLS = 36
NO_COLLECTOR = "no collector"


@dataclass(frozen=True)
class Choice:
    """A configured account as the app knows it: its name, and whether it has
    Cloudflare's analytics (a failing analytics source counts only then)."""

    name: str
    analytics: bool = True


@dataclass(frozen=True)
class AccountLine:
    """One account's line in the picker."""

    name: str
    state: str  # ok, running, failing, never
    detail: str  # why it fails, what runs, or when it last worked
    firing: int  # alerts firing now
    collector: str  # "host:pid, heartbeat 3s ago", or NO_COLLECTOR
    collector_live: bool  # a lease that has not run out


def read_lines(
    store: Store,
    choices: Sequence[Choice],
    now: float,
    windows: tuple[MaintenanceWindow, ...] = (),
) -> list[AccountLine]:
    """Each account's line, in the config's order: a few small reads each."""
    return [_line(store, c, now, windows) for c in choices]


def _line(
    store: Store, choice: Choice, now: float, windows: tuple[MaintenanceWindow, ...]
) -> AccountLine:
    name = choice.name
    failed = [
        h
        for h in health.read(store, name).failed
        if h.source != ANALYTICS or choice.analytics  # no analytics: not its failure
    ]
    runs = queries.collector(store, name, now)
    if failed:
        state, detail = "failing", failed[0].headline
    elif runs.state in ("failing", "running"):
        state, detail = runs.state, runs.detail
    elif runs.state == "never":
        state, detail = "never", "no collection has run yet"
    else:
        state, detail = "ok", f"last success {age(runs.last_success_at, now)}"
    firing = len(alerts_view(store, name, now, windows).firing)
    held = lease.read(store, name)
    if held is None:
        collector, live = NO_COLLECTOR, False
    else:
        live = held.live(now)
        collector = held.describe(now) + ("" if live else " (lease expired)")
    return AccountLine(name, state, detail, firing, collector, live)


class AccountsScreen(ModalScreen[str | None], StyledOnce[str | None]):
    """Pick the account to show; dismissed with its name, or None."""

    CSS_PATH = [style("accounts.tcss")]
    BINDINGS = [
        Binding(
            "escape",
            "close",
            "Close",
            id="accounts.close",
            tooltip="Close the account picker; the shown account stays",
        ),
    ]

    class Read(Message):
        def __init__(self, lines: list[AccountLine] | None, error: str | None = None) -> None:
            super().__init__()
            self.lines = lines
            self.error = error

    def __init__(self, load: Callable[[], list[AccountLine]], shown: str) -> None:
        """`load` reads the lines; it runs on a thread worker."""
        super().__init__()
        self.load = load
        self.shown = shown
        self.lines: list[AccountLine] | None = None  # None: still reading
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="accounts-box"):
            yield Static("", id="accounts-title")
            table = MeasuredTable(cursor_type="row", id="accounts-table")
            for key, label in COLUMNS:
                table.add_column(label, key=key)
            yield table
            # The highlighted account's line in full: the table cuts long reasons.
            yield Static("", id="accounts-detail")
            yield Static(
                "↑↓ choose, enter shows the account, escape closes; "
                "every collector keeps collecting",
                id="accounts-hint",
            )

    def on_mount(self) -> None:
        self._title("reading…")
        self._read()

    @on(msg.StoreChanged)
    def _store_changed(self, event: msg.StoreChanged) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="accounts", exit_on_error=False)
    def _read(self) -> None:
        try:
            lines = self.load()
        except Exception as exc:  # a locked store: say so here, keep the app up
            self.post_message(self.Read(None, reason(exc)))
            return
        self.post_message(self.Read(lines))

    @on(Read)
    def _got(self, event: Read) -> None:
        self.error = event.error
        if event.lines is not None:
            self.lines = event.lines
        table = self.query_one(DataTable)
        current = _cursor_key(table)
        table.clear()
        for line in self.lines or []:
            table.add_row(*_cells(line, line.name == self.shown), key=line.name)
        names = [line.name for line in self.lines or []]
        want = current if current in names else self.shown
        if want in names:
            table.move_cursor(row=names.index(want), animate=False)
        table.focus()
        self._detail(_cursor_key(table))
        if event.error is not None:
            self._title(f"could not read the store: {event.error}", error=True)
        else:
            failing = sum(1 for line in self.lines or [] if line.state == "failing")
            n = len(names)
            self._title(
                f"{n} account{'s' if n != 1 else ''}" + (f", {failing} failing" if failing else "")
            )

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.row_key.value)

    def _detail(self, name: str | None) -> None:
        line = next((x for x in self.lines or [] if x.name == name), None)
        text = Text()
        if line is not None:
            text = Text.assemble(
                data(line.name, "bold"),
                (": ", ""),
                (line.state, STATE_STYLE.get(line.state, "")),
                data(f": {line.detail}" if line.detail else ""),
                (" · collected by ", "dim"),
                data(line.collector),
            )
        self.query_one("#accounts-detail", Static).update(text)

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.dismiss(str(event.row_key.value))

    def action_close(self) -> None:
        self.dismiss(None)

    def _title(self, detail: str, error: bool = False) -> None:
        # The account's name and a store's error are text from outside.
        self.query_one("#accounts-title", Static).update(
            Text.assemble(
                ("Accounts", "bold"),
                (" · showing ", "dim"),
                data(self.shown, "bold cyan", NAME_CELLS),
                (" · ", "dim"),
                data(detail, "red" if error else "dim", LINE_CELLS),
            )
        )


def _cursor_key(table: DataTable[str | Text]) -> str | None:
    if not table.row_count or not 0 <= table.cursor_row < table.row_count:
        return None
    value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return None if value is None else str(value)


def _cells(line: AccountLine, shown: bool) -> tuple[Text, Text, Text, Text]:
    name = Text("▶ " if shown else "  ", "bold cyan")
    name.append_text(data(line.name, "bold" if shown else "", NAME_CELLS))
    state = Text(line.state, STATE_STYLE.get(line.state, ""))
    if line.detail:
        state.append_text(
            data(f": {line.detail}", "red" if line.state == "failing" else "dim", STATE_CELLS)
        )
    alerts = Text(f"{line.firing:,} firing", "bold red") if line.firing else Text("none", "dim")
    collector = data(
        line.collector,
        "" if line.collector_live else "yellow" if line.collector != NO_COLLECTOR else "dim",
        COLLECTOR_CELLS,
    )
    return name, state, alerts, collector
