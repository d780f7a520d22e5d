"""Every r2tui screen styles its widgets once as it opens, not three times.

Textual styles each widget as it mounts, then restyles the whole screen twice
more: when the first Resize sets the app's breakpoint classes on the screen
(`-short`, `-lines`), and when the screen resumes (shows) for the first time,
just after mounting. Neither changes a style: the classes can be set before
the widgets mount, and nothing has changed between the mount and the resume.
Opening the rule form did both, a fifth of its work."""

from __future__ import annotations

from typing import Any, TypeVar

from textual import on
from textual.events import Compose, ScreenResume
from textual.geometry import Size
from textual.screen import Screen

ResultT = TypeVar("ResultT")


def breakpoint_classes(screen: Screen[Any], size: Size) -> dict[str, bool]:
    """The app's breakpoint classes for a screen of `size`, as Textual's
    Screen._on_resize sets them."""
    app = screen.app
    horizontal = (
        app.HORIZONTAL_BREAKPOINTS
        if screen.HORIZONTAL_BREAKPOINTS is None
        else screen.HORIZONTAL_BREAKPOINTS
    ) or []
    vertical = (
        app.VERTICAL_BREAKPOINTS
        if screen.VERTICAL_BREAKPOINTS is None
        else screen.VERTICAL_BREAKPOINTS
    ) or []
    classes = {name: False for _, name in (*horizontal, *vertical)}
    for breakpoints, dimension in ((horizontal, size.width), (vertical, size.height)):
        chosen = [name for least, name in sorted(breakpoints, reverse=True) if dimension >= least]
        if chosen:
            classes[chosen[0]] = True
    return classes


class StyledOnce(Screen[ResultT]):
    """A screen (`class X(StyledOnce[T])`), or mixed into a modal one after
    ModalScreen (`class X(ModalScreen[T], StyledOnce[T])`): Textual takes a
    screen's default styles and CSS type names from its first base alone, and
    a modal screen with this first would lose ModalScreen's (its dimmed
    background)."""

    _resumed_once = False

    @on(Compose)
    def _classes_first(self, event: Compose) -> None:
        # Before Textual's own handler composes the widgets (the handlers of a
        # message run from the subclass up): the classes restyle the screen
        # alone, with no widget in it yet.
        self.update_classes(breakpoint_classes(self, self.app.size), animate=False)

    @on(ScreenResume)
    def _styled_already(self, event: ScreenResume) -> None:
        # Before Textual's own handler, which restyles every widget when asked to.
        if not self._resumed_once:
            self._resumed_once = True
            event.refresh_styles = False
