"""`r2tui report daily|monthly`: a report built from the store now (not the
stored copy: it shows what the store knows at this moment), to stdout or a file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from r2tui.cli.args import account_name
from r2tui.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from r2tui.literal import visible
from r2tui.output import say, write
from r2tui.reports.files import write_atomic
from r2tui.reports.model import KINDS
from r2tui.reports.render import EXTENSIONS, FORMATS, render

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store


def add_parser(sub: Subcommands, common: Parser) -> None:
    p = sub.add_parser(
        "report",
        parents=[common],
        help="make a daily or monthly report from the store",
        description="Build a report from the store. Periods are UTC days and months; the "
        "scheduled jobs write the same reports to the reports folder "
        "(`r2tui locate`).",
    )
    p.add_argument("kind", choices=KINDS, help="daily or monthly")
    p.add_argument(
        "--date",
        metavar="D",
        help="the day (YYYY-MM-DD) or month (YYYY-MM); default: yesterday or last month",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        dest="report_format",
        help="md, json, csv or html (default: from --output's extension, else md)",
    )
    p.add_argument("--output", metavar="PATH", help="write the report here instead of stdout")


def _format(args: argparse.Namespace) -> str:
    if args.report_format:
        return str(args.report_format)
    if args.output:
        ext = Path(args.output).suffix.lstrip(".").lower()
        for fmt, known in EXTENSIONS.items():
            if ext == known:
                return fmt
    return "md"


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound): the report reads through them."""
    # Start-up: `r2tui --help` need not load the store's read side.
    from r2tui.reports.build import build, default_period, parse_period, period_bounds

    now = clock()
    try:
        start = parse_period(args.kind, args.date) if args.date else default_period(args.kind, now)
    except ValueError as exc:
        say(f"r2tui: report: {exc}", err=True)
        return EXIT_USAGE
    if period_bounds(args.kind, start)[0] > now:
        say(f"r2tui: report: --date {args.date} is in the future", err=True)
        return EXIT_USAGE
    report = build(store, account_name(args, config), args.kind, start, now, config.pricing)
    text = render(report, _format(args))
    if not args.output:
        write(text)  # already shown by the rule: the guard changes nothing in it
        return EXIT_OK
    path = Path(args.output).expanduser()
    try:
        write_atomic(path, text)
    except OSError as exc:
        say(f"r2tui: report: cannot write {visible(path)}: {exc.strerror or exc}", err=True)
        return EXIT_FAILED
    say(f"wrote {visible(path)}", err=True)
    return EXIT_OK


def clock() -> float:
    """Now; tests replace it to get reports with a fixed generation time."""
    return time.time()
