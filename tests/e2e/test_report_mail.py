"""Reports by e-mail, end to end: the daily and monthly report jobs queue the
report in the outbox for each [reports] channel; the outbox delivers it to
aiosmtpd on loopback as multipart/alternative (the Markdown as text/plain,
the HTML as text/html) that parses without defects; a failed delivery stays
queued, is retried, and still goes out from a new Store object on the same
file (a restart)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

import tests.support.report_data as d
from r2tui.alerts.channels import DeliveryError, deliver
from r2tui.alerts.notice import Notice
from r2tui.alerts.outbox import deliver_due
from r2tui.config.alert_model import AlertSettings, ChannelConfig
from r2tui.config.model import Config, ReportSettings
from r2tui.jobs import JobContext, run_job
from r2tui.reports import stored
from r2tui.reports.render import to_html, to_markdown
from r2tui.store import Store, open_store
from r2tui.store.models import Notification
from tests.support.configs import account_for, make_config
from tests.support.peers import closed_port
from tests.support.receivers import SMTPPeer


@pytest.fixture
def rs(tmp_path: Path) -> Iterator[Store]:
    yield from d.store_copy(tmp_path)


def mail_channel(port: int, name: str = "ops-mail") -> ChannelConfig:
    return ChannelConfig(
        name=name,
        type="email",
        host="127.0.0.1",
        port=port,
        security="none",
        sender="Zoë Ops <r2tui@example.org>",
        to=("oncall@example.org",),
        timeout=5.0,
    )


def config_for(*channels: ChannelConfig) -> Config:
    return make_config(
        (account_for("http://127.0.0.1:9", name=d.ACCOUNT),),
        alerts=AlertSettings(channels={c.name: c for c in channels}),
        reports=ReportSettings(tuple(c.name for c in channels if c.type == "email")),
    )


def run(store: Store, config: Config, job: str = "daily_report", at: float = d.REPORT_NOW) -> str:
    result = run_job(job, JobContext(config=config, store=store, clock=lambda: float(at)))
    assert result.ok, result.error
    return result.summary or ""


def parsed(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def no_defects(msg: EmailMessage) -> None:
    for part in msg.walk():
        assert part.defects == []
        for name, value in part.items():
            assert getattr(value, "defects", ()) == (), name


def text_of(part: EmailMessage) -> str:
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("job", "kind", "start", "subject"),
    [
        ("daily_report", "daily", d.NOV28, "r2tui daily report: test, 2026-11-28"),
        ("monthly_report", "monthly", d.OCT1, "r2tui monthly report: test, 2026-10"),
    ],
)
def test_a_report_arrives_as_html_and_text(
    rs: Store, job: str, kind: str, start: int, subject: str
) -> None:
    with SMTPPeer() as peer:
        config = config_for(mail_channel(peer.port))
        summary = run(rs, config, job)
        assert summary.endswith("and the store; queued for e-mail to ops-mail")
        [row] = Notification.select()
        assert (row.kind, row.channel, row.state, row.rule) == (
            "report",
            "ops-mail",
            "pending",
            None,
        )
        assert peer.messages == []  # queued, not sent: the outbox sends it
        report = deliver_due(rs, config.alerts, deliver, now=d.REPORT_NOW)
        assert (report.sent, report.errors) == (1, [])
    [got] = peer.messages
    msg = parsed(got.raw)
    no_defects(msg)
    assert msg["Subject"] == subject
    assert msg["From"].addresses[0].display_name == "Zoë Ops"
    assert parsedate_to_datetime(msg["Date"]).timestamp() == d.REPORT_NOW
    assert msg["Message-ID"].endswith("@example.org>")
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    kept = stored.find(rs, d.ACCOUNT, kind, start)
    assert kept is not None
    assert text_of(plain) == to_markdown(kept)
    assert text_of(html) == to_html(kept)
    assert Notification.get_by_id(row.id).state == "sent"


def test_a_failed_delivery_is_retried_and_survives_a_restart(rs: Store, tmp_path: Path) -> None:
    port = closed_port()  # nobody listens yet
    config = config_for(mail_channel(port))
    run(rs, config)
    down = deliver_due(rs, config.alerts, deliver, now=d.REPORT_NOW)
    assert (down.sent, down.retried, down.dead) == (0, 1, 0)
    [row] = Notification.select()
    assert row.state == "pending" and row.attempts == 1
    assert "could not connect to 127.0.0.1" in (row.last_error or "")
    assert row.next_attempt_at > d.REPORT_NOW  # backoff
    rs.close()

    again = open_store(f"sqlite:///{tmp_path / 'reports.db'}")  # a new process, in effect
    try:
        with SMTPPeer(port=port) as peer:
            early = deliver_due(again, config.alerts, deliver, now=row.next_attempt_at - 1)
            assert early.sent == 0 and peer.messages == []
            up = deliver_due(again, config.alerts, deliver, now=row.next_attempt_at)
            assert up.sent == 1
        [got] = peer.messages
        no_defects(parsed(got.raw))
        assert parsed(got.raw)["Subject"] == "r2tui daily report: test, 2026-11-28"
        assert Notification.get_by_id(row.id).state == "sent"
    finally:
        again.close()


def test_a_dead_report_never_holds_back_the_next(rs: Store) -> None:
    """Alerts of one group keep their order; a report has none to keep."""
    with SMTPPeer() as peer:
        config = config_for(mail_channel(peer.port))
        run(rs, config)
        peer.handler.refuse_data = "554 5.7.1 rejected by policy"
        first = deliver_due(rs, config.alerts, deliver, now=d.REPORT_NOW)
        assert first.dead == 1 and "554 5.7.1 rejected by policy" in first.errors[0]
        peer.handler.refuse_data = None
        run(rs, config, at=d.REPORT_NOW + 60)  # the same day's report, made again
        second = deliver_due(rs, config.alerts, deliver, now=d.REPORT_NOW + 60)
        assert second.sent == 1
    assert [r.state for r in Notification.select().order_by(Notification.id)] == ["dead", "sent"]
    assert len(peer.messages) == 1


def test_every_configured_channel_gets_its_own_copy(rs: Store) -> None:
    with SMTPPeer() as peer:
        config = config_for(mail_channel(peer.port), mail_channel(peer.port, "archive"))
        assert run(rs, config).endswith("queued for e-mail to ops-mail, archive")
        assert deliver_due(rs, config.alerts, deliver, now=d.REPORT_NOW).sent == 2
    ids = {m.message["Message-ID"] for m in peer.messages}
    assert len(peer.messages) == 2 and len(ids) == 2


def test_a_period_is_mailed_once_however_often_its_report_is_made(rs: Store) -> None:
    """The report jobs run at every start and beside other processes on the
    store: the same period's report is queued once per channel."""
    config = config_for(mail_channel(closed_port()))
    run(rs, config)
    run(rs, config, at=d.REPORT_NOW + 3600)  # a restart an hour later: same period
    later = config_for(mail_channel(closed_port()), mail_channel(closed_port(), "archive"))
    run(rs, later, at=d.REPORT_NOW + 7200)  # a channel added: it gets the report once
    rows = [(n.channel, n.group_key) for n in Notification.select().order_by(Notification.id)]
    assert [c for c, _ in rows] == ["ops-mail", "archive"]
    assert len({k for _, k in rows}) == 1


def test_a_report_on_a_channel_that_became_a_webhook_is_refused_for_good() -> None:
    hook = ChannelConfig(name="ops-mail", type="webhook")
    report = Notice(
        channel="ops-mail",
        kind="report",
        status="none",
        group_key="r",
        title="r2tui daily report: test, 2026-11-28",
        text="t",
        html="<p>t</p>",
    )
    with pytest.raises(DeliveryError) as caught:
        deliver(hook, report)
    assert not caught.value.retryable and "by e-mail only" in str(caught.value)
