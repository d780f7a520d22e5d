"""The command palette's entries: every binding by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widget import Widget

from r2tui.tui.keymap import MODALS, all_bindings, screen_classes
from r2tui.tui.panes.activity import ActivityPane
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.panes.storage import StoragePane
from r2tui.tui.widgets.table import FilterTable


def commands(app: App[Any], screen: Screen[Any] | None = None) -> Iterable[SystemCommand]:
    """Every binding by name. Pane and table actions act on the focused table
    when there is one, else on the storage pane's bucket table; a screen's
    keys are offered while it is open (a modal's never: the palette does not
    open over one)."""
    screens = screen_classes()
    for where, b in all_bindings():
        if b.id is None or b.action == "quit" or where in MODALS:
            continue
        if where in screens:
            if isinstance(screen, screens[where]):
                yield SystemCommand(
                    b.description,
                    f"{b.tooltip or b.description} ({where})",
                    partial(app.run_action, b.action, screen),
                )
            continue
        callback: Callable[[], Awaitable[object]]
        if b.id.startswith("app."):
            callback = partial(app.run_action, b.action)
        else:
            callback = partial(_act_on, app, where, b.action)
        yield SystemCommand(b.description, f"{b.tooltip or b.description} ({where})", callback)


async def _act_on(app: App[Any], where: str, action: str) -> None:
    if where == "storage pane":
        target: Widget = app.query_one("#storage", StoragePane)
    elif where == "metrics pane":
        target = app.query_one("#metrics", MetricsPane)
    elif where == "activity pane":
        target = app.query_one("#activity", ActivityPane)
    else:
        focused = app.focused
        owner = (
            next((a for a in focused.ancestors_with_self if isinstance(a, FilterTable)), None)
            if focused
            else None
        )
        target = owner or app.query_one("#table-buckets", FilterTable)
    await app.run_action(action, target)
