"""Alerts: what it will hold. Nothing here pretends to be evaluated yet."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from r2tui.tui.panes.base import Note, Pane


class AlertsPane(Pane):
    TITLE = "Alerts"

    def compose(self) -> ComposeResult:
        yield Note(Text.assemble(
            ("No alert rules yet. ", "bold"),
            "Rules edited from the keyboard, silences, maintenance windows and "
            "notifications by e-mail, webhook and Slack arrive in a later version. "
            "Nothing here is firing because nothing is evaluated yet.",
        ), id="alerts-note")
