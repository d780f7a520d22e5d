"""The command palette's entries: every binding by name. The command line
(`:`) takes the same commands, typed by name (`tui/command_line.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from r2tui.tui.keymap import CARD, MODALS, all_bindings, screen_classes
from r2tui.tui.panes.activity import ActivityPane
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.panes.storage import StoragePane
from r2tui.tui.widgets.table import FilterTable


@dataclass(frozen=True)
class Command:
    """One palette entry: the binding behind it and what running it does."""

    binding: Binding
    where: str
    run: Callable[[], Awaitable[object]]

    @property
    def help(self) -> str:
        return f"{self.binding.tooltip or self.binding.description} ({self.where})"

    @property
    def names(self) -> tuple[str, ...]:
        """What the command line takes for it: the binding id's last part
        ("rules", "alert_history", "next_tab") and its footer name in lower case
        ("alerts", "reports")."""
        assert self.binding.id is not None
        tail = self.binding.id.rsplit(".", 1)[-1]
        said = self.binding.description.lower().replace(" ", "_").replace("/", "_")
        return tuple(dict.fromkeys((tail, said)))


def _entries(app: App[Any], screen: Screen[Any] | None) -> Iterator[Command]:
    """Every binding as a command: the open screen's own first, then the app's,
    then the panes' and tables'."""
    screens = screen_classes()
    own: list[Command] = []
    rest: list[Command] = []
    for where, b in all_bindings():
        # A card's keys need a focused card: `h` (the app's) charts it from anywhere.
        if b.id is None or b.action == "quit" or where in MODALS or where == CARD:
            continue
        if where in screens:
            if isinstance(screen, screens[where]):
                own.append(Command(b, where, partial(app.run_action, b.action, screen)))
            continue
        callback: Callable[[], Awaitable[object]]
        if b.id.startswith(("app.", "list.")):
            callback = partial(app.run_action, b.action)
        else:
            callback = partial(_act_on, app, where, b.action)
        rest.append(Command(b, where, callback))
    yield from own
    yield from rest


def commands(app: App[Any], screen: Screen[Any] | None = None) -> Iterable[SystemCommand]:
    """Every binding by name. Pane and table actions act on the focused table
    when there is one, else on the storage pane's bucket table; a screen's
    keys are offered while it is open (a modal's never: the palette does not
    open over one)."""
    for c in _entries(app, screen):
        yield SystemCommand(c.binding.description, c.help, c.run)


def named(app: App[Any], screen: Screen[Any] | None = None) -> dict[str, Command]:
    """The same commands by the names the command line takes; where two share a
    name, the open screen's own comes first, then the app's."""
    out: dict[str, Command] = {}
    for c in _entries(app, screen):
        for name in c.names:
            out.setdefault(name, c)
    return out


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
