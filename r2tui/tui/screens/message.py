"""A message in a modal: a background failure, or an activity entry in full."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from r2tui.tui.format import visible


class MessageScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close", id="message.close",
                        tooltip="Close this message")]

    def __init__(self, title: str, message: str, error: bool = False) -> None:
        super().__init__(classes="-error" if error else "")
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="message-box"):
            yield Static(Text(self.title_text), id="message-title")
            # Wrapped lines are fine here; control characters are not.
            yield Static(Text("\n".join(visible(line) for line in self.message.split("\n"))),
                         id="message-body")
            yield Static("escape closes; r2tui keeps running", id="message-hint")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
