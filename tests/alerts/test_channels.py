"""Channels against real peers on loopback: aiosmtpd for e-mail (plain, login,
STARTTLS, implicit TLS with a CA made here), an HTTP receiver for webhooks and
Slack. Rendering is checked on its own too, with hostile names throughout."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from r2tui.alerts.channels import DeliveryError, deliver, trial_notice
from r2tui.alerts.notice import FIRING, RESOLVED, AlertNotice, Notice
from r2tui.alerts.render import (
    SLACK_GREEN,
    SLACK_GREY,
    SLACK_RED,
    ZERO_TIME,
    alertmanager_payload,
    email_message,
    slack_payload,
)
from r2tui.config.alert_model import ChannelConfig
from r2tui.config.model import Secret
from r2tui.literal import visible
from tests.support.peers import HtmlText, SilentServer, closed_port
from tests.support.receivers import Receiver, SMTPPeer, TLSFiles, make_tls

HOSTILE = "<script>alert(1)</script>"
PASSWORD = "hunter2-SECRETPW"
TOKEN_PATH = "/hook/SECRET123"
T0 = 1_714_564_800  # 2024-05-01T12:00:00Z


def alert(
    rule: str = "High error rate",
    bucket: str = "media",
    status: str = FIRING,
    value: float | None = 7.5,
    n: int = 0,
    **extra: Any,
) -> AlertNotice:
    labels = {
        "alertname": rule,
        "rule": rule,
        "account": "main",
        "bucket": bucket,
        "metric": "error_rate_pct",
        "severity": "high",
        **extra.pop("labels", {}),
    }
    return AlertNotice(
        fingerprint=f"fp{n:04d}",
        rule=rule,
        account="main",
        bucket=bucket,
        metric="error_rate_pct",
        severity="high",
        status=status,
        value=value,
        threshold=5.0,
        comparison=">",
        unit="%",
        starts_at=T0 + n,
        ends_at=T0 + 600 if status == RESOLVED else None,
        labels=labels,
        **extra,
    )


def notice(
    *alerts: AlertNotice, title: str = "High error rate", channel: str = "ops", kind: str = "alert"
) -> Notice:
    status = FIRING if any(a.status == FIRING for a in alerts) else RESOLVED
    return Notice(
        channel=channel,
        kind=kind,
        status=status,
        group_key='{}:{rule="x"}',
        title=title,
        alerts=alerts,
        created_at=T0 + 900,
    )


def email_channel(
    port: int,
    security: str = "none",
    user: str | None = None,
    password: str = PASSWORD,
    timeout: float = 5.0,
) -> ChannelConfig:
    return ChannelConfig(
        name="ops",
        type="email",
        host="127.0.0.1",
        port=port,
        security=security,
        username=user,
        password=Secret(password, "env SMTP_PASSWORD") if user else None,
        sender="r2tui@example.org",
        to=("oncall@example.org",),
        timeout=timeout,
    )


def http_channel(
    url: str,
    type_: str = "webhook",
    name: str = "ops-hook",
    headers: tuple[tuple[str, str], ...] = (),
    timeout: float = 5.0,
) -> ChannelConfig:
    return ChannelConfig(
        name=name, type=type_, url=Secret(url, "env HOOK_URL"), headers=headers, timeout=timeout
    )


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TLSFiles:
    """A CA the client trusts through SSL_CERT_FILE, which
    ssl.create_default_context() reads each time it is called."""
    files = make_tls(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(files.ca))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return files


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


# --- e-mail ---------------------------------------------------------------


def _parts(msg: Any) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    return parts[0].get_content(), parts[1].get_content()


def test_email_over_plain_smtp_escapes_html_and_keeps_plain_raw() -> None:
    n = notice(
        alert(bucket=HOSTILE, n=1),
        alert(bucket=HOSTILE, n=2),
        alert(bucket="logs", status=RESOLVED, n=3, annotations={"runbook": "see <b>wiki</b> & co"}),
    )
    with SMTPPeer() as peer:
        deliver(email_channel(peer.port), n, external_url="https://r2tui.example/")
    [got] = peer.messages
    assert got.login is None
    assert got.rcpt_tos == ["oncall@example.org"]
    assert got.message["Subject"] == "[FIRING:2] High error rate"
    plain, body = _parts(got.message)
    assert HOSTILE in plain and "<script>" not in body and "<b>wiki" not in body
    assert html.escape(HOSTILE) in body and "see &lt;b&gt;wiki&lt;/b&gt; &amp; co" in body
    assert "Firing (2)" in plain and "Resolved (1)" in plain
    assert "2024-05-01T12:00:01Z" in plain and "2024-05-01T12:10:00Z" in body
    assert '<a href="https://r2tui.example/">' in body


def test_email_subject_names_the_single_bucket() -> None:
    msg = email_message(notice(alert(n=1), alert(n=2)), "a@x.org", ["b@x.org"])
    assert msg["Subject"] == "[FIRING:2] High error rate (bucket=media)"


def test_email_subject_cannot_inject_headers() -> None:
    n = notice(alert(), title="Bad\r\nBcc: victim@evil.example\n\nbody")
    with SMTPPeer() as peer:
        deliver(email_channel(peer.port), n)
    [got] = peer.messages
    assert got.message["Bcc"] is None
    # On one line, the breaks shown by the one rule for text from outside.
    assert got.message["Subject"] == (
        "[FIRING:1] Bad\\r\\nBcc: victim@evil.example\\n\\nbody (bucket=media)"
    )
    assert got.rcpt_tos == ["oncall@example.org"]


def test_email_for_a_test_and_a_summary_notice() -> None:
    plain, body = _parts(email_message(trial_notice("ops", T0), "a@x.org", ["b@x.org"]))
    assert "test notification from r2tui to channel ops" in plain
    assert "<table" not in body
    summary = Notice(
        channel="ops",
        kind="summary",
        status=FIRING,
        group_key="g",
        title="Disk <full>",
        alerts=(alert(),),
        held=7,
        created_at=T0,
    )
    msg = email_message(summary, "a@x.org", ["b@x.org"])
    assert msg["Subject"] == "[HELD:7] Disk <full>: notifications held back by the rate limit"
    plain, body = _parts(msg)
    assert "7 notifications for Disk <full> were held back" in plain
    assert "Disk &lt;full&gt;" in body and "Firing (1)" in body


def test_email_login_accepted() -> None:
    with SMTPPeer(user="alerts", password=PASSWORD) as peer:
        deliver(email_channel(peer.port, user="alerts"), notice(alert()))
    assert peer.logins == [("alerts", True)]
    assert [m.login for m in peer.messages] == ["alerts"]


def test_email_login_refused_is_permanent_and_hides_the_password() -> None:
    with (
        SMTPPeer(user="alerts", password="the-right-one") as peer,
        pytest.raises(DeliveryError) as caught,
    ):
        deliver(email_channel(peer.port, user="alerts"), notice(alert()))
    assert not caught.value.retryable
    assert "channel ops: SMTP login as alerts refused" in str(caught.value)
    assert "check username and password" in str(caught.value)
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    # smtplib tries each mechanism the server offers (PLAIN, then LOGIN).
    assert peer.messages == [] and peer.logins and not any(ok for _, ok in peer.logins)


def test_email_starttls_with_login(tls: TLSFiles) -> None:
    with SMTPPeer(user="alerts", password=PASSWORD, tls=tls) as peer:
        deliver(email_channel(peer.port, security="starttls", user="alerts"), notice(alert()))
    assert [m.login for m in peer.messages] == ["alerts"]


def test_email_implicit_tls(tls: TLSFiles) -> None:
    with SMTPPeer(tls=tls, implicit=True) as peer:
        deliver(email_channel(peer.port, security="tls"), notice(alert()))
    assert len(peer.messages) == 1


def test_email_untrusted_certificate_is_permanent(
    tls: TLSFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = make_tls(tmp_path / "other", name="someone else")
    monkeypatch.setenv("SSL_CERT_FILE", str(other.ca))
    with SMTPPeer(tls=tls) as peer, pytest.raises(DeliveryError) as caught:
        deliver(email_channel(peer.port, security="starttls"), notice(alert()))
    assert not caught.value.retryable and "not trusted" in str(caught.value)
    assert peer.messages == []


def test_email_starttls_unsupported_is_permanent() -> None:
    with SMTPPeer() as peer, pytest.raises(DeliveryError) as caught:
        deliver(email_channel(peer.port, security="starttls"), notice(alert()))
    assert not caught.value.retryable and "does not support STARTTLS" in str(caught.value)


@pytest.mark.parametrize(
    ("reply", "retryable"), [("550 5.1.1 no such user", False), ("451 4.3.0 try later", True)]
)
def test_email_recipient_refused(reply: str, retryable: bool) -> None:
    with SMTPPeer(refuse_rcpt=reply) as peer, pytest.raises(DeliveryError) as caught:
        deliver(email_channel(peer.port), notice(alert()))
    assert caught.value.retryable is retryable
    assert "oncall@example.org" in str(caught.value)


def test_email_connection_refused_is_retryable() -> None:
    with pytest.raises(DeliveryError) as caught:
        deliver(email_channel(closed_port(), user="alerts"), notice(alert()))
    assert caught.value.retryable and "could not connect to 127.0.0.1" in str(caught.value)
    assert PASSWORD not in str(caught.value)


# --- Alertmanager webhook -------------------------------------------------


def test_webhook_payload(receiver: Receiver) -> None:
    n = notice(
        alert(n=1, annotations={"runbook": "https://wiki/x"}),
        alert(bucket="logs", status=RESOLVED, value=3, n=2),
    )
    channel = http_channel(receiver.url(TOKEN_PATH), headers=(("Authorization", "Bearer t"),))
    deliver(channel, n, external_url="https://r2tui.example/")
    [req] = receiver.requests
    assert req.path == TOKEN_PATH and req.headers["authorization"] == "Bearer t"
    assert req.headers["content-type"] == "application/json"
    body = req.json()
    assert body["version"] == "4" and body["truncatedAlerts"] == 0
    assert body["status"] == "firing" and body["receiver"] == "ops-hook"
    assert body["groupKey"] == n.group_key and body["externalURL"] == "https://r2tui.example/"
    assert body["groupLabels"] == {"alertname": "High error rate"}
    assert body["commonLabels"]["metric"] == "error_rate_pct"
    assert "bucket" not in body["commonLabels"]
    assert body["commonAnnotations"] == {"threshold": "5"}
    firing, resolved = body["alerts"]
    assert firing["status"] == "firing" and firing["fingerprint"] == "fp0001"
    assert firing["labels"] == n.alerts[0].labels
    assert firing["annotations"] == {
        "runbook": "https://wiki/x",
        "value": "7.5",
        "threshold": "5",
        "summary": "error_rate_pct 7.5 % > 5 % (bucket media)",
    }
    assert firing["startsAt"] == "2024-05-01T12:00:01Z" and firing["endsAt"] == ZERO_TIME
    assert firing["generatorURL"] == "https://r2tui.example/"
    assert resolved["status"] == "resolved" and resolved["endsAt"] == "2024-05-01T12:10:00Z"


def test_webhook_payload_all_resolved_and_a_test() -> None:
    body = alertmanager_payload(notice(alert(status=RESOLVED)), "r")
    assert body["status"] == "resolved" and body["alerts"][0]["generatorURL"] == ""
    body = alertmanager_payload(trial_notice("ops", T0), "ops")
    [only] = body["alerts"]
    assert only["labels"] == {"alertname": "r2tui test"}
    assert body["groupLabels"] == {"alertname": "r2tui test"}
    assert only["startsAt"] == "2024-05-01T12:00:00Z" and only["endsAt"] == ZERO_TIME
    assert "channel ops" in only["annotations"]["summary"]
    assert re.fullmatch(r"[0-9a-f]{16}", only["fingerprint"])


def test_webhook_different_rules_have_no_group_alertname() -> None:
    body = alertmanager_payload(notice(alert("A"), alert("B", n=1)), "r")
    assert body["groupLabels"] == {} and "alertname" not in body["commonLabels"]


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (500, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (401, False),
        (404, False),
        (302, False),
    ],
)
def test_webhook_http_errors(receiver: Receiver, status: int, retryable: bool) -> None:
    receiver.status = status
    # A reply that echoes the request must not carry the token into the error.
    receiver.reply = f"no route for POST {TOKEN_PATH}"
    receiver.headers = {"Location": "http://elsewhere.example/", "Retry-After": "7"}
    with pytest.raises(DeliveryError) as caught:
        deliver(http_channel(receiver.url(TOKEN_PATH)), notice(alert()))
    text = str(caught.value)
    assert caught.value.retryable is retryable
    assert text.startswith(f"channel ops-hook: HTTP {status}")
    assert "SECRET123" not in text and str(receiver.port) not in text
    assert len(receiver.requests) == 1  # a redirect is not followed
    if status == 429:
        assert caught.value.retry_after == 7.0


def test_webhook_connection_refused_is_retryable() -> None:
    url = f"http://127.0.0.1:{closed_port()}{TOKEN_PATH}"
    with pytest.raises(DeliveryError) as caught:
        deliver(http_channel(url, name="ops-slack", type_="slack"), notice(alert()))
    assert caught.value.retryable
    assert str(caught.value) == "channel ops-slack: could not connect to the webhook"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_webhook_timeout_is_retryable() -> None:
    with SilentServer() as silent, pytest.raises(DeliveryError) as caught:
        deliver(http_channel(silent.endpoint + TOKEN_PATH, timeout=0.3), notice(alert()))
    assert caught.value.retryable and "within 0.3s" in str(caught.value)
    assert "SECRET123" not in str(caught.value)


def test_webhook_bad_url_is_permanent() -> None:
    with pytest.raises(DeliveryError) as caught:
        deliver(http_channel("ftp://example.org/hook/SECRET123"), notice(alert()))
    assert not caught.value.retryable and "SECRET123" not in str(caught.value)


# --- Slack ----------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _blocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for a in payload["attachments"] for b in a["blocks"]]


_ENTITY_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")


def assert_slack_safe(payload: dict[str, Any]) -> None:
    for text in _strings(payload):
        assert "<" not in text and ">" not in text, text
        assert not _ENTITY_AMP.search(text), text


def test_slack_delivery_and_colors(receiver: Receiver) -> None:
    n = notice(alert(n=1), alert(status=RESOLVED, bucket="logs", n=2))
    deliver(http_channel(receiver.url(TOKEN_PATH), type_="slack"), n)
    body = receiver.requests[0].json()
    assert body["text"] == "[FIRING:1] High error rate"
    assert [a["color"] for a in body["attachments"]] == [SLACK_RED, SLACK_GREEN]
    firing, resolved = (a["blocks"] for a in body["attachments"])
    assert firing[0] == {"type": "header", "text": {"type": "plain_text", "text": "Firing (1)"}}
    assert "bucket media" in firing[1]["text"]["text"]
    assert "*Resolved:* 2024-05-01T12:10:00Z" in resolved[1]["text"]["text"]
    assert slack_payload(notice(alert(status=RESOLVED)))["attachments"][0]["color"] == SLACK_GREEN
    test = slack_payload(trial_notice("ops", T0))
    assert [a["color"] for a in test["attachments"]] == [SLACK_GREY]
    assert test["text"] == "[TEST] r2tui test notification to ops"


def test_slack_escapes_data_everywhere() -> None:
    hostile = "<!channel> & <http://evil.example|click>"
    n = notice(
        alert(
            rule=hostile,
            bucket=HOSTILE,
            labels={"team": "<@U123>"},
            annotations={"note": "a > b & c"},
        ),
        title=hostile,
    )
    payload = slack_payload(n)
    assert_slack_safe(payload)
    assert payload["text"].startswith("[FIRING:1] &lt;!channel&gt; &amp; &lt;http")
    section = _blocks(payload)[1]["text"]["text"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "team=&lt;@U123&gt;" in section and "a &gt; b &amp; c" in section


def test_slack_error_reply_is_shown(receiver: Receiver) -> None:
    receiver.status, receiver.reply = 404, "no_service"
    with pytest.raises(DeliveryError) as caught:
        deliver(
            http_channel(receiver.url(TOKEN_PATH), type_="slack", name="ops-slack"), notice(alert())
        )
    assert str(caught.value) == "channel ops-slack: HTTP 404 from the webhook: no_service"
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("firing", "resolved"), [(200, 0), (0, 200), (200, 200), (45, 30), (49, 0), (48, 1)]
)
def test_slack_stays_within_block_limits(firing: int, resolved: int) -> None:
    alerts = [alert(n=i) for i in range(firing)]
    alerts += [alert(status=RESOLVED, n=firing + i) for i in range(resolved)]
    payload = slack_payload(notice(*alerts))
    blocks = _blocks(payload)
    assert len(blocks) <= 50
    shown = more = 0
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
            continue
        text = block["text"]["text"]
        assert len(text) <= 3000
        if m := re.fullmatch(r"… and (\d+) more", text):
            more += int(m.group(1))
        else:
            shown += 1
    assert shown + more == firing + resolved
    assert (more > 0) is (len(alerts) + bool(firing) + bool(resolved) > 50)
    if firing and resolved:
        # Resolved alerts keep some room however many fire.
        assert len(payload["attachments"][1]["blocks"]) >= min(resolved + 1, 3)


def test_slack_long_values_are_cut_without_breaking_entities() -> None:
    n = notice(alert(annotations={f"note{i}": "&<>" * 400 for i in range(20)}), title="&" * 500)
    payload = slack_payload(n)
    assert_slack_safe(payload)
    for block in _blocks(payload):
        limit = 150 if block["type"] == "header" else 3000
        assert len(block["text"]["text"]) <= limit


def test_slack_summary_and_escalation_have_an_intro() -> None:
    summary = Notice(
        channel="ops",
        kind="summary",
        status=FIRING,
        group_key="g",
        title="Disk <full>",
        held=3,
        created_at=T0,
    )
    payload = slack_payload(summary)
    assert (
        payload["text"] == "[HELD:3] Disk &lt;full&gt;: notifications held back by the rate limit"
    )
    assert "3 notifications for Disk &lt;full&gt;" in _blocks(payload)[1]["text"]["text"]
    esc = Notice(
        channel="ops",
        kind="alert",
        status=FIRING,
        group_key="g",
        title="X",
        alerts=(alert(),),
        escalated=True,
    )
    assert "escalated" in _blocks(slack_payload(esc))[1]["text"]["text"]


# --- property: data never leaks markup ------------------------------------

_OUR_TAGS = {
    "html",
    "head",
    "meta",
    "body",
    "p",
    "h2",
    "table",
    "tr",
    "th",
    "td",
    "ul",
    "li",
    "code",
    "a",
}
# Markup-shaped data: starts a tag, an entity or a comment somewhere.
_data = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).map(lambda s: "<" + s + "&amp;>")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=_data, bucket=_data, label=_data, note=_data)
def test_rendered_data_never_becomes_markup(rule: str, bucket: str, label: str, note: str) -> None:
    n = notice(
        alert(rule=rule, bucket=bucket, labels={"team": label}, annotations={"note": note}),
        title=rule,
    )
    assert_slack_safe(slack_payload(n))
    body = email_message(n, "a@x.org", ["b@x.org"]).get_body(("html",))
    assert body is not None
    parser = HtmlText()
    parser.feed(body.get_content())
    assert parser.tags <= _OUR_TAGS
    text = "".join(parser.text)
    for value in (rule, bucket, label, note):
        assert visible(value) in text  # shown by the one rule: a soft hyphen as \xad
    json.dumps(alertmanager_payload(n, "r"))  # always serialisable
