"""The command line (`:`): one line at the bottom of the screen; enter runs it,
escape closes it, tab completes the word being typed. A line that cannot run
keeps the line open with the error above it (`tui/command_line.py` says what
each line does)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from r2tui.tui.format import data
from r2tui.tui.screens.styled import StyledOnce

Run = Callable[[], object]


class LineSuggester(Suggester):
    """Suggests the completion `complete` makes, greyed after the cursor."""

    def __init__(self, complete: Callable[[str], str | None]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        return self.complete(value)


class CommandLineScreen(ModalScreen[Run | None], StyledOnce[Run | None]):
    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="command_line.cancel",
            tooltip="Close the command line and run nothing",
        ),
        Binding(
            "tab",
            "complete",
            "Complete",
            priority=True,
            id="command_line.complete",
            tooltip="Complete the word being typed (a command, metric, range, bucket, account)",
        ),
    ]

    def __init__(
        self, resolve: Callable[[str], Run | str], complete: Callable[[str], str | None]
    ) -> None:
        super().__init__()
        self.resolve = resolve
        self.complete = complete
        self.error = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="command-box"):
            yield Static("", id="command-error")
            with Horizontal(id="command-row"):
                yield Static(":", id="command-prompt")
                yield Input(
                    id="command-input",
                    compact=True,
                    suggester=LineSuggester(self.complete),
                    placeholder="rules · history METRIC [RANGE] [BUCKET] · account NAME · help",
                )

    def on_mount(self) -> None:
        self.query_one("#command-error").display = False
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        result = self.resolve(event.value)
        if isinstance(result, str):
            self._show_error(result)
            return
        self.dismiss(result)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.error:
            self._show_error("")

    def _show_error(self, error: str) -> None:
        self.error = error
        box = self.query_one("#command-error", Static)
        box.display = bool(error)
        box.update(data(error) if error else Text())  # it may quote what was typed

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_complete(self) -> None:
        box = self.query_one(Input)
        done = self.complete(box.value)
        if done is not None:
            box.value = done
            box.cursor_position = len(done)
