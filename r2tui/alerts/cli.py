"""`r2tui rules|silences|alerts|notify`: alerting for scripts and config as code.

This module declares the commands and dispatches; the work is in
`r2tui.alerts.rules_cli` (rules) and `r2tui.alerts.ops_cli` (silences, alerts,
the outbox), imported only when one of them runs so that `r2tui --help` stays
light. Conventions are the main CLI's: errors as `r2tui: WHAT: message` on
stderr, exit 0 done, 1 failed (an unknown name, a delivery that did not go
out), 2 refused (invalid input, `--read-only`). Everything printed goes through
`r2tui.output`; names, labels, comments and messages go into their lines
through `r2tui.literal.visible`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

# The helpers every alerting command shares live in cli_base, which imports none
# of the command modules: rules_cli, ops_cli, rules_files and rules_test import
# them from there, so no module imports one that imports it back.
from r2tui.alerts.cli_base import CLEARABLE, RULE_OPTIONS, fail, read_only
from r2tui.config.secrets import scrub
from r2tui.literal import visible

if TYPE_CHECKING:
    from r2tui.config import Config
    from r2tui.store import Store

__all__ = ["COMMANDS", "add_parser", "run"]

COMMANDS = ("rules", "silences", "alerts", "notify")
ACTION = "alert_action"  # the sub-subcommand's dest, shared by rules, silences, notify

# (command, action) pairs that change the store or send something. `rules test`
# and `rules import --dry-run` are decided where they run: part of them is harmless.
CHANGES = {("rules", a) for a in ("add", "edit", "enable", "disable", "delete")} | {
    ("silences", "add"),
    ("silences", "expire"),
    ("notify", "flush"),
    ("notify", "retry"),
    ("notify", "test"),
}


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    _rules(sub, common)
    _silences(sub, common)
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
    notify = sub.add_parser("notify", parents=[common], help="the notification outbox")
    nsub = notify.add_subparsers(dest=ACTION, metavar="ACTION", required=True)
    flush = nsub.add_parser(
        "flush", parents=[common], help="deliver every pending notification now, ignoring backoff"
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


def _rules(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rules = sub.add_parser(
        "rules", parents=[common], help="list, change, test, export and import alert rules"
    )
    rsub = rules.add_subparsers(dest=ACTION, metavar="ACTION", required=True)
    for name, text in (("list", "every rule with its state"), ("show", "one rule")):
        p = rsub.add_parser(name, parents=[common], help=text)
        if name == "show":
            p.add_argument("name", metavar="NAME")
        p.add_argument("--json", action="store_true", help="as JSON")
    add = rsub.add_parser("add", parents=[common], help="add a rule")
    _rule_options(add)
    edit = rsub.add_parser("edit", parents=[common], help="change the given fields of a rule")
    edit.add_argument("name", metavar="NAME")
    _rule_options(edit)
    edit.add_argument(
        "--clear",
        metavar="FIELD",
        action="append",
        choices=CLEARABLE,
        default=[],
        help=f"back to the default: {', '.join(CLEARABLE)}",
    )
    for name, text in (
        ("enable", "enable a rule"),
        ("disable", "disable a rule"),
        ("delete", "delete a rule and its alerts"),
    ):
        rsub.add_parser(name, parents=[common], help=text).add_argument("name", metavar="NAME")
    test = rsub.add_parser(
        "test",
        parents=[common],
        help="evaluate a rule now and send a test notification to its channels (changes no alert)",
    )
    test.add_argument("name", metavar="NAME")
    test.add_argument("--no-send", action="store_true", help="only evaluate")
    test.add_argument("--json", action="store_true")
    export = rsub.add_parser("export", parents=[common], help="write every rule as TOML")
    export.add_argument(
        "file", metavar="FILE", nargs="?", default="-", help="where (default -: stdout)"
    )
    imp = rsub.add_parser(
        "import",
        parents=[common],
        help="add or update rules from a TOML file: every rule is checked before anything changes",
    )
    imp.add_argument("file", metavar="FILE", help="a file from `rules export`, or - for stdin")
    imp.add_argument(
        "--replace", action="store_true", help="also delete the rules the file does not name"
    )
    imp.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    imp.add_argument("--json", action="store_true")


def _rule_options(p: argparse.ArgumentParser) -> None:
    for flag, field, kind, text in RULE_OPTIONS:
        many = kind in ("list", "pairs")
        metavar = {
            "number": "N",
            "count": "N",
            "duration": "DURATION",
            "list": "NAME",
            "pairs": "KEY=VALUE",
        }.get(kind, field.upper())
        if many:
            text += "; edit: replaces them all"
        p.add_argument(
            flag,
            dest=f"opt_{field}",
            metavar=metavar,
            action="append" if many else "store",
            help=text,
        )
    state = p.add_mutually_exclusive_group()
    state.add_argument("--enabled", dest="opt_enabled", action="store_const", const=True)
    state.add_argument("--disabled", dest="opt_enabled", action="store_const", const=False)
    p.add_argument(
        "--from-json",
        metavar="FILE",
        help="the rule's fields as a JSON object (- for stdin); options given as well win over it",
    )


def _silences(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    silences = sub.add_parser("silences", parents=[common], help="list, add and expire silences")
    ssub = silences.add_subparsers(dest=ACTION, metavar="ACTION", required=True)
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
    expire = ssub.add_parser("expire", parents=[common], help="end a silence now")
    expire.add_argument("id", metavar="ID", type=int)


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound)."""
    command, action = args.command, getattr(args, ACTION, None)
    if config.read_only and (command, action) in CHANGES:
        return read_only(f"{command} {action}")
    from peewee import PeeweeException

    try:
        if command == "rules":
            from r2tui.alerts import rules_cli

            return rules_cli.run(args, config, store)
        from r2tui.alerts import ops_cli

        return ops_cli.run(args, config, store)
    except PeeweeException as exc:
        # A locked or unreachable store: a store error (exit 2), as everywhere else.
        return fail("store error", f"{store.url}: {visible(scrub(str(exc)))}")
