"""What every pane shares: a border title, maximizing, a render from a snapshot."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import Static

from r2tui.store.views import Dashboard


class Pane(Vertical):
    ALLOW_MAXIMIZE = True
    TITLE = ""

    def on_mount(self) -> None:
        self.border_title = self.TITLE

    def show(self, dash: Dashboard, now: float) -> None:
        """Render the dashboard; called on the event loop with data already read."""


class Note(Static, can_focus=True):
    """Focusable text, so a pane without a table can still take focus (keys 1–5)."""
