"""How alerts and rules read on screen: one colour per severity and state, so
the pane, the Rules screen and the history agree."""

from __future__ import annotations

from rich.text import Text

from r2tui.alerts.rules import Rule
from r2tui.config.values import span_text
from r2tui.metrics import ACCOUNT
from r2tui.tui.widgets.card import metric_value

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
STATE_STYLE = {
    "firing": "bold red",
    "pending": "yellow",
    "ok": "green",
    "disabled": "dim",
    "resolved": "dim green",
    "inactive": "dim",
}
STATE_ORDER = {"firing": 0, "pending": 1, "ok": 2, "resolved": 3, "inactive": 4, "disabled": 5}
# The state's mark: shape and colour both, so the state reads without colour too.
STATE_MARK = {
    "firing": "●",
    "pending": "◐",
    "resolved": "✓",
    "ok": "·",
    "disabled": "○",
    "inactive": "·",
}


def severity_text(severity: str) -> Text:
    return Text(severity, SEVERITY_STYLE.get(severity, ""))


def state_text(state: str, count: int = 0) -> Text:
    """`● firing`; `● firing 3` when a glob rule fires for several buckets."""
    many = f" {count}" if count > 1 else ""
    return Text(f"{STATE_MARK.get(state, '·')} {state}{many}", STATE_STYLE.get(state, ""))


def bucket_text(bucket: str) -> str:
    return "account" if bucket == ACCOUNT else bucket


def value_text(value: float | None, unit: str) -> str:
    return metric_value(value, unit)


COUNT_UNITS = ("objects", "requests", "uploads")  # metric_value shows these bare


def amount_text(value: float, unit: str) -> str:
    """A threshold in the metric's unit: "300.0 GB", "$100.00", "10 requests"."""
    if unit == "bool":
        return f"{value:g}"
    return metric_value(value, unit) + (f" {unit}" if unit in COUNT_UNITS else "")


# A change rule's comparison, short: "fall > 20.0 %" is a fall of more than 20 %.
CHANGE_SHORT = {"falls_by": "fall >", "rises_by": "rise >", "changes_by": "change >"}


def threshold_text(comparison: str, threshold: float, unit: str, window: float = 0) -> str:
    """`> 70 requests`; a change rule (its `window` given): `fall > 20.0 % in 1 hour`."""
    short = CHANGE_SHORT.get(comparison, comparison)
    text = f"{short} {amount_text(threshold, unit)}"
    return f"{text} in {span_text(window)}" if window and comparison in CHANGE_SHORT else text


def condition_text(rule: Rule) -> str:
    """`total_bytes > 300.0 GB`, where Rule.condition() says `> 3e+11 bytes`;
    a change rule: `total_files fall > 20.0 % in 1 hour`."""
    window = rule.window if rule.is_change else 0
    return f"{rule.metric} {threshold_text(rule.comparison, rule.threshold, rule.unit, window)}"
