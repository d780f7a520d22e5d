"""How the commands show a scope, a value, a time and a table on a line.

Values from outside go into their lines through `r2tui.literal.visible`;
the lines go out through `r2tui.output`.

Figures are rounded for people in text (`number`, `value_text`): thousands
separators, three significant digits below 100, never an exponent. What a user
configured (a rule's threshold) is shown as given (`exact`). `--json` keeps
every figure at full precision: the rounding is only here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from rich.cells import cell_len

from r2tui.alerts.rules import CHANGE_WORDS, Rule
from r2tui.config.values import span_text
from r2tui.literal import visible
from r2tui.metrics import ACCOUNT
from r2tui.units import human_bytes


def scope_text(scope: str) -> str:
    """The scope as shown on a line: a bucket name or glob, made `visible`."""
    return "account" if scope == ACCOUNT else visible(scope)


SIGNIFICANT = 3  # digits kept below 100: 12.3, 0.387, 0.00012
TINY = 1e-6  # below this (and not 0), two significant digits in scientific notation


def number(value: float) -> str:
    """A figure for people: whole from 100 on, with thousands separators
    (2,370; 1,234,568), else three significant digits without trailing zeros
    (99.5, 12.3, 5, 0.387, 0.00012)."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    if size < TINY:
        return f"{value:.2g}"
    places = SIGNIFICANT - 1 - math.floor(math.log10(size))
    text = f"{value:,.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def money(value: float) -> str:
    """Dollars to the cent, with thousands separators; an amount under a cent
    (r2tui's own requests cost fractions of one) in significant digits."""
    sign = "-" if value < 0 else ""
    size = abs(value)
    if size >= 0.01 or size == 0:
        return f"{sign}${size:,.2f}"
    return f"{sign}${number(size)}"


def exact(value: float) -> str:
    """A configured figure as given, with thousands separators and never an
    exponent: 1,000,000; 0.12345; 5."""
    if not math.isfinite(value):
        return str(value)
    text = f"{Decimal(repr(value)):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def value_text(value: float | None, unit: str, given: bool = False) -> str:
    """A metric's value with its unit, rounded for people (`number`); `given`:
    a figure someone configured, shown as given (`exact`)."""
    if value is None:
        return "no data"
    if unit == "bytes":
        return human_bytes(value)
    if unit == "USD":
        if not given or round(value, 2) == value:
            return money(value)
        return f"{'-' if value < 0 else ''}${exact(abs(value))}"  # finer than a cent, as set
    shown = exact(value) if given else number(value)
    return shown if unit in ("bool", "") else f"{shown} {unit}"


def comparison_text(comparison: str, threshold: float, unit: str, window: int = 0) -> str:
    """A rule's comparison and threshold as set: `> 5 %`; a change rule's with
    its window: `falls by more than 20 % in 1 hour`. `unit`: the threshold's
    (% for a change in percent)."""
    shown = value_text(threshold, unit, given=True)
    if comparison in CHANGE_WORDS:
        return f"{CHANGE_WORDS[comparison]} more than {shown} in {span_text(window)}"
    return f"{comparison} {shown}"


def condition_text(metric: str, comparison: str, threshold: float, unit: str, window: int) -> str:
    """`error_rate_pct > 5 %`; a change: `total_files falls by more than 20 % in
    1 hour`. The threshold as it was set, with thousands separators and never
    an exponent (1,000,000 requests)."""
    return f"{visible(metric)} {comparison_text(comparison, threshold, unit, window)}"


def rule_condition(rule: Rule) -> str:
    return condition_text(rule.metric, rule.comparison, rule.threshold, rule.unit, rule.window)


def local(ts: float | None) -> str:
    """A time in the user's zone, to the minute; "-" for none."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def table(rows: Sequence[tuple[str, ...]]) -> str:
    """Columns padded to the terminal cells their text takes (a wide character
    takes two). The cells must already be `visible`: one line each."""
    widths = [max(cell_len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    )
