"""`r2tui silences list|add|expire`: silences for scripts and cron. Matchers,
comments and names go into their lines through `visible`; JSON through
`say_json` (exact values)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from r2tui.cli.args import ACTION
from r2tui.cli.exits import EXIT_FAILED, EXIT_OK, fail
from r2tui.cli.text import local, table
from r2tui.config.values import parse_duration
from r2tui.literal import visible
from r2tui.matchers import parse_matcher
from r2tui.output import say, say_json

if TYPE_CHECKING:
    from r2tui.alerts.silences import SilenceRow
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store

CHANGES = frozenset({"add", "expire"})  # refused with --read-only


def add_parser(sub: Subcommands, common: Parser) -> None:
    parser = sub.add_parser("silences", parents=[common], help="list, add and expire silences")
    ssub = parser.add_subparsers(dest=ACTION, metavar="ACTION", required=True)
    listing = ssub.add_parser("list", parents=[common], help="active and future silences")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--all", action="store_true", help="ended silences too")
    add = ssub.add_parser(
        "add",
        parents=[common],
        help="silence the alerts matching every MATCHER",
        epilog="matchers: label=value, label!=value, "
        "label=~regex, label!~regex; labels: rule, bucket, account, "
        "metric, severity and the rule's own",
    )
    add.add_argument("matchers", metavar="MATCHER", nargs="+")
    add.add_argument("--duration", required=True, help="how long, e.g. 2h")
    add.add_argument("--comment", required=True, help="why, for the next person")
    add.add_argument(
        "--expire-on-resolve",
        action="store_true",
        help="end it once the alerts it holds have resolved",
    )
    add.add_argument(
        "--start",
        metavar="ISO",
        help="when it starts (default: now), e.g. "
        "2026-11-11T22:00 (local time) or 2026-11-11T21:00Z",
    )
    expiring = ssub.add_parser("expire", parents=[common], help="end a silence now")
    expiring.add_argument("id", metavar="ID", type=int)


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound)."""
    del config  # silences are the store's alone
    return {"list": _list, "add": _add, "expire": _expire}[getattr(args, ACTION)](args, store)


def _doc(s: SilenceRow, now: float) -> dict[str, Any]:
    # Start-up: the status document's modules load only when this command
    # runs, not for `r2tui --help`.
    from r2tui.status import iso

    return {
        "id": s.id,
        "matchers": s.describe().split(", "),
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "comment": s.comment,
        "created_by": s.created_by,
        "created_at": iso(s.created_at),
        "expire_on_resolve": s.expire_on_resolve,
        "state": _state(s, now),
    }


def _state(s: SilenceRow, now: float) -> str:
    return "active" if s.active(now) else "pending" if s.starts_at > now else "expired"


def _list(args: argparse.Namespace, store: Store) -> int:
    # Start-up: the alerts' modules load only when this command runs, not for `r2tui --help`.
    from r2tui.alerts.silences import silences

    now = store.clock()
    rows = silences(store, now, include_ended=args.all)
    if args.json:
        say_json([_doc(s, now) for s in rows])
        return EXIT_OK
    if not rows:
        say("no silences" if args.all else "no active or future silences")
        return EXIT_OK
    lines = [("ID", "STATE", "MATCHERS", "STARTS", "ENDS", "BY", "COMMENT")]
    lines += [
        (
            str(s.id),
            _state(s, now) + (" (until resolved)" if s.expire_on_resolve else ""),
            visible(s.describe()),
            local(s.starts_at),
            local(s.ends_at),
            visible(s.created_by),
            visible(s.comment),
        )
        for s in rows
    ]
    say(table(lines))
    return EXIT_OK


def _add(args: argparse.Namespace, store: Store) -> int:
    # Start-up: the alerts' modules load only when this command runs, not for `r2tui --help`.
    from r2tui.alerts.silences import add_silence

    where = "silences add"
    try:
        matchers = [parse_matcher(m) for m in args.matchers]
    except ValueError as exc:
        return fail(where, f"matchers: {exc}")
    try:
        duration = parse_duration(args.duration)  # at most ten years, as a silence
    except ValueError as exc:
        return fail(
            where,
            f"--duration: {exc}; for a lasting quiet, disable the rule or add a maintenance window",
        )
    start = None
    if args.start:
        try:
            # A time without a zone is the user's local time, as everywhere in the UI.
            start = datetime.fromisoformat(args.start).astimezone().timestamp()
        except ValueError:
            return fail(
                where,
                f"--start: expected an ISO time such as 2026-11-11T22:00 or "
                f"2026-11-11T21:00Z, got {args.start!r}",
            )
    try:
        sid = add_silence(
            store,
            matchers,
            duration,
            args.comment,
            starts_at=start,
            expire_on_resolve=args.expire_on_resolve,
        )
    except ValueError as exc:  # already "field: what is wrong"
        return fail(where, str(exc))
    begins = start if start is not None else store.clock()
    say(
        f"silence {sid}: {visible(', '.join(a + o + v for a, o, v in matchers))} from "
        f"{local(begins)} until {local(int(begins) + duration)}"
    )
    return EXIT_OK


def _expire(args: argparse.Namespace, store: Store) -> int:
    # Start-up: the alerts' modules load only when this command runs, not for `r2tui --help`.
    from r2tui.alerts.silences import expire

    if not expire(store, args.id):
        return fail(
            "silences expire",
            f"no active or future silence {args.id} (`r2tui silences list --all` shows them all)",
            EXIT_FAILED,
        )
    say(f"expired silence {args.id}")
    return EXIT_OK
