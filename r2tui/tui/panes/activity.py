"""Activity: alerts firing and resolving, buckets found and lost, large uploads,
failures, cost spikes; every job run on request (a). Newest first, and kept in
view: new entries show at the top while the cursor is there, as `less +F`
follows a file. Moved away (down, or another sort), the cursor stays on its
entry; the title counts what came since, and F (or home) jumps back."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from r2tui.store.views import NOTABLE_DAYS, ActivityRow
from r2tui.tui import messages as msg
from r2tui.tui.format import LINE_CELLS, data, local_time, visible
from r2tui.tui.panes.base import Pane
from r2tui.tui.panes.views import ActivityPaneView
from r2tui.tui.widgets.table import Column, FilterTable, Row

LEVEL_STYLE = {"info": "", "warning": "yellow", "error": "red"}
LEVEL_MARK = {"info": "·", "warning": "▲", "error": "✖"}
TIME_COLUMN = 0  # sorted by it, newest first, the pane follows the newest entry


class ActivityPane(Pane[ActivityPaneView]):
    TITLE = "Activity"
    BINDINGS = [
        Binding(
            "a",
            "toggle_all",
            "All events",
            id="activity.all",
            show=False,
            tooltip="Show every job run too, or only what matters "
            "(alerts, buckets, large uploads, failures, cost spikes)",
        ),
        # A priority binding: the table's own home scrolls sideways, which a
        # two-column table never needs. Not while typing a filter (check_action).
        Binding(
            "F,home",
            "newest",
            "Newest",
            id="activity.newest",
            show=False,
            priority=True,
            tooltip="Jump to the newest entry and follow new ones again",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: dict[str, ActivityRow] = {}
        self.everything = False  # False: only what matters (job runs hidden)
        self.view: ActivityPaneView | None = None
        self.now = 0.0
        self.seen = 0  # the newest entry's id while the pane followed it
        self.new = 0  # entries newer than `seen`, shown since the user moved away

    def compose(self) -> ComposeResult:
        yield FilterTable(
            [
                Column("time", "Time", width=8, numeric=True),
                Column("event", "Event", flex=True),
            ],
            empty="nothing has happened yet",
            sort_column=TIME_COLUMN,
            descending=True,
            id="table-activity",
        )

    def on_mount(self) -> None:
        self._title()

    @property
    def shown(self) -> tuple[ActivityRow, ...]:
        """The entries the pane lists now, newest first."""
        if self.view is None:
            return ()
        return self.view.activity if self.everything else self.view.matters

    @property
    def following(self) -> bool:
        """Whether the newest entry is in view with the cursor on it: sorted by
        time, newest first, the cursor on the top row and nothing scrolled."""
        owner = self.query_one(FilterTable)
        table = owner.table
        return table.row_count == 0 or (
            owner.sort_column == TIME_COLUMN
            and owner.descending
            and table.cursor_row == 0
            and table.scroll_y == 0
        )

    def show(self, view: ActivityPaneView, now: float) -> None:
        self.view, self.now = view, now
        self._fill()

    def _fill(self) -> None:
        owner = self.query_one(FilterTable)
        table = owner.table
        following = self.following
        before_row, before_y = table.cursor_row, table.scroll_y
        shown = self.shown
        self.rows = {str(a.id): a for a in shown}
        owner.empty = self._empty_text()
        owner.set_rows(
            [
                Row(
                    str(a.id),
                    (local_time(a.ts, self.now), _event_text(a)),
                    (a.ts * 1_000_000 + a.id, (a.level, a.kind, a.message)),
                    (visible(a.message),),
                )
                for a in shown
            ]
        )
        newest = max((a.id for a in shown), default=0)
        if following:
            self._to_newest(newest)
        else:
            self.new = sum(1 for a in shown if a.id > self.seen)
            moved = table.cursor_row - before_row
            if moved > 0:
                # Rows came in above the cursor's entry: keep the entry where it
                # was on screen, as the rest of the page, rather than jump.
                self.call_after_refresh(table.scroll_to, y=before_y + moved, animate=False)
        self._title()

    def _to_newest(self, newest: int) -> None:
        table = self.query_one(FilterTable).table
        if table.row_count:
            table.move_cursor(row=0, animate=False)
            table.scroll_to(y=0, animate=False)
        self.seen, self.new = max(self.seen, newest), 0

    def _empty_text(self) -> str:
        if self.everything or self.view is None or not self.view.activity:
            return "nothing has happened yet"
        key = self.view.all_key
        return f"nothing that matters in the last {NOTABLE_DAYS} days, only job runs ({key}: all)"

    def _title(self) -> None:
        view = self.view
        all_key = view.all_key if view else "a"
        newest_key = view.newest_key if view else "F"
        mode, other = ("everything", "what matters") if self.everything else ("what matters", "all")
        title = Text(f"{self.TITLE} · ")
        if self.new:  # short, to fit the pane's width with the count
            title.append("all" if self.everything else "matters")
            title.append(" · ")
            title.append(f"↑ {self.new} new", "bold yellow")
            title.append(f" ({newest_key}: newest)", "dim")
        else:
            title.append(mode)
            title.append(f" ({all_key}: {other})", "dim")
        self.border_title = title

    # ---- keys -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # F and home are for the filter's text while it is typed.
        return not (action == "newest" and isinstance(self.app.focused, Input))

    def action_toggle_all(self) -> None:
        self.everything = not self.everything
        self._fill()

    def action_newest(self) -> None:
        owner = self.query_one(FilterTable)
        if not (owner.sort_column == TIME_COLUMN and owner.descending):
            owner.sort_by(TIME_COLUMN)  # by time, newest first
        self._to_newest(max((a.id for a in self.shown), default=0))
        self._title()

    @on(DataTable.RowHighlighted)
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        """Back on the top row by the user's own keys: following again."""
        if self.new and self.following:
            self.seen, self.new = max((a.id for a in self.shown), default=0), 0
            self._title()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        """Enter shows an entry in full: messages are often wider than the pane.
        The message is one value, shown whole: a line break in it shows as \\n."""
        row = self.rows.get(str(event.row_key.value))
        if row is not None:
            where = f" · {row.bucket}" if row.bucket else ""
            self.post_message(
                msg.ShowDetail(
                    f"{local_time(row.ts)} · {row.level} · {row.kind}{where}",
                    visible(row.message),
                    error=row.level == "error",
                )
            )


def _event_text(a: ActivityRow) -> Text:
    style = LEVEL_STYLE.get(a.level, "")
    # The column's width cuts it, with an ellipsis; enter shows it whole.
    return Text.assemble(
        (f"{LEVEL_MARK.get(a.level, '·')} ", style),
        (f"{a.kind} ", "dim"),
        data(a.message, style, LINE_CELLS),
        no_wrap=True,
        overflow="ellipsis",
    )
