"""Help: every key, generated from the live bindings so it never drifts."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from r2tui.tui.screens.styled import StyledOnce

INTRO = (
    "r2tui watches Cloudflare R2. Panes refresh from the store; the collector fills it "
    "on a schedule. Tables: / filters, s sorts (S reverses), clicking a header sorts. "
    "Rebind any key in the config's [keymap] table by the id shown here."
)


class HelpScreen(ModalScreen[None], StyledOnce[None]):
    BINDINGS = [
        Binding(
            "escape,question_mark,q", "dismiss", "Close", id="help.close", tooltip="Close help"
        ),
    ]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(Text("Keys", "bold"), id="help-title")
            yield Static(Text(INTRO), id="help-intro")
            table: DataTable[Text] = DataTable(
                cursor_type="row", zebra_stripes=True, id="help-table"
            )
            table.add_columns("Key", "Id", "Where", "Action")
            # Text, not markup: keys come from the user's keymap ("[" is a key), and
            # descriptions name config tables ("[alerts]").
            for key, action, where, binding_id in self.rows:
                table.add_row(Text(key), Text(binding_id), Text(where), Text(action))
            yield table

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
