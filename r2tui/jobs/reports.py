"""The daily_report and monthly_report jobs: the last day or month that is
over, built from the store, kept in the store (JSON) and written to the
reports folder in every format.

The store copy is saved first: a disk that refuses the files (full, read-only,
a file where the folder should be) fails the run with the path in the error,
and the report stays in the store for the TUI and a later `r2tui report`."""

from __future__ import annotations

from r2tui import paths
from r2tui.config import AccountConfig
from r2tui.jobs.base import JobContext, Outcome
from r2tui.reports.build import build, default_period
from r2tui.reports.files import write_all
from r2tui.reports.render import FORMATS
from r2tui.reports.stored import save


def daily_report(ctx: JobContext, account: AccountConfig) -> Outcome:
    return _report(ctx, account, "daily")


def monthly_report(ctx: JobContext, account: AccountConfig) -> Outcome:
    return _report(ctx, account, "monthly")


def _report(ctx: JobContext, account: AccountConfig, kind: str) -> Outcome:
    now = ctx.clock()
    report = build(account.name, kind, default_period(kind, now), now, ctx.config.pricing)
    save(ctx.store, report)
    folder = paths.reports_dir(ctx.config.demo)
    what = f"{kind} report for {report.period_label}"
    try:
        write_all(report, folder)
    except OSError as exc:
        where = exc.filename or folder
        return Outcome(items=1, summary=f"{what} kept in the store only", errors=[
            f"cannot write the {what} to {where}: {exc.strerror or exc}; "
            "it is kept in the store (the report screen, R in the app, shows it)"])
    return Outcome(items=1, summary=f"{what} written to {folder} "
                                    f"({', '.join(FORMATS)}) and the store")
