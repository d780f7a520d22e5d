"""Alert rules: what a rule is, how every field of one is checked, and the
default rules. Pure (no store, no I/O): the engine, the Rules
screen, `r2tui rules` and `rules import` all build and check rules here, so a
rule is accepted or refused the same way everywhere.

A rule is saved whole or not at all: `rule_from` collects every problem, each
naming its field and what would be valid, and raises them together.
"""

from __future__ import annotations

import fnmatch
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from r2tui.config.values import MAX_DURATION, parse_duration, parse_size, span_text
from r2tui.literal import quoted
from r2tui.metrics import ACCOUNT, CATALOG, HOUR, PREFIX_SERIES, SERIES_NAME_MAX, Metric
from r2tui.units import human_bytes

T = TypeVar("T")
D = TypeVar("D")  # a default, which may be of another type (None, an empty tuple)

SEVERITIES = ("low", "medium", "high", "critical")
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
# Change comparisons: the metric now against its value `window` ago, by more
# than the threshold (a size of change, 0 or more): in percent or in the
# metric's unit (`change_in`).
CHANGES: dict[str, Callable[[float, float], bool]] = {
    "falls_by": lambda change, size: change < 0 and -change > size,
    "rises_by": lambda change, size: change > 0 and change > size,
    "changes_by": lambda change, size: abs(change) > size,
}
CHANGE_WORDS = {"falls_by": "falls by", "rises_by": "rises by", "changes_by": "changes by"}
ALL_COMPARISONS = (*COMPARISONS, *CHANGES)
CHANGE_IN = ("percent", "absolute")
WINDOW_MAX = 30 * 86400  # how far back a change rule looks: a month
MISSING_DATA = ("keep", "alert", "resolve")  # when the metric has no value
FIELDS = (
    "name",
    "metric",
    "comparison",
    "threshold",
    "window",
    "change_in",
    "scope",
    "for",
    "keep_firing_for",
    "severity",
    "channels",
    "labels",
    "annotations",
    "missing_data",
    "enabled",
    "repeat_interval",
    "max_per_hour",
    "escalate_after",
    "escalate_to",
    "escalate_severity",
    "responses",
)
REQUIRED = ("name", "metric", "comparison", "threshold")
NAME_MAX = 80
_NAME_RE = re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff]+")  # printable, valid Unicode
_CHANNEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LABEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")  # Prometheus label names
# R2 bucket names: 3 to 63 lowercase letters, digits and hyphens; a glob adds * ? [ ].
_SCOPE_RE = re.compile(r"^[a-z0-9*?\[\]-][a-z0-9.*?\[\]-]{0,62}$")
# Lengths and counts a person would never reach: a rule is shown, sent and stored
# whole, so one with a 200,000-character key would be a burden everywhere.
LABEL_VALUE_MAX = 1000  # characters
ANNOTATION_MAX = 4096  # bytes of UTF-8: a few paragraphs of summary or runbook
ANNOTATION_KEY_MAX = 200  # characters
PAIRS_MAX = 100  # labels, and annotations, a rule has
NAMES_MAX = 100  # channels, escalation channels, responses a rule names
THRESHOLD_MAX = 1e18  # 1 EB in bytes; beyond any cost, count or rate
MAX_PER_HOUR = 3600  # one notification a second


class RuleError(ValueError):
    """Every problem of a rule at once: (field, what is wrong and what is valid)."""

    def __init__(self, problems: list[tuple[str, str]], rule: str | None = None) -> None:
        self.problems = problems
        self.rule = rule
        where = f"rule {quoted(rule)}: " if rule else ""
        super().__init__(where + "; ".join(f"{field}: {message}" for field, message in problems))


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str  # a catalog metric
    comparison: str  # one of COMPARISONS, or of CHANGES
    threshold: float  # in `unit`: the metric's, or % for a change in percent
    scope: str = ACCOUNT  # "*" the account, else a bucket name or a bucket glob
    for_seconds: int = 0  # how long the condition holds before the alert fires
    keep_firing_seconds: int = 0  # how long it keeps firing after it stops holding
    severity: str = "medium"
    channels: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    missing_data: str = "keep"
    enabled: bool = True
    repeat_interval: int | None = None  # None: [alerts] repeat_interval
    max_per_hour: int | None = None  # None: [alerts] max_per_hour
    # Still firing `escalate_after` seconds on: add channels and/or raise the severity.
    escalate_after: int = 0
    escalate_to: tuple[str, ...] = ()
    escalate_severity: str | None = None
    responses: tuple[str, ...] = ()  # [responses.NAME] run when the alert fires
    # A change rule (comparison in CHANGES): compared with the value this long ago.
    window: int = 0
    change_in: str = "percent"  # a change rule's threshold: "percent" or "absolute"

    @property
    def is_change(self) -> bool:
        return self.comparison in CHANGES

    @property
    def unit(self) -> str:
        """The unit of what the rule compares (its value, its threshold): the
        metric's, or % for a change in percent."""
        if self.is_change and self.change_in == "percent":
            return "%"
        return CATALOG[self.metric].unit

    @property
    def metric_unit(self) -> str:
        return CATALOG[self.metric].unit

    @property
    def is_glob(self) -> bool:
        return self.scope != ACCOUNT and any(c in self.scope for c in "*?[")

    def holds(self, value: float) -> bool:
        """Whether the condition holds for `value`: the metric's value, or for a
        change rule its change (`change_of`)."""
        if self.is_change:
            return CHANGES[self.comparison](value, self.threshold)
        return COMPARISONS[self.comparison](value, self.threshold)

    def change_of(self, now: float | None, before: float | None) -> float | None:
        """A change rule's value: the metric `now` against `before` (its value
        `window` ago), signed, in percent or in the metric's unit. None when
        either is missing, and for a change in percent from 0 (no percentage
        says how far 0 grew): the rule's missing-data policy then decides."""
        if now is None or before is None:
            return None
        diff = now - before
        if self.change_in == "absolute":
            return diff + 0.0
        if before == 0:
            return 0.0 if diff == 0 else None
        return 100.0 * diff / abs(before) + 0.0

    def applies_to(self, bucket: str) -> bool:
        """Whether the rule watches `bucket` ("*": the account's own series)."""
        if self.scope == ACCOUNT:
            return bucket == ACCOUNT
        if bucket == ACCOUNT:
            return False
        return fnmatch.fnmatchcase(bucket, self.scope) if self.is_glob else bucket == self.scope

    def condition(self) -> str:
        """`error_rate_pct > 5 %` as people read it; a change rule:
        `total_files falls by more than 20 % in 1 hour`."""
        if self.is_change:
            size = human_bytes(self.threshold) if self.unit == "bytes" else f"{self.threshold:g}"
            unit = "" if self.unit in ("bytes", "bool") else f" {self.unit}"
            return (
                f"{self.metric} {CHANGE_WORDS[self.comparison]} more than {size}{unit} "
                f"in {span_text(self.window)}"
            )
        if self.unit == "bytes":
            return f"{self.metric} {self.comparison} {human_bytes(self.threshold)}"
        unit = "" if self.unit in ("bool",) else f" {self.unit}"
        return f"{self.metric} {self.comparison} {self.threshold:g}{unit}"


def rule_from(data: Mapping[str, object], stored: bool = False) -> Rule:
    """A rule from plain data (a form, a TOML table, JSON); RuleError naming every
    field that is wrong otherwise. `stored`: a rule read back from the store,
    which may have been saved before a check on what a change rule can compare
    existed: it loads (and runs) as it was saved, and `change_problems` says
    what to fix; the check applies when it is next saved."""
    problems: list[tuple[str, str]] = []
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        problems.append((unknown[0], f"unknown field; valid: {', '.join(FIELDS)}"))
    for field in REQUIRED:
        if data.get(field) in (None, ""):
            problems.append((field, "required"))

    def check(field: str, parse: Callable[[object], T], default: D) -> T | D:
        if field not in data or data[field] is None:
            return default
        try:
            return parse(data[field])
        except ValueError as exc:
            problems.append((field, str(exc)))
            return default

    name = check("name", _name, "")
    metric = check("metric", _metric, "")
    comparison = str(check("comparison", _comparison, ">"))
    change = comparison in CHANGES
    change_in = str(check("change_in", _choice(CHANGE_IN), "percent")) if change else "percent"
    # A change in percent is a number of %; any other threshold is in the metric's unit.
    unit = "%" if change and change_in == "percent" else CATALOG.get(str(metric), _NO_METRIC).unit
    threshold = check("threshold", lambda v: _threshold(v, unit), 0.0)
    window = int(check("window", _window, 0))
    if change and not window and "window" not in {f for f, _ in problems}:
        problems.append(
            (
                "window",
                f"required with {comparison}: how far back to compare, "
                f'such as "1h" (1 minute to {span_text(WINDOW_MAX)})',
            )
        )
    if window and not change:
        problems.append(
            (
                "window",
                f"only for the change comparisons {', '.join(CHANGES)}, not {comparison}; "
                "leave it empty (0)",
            )
        )
    if change and metric in CATALOG and not stored:
        problems += _change_problems(CATALOG[str(metric)], comparison, window)
    if change and float(threshold) < 0:
        problems.append(
            (
                "threshold",
                f"{comparison} takes how much the metric changes: 0 or more, "
                f"got {float(threshold):g}",
            )
        )
    rule = Rule(
        name=str(name),
        metric=str(metric),
        comparison=comparison,
        threshold=float(threshold),
        window=window,
        change_in=change_in,
        scope=str(check("scope", _scope, ACCOUNT)),
        for_seconds=int(check("for", _duration, 0)),
        keep_firing_seconds=int(check("keep_firing_for", _duration, 0)),
        severity=str(check("severity", _choice(SEVERITIES), "medium")),
        channels=check("channels", _channels, ()),
        labels=check("labels", _pairs(label_keys=True), ()),
        annotations=check("annotations", _pairs(label_keys=False), ()),
        missing_data=str(check("missing_data", _choice(MISSING_DATA), "keep")),
        enabled=bool(check("enabled", _bool, True)),
        repeat_interval=check("repeat_interval", _optional(_duration), None),
        max_per_hour=check("max_per_hour", _optional(_count), None),
        escalate_after=int(check("escalate_after", _duration, 0)),
        escalate_to=check("escalate_to", _channels, ()),
        escalate_severity=check("escalate_severity", _optional(_choice(SEVERITIES)), None),
        responses=check("responses", _channels, ()),
    )
    if rule.metric in CATALOG and not any(f == "scope" for f, _ in problems):
        problems += _scope_problems(CATALOG[rule.metric], rule.scope)
    if rule.escalate_after and not (rule.escalate_to or rule.escalate_severity):
        problems.append(
            ("escalate_after", "escalating needs escalate_to (channels) or escalate_severity")
        )
    if (rule.escalate_to or rule.escalate_severity) and not rule.escalate_after:
        problems.append(
            (
                "escalate_after",
                "required with escalate_to or escalate_severity: "
                'how long the alert fires first, such as "30m"',
            )
        )
    if problems:
        raise RuleError(problems, str(name) or None)
    return rule


def change_problems(rule: Rule) -> list[tuple[str, str]]:
    """What `rule_from` would now refuse in a change rule saved before."""
    if not rule.is_change:
        return []
    return _change_problems(CATALOG[rule.metric], rule.comparison, rule.window)


def _change_problems(m: Metric, comparison: str, window: int) -> list[tuple[str, str]]:
    """What a change rule cannot compare. Hourly counts (the last full hour):
    a window that is not whole hours puts now and then in the same hour half
    the time, a change of 0 that resolves the alert. Today so far: a window
    across midnight compares part of today with all of yesterday."""
    if m.calc == "today":
        hourly = [n for n, x in CATALOG.items() if x.calc == "sum" and x.source == m.source]
        return [
            (
                "comparison",
                f"{comparison} cannot watch {m.name}: today's figure starts again at "
                "midnight, so a change across it compares part of a day with a whole one; "
                f"watch an hourly metric instead ({', '.join(hourly)})",
            )
        ]
    if m.calc in ("sum", "ratio") and window % HOUR:
        return [
            (
                "window",
                f"{m.name} counts whole hours: expected whole hours from 1h to "
                f'{span_text(WINDOW_MAX)}, such as "1h" or "24h", got {span_text(window)}',
            )
        ]
    return []


def rule_to_dict(rule: Rule) -> dict[str, object]:
    """Plain data `rule_from` reads back into the same rule (export, the form).
    `window` and `change_in` only for a change rule: a value rule reads as it
    did before change rules were."""
    change: dict[str, object] = (
        {"window": rule.window, "change_in": rule.change_in} if rule.is_change else {}
    )
    return {
        "name": rule.name,
        "metric": rule.metric,
        "comparison": rule.comparison,
        "threshold": rule.threshold,
        **change,
        "scope": rule.scope,
        "for": rule.for_seconds,
        "keep_firing_for": rule.keep_firing_seconds,
        "severity": rule.severity,
        "channels": list(rule.channels),
        "labels": dict(rule.labels),
        "annotations": dict(rule.annotations),
        "missing_data": rule.missing_data,
        "enabled": rule.enabled,
        "repeat_interval": rule.repeat_interval,
        "max_per_hour": rule.max_per_hour,
        "escalate_after": rule.escalate_after,
        "escalate_to": list(rule.escalate_to),
        "escalate_severity": rule.escalate_severity,
        "responses": list(rule.responses),
    }


def check_unique(rules: Iterable[Rule]) -> None:
    """Names are unique, whatever their case: a rule is found and shown by name."""
    seen: dict[str, str] = {}
    problems = []
    for r in rules:
        key = r.name.casefold()
        if key in seen:
            problems.append(("name", f"{quoted(r.name)} is taken (by {quoted(seen[key])})"))
        seen.setdefault(key, r.name)
    if problems:
        raise RuleError(problems)


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {quoted(value)}")
    text = value.strip()
    if not text or len(text) > NAME_MAX or not _NAME_RE.fullmatch(text):
        raise ValueError(f"1 to {NAME_MAX} printable characters, got {quoted(value)}")
    return text


def _metric(value: object) -> str:
    if not isinstance(value, str) or value not in CATALOG:
        raise ValueError(f"unknown metric {quoted(value)}; valid: {', '.join(sorted(CATALOG))}")
    return value


def _comparison(value: object) -> str:
    """An operator, or a change comparison ("falls_by"; "falls by" too)."""
    text = value.strip() if isinstance(value, str) else ""
    word = "_".join(text.lower().split())
    if text in COMPARISONS:
        return text
    if word in CHANGES:
        return word
    raise ValueError(f"expected one of {', '.join(ALL_COMPARISONS)}, got {quoted(value)}")


def _window(value: object) -> int:
    """A change rule's window: 0 (none), or 1 minute to WINDOW_MAX."""
    seconds = _duration(value)
    if seconds and not 60 <= seconds <= WINDOW_MAX:
        raise ValueError(
            f'expected a duration from 1 minute to {span_text(WINDOW_MAX)}, such as "1h", '
            f"got {quoted(value)}"
        )
    return seconds


def _threshold(value: object, unit: str) -> float:
    """A number in `unit`; bytes also take "1 GB"."""
    if isinstance(value, str) and unit == "bytes":
        return float(parse_size(value))
    if isinstance(value, bool) or not isinstance(value, int | float):
        what = 'a number or a size such as "1 GB"' if unit == "bytes" else "a number"
        raise ValueError(f"expected {what}, got {quoted(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {quoted(value)}")
    if abs(number) > THRESHOLD_MAX:
        raise ValueError(
            f"expected a number from -{THRESHOLD_MAX:g} to {THRESHOLD_MAX:g}, got {quoted(value)}"
        )
    return number + 0.0  # -0.0 is 0


def _scope(value: object) -> str:
    if value == ACCOUNT:
        return ACCOUNT
    if isinstance(value, str) and "/" in value:
        bucket, _, prefix = value.partition("/")
        if (
            _SCOPE_RE.fullmatch(bucket)
            and _NAME_RE.fullmatch(prefix)
            and prefix[-1] in "/*?]"
            and len(value) <= SERIES_NAME_MAX
        ):
            return value
        raise ValueError(
            "expected a bucket (or bucket glob), / and a prefix ending in / such as "
            f'"photos/2026/", or a glob such as "photos/*" (at most {SERIES_NAME_MAX} '
            f"characters), got {quoted(value)}"
        )
    if not isinstance(value, str) or not _SCOPE_RE.fullmatch(value):
        raise ValueError(
            'expected "*" for the account, a bucket name or a bucket glob '
            f'such as "logs-*", or a prefix such as "photos/2026/", got {quoted(value)}'
        )
    return value


def _scope_problems(m: Metric, scope: str) -> list[tuple[str, str]]:
    """A prefix metric watches prefixes, every other metric buckets or the account."""
    if m.per_prefix and "/" not in scope:
        return [
            (
                "scope",
                f"{m.name} is per prefix: expected a bucket, / and a prefix such as "
                f'"photos/2026/" (or "photos/*": every prefix of photos), got {quoted(scope)}',
            )
        ]
    if "/" in scope and not m.per_prefix:
        return [
            (
                "scope",
                f"a prefix is a scope for {', '.join(PREFIX_SERIES)} only; {m.name} watches "
                f'"*" (the account), a bucket or a bucket glob, got {quoted(scope)}',
            )
        ]
    return []


def _duration(value: object) -> int:
    """Whole seconds (or "5m") from 0 to ten years. Never a boolean (False == 0 in
    Python) nor a float: -0.0 and 0.5 are no durations a rule can wait."""
    if isinstance(value, bool | float):
        raise ValueError(
            f'expected a duration such as "5m" or whole seconds from 0 to '
            f"{span_text(MAX_DURATION)}, got {quoted(value)}"
        )
    if value == 0 or (isinstance(value, str) and value.strip() in ("0", "0s")):
        return 0
    return parse_duration(value)


def _choice(options: tuple[str, ...]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {quoted(value)}")
        return value.strip().lower()

    return parse


def _channels(value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(c, str) for c in items):
        raise ValueError(f"expected a list of channel names, got {quoted(value)}")
    if len(items) > NAMES_MAX:
        raise ValueError(f"expected at most {NAMES_MAX} names, got {len(items):,}")
    bad = [c for c in items if not _CHANNEL_RE.fullmatch(c)]
    if bad:
        raise ValueError(f"channel names are 1 to 40 of a-z, 0-9, _ and -, got {quoted(bad[0])}")
    return tuple(dict.fromkeys(items))


def _pairs(label_keys: bool) -> Callable[[object], tuple[tuple[str, str], ...]]:
    def parse(value: object) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, Mapping):
            raise ValueError(f"expected a table of names to text, got {quoted(value)}")
        if len(value) > PAIRS_MAX:
            raise ValueError(f"expected at most {PAIRS_MAX} entries, got {len(value):,}")
        out = []
        for k, v in value.items():
            if not isinstance(k, str) or (label_keys and not _LABEL_RE.fullmatch(k)) or not k:
                raise ValueError(
                    f"{quoted(k)} is not a valid name (letters, digits and _, not "
                    "starting with a digit)"
                )
            if len(k) > ANNOTATION_KEY_MAX:
                raise ValueError(
                    f"a name is at most {ANNOTATION_KEY_MAX} characters, got {quoted(k)}"
                )
            if not isinstance(v, str):
                raise ValueError(f"{quoted(k)}: expected text, got {quoted(v)}")
            if label_keys and len(v) > LABEL_VALUE_MAX:
                raise ValueError(
                    f"{quoted(k)}: expected text of at most {LABEL_VALUE_MAX:,} "
                    f"characters, got {len(v):,}"
                )
            size = len(v.encode("utf-8", "surrogatepass"))
            if not label_keys and size > ANNOTATION_MAX:
                raise ValueError(
                    f"{quoted(k)}: expected text of at most 4 KiB "
                    f"({ANNOTATION_MAX:,} bytes of UTF-8), got {size:,} bytes"
                )
            out.append((k, v))
        return tuple(sorted(out))

    return parse


def _optional(parse: Callable[[object], T]) -> Callable[[object], T | None]:
    """`parse`, or None for "" (a form's empty field: use the default)."""
    return lambda value: None if value == "" else parse(value)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"expected a whole number above 0, got {quoted(value)}")
    if value > MAX_PER_HOUR:
        raise ValueError(
            f"expected a whole number above 0 and at most {MAX_PER_HOUR:,} "
            f"(one a second), got {quoted(value)}"
        )
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {quoted(value)}")
    return value


_NO_METRIC = Metric("", "", "last", "", "")  # an unknown metric's unit: none

# The default rules, installed on the first run.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("High monthly cost", "monthly_cost_usd", ">", 100.0, severity="high"),
    Rule("Daily cost spike", "daily_cost_increase_pct", ">", 50.0, severity="medium"),
    Rule("High error rate", "error_rate_pct", ">", 5.0, severity="high"),
    Rule("Slow responses", "avg_response_ms", ">", 2000.0, severity="medium"),
    Rule("Quota nearly used", "quota_usage_pct", ">", 80.0, severity="medium"),
    # The inventory counts new objects above its large-object size (1 GB by default).
    Rule("Large upload", "new_large_objects", ">", 0.0, scope="*", severity="low"),
    Rule("Failed access", "failed_access", ">", 10.0, severity="high"),
    # Installed by migration 8: 40 % of a bucket deleted in an hour is more than a
    # smaller total. "?*": every bucket (a name of one character or more).
    Rule(
        "Objects dropped",
        "total_files",
        "falls_by",
        20.0,
        scope="?*",
        severity="high",
        window=3600,
    ),
)
