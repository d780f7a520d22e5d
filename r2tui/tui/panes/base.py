"""What every pane shares: a border title, maximizing, a render from its view."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.containers import Vertical
from textual.widgets import Static

V = TypeVar("V")


class Pane(Vertical, Generic[V]):
    """A pane shows one view (`panes/views.py`), made for it from the dashboard."""

    ALLOW_MAXIMIZE = True
    TITLE = ""

    def on_mount(self) -> None:
        self.border_title = self.TITLE

    def show(self, view: V, now: float) -> None:
        """Render the view; called on the event loop with data already read."""


class Note(Static, can_focus=True):
    """Focusable text, so a pane without a table can still take focus (keys 1–5)."""
