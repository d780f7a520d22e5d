"""A message in a modal: a background failure, or an activity entry in full."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from r2tui.literal import visible_lines
from r2tui.tui.format import cell
from r2tui.tui.screens.styled import StyledOnce


class MessageScreen(ModalScreen[None], StyledOnce[None]):
    BINDINGS = [
        Binding(
            "escape,enter,q", "dismiss", "Close", id="message.close", tooltip="Close this message"
        )
    ]

    def __init__(self, title: str, message: str, error: bool = False) -> None:
        """`title` is one line (cut to fit); `message` is shown whole, its line
        breaks kept: a caller puts text from outside in as `visible(text)`, so
        that a line break inside a value shows as `\\n` and forges no line."""
        super().__init__(classes="-error" if error else "")
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="message-box"):
            yield Static(cell(self.title_text), id="message-title")
            # Wrapped lines are fine here; control characters are not. Scrolled
            # when taller than the screen: a whole 1,024-byte key at 80x24 is.
            with VerticalScroll(id="message-scroll"):
                yield Static(Text(visible_lines(self.message)), id="message-body")
            yield Static("escape closes; r2tui keeps running", id="message-hint")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
