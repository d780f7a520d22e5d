"""`r2tui alerts [--json] [--history] [--search TEXT]`: the alerts firing,
pending and recently resolved, or their history. Rule names, buckets and
messages go into their lines through `visible`; JSON through `say_json`
(exact values)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from r2tui.cli.args import account_name
from r2tui.cli.exits import EXIT_OK
from r2tui.cli.text import comparison_text, local, scope_text, table, value_text
from r2tui.literal import visible
from r2tui.output import say, say_json

if TYPE_CHECKING:
    from r2tui.alerts.views import AlertRow
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store

CHANGES: frozenset[str] = frozenset()  # it only reads


def add_parser(sub: Subcommands, common: Parser) -> None:
    alerts = sub.add_parser(
        "alerts", parents=[common], help="print alerts firing, pending and recently resolved"
    )
    alerts.add_argument("--json", action="store_true", help="as one JSON document")
    alerts.add_argument("--history", action="store_true", help="alert state changes instead")
    alerts.add_argument(
        "--search",
        metavar="TEXT",
        default="",
        help="only alerts whose rule, bucket or message contains TEXT",
    )


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound)."""
    return _history(args, config, store) if args.history else _alerts(args, config, store)


def _alerts(args: argparse.Namespace, config: Config, store: Store) -> int:
    # Start-up: the alerts' views load only when this command runs, not for `r2tui --help`.
    from r2tui.alerts.views import alerts_view
    from r2tui.status import alerts_doc

    account = account_name(args, config)
    view = alerts_view(store, account, windows=config.alerts.maintenance)
    if args.search:
        text = args.search.casefold()

        def keep(rows: list[AlertRow]) -> list[AlertRow]:
            return [r for r in rows if text in f"{r.rule}\n{r.bucket}\n{r.severity}".casefold()]

        view.firing[:], view.pending[:], view.recent[:] = (
            keep(view.firing),
            keep(view.pending),
            keep(view.recent),
        )
    if args.json:
        say_json({"account": account, **alerts_doc(view)})
        return EXIT_OK
    say(
        f"account {visible(account)}: {len(view.firing)} firing, {len(view.pending)} pending, "
        f"{len(view.recent)} resolved in the last 24 h ({view.rules} rules)"
    )
    for title, rows in (
        ("FIRING", view.firing),
        ("PENDING", view.pending),
        ("RESOLVED", view.recent),
    ):
        if rows:
            say(f"\n{title}")
            say(
                table(
                    [("SEVERITY", "RULE", "SCOPE", "VALUE", "THRESHOLD", "SINCE", "QUIET")]
                    + [
                        (
                            r.severity,
                            visible(r.rule),
                            scope_text(r.bucket),
                            value_text(r.value, r.unit),
                            comparison_text(r.comparison, r.threshold, r.unit, r.window),
                            local(r.since),
                            visible(r.silenced or ""),
                        )
                        for r in rows
                    ]
                )
            )
    trouble = {k: v for k, v in view.outbox.items() if k in ("pending", "dead") and v}
    if trouble:
        say(
            "\noutbox: "
            + ", ".join(f"{n} {k}" for k, n in sorted(trouble.items()))
            + (f"; last error: {visible(view.last_error)}" if view.last_error else "")
        )
    return EXIT_OK


def _history(args: argparse.Namespace, config: Config, store: Store) -> int:
    # Start-up: the engine and the status document load only when this command
    # runs, not for `r2tui --help`.
    from r2tui.alerts.engine import history
    from r2tui.status import iso

    rows = history(store, account_name(args, config), search=args.search)
    if args.json:
        say_json([{**r, "ts": iso(r["ts"])} for r in rows])
        return EXIT_OK
    if not rows:
        say("no alert history" + (f" matching {args.search!r}" if args.search else ""))
    for r in rows:
        say(f"{local(r['ts'])}  {visible(r['level']):<7}  {visible(r['message'])}")
    return EXIT_OK
