"""How the Alerts pane and the Rules screen word a rule: a change rule names its
window, and a rule saved before a check it now fails is marked."""

from __future__ import annotations

import dataclasses

from rich.text import Text

from r2tui.alerts.rules import Rule, change_problems
from r2tui.alerts.views import AlertRow, RuleState
from r2tui.tui.alert_style import threshold_text
from r2tui.tui.panes.alerts import detail
from r2tui.tui.screens.rules import _row

CHANGE = AlertRow(
    rule="Objects dropped",
    account="main",
    bucket="photos",
    state="firing",
    severity="critical",
    value=-40.0,
    threshold=5.0,
    comparison="falls_by",
    unit="%",
    since=1_700_000_000,
    metric="total_files",
    window=3600,
    change_in="percent",
)


def test_a_change_rules_threshold_names_its_window() -> None:
    text = threshold_text(CHANGE.comparison, CHANGE.threshold, CHANGE.unit, CHANGE.window)
    assert text.startswith("fall > 5")
    assert text.endswith(" in 1 hour")
    assert "(threshold fall > 5" in detail(CHANGE) and " in 1 hour)" in detail(CHANGE)


def test_a_value_rules_threshold_has_no_window() -> None:
    value = dataclasses.replace(
        CHANGE, comparison=">", threshold=70, unit="requests", window=0, change_in=""
    )
    assert threshold_text(value.comparison, value.threshold, value.unit, value.window) == (
        "> 70 requests"
    )
    assert " in " not in detail(value).split("threshold", 1)[1].split(")")[0]


def test_the_rules_screen_marks_a_rule_saved_before_a_check_it_now_fails() -> None:
    """Such a rule loads and runs as saved (`rules list` says "needs a fix"); its
    row in the Rules screen says so too, and a rule without a problem is unmarked."""
    outdated = RuleState(Rule("Nightly", "uploads_today", "falls_by", 50.0, window=3600))
    fine = RuleState(Rule("Dropped", "total_files", "falls_by", 5.0, window=3600))
    assert change_problems(outdated.rule) and not change_problems(fine.rule)
    marked = _row(outdated).cells[2]
    assert isinstance(marked, Text) and marked.plain.startswith("⚠ uploads_today fall > 50")
    unmarked = _row(fine).cells[2]
    assert isinstance(unmarked, Text) and unmarked.plain.startswith("total_files fall > 5")
