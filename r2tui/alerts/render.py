"""A `Notice` dressed for each channel: an e-mail, an Alertmanager (version 4)
webhook payload, a Slack message. Pure: no I/O, so every format is tested on its
own. Values from data (bucket names, rule names, labels, annotations) may be
hostile; each format escapes them its own way, here and nowhere else. Every
text format (the e-mail's subject, plain text and HTML, Slack) first shows
control, bidirectional and invisible characters by the one rule of
`r2tui.literal.visible`; the Alertmanager payload carries the exact values
(`channels` sends it as `json_text`, those characters as JSON escapes)."""

from __future__ import annotations

import hashlib
import html
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

from r2tui.alerts.notice import FIRING, REPORT, RESOLVED, AlertNotice, Notice
from r2tui.literal import clip, visible
from r2tui.mail import Mailbox, date_header, message_id, parse_mailbox

ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "not ended yet"
TEST_ALERTNAME = "r2tui test"

SLACK_RED, SLACK_GREEN, SLACK_GREY = "#d00000", "#2eb886", "#9e9e9e"
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_MAX = 3000
SLACK_HEADER_MAX = 150
SLACK_VALUE_MAX = 300  # one label or annotation: keeps a section readable


def iso_utc(ts: float) -> str:
    """RFC 3339 in UTC with a `Z`: what Alertmanager receivers parse."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def number(value: float | None) -> str:
    """Whole numbers without `.0` and without `:g`'s exponent, so a byte count
    reads 1234567890 and not 1.23457e+09."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _one_line(text: str) -> str:
    """A header's text: EmailMessage refuses CR/LF in a header, and a rule name
    must not be able to start a header of its own. `visible` shows CR, LF, tab
    and every other control as an escape, so the value stays whole and on one
    line."""
    return visible(text)


def _with_unit(alert: AlertNotice, value: float | None) -> str:
    if value is None:
        return "no data"
    return number(value) if alert.unit == "bool" else f"{number(value)} {alert.unit}"


def _synthetic(notice: Notice) -> AlertNotice:
    """The one alert a notice with none (a test, a held-back summary) stands for,
    so receivers that only look at `alerts` still see something."""
    name = TEST_ALERTNAME if notice.kind == "test" else notice.title
    labels = {"alertname": name}
    if notice.kind == "test":
        summary = f"Test notification from r2tui to channel {notice.channel}"
    elif notice.kind == "summary":
        summary = f"{notice.held} notifications for {notice.title} held back by the rate limit"
        labels["held"] = str(notice.held)
    else:
        summary = notice.title
    digest = hashlib.sha256(f"{notice.kind}:{notice.channel}:{name}".encode()).hexdigest()
    return AlertNotice(
        fingerprint=digest[:16],
        rule=name,
        account="",
        bucket="",
        metric="",
        severity="none",
        status=notice.status,
        value=None,
        threshold=0.0,
        comparison="",
        unit="",
        starts_at=notice.created_at,
        labels=labels,
        annotations={"summary": summary},
    )


# --- e-mail ---------------------------------------------------------------


def _plain_alert(a: AlertNotice) -> list[str]:
    v = visible
    lines = [
        f"- {v(a.rule)} ({v(a.where)}): {v(a.summary())}",
        f"  value: {_with_unit(a, a.value)}  threshold: {v(a.threshold_text())}  "
        f"severity: {v(a.severity)}",
        f"  since: {iso_utc(a.starts_at)}",
    ]
    if a.status == RESOLVED and a.ends_at is not None:
        lines.append(f"  resolved: {iso_utc(a.ends_at)}")
    if a.labels:
        lines.append(
            "  labels: " + ", ".join(f"{v(k)}={v(x)}" for k, x in sorted(a.labels.items()))
        )
    lines.extend(f"  {v(k)}: {v(x)}" for k, x in sorted(a.annotations.items()))
    return lines


def _intro(notice: Notice) -> str:
    if notice.kind == "test":
        return (
            f"This is a test notification from r2tui to channel {notice.channel}. "
            "If you can read it, the channel works."
        )
    if notice.kind == "summary":
        return (
            f"{notice.held} notifications for {notice.title} were held back by the "
            "rate limit (max per hour)."
            + (" The alerts are listed below." if notice.alerts else "")
        )
    if notice.escalated:
        return f"{notice.title}: escalated, still firing."
    return notice.title


def _plain(notice: Notice, external_url: str) -> str:
    lines = [visible(_intro(notice)), ""]
    for heading, alerts in (("Firing", notice.firing), ("Resolved", notice.resolved)):
        if alerts:
            lines.append(f"{heading} ({len(alerts)}):")
            for a in alerts:
                lines.extend(_plain_alert(a))
            lines.append("")
    if external_url:
        lines.append(f"r2tui: {visible(external_url)}")
    return "\n".join(lines).rstrip() + "\n"


def _e(text: object) -> str:
    return html.escape(visible(text), quote=True)


def _html_pairs(pairs: dict[str, str]) -> str:
    if not pairs:
        return ""
    items = "".join(f"<li><code>{_e(k)}</code>: {_e(v)}</li>" for k, v in sorted(pairs.items()))
    return f"<ul>{items}</ul>"


def _html_table(heading: str, alerts: list[AlertNotice], color: str) -> str:
    head = (
        "<tr><th>Rule</th><th>Where</th><th>Value</th><th>Threshold</th><th>Severity</th>"
        "<th>Since (UTC)</th><th>Labels</th><th>Annotations</th></tr>"
    )
    rows = []
    for a in alerts:
        since = iso_utc(a.starts_at)
        if a.status == RESOLVED and a.ends_at is not None:
            since += f" – {iso_utc(a.ends_at)}"
        rows.append(
            f"<tr><td>{_e(a.rule)}</td><td>{_e(a.where)}</td><td>{_e(_with_unit(a, a.value))}"
            f"</td><td>{_e(a.threshold_text())}</td>"
            f"<td>{_e(a.severity)}</td><td>{_e(since)}</td><td>{_html_pairs(a.labels)}</td>"
            f"<td>{_html_pairs(a.annotations)}</td></tr>"
        )
    return (
        f'<h2 style="color:{color}">{_e(heading)} ({len(alerts)})</h2>'
        f'<table border="1" cellpadding="4" cellspacing="0">{head}{"".join(rows)}</table>'
    )


def _html(notice: Notice, external_url: str) -> str:
    parts = [f"<p>{_e(_intro(notice))}</p>"]
    if notice.firing:
        parts.append(_html_table("Firing", notice.firing, SLACK_RED))
    if notice.resolved:
        parts.append(_html_table("Resolved", notice.resolved, SLACK_GREEN))
    if external_url:
        parts.append(f'<p><a href="{_e(external_url)}">Open r2tui</a></p>')
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        + "".join(parts)
        + "</body></html>\n"
    )


def _mailbox(address: Mailbox | str) -> Mailbox:
    return address if isinstance(address, Mailbox) else parse_mailbox(address)


def email_message(
    notice: Notice,
    sender: Mailbox | str,
    to: Sequence[Mailbox | str],
    external_url: str = "",
    now: float | None = None,
) -> EmailMessage:
    """multipart/alternative: plain text first, HTML last (the part mail
    readers prefer). A report carries its own renderings; an alert's are made
    here.

    `Date` is when the notice was made (`now` for one without a time): a retry
    sends the very message the first attempt did, as a relay's queue does, and
    the reader sees when it happened. Addresses go in as `Address` objects, so
    that `email.policy` encodes a non-ASCII display name (RFC 2047) and the
    domain is IDNA."""
    box = _mailbox(sender)
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = _one_line(notice.subject())
    msg["From"] = box.header()
    msg["To"] = [_mailbox(t).header() for t in to]
    when = notice.created_at or (time.time() if now is None else now)
    msg["Date"] = date_header(when)
    msg["Message-ID"] = message_id(notice.message_id, box)
    if notice.kind == REPORT:
        msg.set_content(notice.text)
        msg.add_alternative(notice.html, subtype="html")
        return msg
    msg.set_content(_plain(notice, external_url))
    msg.add_alternative(_html(notice, external_url), subtype="html")
    return msg


# --- Alertmanager webhook -------------------------------------------------


def _am_alert(a: AlertNotice, notice: Notice, external_url: str) -> dict[str, Any]:
    annotations = dict(a.annotations)
    if a.metric:  # a synthetic alert has no metric, value or threshold
        annotations.setdefault("summary", a.summary())
        annotations.setdefault("value", number(a.value))
        annotations.setdefault("threshold", number(a.threshold))
    if a.status == FIRING:
        ends = ZERO_TIME
    else:
        ends = iso_utc(a.ends_at if a.ends_at is not None else notice.created_at)
    return {
        "status": a.status,
        "labels": dict(a.labels),
        "annotations": annotations,
        "startsAt": iso_utc(a.starts_at),
        "endsAt": ends,
        "generatorURL": external_url,
        "fingerprint": a.fingerprint,
    }


def _common(maps: Iterable[dict[str, str]]) -> dict[str, str]:
    maps = list(maps)
    if not maps:
        return {}
    first, rest = maps[0], maps[1:]
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


def alertmanager_payload(notice: Notice, receiver: str, external_url: str = "") -> dict[str, Any]:
    """What Prometheus Alertmanager would POST (version 4), so receivers built
    for it take r2tui's alerts as they are."""
    alerts = notice.alerts or (_synthetic(notice),)
    items = [_am_alert(a, notice, external_url) for a in alerts]
    common_labels = _common(i["labels"] for i in items)
    return {
        "version": "4",
        "groupKey": notice.group_key,
        "truncatedAlerts": 0,
        "status": FIRING if any(i["status"] == FIRING for i in items) else RESOLVED,
        "receiver": receiver,
        "groupLabels": {k: v for k, v in common_labels.items() if k == "alertname"},
        "commonLabels": common_labels,
        "commonAnnotations": _common(i["annotations"] for i in items),
        "externalURL": external_url,
        "alerts": items,
    }


# --- Slack ----------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack reads `<...>` as links and mentions (`<!channel>`) and `&` as the
    start of an entity: data must never be able to do either."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit(text: str, limit: int) -> str:
    """Cut escaped text to `limit` characters without splitting an entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _slack_text(text: str) -> str:
    """A value from data for a Slack message: shown by the rule, cut to
    `SLACK_VALUE_MAX` cells, escaped."""
    return slack_escape(clip(text, SLACK_VALUE_MAX))


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": _fit(slack_escape(_one_line(text)), SLACK_HEADER_MAX),
        },
    }


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(mrkdwn, SLACK_SECTION_MAX)}}


def _slack_alert(a: AlertNotice) -> dict[str, Any]:
    s = _slack_text
    lines = [
        f"*{s(a.rule)}* ({s(a.where)})",
        f"{s(a.summary())}",
        f"*Value:* {s(_with_unit(a, a.value))}  *Threshold:* {s(a.threshold_text())}  "
        f"*Severity:* {s(a.severity)}",
        f"*Since:* {iso_utc(a.starts_at)}",
    ]
    if a.status == RESOLVED and a.ends_at is not None:
        lines[-1] += f"  *Resolved:* {iso_utc(a.ends_at)}"
    if a.labels:
        lines.append(
            "*Labels:* " + ", ".join(f"{s(k)}={s(v)}" for k, v in sorted(a.labels.items()))
        )
    lines.extend(f"*{s(k)}:* {s(v)}" for k, v in sorted(a.annotations.items()))
    return _section("\n".join(lines))


def _slack_group(heading: str, alerts: list[AlertNotice], budget: int) -> list[dict[str, Any]]:
    """A header and one section per alert, in at most `budget` blocks; what
    does not fit is counted in a last section."""
    blocks = [_header(f"{heading} ({len(alerts)})")]
    room = budget - 1
    shown = alerts if len(alerts) <= room else alerts[: room - 1]
    blocks.extend(_slack_alert(a) for a in shown)
    if len(shown) < len(alerts):
        blocks.append(_section(f"… and {len(alerts) - len(shown)} more"))
    return blocks


def _budgets(firing: int, resolved: int, total: int) -> tuple[int, int]:
    """Blocks for the firing and the resolved attachment within `total`.
    Firing alerts matter more, but resolved ones keep a few blocks."""
    need_f, need_r = firing + 1 if firing else 0, resolved + 1 if resolved else 0
    if need_f + need_r <= total:
        return need_f, need_r
    if not need_r:
        return total, 0
    if not need_f:
        return 0, total
    budget_r = min(need_r, max(10, total - need_f))
    return total - budget_r, budget_r


def slack_payload(notice: Notice) -> dict[str, Any]:
    """`text` is the line notifications and old clients show; the attachments
    (one per state, each with its colour) carry the Block Kit layout."""
    text = slack_escape(_one_line(notice.subject()))
    attachments: list[dict[str, Any]] = []
    if notice.kind != "alert" or notice.escalated:
        intro = [_header(notice.subject()), _section(slack_escape(visible(_intro(notice))))]
        color = SLACK_RED if notice.kind != "test" and notice.firing else SLACK_GREY
        attachments.append({"color": color, "fallback": text, "blocks": intro})
    used = sum(len(a["blocks"]) for a in attachments)
    budget_f, budget_r = _budgets(len(notice.firing), len(notice.resolved), SLACK_MAX_BLOCKS - used)
    for heading, alerts, color, budget in (
        ("Firing", notice.firing, SLACK_RED, budget_f),
        ("Resolved", notice.resolved, SLACK_GREEN, budget_r),
    ):
        if alerts:
            attachments.append(
                {"color": color, "fallback": text, "blocks": _slack_group(heading, alerts, budget)}
            )
    return {"text": text, "attachments": attachments}
