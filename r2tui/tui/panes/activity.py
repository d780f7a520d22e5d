"""Activity: job runs, buckets found and lost, large uploads, failures; newest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from r2tui.store.queries import Dashboard
from r2tui.tui.format import local_time
from r2tui.tui.panes.base import Pane
from r2tui.tui.widgets.table import Column, FilterTable, Row

LEVEL_STYLE = {"info": "", "warning": "yellow", "error": "red"}
LEVEL_MARK = {"info": "·", "warning": "▲", "error": "✖"}


class ActivityPane(Pane):
    TITLE = "Activity"

    def compose(self) -> ComposeResult:
        yield FilterTable([
            Column("time", "Time", width=8, numeric=True), Column("event", "Event", flex=True),
        ], empty="nothing has happened yet", sort_column=0, descending=True,
            id="table-activity")

    def show(self, dash: Dashboard, now: float) -> None:
        self.query_one(FilterTable).set_rows([
            Row(str(a.id), (
                local_time(a.ts, now),
                Text.assemble((f"{LEVEL_MARK.get(a.level, '·')} ", LEVEL_STYLE.get(a.level, "")),
                              (f"{a.kind} ", "dim"), (a.message, LEVEL_STYLE.get(a.level, ""))),
            ), (a.ts * 1_000_000 + a.id, (a.level, a.kind, a.message)))
            for a in dash.activity
        ])
