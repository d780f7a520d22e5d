"""`r2tui history METRIC [--range 24h] [--bucket NAME] [--json]`: any catalog
metric over a range, at the resolution the range needs."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from r2tui.cli.args import account_name
from r2tui.cli.exits import EXIT_OK, EXIT_USAGE
from r2tui.cli.text import value_text
from r2tui.literal import quoted, visible
from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.output import say, say_json

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store


def add_parser(sub: Subcommands, common: Parser) -> None:
    history = sub.add_parser(
        "history",
        parents=[common],
        help="print a metric's history from the store",
        epilog=f"metrics: {', '.join(sorted(CATALOG))}",
    )
    history.add_argument("metric", metavar="METRIC", help="a catalog metric, e.g. total_bytes")
    history.add_argument(
        "--range",
        default="24h",
        metavar="RANGE",
        dest="range_",
        help="1h, 24h, 7d, 30d, 90d or 1y (default 24h)",
    )
    history.add_argument(
        "--bucket",
        metavar="NAME",
        help="one bucket (default: the account); BUCKET/PREFIX/ for prefix_bytes, prefix_objects",
    )
    history.add_argument("--json", action="store_true", help="as one JSON document")


def check(args: argparse.Namespace) -> int | None:
    """The metric and range, checked before the config and the store: a typo
    costs nothing. None when they are fine, else the exit code."""
    # Start-up: the store's history module loads only for this command.
    from r2tui.store.history import check as check_series

    try:
        check_series(args.metric, args.range_)
    except ValueError as exc:
        say(f"r2tui: history: {exc}", err=True)
        return EXIT_USAGE
    if CATALOG[args.metric].per_prefix and "/" not in (args.bucket or ""):
        given = "" if args.bucket is None else f", not {quoted(args.bucket)}"
        say(
            f"r2tui: history: {args.metric} is per prefix: it needs --bucket BUCKET/PREFIX/"
            f" (such as --bucket photos/2026/){given}",
            err=True,
        )
        return EXIT_USAGE
    return None


def each_point(metric: str, resolution: str, tz: str) -> str:
    """What a point of a `today` metric holds: the day's figure so far, as its
    card says it (store.history.series); "" for any other metric."""
    if CATALOG[metric].calc != "today":
        return ""
    if resolution == "day":
        return "the UTC day's total"
    return f"the day so far, from midnight {tz}"


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound)."""
    # Start-up: the store's reads load only when this command runs, not for `r2tui --help`.
    from r2tui.status import iso
    from r2tui.store.history import series

    s = series(
        store,
        account_name(args, config),
        args.metric,
        args.bucket or ACCOUNT,
        args.range_,
        retention=config.retention,
        tz=config.timezone,
    )
    per = each_point(s.metric, s.resolution, config.timezone)
    bucket = None if s.bucket == ACCOUNT else s.bucket
    if args.json:
        say_json(
            {
                "metric": s.metric,
                "unit": s.unit,
                "bucket": bucket,
                "range": s.range,
                "resolution": s.resolution,
                # What a point holds, for a `today` metric (else null).
                "each_point": per or None,
                "start": iso(s.start),
                "end": iso(s.end),
                "points": [{"ts": iso(ts), "value": v} for ts, v in s.points],
            }
        )
        return EXIT_OK
    say(
        f"{s.metric} ({s.unit})  {'account' if bucket is None else visible(bucket)}  "
        f"range {s.range}  "
        f"resolution {s.resolution}  {len(s.points)} points"
        + (f"  (each point: {per})" if per else "")
    )
    shape = "%Y-%m-%d %H:%M:%S" if s.resolution == "raw" else "%Y-%m-%d %H:%M"
    for ts, v in s.points:
        when = datetime.fromtimestamp(ts).astimezone().strftime(shape)
        say(f"{when}  {value_text(v, s.unit):>14}")
    if not s.points:
        say("no data in this range")
    return EXIT_OK
