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

from r2tui.alerts.rules import Rule
from r2tui.literal import json_text
from r2tui.metrics import ACCOUNT
from r2tui.units import human_bytes

FIRING, RESOLVED = "firing", "resolved"
NO_ALERT = "none"  # the status of a notice about no alert: a report
REPORT = "report"
KINDS = ("alert", "test", "summary", "response", REPORT)
# Fields left out of a notice's JSON while they hold their default, so that a
# row of an alert reads the same to an r2tui from before they existed.
_OMITTED_WHEN_EMPTY = ("account", "text", "html")


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

    @property
    def where(self) -> str:
        return "the account" if self.bucket == ACCOUNT else f"bucket {self.bucket}"

    def summary(self) -> str:
        """`error_rate_pct 7.5 % > 5 % (bucket media)`: raw text, unescaped."""

        def show(v: float) -> str:
            if self.unit == "bytes":
                return human_bytes(v)
            return f"{v:g}" if self.unit == "bool" else f"{v:g} {self.unit}"

        value = "no data" if self.value is None else show(self.value)
        return f"{self.metric} {value} {self.comparison} {show(self.threshold)} ({self.where})"


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
        return json_text(data, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> Notice:
        data: dict[str, Any] = json.loads(text)
        data["alerts"] = tuple(AlertNotice(**a) for a in data.get("alerts", ()))
        return Notice(**data)
