"""Activity: job runs, buckets found and lost, large uploads, failures; newest first."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable

from r2tui.store.views import ActivityRow
from r2tui.tui import messages as msg
from r2tui.tui.format import LINE_CELLS, data, local_time, visible
from r2tui.tui.panes.base import Pane
from r2tui.tui.panes.views import ActivityPaneView
from r2tui.tui.widgets.table import Column, FilterTable, Row

LEVEL_STYLE = {"info": "", "warning": "yellow", "error": "red"}
LEVEL_MARK = {"info": "·", "warning": "▲", "error": "✖"}


class ActivityPane(Pane[ActivityPaneView]):
    TITLE = "Activity"

    def compose(self) -> ComposeResult:
        yield FilterTable(
            [
                Column("time", "Time", width=8, numeric=True),
                Column("event", "Event", flex=True),
            ],
            empty="nothing has happened yet",
            sort_column=0,
            descending=True,
            id="table-activity",
        )

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: dict[str, ActivityRow] = {}

    def show(self, view: ActivityPaneView, now: float) -> None:
        self.rows = {str(a.id): a for a in view.activity}
        self.query_one(FilterTable).set_rows(
            [
                Row(
                    str(a.id),
                    (local_time(a.ts, now), _event_text(a)),
                    (a.ts * 1_000_000 + a.id, (a.level, a.kind, a.message)),
                    (visible(a.message),),
                )
                for a in view.activity
            ]
        )

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
