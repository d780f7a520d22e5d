"""Rules: every alert rule with its live state, and the keys that change them.

Reads and writes run on thread workers (AlertOps); results come back as
messages, and a failure is a red notification, never a crash. With
--read-only every key that would change something says so and does nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from r2tui.alerts.rules import Rule, change_problems
from r2tui.alerts.saved import clone_name
from r2tui.alerts.views import RuleState
from r2tui.tui import messages as msg
from r2tui.tui.alert_ops import AlertOps
from r2tui.tui.alert_style import (
    SEVERITY_ORDER,
    STATE_ORDER,
    condition_text,
    severity_text,
    state_text,
)
from r2tui.tui.failures import reason
from r2tui.tui.format import BUCKET_CELLS, LINE_CELLS, cell, data, duration, visible
from r2tui.tui.resources import style
from r2tui.tui.rule_fields import duration_text
from r2tui.tui.screens.dialogs import ConfirmScreen, SilenceChoice, SilenceScreen
from r2tui.tui.screens.rule_form import RuleForm
from r2tui.tui.screens.styled import StyledOnce
from r2tui.tui.widgets.footer import KeyFooter
from r2tui.tui.widgets.table import Column, FilterTable, Row

COLUMNS = [
    Column("state", "State", width=10),
    Column("name", "Name", flex=True, min_width=12, middle=True),
    Column("condition", "Condition", width=40),  # a change rule: "… fall > 20.0 % in 1 hour"
    Column("scope", "Scope", width=12),
    Column("for", "For", width=6, numeric=True),
    Column("severity", "Severity", width=8),
    Column("channels", "Channels", width=16),
]
Note = tuple[str, str]  # (text, severity for notify)
# Columns a narrower screen leaves out (the edit form shows them all), so that
# the names keep room: below each width, these.
NARROWER = (
    (100, frozenset({"channels", "severity", "for", "scope"})),
    (130, frozenset({"channels"})),
)


class RulesTable(FilterTable):
    """The rules' table. `s` silences on this screen, so sorting moves to `o`
    (the screen's binding): False here hands `s` and `S` on to the screen and
    keeps them out of the footer."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in ("sort_next", "sort_reverse")


class RulesScreen(StyledOnce[None]):
    CSS_PATH = [style("alerts.tcss")]
    BINDINGS = [
        # Not in the footer: the title says it, and the footer is full.
        Binding(
            "escape",
            "close",
            "Close",
            id="rules.close",
            priority=True,
            show=False,
            tooltip="Clear the filter, else close the rules",
        ),
        Binding("a", "add", "Add", id="rules.add", tooltip="Add a rule"),
        Binding(
            "e",
            "edit",
            "Edit",
            id="rules.edit",
            tooltip="Edit the highlighted rule (enter does too)",
        ),
        Binding(
            "space",
            "toggle_rule",
            "On/off",
            id="rules.toggle",
            tooltip="Enable or disable the highlighted rule",
        ),
        Binding(
            "d",
            "delete",
            "Delete",
            id="rules.delete",
            tooltip="Delete the highlighted rule, after a confirmation",
        ),
        Binding(
            "c",
            "clone",
            "Clone",
            id="rules.clone",
            tooltip="Copy the highlighted rule and edit the copy",
        ),
        Binding(
            "t",
            "test",
            "Test",
            id="rules.test",
            tooltip="Send a test notification to each of the rule's channels",
        ),
        Binding(
            "s",
            "silence",
            "Silence",
            id="rules.silence",
            tooltip="Silence the highlighted rule's alerts for a while",
        ),
        Binding(
            "x", "evaluate", "Evaluate", id="rules.evaluate", tooltip="Evaluate every rule now"
        ),
        Binding(
            "o",
            "order",
            "Sort",
            id="rules.sort",
            show=False,
            tooltip="Sort the rules by the next column (s silences here)",
        ),
        Binding(
            "O",
            "order_reverse",
            "Reverse",
            id="rules.reverse",
            show=False,
            tooltip="Reverse the rules' sort order",
        ),
    ]

    class Loaded(Message):
        def __init__(self, states: list[RuleState] | None, error: str | None = None) -> None:
            super().__init__()
            self.states, self.error = states, error

    class Done(Message):
        """A change finished: what to tell, and whether the alerts changed."""

        def __init__(self, notes: list[Note], alerts_changed: bool = False) -> None:
            super().__init__()
            self.notes, self.alerts_changed = notes, alerts_changed

    class Cloned(Message):
        def __init__(self, rule: Rule) -> None:
            super().__init__()
            self.rule = rule

    def __init__(self, ops: AlertOps, account: str = "") -> None:
        super().__init__()
        self.ops = ops
        self.account = account
        self.states: dict[str, RuleState] | None = None  # None: still loading
        self.busy = 0  # changes in flight; tests wait for 0

    def compose(self) -> ComposeResult:
        yield Static("", id="rules-title")
        yield RulesTable(COLUMNS, empty="no rules: a adds one", sort_column=1, id="rules-table")
        yield KeyFooter(compact=True)  # many keys: the compact style fits them

    def on_mount(self) -> None:
        self._show_title("loading…")
        self.reload()

    def on_resize(self, event: Resize) -> None:
        width = event.size.width
        hidden = next((keys for below, keys in NARROWER if width < below), frozenset())
        self.query_one(RulesTable).hide(hidden)

    # ---- reading ------------------------------------------------------------------------
    def reload(self) -> None:
        self._load()

    @on(msg.StoreChanged)
    def _store_changed(self, event: msg.StoreChanged) -> None:
        """The app read the store again (its refresh tick, a job done): so do we,
        for the rules' live state, unless a change of ours is about to."""
        if not self.busy:
            self.reload()

    @work(thread=True, exclusive=True, group="rules-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            states = self.ops.rule_states()
        except Exception as exc:  # a locked store: say so, keep the screen
            self.post_message(self.Loaded(None, reason(exc)))
            return
        if not get_current_worker().is_cancelled:  # a newer read is on its way
            self.post_message(self.Loaded(states))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.error is not None:
            self._show_title(f"could not read the rules: {event.error}", error=True)
            return
        self.states = {s.rule.name: s for s in event.states or []}
        table = self.query_one(RulesTable)
        table.set_rows([_row(s) for s in self.states.values()])
        firing = sum(s.state == "firing" for s in self.states.values())
        fix = sum(bool(change_problems(s.rule)) for s in self.states.values())
        n = len(self.states)
        self._show_title(
            f"{n} rule{'s' if n != 1 else ''}"
            + (f", {firing} firing" if firing else "")
            # Saved before a check they now fail: they run as saved; the form says why.
            + (f", {fix} marked ⚠ need a fix (e opens the form)" if fix else "")
        )
        if self.focused is None:
            table.table.focus()

    def current(self) -> RuleState | None:
        table = self.query_one(RulesTable)
        keys = table.visible_keys
        if self.states is None or not keys:
            return None
        row = table.table.cursor_row
        return self.states.get(keys[row]) if 0 <= row < len(keys) else None

    def _chosen(self) -> RuleState | None:
        state = self.current()
        if state is None:
            self.notify("no rule highlighted", severity="warning", markup=False)
        return state

    def _refused(self, what: str) -> bool:
        if self.ops.read_only:
            self.notify(
                f"read-only: {what} is off in this session", severity="warning", markup=False
            )
        return self.ops.read_only

    # ---- changing, on workers ---------------------------------------------------------------
    @work(thread=True, group="rules-write", exit_on_error=False)
    def _run(self, task: Callable[[], list[Note]], failure: str, alerts: bool = False) -> None:
        try:
            notes = task()
        except Exception as exc:
            notes = [(f"{failure}: {reason(exc)}", "error")]
        self.post_message(self.Done(notes, alerts))

    def _start(self, task: Callable[[], list[Note]], failure: str, alerts: bool = False) -> None:
        self.busy += 1
        self._run(task, failure, alerts)

    def _still_busy(self) -> bool:
        """One change at a time: a second space before the first lands would
        toggle from the same stale state and undo nothing."""
        if self.busy:
            self.notify(
                "still busy with the last change: a moment", severity="warning", markup=False
            )
        return bool(self.busy)

    @on(Done)
    def _done(self, event: Done) -> None:
        self.busy -= 1
        for text, severity in event.notes:
            self.notify(
                visible(text),
                severity=severity,  # type: ignore[arg-type]
                timeout=8 if severity == "error" else 4,
                markup=False,
            )
        self.reload()
        if event.alerts_changed:
            self.app.post_message(msg.ReadStore())  # the Alerts pane too

    # ---- keys -----------------------------------------------------------------------------
    def action_close(self) -> None:
        table = self.query_one(RulesTable)
        if table.filter_text or table.query_one(".table-filter").has_class("-shown"):
            table.action_clear_filter()
            return
        self.dismiss(None)

    def action_order(self) -> None:
        self.query_one(RulesTable).action_sort_next()

    def action_order_reverse(self) -> None:
        self.query_one(RulesTable).action_sort_reverse()

    def action_add(self) -> None:
        if not self._refused("adding rules"):
            self.app.push_screen(RuleForm(self.ops), self._form_closed)

    def action_edit(self) -> None:
        state = self._chosen()
        if state is not None:
            # Read-only: the form opens to look at, with Save off.
            self.app.push_screen(
                RuleForm(self.ops, state.rule, replacing=state.rule.name), self._form_closed
            )

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    def _form_closed(self, rule: Rule | None) -> None:
        if rule is not None:
            self.notify(f"saved rule {visible(rule.name)}", markup=False)
            self.reload()
            self.app.post_message(msg.ReadStore())

    def action_toggle_rule(self) -> None:
        state = self._chosen()
        if state is None or self._still_busy() or self._refused("enabling and disabling rules"):
            return
        name, on_ = state.rule.name, not state.rule.enabled

        def task() -> list[Note]:
            self.ops.set_enabled(name, on_)
            return [(f"{name}: {'enabled' if on_ else 'disabled'}", "information")]

        self._start(task, f"could not change {name}", alerts=True)

    def action_delete(self) -> None:
        state = self._chosen()
        if state is None or self._still_busy() or self._refused("deleting rules"):
            return
        name = state.rule.name

        def answered(yes: bool | None) -> None:
            if not yes:
                self.notify(f"kept {visible(name)}", markup=False)
                return

            def task() -> list[Note]:
                gone = self.ops.delete(name)
                return [(f"deleted {name}" if gone else f"{name} was already gone", "information")]

            self._start(task, f"could not delete {name}", alerts=True)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete the rule {name}?",
                f"{condition_text(state.rule)} · its alerts and their history of state go with it. "
                "y or enter deletes, n or escape keeps it.",
            ),
            answered,
        )

    def action_clone(self) -> None:
        state = self._chosen()
        if state is None or self._still_busy() or self._refused("cloning rules"):
            return
        copy = replace(state.rule, name=clone_name(state.rule.name, self.states or {}))
        self.busy += 1
        self._clone(copy)

    @work(thread=True, group="rules-write", exit_on_error=False)
    def _clone(self, copy: Rule) -> None:
        try:
            self.ops.save(copy)
        except Exception as exc:
            self.post_message(self.Done([(f"could not clone: {reason(exc)}", "error")]))
            return
        self.post_message(self.Cloned(copy))

    @on(Cloned)
    def _cloned(self, event: Cloned) -> None:
        self.busy -= 1
        name = event.rule.name
        self.notify(
            f"cloned as {visible(name)}: edit the copy, or escape to keep it as it is", markup=False
        )
        self.reload()
        self.app.push_screen(
            RuleForm(self.ops, event.rule, replacing=name, title=f"Edit the copy {name}"),
            self._form_closed,
        )

    def action_test(self) -> None:
        state = self._chosen()
        if state is None or self._still_busy() or self._refused("sending test notifications"):
            return
        rule = state.rule

        def task() -> list[Note]:
            results = self.ops.test_channels(rule)
            if not results:
                return [
                    (
                        f"{rule.name}: no channels configured (name some on the rule or in "
                        "[alerts] default_channels)",
                        "warning",
                    )
                ]
            return [
                (f"test sent to {ch}", "information")
                if error is None
                else (f"test to {ch} failed: {error}", "error")
                for ch, error in results
            ]

        self.notify(f"sending a test notification for {visible(rule.name)}…", markup=False)
        self._start(task, "could not send the test")

    def action_silence(self) -> None:
        state = self._chosen()
        if state is None or self._still_busy() or self._refused("silencing"):
            return
        name = state.rule.name

        def chosen(answer: SilenceChoice | None) -> None:
            if answer is None:
                return
            seconds, comment, until_resolved = answer

            def task() -> list[Note]:
                sid = self.ops.silence(name, seconds, comment, until_resolved)
                until = " or until it resolves" if until_resolved else ""
                said = f"silenced {name} for {duration(seconds)}{until} (silence {sid})"
                return [(said, "information")]

            self._start(task, f"could not silence {name}", alerts=True)

        self.app.push_screen(SilenceScreen(name), chosen)

    def action_evaluate(self) -> None:
        if self._still_busy() or self._refused("evaluating now"):
            return

        def task() -> list[Note]:
            return [(f"evaluated: {self.ops.check_now()}", "information")]

        self.notify("evaluating every rule…")
        self._start(task, "could not evaluate", alerts=True)

    # ---- rendering ----------------------------------------------------------------------
    def _show_title(self, detail: str, error: bool = False) -> None:
        who = f" · {self.account}" if self.account else ""
        ro = ("  read-only", "bold yellow") if self.ops.read_only else ""
        # The account's name and a store's error are text from outside.
        self.query_one("#rules-title", Static).update(
            Text.assemble(
                ("Alert rules", "bold"),
                data(who, "bold cyan", LINE_CELLS),
                ro,
                (" · ", "dim"),
                data(detail, "red" if error else "dim", LINE_CELLS),
                (" · / filters, o sorts, escape closes", "dim"),
            )
        )


def _row(s: RuleState) -> Row:
    r = s.rule
    state = s.state
    channels = ", ".join(r.channels) or "default"
    scope = "account" if r.scope == "*" else r.scope
    # Text, never markup: a name is whatever its author typed, a scope "[a-z]*".
    needs_fix = bool(change_problems(r))  # saved before a check it now fails
    condition = cell(condition_text(r))
    if needs_fix:
        condition = Text.assemble(("⚠ ", "bold yellow"), condition)
        condition.no_wrap, condition.overflow = True, "ellipsis"
    cells = (
        state_text(state, s.firing),
        cell(r.name, style="dim" if not r.enabled else ""),
        condition,
        cell(scope, BUCKET_CELLS),
        Text(duration_text(r.for_seconds) if r.for_seconds else "–"),
        severity_text(r.severity),
        cell(channels, style="dim" if not r.channels else ""),
    )
    return Row(
        r.name,
        cells,
        (
            STATE_ORDER.get(state, 9),
            r.name.casefold(),
            condition_text(r),
            r.scope,
            r.for_seconds,
            SEVERITY_ORDER.get(r.severity, 9),
            channels,
        ),
        (visible(r.name),),
    )
