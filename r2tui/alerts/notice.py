"""What a notification says, before any channel dresses it: the engine writes a
`Notice` into the outbox (as JSON), the outbox hands it to a channel, and the
channel renders it as an e-mail, an Alertmanager webhook or a Slack message.
Values from data (bucket names, labels) stay raw here; each channel escapes
them for its own format. The outbox's JSON holds them exactly, with control and
bidirectional characters as JSON escapes (`json_text`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from r2tui.alerts.rules import CHANGE_WORDS, CHANGES, COMPARISONS, Rule
from r2tui.config.values import span_text
from r2tui.literal import json_text
from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.units import human_bytes

FIRING, RESOLVED = "firing", "resolved"
NO_ALERT = "none"  # the status of a notice about no alert: a report
REPORT = "report"
KINDS = ("alert", "test", "summary", "response", REPORT)
# Fields left out of a notice's JSON while they hold their default, so that a
# row of an alert reads the same to an r2tui from before they existed.
_OMITTED_WHEN_EMPTY = ("account", "text", "html")
_CHANGE_FIELDS = ("window", "change_in", "current", "previous")  # only a change rule's


def alert_labels(
    rule: Rule, account: str, bucket: str, severity: str | None = None
) -> dict[str, str]:
    """The labels silences, windows and receivers match on. The rule's own labels
    come first so that they cannot overwrite the ones r2tui sets."""
    return {
        **dict(rule.labels),
        "alertname": rule.name,
        "rule": rule.name,
        "account": account,
        "bucket": bucket,
        "metric": rule.metric,
        "severity": severity or rule.severity,
    }


def number(v: float) -> str:
    """`10,000`, `7.5`, `1,234.57`, `0.004`: thousands grouped, no needless digits."""
    if v == int(v) and abs(v) < 1e15:
        return f"{v:,.0f}"
    if abs(v) >= 0.01:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def amount(v: float, unit: str, bare: bool = False) -> str:
    """A value in its unit: `1.5 GB`, `5,900 objects`, `7.5 %`; `bare`: no unit
    (the first of a pair, "from 10,000 to 5,900 objects")."""
    if unit == "bytes":
        return human_bytes(v)
    if unit == "bool" or bare:
        return number(v)
    return f"{number(v)} {unit}"


def _back(comparison: str, value: float, threshold: float) -> str:
    """How a value that no longer passes the threshold stands to it."""
    if comparison == "==":
        return "no longer at"
    if comparison == "!=":
        return "back at"
    if value == threshold:
        return "back at"
    return "back under" if value < threshold else "back above"


def fingerprint(rule_name: str, account: str, bucket: str) -> str:
    """Stable across restarts and edits of the rule's threshold: one alert per
    rule, account and bucket."""
    key = json.dumps([rule_name.casefold(), account, bucket])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class AlertNotice:
    """One alert in a notification."""

    fingerprint: str
    rule: str
    account: str
    bucket: str  # "*": the account as a whole
    metric: str
    severity: str
    status: str  # firing or resolved
    value: float | None
    threshold: float
    comparison: str
    unit: str
    starts_at: int
    ends_at: int | None = None  # when it resolved
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    # A change rule (comparison in CHANGES): `value` is the change over `window`
    # seconds, in `unit` (% or the metric's); `current` and `previous` the metric
    # now and `window` ago, in the metric's unit.
    window: int = 0
    change_in: str = ""
    current: float | None = None
    previous: float | None = None

    @property
    def where(self) -> str:
        return "the account" if self.bucket == ACCOUNT else f"bucket {self.bucket}"

    @property
    def is_change(self) -> bool:
        return self.comparison in CHANGES

    def holds(self) -> bool | None:
        """Whether the value is past the threshold (None: no value)."""
        if self.value is None:
            return None
        test = CHANGES.get(self.comparison) or COMPARISONS.get(self.comparison)
        return None if test is None else test(self.value, self.threshold)

    def summary(self) -> str:
        """`error_rate_pct 7.5 % > 5 % (bucket media)`; once the value is back,
        `failed_access 63 requests, back under 70 requests (the account)`; a
        change rule: `total_files fell by 41 % in 1 hour (from 10,000 to 5,900
        objects) (bucket media)`. Raw text, unescaped."""
        if self.is_change:
            return f"{self._change()} ({self.where})"
        limit = amount(self.threshold, self.unit)
        if self.value is None:
            return f"{self.metric}: no data (threshold {self.comparison} {limit}) ({self.where})"
        value = amount(self.value, self.unit)
        if self.holds() is not False:
            return f"{self.metric} {value} {self.comparison} {limit} ({self.where})"
        back = _back(self.comparison, self.value, self.threshold)
        return f"{self.metric} {value}, {back} {limit} ({self.where})"

    def threshold_text(self) -> str:
        """`> 70 requests`; `falls by more than 20 % in 1 hour`."""
        limit = amount(self.threshold, self.unit)
        if self.is_change:
            return f"{CHANGE_WORDS[self.comparison]} more than {limit} in {span_text(self.window)}"
        return f"{self.comparison} {limit}"

    def _change(self) -> str:
        window = span_text(self.window) if self.window else "its window"
        if self.value is None:
            return (
                f"{self.metric}: no change known in {window} "
                f"(no value now or {window} ago, or a change in percent from 0)"
            )
        size = amount(abs(self.value), self.unit)
        moved = (
            f"fell by {size}"
            if self.value < 0
            else f"rose by {size}"
            if self.value > 0
            else "did not change"
        )
        text = f"{self.metric} {moved} in {window}"
        if self.current is not None and self.previous is not None:
            unit = CATALOG[self.metric].unit if self.metric in CATALOG else ""
            text += (
                f" (from {amount(self.previous, unit, bare=True)} to {amount(self.current, unit)})"
            )
        if self.holds() is False:
            kind = {"falls_by": "fall", "rises_by": "rise"}.get(self.comparison, "change")
            text += f", no {kind} of more than {amount(self.threshold, self.unit)}"
        return text


@dataclass(frozen=True)
class Notice:
    """What one channel is sent at once: a group of alerts, a test, or a summary
    of notifications a rate limit held back."""

    channel: str
    kind: str  # one of KINDS
    status: str  # firing when any alert in it fires, else resolved
    group_key: str
    title: str  # the rule's name, or what the group has in common
    alerts: tuple[AlertNotice, ...] = ()
    held: int = 0  # summary: how many notifications the rate limit held back
    escalated: bool = False
    created_at: int = 0
    account: str = ""  # a report's account (an alert's is in its alerts)
    # A report: its plain-text (Markdown) and HTML renderings, made when it was
    # queued, so the mail says what the report said then, whatever changes later.
    text: str = ""
    html: str = ""
    # The left part of the e-mail's Message-ID. Not stored: the outbox sets it
    # from the row at each attempt (`outbox.message_token`), the same every time.
    message_id: str = ""

    @property
    def firing(self) -> list[AlertNotice]:
        return [a for a in self.alerts if a.status == FIRING]

    @property
    def resolved(self) -> list[AlertNotice]:
        return [a for a in self.alerts if a.status == RESOLVED]

    def subject(self) -> str:
        """`[FIRING:2] High error rate (bucket=media)`: state and count first."""
        if self.kind == REPORT:
            return self.title
        if self.kind == "test":
            return f"[TEST] r2tui test notification to {self.channel}"
        if self.kind == "summary":
            return f"[HELD:{self.held}] {self.title}: notifications held back by the rate limit"
        state = FIRING if self.firing else RESOLVED
        count = len(self.firing) if self.firing else len(self.resolved)
        buckets = sorted({a.bucket for a in self.alerts})
        scope = f" (bucket={buckets[0]})" if len(buckets) == 1 and buckets[0] != ACCOUNT else ""
        return f"[{state.upper()}:{count}] {self.title}{scope}"

    def to_json(self) -> str:
        data = asdict(self)
        for name in _OMITTED_WHEN_EMPTY:
            if not data[name]:
                del data[name]
        del data["message_id"]  # derived from the row at each attempt, never stored
        for a in data["alerts"]:
            if a["comparison"] not in CHANGES:
                for name in _CHANGE_FIELDS:
                    del a[name]
        return json_text(data, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> Notice:
        data: dict[str, Any] = json.loads(text)
        data["alerts"] = tuple(AlertNotice(**a) for a in data.get("alerts", ()))
        return Notice(**data)
