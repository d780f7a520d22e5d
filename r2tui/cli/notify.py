"""`r2tui notify flush|list|test|retry`: the notification outbox for scripts
and cron (flush also runs the automated responses queued with their
firings). Channels, subjects and server errors go into their lines through
`visible`; JSON through `say_json` (exact values)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING

from r2tui.cli.args import ACTION
from r2tui.cli.exits import EXIT_FAILED, EXIT_OK, fail
from r2tui.cli.text import local, table
from r2tui.literal import visible
from r2tui.output import say, say_json

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store

CHANGES = frozenset({"flush", "retry", "test"})  # refused with --read-only


def add_parser(sub: Subcommands, common: Parser) -> None:
    notify = sub.add_parser("notify", parents=[common], help="the notification outbox")
    nsub = notify.add_subparsers(dest=ACTION, metavar="ACTION", required=True)
    flush = nsub.add_parser(
        "flush",
        parents=[common],
        help="deliver every pending notification now, ignoring backoff; run queued responses",
    )
    flush.add_argument("--json", action="store_true")
    listing = nsub.add_parser("list", parents=[common], help="pending and dead notifications")
    listing.add_argument("--json", action="store_true")
    test = nsub.add_parser(
        "test", parents=[common], help="send a test notification to channels (default: every one)"
    )
    test.add_argument("channels", metavar="CHANNEL", nargs="*")
    test.add_argument("--json", action="store_true")
    retry = nsub.add_parser(
        "retry", parents=[common], help="give dead notifications a fresh set of attempts"
    )
    retry.add_argument("ids", metavar="ID", type=int, nargs="+")


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound)."""
    action = getattr(args, ACTION)
    if action == "flush":
        return _flush(args, config, store)
    if action == "list":
        return _list(args, store)
    if action == "test":
        return _test(args, config, store)
    return _retry(args, store)


def _flush(args: argparse.Namespace, config: Config, store: Store) -> int:
    # Start-up: the outbox, the channels' senders (httpx, smtplib) and the
    # responses load only when something is sent.
    from r2tui.alerts import outbox, response_runs
    from r2tui.alerts.channels import deliver

    # The automated responses queued with their firings first (every account's:
    # flush delivers what any evaluation queued), each run once.
    ran = response_runs.run_due(store, config.alerts.responses)
    report = outbox.flush(store, config.alerts, deliver)
    errors = ran.errors + report.errors
    if args.json:
        say_json(
            {
                **asdict(report),
                "errors": errors,
                "responses": {"ran": ran.ran, "failed": ran.failed, "unknown": ran.unknown},
            }
        )
    else:
        say(f"{report.sent} sent, {report.retried} to retry, {report.dead} dead")
        if ran.any:
            say(f"responses: {ran.ran} ran, {ran.failed} failed, {ran.unknown} unknown")
        for error in errors:
            say(f"  {visible(error)}")
    return EXIT_FAILED if errors or ran.failed or ran.unknown else EXIT_OK


def _test(args: argparse.Namespace, config: Config, store: Store) -> int:
    """A test notification straight to each channel (not through the outbox: the
    point is to see now whether the channel works)."""
    # Start-up: the channels' senders (httpx, smtplib) load only when something is sent.
    from r2tui.alerts.trial import send_tests

    names = args.channels or sorted(config.alerts.channels)
    if not names:
        say("no channels configured: add a [channels.NAME] table", err=True)
        return EXIT_FAILED
    results = send_tests("r2tui test notification", config, names, store.now())
    if args.json:
        say_json(results)
    else:
        for r in results:
            say(
                f"{visible(r['channel']):<16} {'ok' if r['ok'] else 'FAILED':<7} "
                f"{visible(r['describe'] or '')}"
                f"{'' if r['ok'] else '  ' + visible(r['error'])}"
            )
    return EXIT_OK if all(r["ok"] for r in results) else EXIT_FAILED


def _list(args: argparse.Namespace, store: Store) -> int:
    # Start-up: the outbox and the status document load only when this command
    # runs, not for `r2tui --help`.
    from r2tui.alerts import outbox
    from r2tui.status import iso

    rows = outbox.pending_view(store)
    if args.json:
        say_json(
            {
                "counts": outbox.counts(store),
                "notifications": [
                    {
                        **asdict(r),
                        "created_at": iso(r.created_at),
                        "next_attempt_at": iso(r.next_attempt_at),
                    }
                    for r in rows
                ],
            }
        )
        return EXIT_OK
    if not rows:
        say("outbox: nothing pending or dead")
        return EXIT_OK
    lines = [("ID", "STATE", "CHANNEL", "TRIES", "CREATED", "NEXT", "SUBJECT")]
    for r in rows:
        lines.append(
            (
                str(r.id),
                r.state,
                visible(r.channel),
                str(r.attempts),
                local(r.created_at),
                local(r.next_attempt_at) if r.state == "pending" else "-",
                visible(r.subject),
            )
        )
    say(table(lines))
    for r in rows:
        if r.last_error:
            say(f"  {r.id}: {visible(r.last_error)}")
    return EXIT_OK


def _retry(args: argparse.Namespace, store: Store) -> int:
    # Start-up: the outbox loads only when this command runs, not for `r2tui --help`.
    from r2tui.alerts import outbox

    wanted = list(dict.fromkeys(args.ids))
    with store.write():
        n = outbox.retry(store, wanted)
    say(f"{n} of {len(wanted)} notifications queued again")
    if n < len(wanted):
        return fail(
            "notify retry",
            "only dead notifications are retried (`r2tui notify list` shows them)",
            EXIT_FAILED if n == 0 else EXIT_OK,
        )
    return EXIT_OK
