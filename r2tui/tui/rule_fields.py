"""The rule form's fields, pure: what each field shows for a rule, and the
form's text turned back into the data `rule_from` checks. No widgets here, so
it is tested without a screen."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from r2tui.alerts.rules import ALL_COMPARISONS, CHANGE_IN, MISSING_DATA, SEVERITIES, Rule
from r2tui.metrics import ACCOUNT

NOTHING = object()  # a Select with nothing chosen, as form_data is given it

# (field, label, hint). A field is an Input unless SELECTS names it.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Name", ""),
    ("metric", "Metric", ""),
    ("comparison", "Comparison", ""),
    ("threshold", "Threshold", ""),
    ("window", "Window", "compared with this long ago: 1h (counts: whole hours)"),
    ("change_in", "Change in", "a change's threshold: percent or the metric's unit"),
    ("scope", "Scope", "* the account · a bucket · a glob like logs-*"),
    ("for", "For", "holds this long before firing: 0, 5m, 1h"),
    ("keep_firing_for", "Keep firing for", "after it stops holding: 0, 10m"),
    ("severity", "Severity", ""),
    ("channels", "Channels", ""),
    ("responses", "Responses", ""),
    ("missing_data", "Missing data", "no value: keep the state, alert, or resolve"),
    ("labels", "Labels", "name=value, comma-separated"),
    ("annotations", "Annotations", "name=value, comma-separated"),
    ("repeat_interval", "Repeat every", "empty: [alerts] repeat_interval"),
    ("escalate_after", "Escalate after", "still firing this long: 30m"),
    ("escalate_to", "Escalate to", "more channels, comma-separated"),
    ("escalate_severity", "Escalate severity", ""),
)
SELECTS: dict[str, tuple[str, ...]] = {
    "comparison": ALL_COMPARISONS,
    "change_in": CHANGE_IN,
    "severity": SEVERITIES,
    "missing_data": MISSING_DATA,
    "escalate_severity": SEVERITIES,
}
DURATIONS = ("window", "for", "keep_firing_for", "repeat_interval", "escalate_after")
LISTS = ("channels", "escalate_to", "responses")
PAIRS = ("labels", "annotations")


def duration_text(seconds: int | None) -> str:
    """`5400` → `1h30m`: what parse_duration reads back."""
    if not seconds:
        return "0" if seconds == 0 else ""
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)


def threshold_input(value: float, unit: str) -> str:
    """What the threshold field shows: "300 GB" for a byte metric when it is
    exact (parse_size reads it back to the byte), else the plain number."""
    if unit == "bytes" and value >= 1000 and value == int(value):
        for name, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
            if int(value) % size == 0:
                return f"{int(value) // size} {name}"
    # repr: the shortest text that reads back as the same float (":g" keeps 6 digits).
    return f"{int(value)}" if value == int(value) and abs(value) < 1e15 else repr(value)


def pairs_text(pairs: tuple[tuple[str, str], ...]) -> str:
    """`a=1, runbook=https://x?a=1\\,b=2`: a comma inside a value is escaped, so
    that the form reads back exactly what it showed."""

    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace(",", "\\,")

    return ", ".join(f"{k}={esc(v)}" for k, v in pairs)


def split_pairs(text: str) -> list[str]:
    """`pairs_text` back into its items, unescaping `\\,` and `\\\\`."""
    items, current, chars = [], [], iter(text)
    for c in chars:
        if c == "\\":
            current.append(next(chars, "\\"))
        elif c == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(c)
    items.append("".join(current))
    return items


def form_texts(rule: Rule | None) -> dict[str, str]:
    """What each Input shows for `rule` (a new rule: the defaults)."""
    if rule is None:
        return {"scope": ACCOUNT, "for": "0", "keep_firing_for": "0"}
    return {
        "name": rule.name,
        "threshold": threshold_input(rule.threshold, rule.unit),
        "scope": rule.scope,
        "window": duration_text(rule.window) if rule.window else "",
        "for": duration_text(rule.for_seconds),
        "keep_firing_for": duration_text(rule.keep_firing_seconds),
        "channels": ", ".join(rule.channels),
        "responses": ", ".join(rule.responses),
        "escalate_to": ", ".join(rule.escalate_to),
        "labels": pairs_text(rule.labels),
        "annotations": pairs_text(rule.annotations),
        "repeat_interval": duration_text(rule.repeat_interval),
        "escalate_after": duration_text(rule.escalate_after) if rule.escalate_after else "",
    }


def form_data(
    raw: Mapping[str, Any], base: Mapping[str, object]
) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """The form's text as rule data, over `base` (what the form does not show,
    such as enabled and max_per_hour, stays as it was); plus the problems found
    before rule_from sees it (a pair without "=")."""
    data = dict(base)
    problems: list[tuple[str, str]] = []
    for field, value in raw.items():
        if value is NOTHING or value is None:
            data[field] = None
            continue
        text = str(value).strip()
        if field in DURATIONS:
            data[field] = text if text or field == "repeat_interval" else None
        elif field in LISTS:
            data[field] = [c.strip() for c in text.split(",") if c.strip()]
        elif field in PAIRS:
            pairs: dict[str, str] = {}
            for item in (i.strip() for i in split_pairs(text) if i.strip()):
                key, sep, val = item.partition("=")
                if not sep:
                    problems.append(
                        (
                            field,
                            f"expected name=value pairs separated by commas "
                            f"(a comma in a value as \\,), got {item!r}",
                        )
                    )
                    break
                pairs[key.strip()] = val.strip()
            data[field] = pairs
        elif field == "threshold":
            data[field] = _number(text)
        else:
            data[field] = text
    return data, problems


def _number(text: str) -> object:
    if not text:
        return None
    try:
        return float(text.replace(",", "").replace("_", ""))
    except ValueError:
        return text  # "1 GB" for a byte metric; else rule_from says what it wanted


def scoped_value(
    values: Mapping[str, Mapping[str, float | None]], metric: str, scope: str
) -> tuple[float | None, int]:
    """The metric's value now for `scope`: a glob gives the highest of its
    buckets' values, and how many buckets that was."""
    if scope == ACCOUNT or not any(c in scope for c in "*?["):
        return values.get(scope, {}).get(metric), 1
    found = [
        v
        for b, by in values.items()
        if b != ACCOUNT and fnmatch.fnmatchcase(b, scope)
        if (v := by.get(metric)) is not None
    ]
    return (max(found) if found else None), len(found)


def names_prefixes(scope: str) -> bool:
    """Whether `scope` may name a series kept per prefix ("bucket/prefix/",
    ending in "/"): a name ending in "/", or a glob whose end may match one. A
    bucket name, the account, or a glob such as "*-logs" cannot."""
    if scope == ACCOUNT:
        return False
    return scope.endswith("/") or (any(c in scope for c in "*?[") and scope[-1] in "*?]")
