"""Cost and Alerts: what they will hold, and the real numbers they already have
(the monitor's own spend). Never a zero that looks like data."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from r2tui.store.views import Dashboard
from r2tui.tui.format import usd
from r2tui.tui.panes.base import Note, Pane


class CostPane(Pane):
    TITLE = "Cost"

    def compose(self) -> ComposeResult:
        yield Note("", id="cost-note")

    def show(self, dash: Dashboard, now: float) -> None:
        s = dash.storage.spend
        self.query_one("#cost-note", Note).update(Text.assemble(
            ("Not calculated yet: ", "bold"),
            "month to date, forecast and savings arrive in a later version.\n",
            ("r2tui's own requests this month: ", "dim"),
            f"{s.class_a:,} Class A, {s.class_b:,} Class B: ", (usd(s.usd), "bold"),
            (" at list price", "dim"),
        ))


class AlertsPane(Pane):
    TITLE = "Alerts"

    def compose(self) -> ComposeResult:
        yield Note(Text.assemble(
            ("No alert rules yet. ", "bold"),
            "Rules edited from the keyboard, silences, maintenance windows and "
            "notifications by e-mail, webhook and Slack arrive in a later version. "
            "Nothing here is firing because nothing is evaluated yet.",
        ), id="alerts-note")
