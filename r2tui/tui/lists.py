"""What j, k, g and G do to the widget with the focus: the next, previous,
first or last row of a table or an option list, or a scroll of text; None
where the widget has no such thing (the key then goes on, as typed)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget
from textual.widgets import DataTable, ListView, OptionList

ACTIONS = ("list_down", "list_up", "list_first", "list_last")


def _list_view_to(view: ListView, last: bool) -> None:
    if view.children:
        view.index = len(view.children) - 1 if last else 0


def move(widget: Widget | None, action: str) -> Callable[[], object] | None:
    """The move `action` makes on `widget`, to call; None when it makes none."""
    if widget is None:
        return None
    if isinstance(widget, DataTable):
        return {
            "list_down": widget.action_cursor_down,
            "list_up": widget.action_cursor_up,
            "list_first": widget.action_scroll_top,
            "list_last": widget.action_scroll_bottom,
        }.get(action)
    if isinstance(widget, OptionList):
        return {
            "list_down": widget.action_cursor_down,
            "list_up": widget.action_cursor_up,
            "list_first": widget.action_first,
            "list_last": widget.action_last,
        }.get(action)
    if isinstance(widget, ListView):
        return {
            "list_down": widget.action_cursor_down,
            "list_up": widget.action_cursor_up,
            "list_first": lambda: _list_view_to(widget, False),
            "list_last": lambda: _list_view_to(widget, True),
        }.get(action)
    if widget.allow_vertical_scroll:
        return {
            "list_down": widget.scroll_down,
            "list_up": widget.scroll_up,
            "list_first": widget.scroll_home,
            "list_last": widget.scroll_end,
        }.get(action)
    return None
