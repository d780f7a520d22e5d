"""The rule form: add or edit one alert rule, checked as you type.

Every change runs the form's data through `checked_rule`, the one check the CLI
and the engine use too, and shows each problem under the field it names. A
backtest line says how often the rule would have fired over the stored last
7 days; it reruns 300 ms after the typing stops, on a worker. Save (f2 or the
button; ctrl+s is taken by terminals) is refused while anything is wrong, and
the store refuses a taken name, which then shows under the name too."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static

from r2tui.alerts.rules import CHANGES, Rule, RuleError, rule_to_dict
from r2tui.alerts.toml_io import checked_rule
from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.tui.alert_ops import AlertOps, Backtest
from r2tui.tui.failures import reason
from r2tui.tui.format import LINE_CELLS, cell, data, visible
from r2tui.tui.resources import style
from r2tui.tui.rule_fields import (
    FIELDS,
    NOTHING,
    SELECTS,
    form_data,
    form_texts,
    names_prefixes,
    scoped_value,
)
from r2tui.tui.screens.styled import StyledOnce
from r2tui.tui.widgets.card import metric_value
from r2tui.tui.widgets.footer import KeyFooter
from r2tui.tui.widgets.text import set_text

BACKTEST_DELAY = 0.3  # seconds of quiet typing before the backtest reruns


class RuleForm(ModalScreen[Rule | None], StyledOnce[Rule | None]):
    CSS_PATH = [style("alerts.tcss")]
    BINDINGS = [
        Binding(
            "f2",
            "save",
            "Save",
            id="rule_form.save",
            tooltip="Save the rule; refused while a field is wrong (ctrl+s is a terminal's XOFF)",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="rule_form.cancel",
            tooltip="Close the form and save nothing",
        ),
    ]

    class Checked(Message):
        def __init__(self, seq: int, result: Backtest | None, error: str | None) -> None:
            super().__init__()
            self.seq, self.result, self.error = seq, result, error

    class ValuesRead(Message):
        def __init__(
            self, values: dict[str, dict[str, float | None]], scope: str, prefixes_only: bool
        ) -> None:
            super().__init__()
            self.values, self.scope, self.prefixes_only = values, scope, prefixes_only

    class Saved(Message):
        def __init__(self, rule: Rule) -> None:
            super().__init__()
            self.rule = rule

    class SaveFailed(Message):
        def __init__(self, problems: list[tuple[str, str]], error: str | None) -> None:
            super().__init__()
            self.problems, self.error = problems, error

    def __init__(
        self,
        ops: AlertOps,
        rule: Rule | None = None,
        replacing: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.ops = ops
        self.rule = rule
        self.replacing = replacing
        self.title_text = title or (
            f"Edit rule {rule.name}" if replacing and rule else "Add a rule"
        )
        self.base = rule_to_dict(rule) if rule else {}
        self.values: dict[str, dict[str, float | None]] = {}
        # The scopes whose prefix series (`names_prefixes`) `values` holds: an
        # account's prefixes run to thousands, read as a scope names them.
        self.prefixes_read: set[str] = set()
        self.problems: dict[str, list[str]] = {}
        self.valid: Rule | None = None
        self.tried = rule is not None  # problems show at once when editing
        self.initial: dict[str, Any] = {}
        # What each Input holds for the rule, and what it shows: a control
        # character in a name or an annotation shows as an escape (`\x1b`), and
        # reads back as the character while the field is left as it was.
        self.texts = form_texts(rule)
        self.shown = {field: visible(text) for field, text in self.texts.items()}
        self.backtest_text = ""
        self._seq = 0
        self._timer: Timer | None = None

    # ---- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        d = self.rule
        chosen = {
            "metric": d.metric if d else Select.NULL,
            "comparison": d.comparison if d else ">",
            "change_in": d.change_in if d else "percent",
            "severity": d.severity if d else "medium",
            "missing_data": d.missing_data if d else "keep",
            "escalate_severity": (d.escalate_severity or Select.NULL) if d else Select.NULL,
        }
        with Vertical(id="rule-box"):
            yield Static(self._title(), id="rule-title")
            fields = VerticalScroll(id="rule-fields")
            fields.can_focus = False  # tab goes from field to field, not to the box
            with fields:
                for field, label, hint in FIELDS:
                    with Horizontal(classes="form-row", id=f"row-{field}"):
                        yield Static(label, classes="form-label")
                        yield self._widget(field, self.shown, chosen)
                        if field == "threshold":
                            yield Static("", id="threshold-unit", classes="form-hint")
                        elif field == "channels":
                            yield Static(data(self._channels_hint()), classes="form-hint")
                        elif field == "responses":
                            yield Static(data(self._responses_hint()), classes="form-hint")
                        elif hint:  # Text: "[alerts]" is not markup
                            yield Static(Text(hint), classes="form-hint")
                    if field == "metric":
                        yield Static("", id="metric-help", classes="form-note")
                    elif field == "responses":
                        yield Static("", id="responses-note", classes="form-note")
                    yield Static("", id=f"problem-{field}", classes="form-problem")
                yield Static("", id="problem-other", classes="form-problem")
            yield Static("backtest: …", id="rule-backtest")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    "Save (f2)",
                    variant="primary",
                    id="rule-save",
                    compact=True,
                    disabled=self.ops.read_only,
                )
                yield Button("Cancel (esc)", id="rule-cancel", compact=True)
        yield KeyFooter(compact=True)  # many keys: the compact style fits them

    def _widget(self, field: str, texts: dict[str, str], chosen: dict[str, Any]) -> Widget:
        wid = f"field-{field}"
        if field == "metric":
            return Select(
                self._metric_options(),
                prompt="choose a metric",
                value=chosen["metric"],
                id=wid,
                compact=True,
            )
        if field in SELECTS:
            blank = field == "escalate_severity"
            return Select(
                [(o, o) for o in SELECTS[field]],
                value=chosen[field],
                allow_blank=blank,
                prompt="none" if blank else "Select",
                id=wid,
                compact=True,
            )
        return Input(texts.get(field, ""), id=wid, compact=True)

    def _title(self) -> Text:
        ro = ("  read-only: viewing, Save is off", "bold yellow") if self.ops.read_only else ""
        # The title names the rule: one line, cut with an ellipsis when too long.
        return Text.assemble(
            cell(self.title_text, LINE_CELLS, "bold"), ro, no_wrap=True, overflow="ellipsis"
        )

    def _channels_hint(self) -> str:
        names = self.ops.channel_names
        return f"configured: {', '.join(names)}" if names else "none configured"

    def _responses_hint(self) -> str:
        names = self.ops.response_names
        return (
            f"run when it fires; configured: {', '.join(names)}"
            if names
            else "none configured ([responses.NAME])"
        )

    def _show_responses(self, raw: dict[str, Any]) -> None:
        """What each response the rule names does (the config says; never a URL)."""
        notes = self.ops.response_notes()
        names = [n.strip() for n in str(raw.get("responses") or "").split(",") if n.strip()]
        lines = [f"{n}: {notes[n]}" for n in names if n in notes]
        box = self.query_one("#responses-note", Static)
        set_text(box, data("; ".join(lines), "", LINE_CELLS * 2))
        box.display = bool(lines)

    def _show_change_fields(self, raw: dict[str, Any]) -> None:
        """Window and change-in only for a change comparison."""
        change = raw.get("comparison") in CHANGES
        for field in ("window", "change_in"):
            self.query_one(f"#row-{field}").display = change

    def on_mount(self) -> None:
        self.initial = self._raw()
        self._check()
        self._read_values(self._scope())
        self.query_one("#field-name", Input).focus()

    # ---- reading the form ---------------------------------------------------------------
    def _raw(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field, _, _ in FIELDS:
            value = self.query_one(f"#field-{field}").value  # type: ignore[attr-defined]
            if value == self.shown.get(field) and value != self.texts.get(field):
                value = self.texts[field]  # left as shown: the value itself
            out[field] = NOTHING if value is Select.NULL else value
        if out.get("comparison") not in CHANGES:  # hidden: not part of the rule
            out["window"] = out["change_in"] = NOTHING
        return out

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        if self.initial:  # not the widgets' own first values while mounting
            self._check()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _check(self) -> None:
        """Validate; show each problem under its field; schedule a backtest."""
        raw = self._raw()
        data, problems = form_data(raw, self.base)
        self.valid = None
        try:
            # As the CLI checks: a channel or response the config lacks is refused,
            # or the rule would look fine and never notify anyone.
            rule = checked_rule(data, self.ops.channel_names, self.ops.response_names)
        except RuleError as exc:
            problems += exc.problems
        else:
            if not problems:
                self.valid = rule
        self.problems = {}
        for field, message in problems:
            self.problems.setdefault(field, []).append(message)
        self._show_problems(raw)
        self._show_metric(raw)
        self._show_responses(raw)
        self._show_change_fields(raw)
        self._schedule_backtest()

    def _show_problems(self, raw: dict[str, Any]) -> None:
        known = {f for f, _, _ in FIELDS}
        other = []
        for field, _, _ in FIELDS:
            shown = self.tried or raw.get(field) != self.initial.get(field)
            messages = self.problems.get(field, []) if shown else []
            box = self.query_one(f"#problem-{field}", Static)
            set_text(box, Text("\n".join(f"✖ {visible(m)}" for m in messages)))
            box.display = bool(messages)
        if self.tried:
            other = [f"{f}: {m}" for f, ms in self.problems.items() if f not in known for m in ms]
        box = self.query_one("#problem-other", Static)
        set_text(box, Text("\n".join(f"✖ {visible(m)}" for m in other)))
        box.display = bool(other)

    # ---- the metric picker ----------------------------------------------------------------
    def _metric_options(self, scope: str = ACCOUNT) -> list[tuple[Text, str]]:
        options = []
        for name, m in CATALOG.items():
            value, _ = scoped_value(self.values, name, scope)
            now = metric_value(value, m.unit) if self._values_for(scope) else "…"
            options.append(
                (
                    Text.assemble(
                        (name, "bold"),
                        f"  {m.unit}",
                        (f"  now {now}", "cyan"),
                        (f"  {m.help}", "dim"),
                    ),
                    name,
                )
            )
        return options

    def _show_metric(self, raw: dict[str, Any]) -> None:
        metric = raw.get("metric")
        scope = str(raw.get("scope") or ACCOUNT).strip() or ACCOUNT
        help_box = self.query_one("#metric-help", Static)
        unit_box = self.query_one("#threshold-unit", Static)
        if not isinstance(metric, str) or metric not in CATALOG:
            set_text(
                help_box,
                Text(
                    "each metric shows its unit, its value now and what it "
                    "counts; type to search the list",
                    "dim",
                ),
            )
            set_text(unit_box, "")
            return
        m = CATALOG[metric]
        unit = (
            "%"
            if raw.get("comparison") in CHANGES and raw.get("change_in") != "absolute"
            else m.unit
        )
        set_text(unit_box, Text(unit + ("  (or a size: 1 GB)" if unit == "bytes" else ""), "bold"))
        value, n = scoped_value(self.values, metric, scope)
        where = (
            "the account"
            if scope == ACCOUNT
            else (f"the highest of {n} matching buckets" if n > 1 else scope)
        )
        now = (
            "reading…"
            if not self._values_for(scope)
            else f"now {metric_value(value, m.unit)} for {where}"
            if value is not None
            else f"no value now for {where}"
        )
        # `now` names the scope as typed.
        set_text(help_box, Text.assemble((m.help, ""), data(f"  {now}", "cyan", LINE_CELLS)))

    @work(thread=True, group="rule-form-values", exit_on_error=False)
    def _read_values(self, scope: str, prefixes_only: bool = False) -> None:
        try:
            values = self.ops.current_values(scope, prefixes_only)
        except Exception:  # the picker works without values; a backtest says more
            values = {}
        self.post_message(self.ValuesRead(values, scope, prefixes_only))

    @on(ValuesRead)
    def _values_read(self, event: ValuesRead) -> None:
        # Merged, whichever read ends first: the opening read may end after a
        # typed scope's prefix series were read.
        for bucket, by in event.values.items():
            self.values.setdefault(bucket, {}).update(by)
        if names_prefixes(event.scope):
            self.prefixes_read.add(event.scope)
        self._refresh_metric_options()

    @on(Input.Changed, "#field-scope")
    def _scope_changed(self) -> None:
        if self.values:
            self._refresh_metric_options()

    def _values_for(self, scope: str) -> bool:
        """Whether the values read so far are all of the scope's: a scope that
        names prefix series waits for its own read, else it would show "no
        value" (or a glob's highest without them) until that read ends."""
        return bool(self.values) and (not names_prefixes(scope) or scope in self.prefixes_read)

    def _scope(self) -> str:
        return self.query_one("#field-scope", Input).value.strip() or ACCOUNT

    def _refresh_metric_options(self) -> None:
        scope = self._scope()
        if names_prefixes(scope) and scope not in self.prefixes_read:
            self._read_values(scope, prefixes_only=True)  # refreshes when read
            return
        select = self.query_one("#field-metric", Select)
        current = select.value
        select.set_options(self._metric_options(scope))  # resets the choice: put it back
        if current is not Select.NULL:
            select.value = current
        self._show_metric(self._raw())

    # ---- the backtest -----------------------------------------------------------------------
    def _schedule_backtest(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._seq += 1
        if self.valid is None:
            self._set_backtest(Text("backtest: waiting for a valid rule", "dim"))
            return
        self._timer = self.set_timer(BACKTEST_DELAY, self._start_backtest)

    def _start_backtest(self) -> None:
        if self.valid is not None:
            self._set_backtest(Text("backtest: reading the last 7 days…", "dim"))
            self._backtest(self._seq, self.valid)

    @work(thread=True, exclusive=True, group="rule-form-backtest", exit_on_error=False)
    def _backtest(self, seq: int, rule: Rule) -> None:
        try:
            result = self.ops.backtest(rule)
        except Exception as exc:
            self.post_message(self.Checked(seq, None, reason(exc)))
            return
        self.post_message(self.Checked(seq, result, None))

    @on(Checked)
    def _checked(self, event: Checked) -> None:
        if event.seq != self._seq:
            return  # the form changed since: a newer backtest is on its way
        if event.error is not None or event.result is None:
            self._set_backtest(data(f"backtest failed: {event.error}", "red", LINE_CELLS))
        else:
            self._set_backtest(Text(event.result.text(), "bold" if event.result.fired else ""))

    def _set_backtest(self, text: Text) -> None:
        self.backtest_text = text.plain
        set_text(self.query_one("#rule-backtest", Static), text)

    # ---- saving -------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.ops.read_only:
            self.notify("read-only: saving rules is off", severity="warning", markup=False)
            return
        self.tried = True
        self._check()
        if self.valid is None:
            self.notify("not saved: fix the fields marked ✖ first", severity="error", markup=False)
            first = next((f for f, _, _ in FIELDS if f in self.problems), None)
            if first is not None:
                self.query_one(f"#field-{first}").focus()
            return
        self._save(self.valid)

    @work(thread=True, exclusive=True, group="rule-form-save", exit_on_error=False)
    def _save(self, rule: Rule) -> None:
        try:
            self.ops.save(rule, self.replacing)
        except RuleError as exc:  # a taken name: the store is the judge of that
            self.post_message(self.SaveFailed(exc.problems, None))
            return
        except Exception as exc:
            self.post_message(self.SaveFailed([], reason(exc)))
            return
        self.post_message(self.Saved(rule))

    @on(Saved)
    def _saved(self, event: Saved) -> None:
        self.dismiss(event.rule)

    @on(SaveFailed)
    def _save_failed(self, event: SaveFailed) -> None:
        if event.error:
            self.notify(visible(f"not saved: {event.error}"), severity="error", markup=False)
            return
        for field, message in event.problems:
            self.problems.setdefault(field, []).append(message)
        self._show_problems(self._raw())
        self.notify(
            visible("not saved: " + "; ".join(f"{f}: {m}" for f, m in event.problems)),
            severity="error",
            markup=False,
        )

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "rule-save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
