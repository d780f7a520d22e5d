"""Mail that arrives: every message an aiosmtpd server on loopback captures
parses with `email.policy.default` without defects and carries Date and a
Message-ID in the sender's domain (the same at every attempt of one outbox
row); non-ASCII display names, domains and local parts are encoded as a
server takes them; each SMTP refusal says what failed and whether a retry can
help, and never the password."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest

from r2tui.alerts.channels import DeliveryError, deliver
from r2tui.alerts.notice import FIRING, AlertNotice, Notice
from r2tui.alerts.outbox import deliver_due, enqueue
from r2tui.alerts.render import email_message
from r2tui.config.alert_model import AlertSettings, ChannelConfig
from r2tui.config.model import Secret
from r2tui.mail import Mailbox, local_host, parse_mailbox
from r2tui.store import Store
from r2tui.store.models import Notification
from tests.support.peers import SilentServer
from tests.support.receivers import SMTPPeer

T0 = 1_714_564_800  # 2024-05-01T12:00:00Z
PASSWORD = "hunter2-SECRETPW"


def alert_notice(channel: str = "ops", created_at: int = T0, group_key: str = "g") -> Notice:
    a = AlertNotice(
        fingerprint="fp1",
        rule="High error rate",
        account="main",
        bucket="media",
        metric="error_rate_pct",
        severity="high",
        status=FIRING,
        value=7.5,
        threshold=5.0,
        comparison=">",
        unit="%",
        starts_at=T0,
        labels={"alertname": "High error rate"},
    )
    return Notice(
        channel=channel,
        kind="alert",
        status=FIRING,
        group_key=group_key,
        title="High error rate",
        alerts=(a,),
        created_at=created_at,
    )


def channel(
    port: int,
    sender: str = "Zoë Ops <ops@example.org>",
    to: tuple[str, ...] = ("oncall@example.org",),
    user: str | None = None,
    password: str = PASSWORD,
    timeout: float = 5.0,
) -> ChannelConfig:
    return ChannelConfig(
        name="ops",
        type="email",
        host="127.0.0.1",
        port=port,
        security="none",
        username=user,
        password=Secret(password, "env SMTP_PASSWORD") if user else None,
        sender=sender,
        to=to,
        timeout=timeout,
    )


def parsed(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def defects(msg: EmailMessage) -> list[tuple[str, object]]:
    """Every defect the parser found: the message's, each part's, each header's."""
    found: list[tuple[str, object]] = []
    for part in msg.walk():
        found += [("part", d) for d in part.defects]
        for name, value in part.items():
            found += [(name, d) for d in getattr(value, "defects", ())]
    return found


@pytest.fixture
def peer() -> Iterator[SMTPPeer]:
    with SMTPPeer() as p:
        yield p


# --- what arrives ---------------------------------------------------------


def test_a_message_parses_without_defects_and_has_date_and_message_id(peer: SMTPPeer) -> None:
    deliver(
        channel(peer.port, to=("oncall@example.org", "Team Ünïcode <team@bücher.de>")),
        alert_notice(),
    )
    [got] = peer.messages
    msg = parsed(got.raw)
    assert defects(msg) == []
    assert parsedate_to_datetime(msg["Date"]) == datetime.fromtimestamp(T0, UTC)
    assert msg["Date"].endswith("+0000")
    mid = msg["Message-ID"]
    assert mid.startswith("<") and mid.endswith("@example.org>")
    # The display name survives, RFC 2047-encoded on the wire (no SMTPUTF8 here).
    [sender] = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Zoë Ops", "ops@example.org")
    assert got.raw.isascii() and b"=?utf-8?" in got.raw
    # A Unicode domain goes as IDNA, in the envelope and in the header alike.
    assert got.mail_from == "ops@example.org"
    assert got.rcpt_tos == ["oncall@example.org", "team@xn--bcher-kva.de"]
    assert [a.addr_spec for a in msg["To"].addresses] == [
        "oncall@example.org",
        "team@xn--bcher-kva.de",
    ]
    assert msg["To"].addresses[1].display_name == "Team Ünïcode"
    assert "SMTPUTF8" not in got.mail_options


def test_a_direct_send_gets_a_fresh_message_id_and_the_time_now() -> None:
    """A test notice goes straight to the channel (no outbox row): each send is
    its own message."""
    n = Notice(channel="ops", kind="test", status=FIRING, group_key="t", title="t")
    first = email_message(n, "ops@example.org", ["b@example.org"], now=T0 + 5)
    second = email_message(n, "ops@example.org", ["b@example.org"], now=T0 + 5)
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].endswith("@example.org>")
    assert parsedate_to_datetime(first["Date"]).timestamp() == T0 + 5


def test_a_sender_without_a_domain_takes_the_host_name() -> None:
    msg = email_message(alert_notice(), Mailbox("", "r2tui", ""), ["b@example.org"])
    host = msg["Message-ID"].rsplit("@", 1)[1].rstrip(">")
    assert host == local_host() and host
    # The Message-ID and the Date are sound; only the address lacks its domain.
    assert [name for name, _ in defects(parsed(msg.as_bytes()))] == ["From"]


def test_smtputf8_when_the_server_offers_it() -> None:
    with SMTPPeer(smtputf8=True) as p:
        deliver(channel(p.port, to=("jörg@example.org",)), alert_notice())
    [got] = p.messages
    # aiosmtpd hands addresses over as surrogate-escaped text.
    rcpts = [r.encode("utf-8", "surrogateescape").decode("utf-8") for r in got.rcpt_tos]
    assert "SMTPUTF8" in got.mail_options and rcpts == ["jörg@example.org"]
    # An SMTPUTF8 message is UTF-8 throughout (RFC 6532); the bytes parser reads
    # headers as ASCII, so it is read as the UTF-8 text it is.
    msg = email.message_from_string(got.raw.decode("utf-8"), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert [a.addr_spec for a in msg["To"].addresses] == ["jörg@example.org"]
    # Python's parser knows RFC 5322, not RFC 6532: a UTF-8 local part is the
    # one thing it flags, and only on the header that carries it.
    found = defects(msg)
    assert [name for name, _ in found] == ["To"]
    assert all(type(d).__name__ == "NonASCIILocalPartDefect" for _, d in found)
    assert msg["From"].addresses[0].display_name == "Zoë Ops"


def test_no_smtputf8_is_a_clear_permanent_refusal(peer: SMTPPeer) -> None:
    with pytest.raises(DeliveryError) as caught:
        deliver(channel(peer.port, to=("oncall@example.org", "jörg@example.org")), alert_notice())
    text = str(caught.value)
    assert not caught.value.retryable
    assert "jörg@example.org" in text and "lacks SMTPUTF8" in text
    assert "AUTH" not in text and "login" not in text
    assert peer.messages == [] and peer.handler.data_seen == []


# --- the same Message-ID at every attempt of one row ----------------------


def test_a_retry_of_one_row_sends_the_same_message(st: Store, peer: SMTPPeer) -> None:
    settings = AlertSettings(channels={"ops": channel(peer.port)})
    with st.write():
        rid, _ = enqueue(st, [alert_notice(group_key="g1"), alert_notice(group_key="g2")], now=T0)
    peer.handler.refuse_data = "451 4.3.0 try again later"

    def send(ch: ChannelConfig, n: Notice) -> None:
        deliver(ch, n)

    first = deliver_due(st, settings, send, now=T0 + 1)
    assert (first.sent, first.retried) == (0, 2)
    assert "451 4.3.0 try again later" in Notification.get_by_id(rid).last_error
    peer.handler.refuse_data = None
    later = deliver_due(st, settings, send, now=T0 + 10_000)
    assert later.sent == 2
    ids = [parsed(raw)["Message-ID"] for raw in peer.handler.data_seen]
    dates = {parsed(raw)["Date"] for raw in peer.handler.data_seen}
    assert len(ids) == 4
    assert ids[0] == ids[2] and ids[1] == ids[3]  # each row keeps its own
    assert ids[0] != ids[1]  # two rows are two messages, whatever they say
    assert all(i.endswith("@example.org>") for i in ids)
    assert len(dates) == 1  # the Date is when the notice was made, not the attempt
    assert [defects(parsed(r)) for r in peer.handler.data_seen] == [[]] * 4


# --- refusals -------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "reply", "retryable", "says"),
    [
        ("mail", "550 5.7.1 sender not allowed", False, "sender ops@example.org refused"),
        ("mail", "530 5.7.0 Authentication required", False, "requires login"),
        ("mail", "421 4.3.2 shutting down", True, "is not available now"),
        ("rcpt", "550 5.1.1 no such user", False, "oncall@example.org (550 5.1.1 no such user)"),
        ("rcpt", "553 5.1.3 bad address", False, "refused the address"),
        ("rcpt", "451 4.3.0 try later", True, "oncall@example.org (451"),
        ("data", "552 5.3.4 message too big", False, "size"),
        ("data", "554 5.7.1 looks like spam", False, "spam or policy"),
        ("data", "451 4.3.0 local error", True, "local error"),
    ],
)
def test_each_refusal_says_what_and_whether_to_retry(
    peer: SMTPPeer, step: str, reply: str, retryable: bool, says: str
) -> None:
    setattr(peer.handler, f"refuse_{step}", reply)
    with pytest.raises(DeliveryError) as caught:
        deliver(channel(peer.port), alert_notice())
    text = str(caught.value)
    assert caught.value.retryable is retryable, text
    assert says in text and reply in text and text.startswith("channel ops: ")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert peer.messages == []


def test_a_refused_address_is_shown_by_the_text_rule(peer: SMTPPeer) -> None:
    peer.handler.refuse_rcpt = "550 5.1.1 no such user"
    with pytest.raises(DeliveryError) as caught:
        deliver(channel(peer.port, to=("a\u202eb@example.org",)), alert_notice())
    assert "a\\u202eb@example.org" in str(caught.value)
    assert "\u202e" not in str(caught.value)


def test_one_recipient_refused_the_others_get_it(
    peer: SMTPPeer, caplog: pytest.LogCaptureFixture
) -> None:
    """A retry would send the others a second copy: it counts as sent, and the
    refusal is logged."""
    peer.handler.refuse_only = {"gone@example.org": "550 5.1.1 no such user"}
    deliver(channel(peer.port, to=("gone@example.org", "oncall@example.org")), alert_notice())
    [got] = peer.messages
    assert got.rcpt_tos == ["oncall@example.org"]
    assert (
        "sent, but some recipients refused: gone@example.org (550 5.1.1 no such user)"
        in caplog.text
    )


def test_wrong_credentials_say_so_and_never_the_password() -> None:
    with (
        SMTPPeer(user="alerts", password="the-right-one") as p,
        pytest.raises(DeliveryError) as caught,
    ):
        deliver(channel(p.port, user="alerts"), alert_notice())
    text = str(caught.value)
    assert not caught.value.retryable
    assert "login as alerts refused" in text and "check username and password" in text
    assert "535" in text and PASSWORD not in text and PASSWORD not in repr(caught.value)


def test_a_password_smtp_cannot_send_is_refused_without_quoting_it() -> None:
    secret = "pässwörd-SECRET"
    with SMTPPeer(user="alerts", password="x") as p, pytest.raises(DeliveryError) as caught:
        deliver(channel(p.port, user="alerts", password=secret), alert_notice())
    assert not caught.value.retryable and "only ASCII" in str(caught.value)
    assert "SECRET" not in str(caught.value) and "ä" not in str(caught.value)


def test_no_answer_is_retryable() -> None:
    with SilentServer() as silent, pytest.raises(DeliveryError) as caught:
        deliver(channel(silent.port, timeout=0.3), alert_notice())
    assert caught.value.retryable and "did not answer within 0.3s" in str(caught.value)


def test_a_connection_closed_mid_way_is_retryable() -> None:
    """A server that greets, then hangs up: what an overloaded relay does."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def greet_and_close() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"220 hello\r\n")
                conn.recv(1024)  # the EHLO, unanswered

        t = threading.Thread(target=greet_and_close, daemon=True)
        t.start()
        with pytest.raises(DeliveryError) as caught:
            deliver(channel(listener.getsockname()[1]), alert_notice())
        t.join(5)
    assert caught.value.retryable and "closed the connection" in str(caught.value)


# --- addresses ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "box"),
    [
        ("ops@example.org", Mailbox("", "ops", "example.org")),
        ("Zoë Ops <ops@example.org>", Mailbox("Zoë Ops", "ops", "example.org")),
        ('"Ops, Team" <ops@example.org>', Mailbox("Ops, Team", "ops", "example.org")),
        ("jörg@bücher.de", Mailbox("", "jörg", "bücher.de")),
        ("<a.b+tag@example.org>", Mailbox("", "a.b+tag", "example.org")),
        ("ops@[192.0.2.1]", Mailbox("", "ops", "[192.0.2.1]")),
    ],
)
def test_addresses_accepted(text: str, box: Mailbox) -> None:
    assert parse_mailbox(text) == box


def test_an_address_as_the_server_sees_it() -> None:
    box = parse_mailbox("Zoë <Jörg@Bücher.de>")
    assert box.envelope == "Jörg@xn--bcher-kva.de" and box.needs_smtputf8
    assert not parse_mailbox("ops@bücher.de").needs_smtputf8


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "expected an e-mail address"),
        ("ops", "local@domain"),
        ("ops@", "local@domain"),
        ("a..b@example.org", "local part"),
        ("ops@exa mple.org", "not a domain"),
        ("ops@-bad.org", "not a domain"),
        ("ops@" + "ü" * 70 + ".de", "no IDNA form"),
        ("Bad\r\nBcc: x@y.org <ops@example.org>", "control"),
        ("a@b.org, c@d.org", "local part"),
    ],
)
def test_addresses_refused_say_why(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_mailbox(text)
