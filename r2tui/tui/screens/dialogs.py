"""Small modals the Rules screen asks with: a yes/no before anything destructive,
and how long to silence a rule for (and why, and whether it ends when the
alert resolves)."""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from r2tui.config.values import parse_duration
from r2tui.tui.format import LINE_CELLS, data
from r2tui.tui.resources import style
from r2tui.tui.screens.styled import StyledOnce

PRESETS = (("15m", "15 minutes"), ("1h", "1 hour"), ("4h", "4 hours"), ("1d", "1 day"))


class ConfirmScreen(ModalScreen[bool], StyledOnce[bool]):
    """y or enter confirms; n or escape cancels. Nothing has focus, so enter
    reaches the screen's binding rather than a button's."""

    CSS_PATH = [style("alerts.tcss")]
    AUTO_FOCUS = None
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes", tooltip="Go ahead"),
        Binding(
            "n,escape", "answer(False)", "No", id="confirm.no", tooltip="Cancel: change nothing"
        ),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            # They name a rule: whatever its author typed, shown as typed.
            yield Static(data(self.question, "bold"), classes="dialog-title")
            if self.detail:
                yield Static(data(self.detail), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="error", id="confirm-yes", compact=True)
                yield Button("No (n)", id="confirm-no", compact=True)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")


class SilenceChoice(NamedTuple):
    seconds: int
    comment: str
    until_resolved: bool  # ends early once the alerts it holds have resolved


class SilenceScreen(ModalScreen[SilenceChoice | None], StyledOnce[SilenceChoice | None]):
    """A duration (a preset, or typed), whether it ends when the alert resolves
    (as `r2tui silences add --expire-on-resolve`), and a comment."""

    CSS_PATH = [style("alerts.tcss")]

    BINDINGS = [
        Binding(
            "f2",
            "save",
            "Silence",
            id="silence.save",
            tooltip="Create the silence (enter in the comment does too)",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="silence.cancel",
            tooltip="Close without silencing anything",
        ),
    ]

    def __init__(self, rule: str) -> None:
        super().__init__()
        self.rule = rule

    def compose(self) -> ComposeResult:
        with Vertical(id="silence-box", classes="dialog"):
            yield Static(
                Text.assemble(("Silence ", "bold"), data(self.rule, "bold cyan", LINE_CELLS)),
                classes="dialog-title",
            )
            yield Static(
                "Its alerts still change state and show as silenced; no new "
                "notices go out until the silence ends.",
                classes="dialog-detail",
            )
            yield OptionList(
                *(Option(label, id=key) for key, label in PRESETS), id="silence-presets"
            )
            with Horizontal(classes="form-row"):
                yield Static("For", classes="form-label")
                yield Input(
                    "1h",
                    placeholder="15m, 1h, 4h, 1d or e.g. 2h30m",
                    id="silence-duration",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Static("Comment", classes="form-label")
                yield Input(
                    placeholder="why, for the next person (required)",
                    id="silence-comment",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Static("", classes="form-label")
                yield Checkbox(
                    "expire when resolved: ends once its alerts have resolved",
                    id="silence-until-resolved",
                    compact=True,
                )
            yield Static("", id="silence-problem", classes="form-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Silence (f2)", variant="warning", id="silence-ok", compact=True)
                yield Button("Cancel (esc)", id="silence-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#silence-presets", OptionList).highlighted = 1  # 1 hour

    @on(OptionList.OptionSelected)
    def _preset(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#silence-duration", Input).value = event.option.id or "1h"
        self.query_one("#silence-comment", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "silence-comment":
            self.action_save()
        else:
            self.query_one("#silence-comment", Input).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "silence-ok":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        problem = self.query_one("#silence-problem", Static)
        try:
            seconds = parse_duration(self.query_one("#silence-duration", Input).value)
        except ValueError as exc:
            problem.update(data(f"for: {exc}"))  # the error quotes what was typed
            problem.display = True
            return
        comment = self.query_one("#silence-comment", Input).value.strip()
        if not comment:
            problem.update("comment: required, so the next person knows why")
            problem.display = True
            self.query_one("#silence-comment", Input).focus()
            return
        until_resolved = self.query_one("#silence-until-resolved", Checkbox).value
        self.dismiss(SilenceChoice(seconds, comment, until_resolved))

    def action_cancel(self) -> None:
        self.dismiss(None)
