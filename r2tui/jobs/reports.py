"""The daily_report and monthly_report jobs: the last day or month that is
over, built from the store, kept in the store (JSON), queued for e-mail to the
[reports] channels, and written to the reports folder in every format.

The store copy and the e-mail rows are saved first, in one transaction: a
disk that refuses the files (full, read-only, a file where the folder should
be) fails the run with the path in the error, and the report stays in the
store for the TUI and a later `r2tui report`, and still goes out by e-mail.

The e-mail goes through the alerts' outbox, the same durable queue, so it
survives a restart and is retried with backoff; whoever delivers the outbox
(the check_alerts job, `r2tui notify flush`) sends it. A report is not an
alert: no rate limit, grouping, silence or maintenance window applies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from r2tui import paths
from r2tui.alerts.notice import NO_ALERT, REPORT, Notice
from r2tui.alerts.outbox import enqueue
from r2tui.config import AccountConfig
from r2tui.jobs.base import JobContext, Outcome
from r2tui.reports.build import build, default_period
from r2tui.reports.files import write_all
from r2tui.reports.model import Report
from r2tui.reports.render import FORMATS, to_html, to_markdown
from r2tui.reports.stored import save
from r2tui.store.models import Notification


def daily_report(ctx: JobContext, account: AccountConfig) -> Outcome:
    return _report(ctx, account, "daily")


def monthly_report(ctx: JobContext, account: AccountConfig) -> Outcome:
    return _report(ctx, account, "monthly")


def report_notices(report: Report, channels: tuple[str, ...], now: int) -> list[Notice]:
    """One notice per channel, carrying the report's Markdown and HTML as they
    are now. The group key is the report's own: a report waits for no other
    notification and holds none back (see outbox._behind)."""
    if not channels:
        return []
    text, html = to_markdown(report), to_html(report)
    key = f"report:{report.kind}:{report.period_label}:{report.account}"
    return [
        Notice(
            channel=ch,
            kind=REPORT,
            status=NO_ALERT,
            group_key=key,
            title=report.title,
            created_at=now,
            account=report.account,
            text=text,
            html=html,
        )
        for ch in channels
    ]


def _not_queued(notices: list[Notice]) -> list[Notice]:
    """The notices whose report no row of the outbox holds yet for that channel:
    the jobs run again at every start and beside other processes on the store,
    and a period's report is mailed once. A row that died (refused for good) does
    not count: the next run queues the report again. Call inside the write that
    enqueues."""
    if not notices:
        return []
    # peewee's stubs type a `.tuples()` query's rows as models.
    rows = cast(
        "Iterable[tuple[str, str]]",
        Notification.select(Notification.channel, Notification.group_key)
        .where(
            Notification.kind == REPORT,
            Notification.state != "dead",
            Notification.group_key.in_(sorted({n.group_key for n in notices})),
        )
        .tuples(),
    )
    queued = set(rows)
    return [n for n in notices if (n.channel, n.group_key) not in queued]


def _report(ctx: JobContext, account: AccountConfig, kind: str) -> Outcome:
    now = ctx.clock()
    report = build(
        ctx.store, account.name, kind, default_period(kind, now), now, ctx.config.pricing
    )
    channels = ctx.config.reports.channels
    with ctx.store.write():
        save(ctx.store, report)
        enqueue(ctx.store, _not_queued(report_notices(report, channels, int(now))), now=int(now))
    mailed = f"; queued for e-mail to {', '.join(channels)}" if channels else ""
    folder = paths.reports_dir(ctx.config.demo)
    what = f"{kind} report for {report.period_label}"
    try:
        write_all(report, folder)
    except OSError as exc:
        where = exc.filename or folder
        return Outcome(
            items=1,
            summary=f"{what} kept in the store only{mailed}",
            errors=[
                f"cannot write the {what} to {where}: {exc.strerror or exc}; "
                "it is kept in the store (the report screen, R in the app, shows it)"
            ],
        )
    return Outcome(
        items=1, summary=f"{what} written to {folder} ({', '.join(FORMATS)}) and the store{mailed}"
    )
