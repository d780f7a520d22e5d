"""The `r2tui` command: the TUI by default, and subcommands for scripts.

This module builds the top parser from each command module's `add_parser`,
loads the config and opens the store, and hands the command to the module's
`run`. A configuration or store error exits 2 with its message on stderr."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from peewee import PeeweeException

from r2tui import __version__
from r2tui.cli import (
    alerts,
    collect,
    du,
    estimate,
    exporter,
    history,
    locate,
    notify,
    report,
    rules,
    serve,
    silences,
    status,
)
from r2tui.cli import config as config_command
from r2tui.cli.args import ACTION, Parser, common_options
from r2tui.cli.exits import EXIT_OK, EXIT_USAGE, fail, read_only
from r2tui.config import Config, ConfigError, Problem, load_config
from r2tui.config.load import load_pricing
from r2tui.config.secrets import scrub
from r2tui.literal import visible
from r2tui.output import say
from r2tui.runtime import setup_logging
from r2tui.store import Store, StoreError, open_store

if TYPE_CHECKING:
    from r2tui.cli.args import Subcommands

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Commands that read the store: each module's `run(args, config, store)`.
ON_THE_STORE: dict[str, Callable[[argparse.Namespace, Config, Store], int]] = {
    "collect": collect.run,
    "status": status.run,
    "history": history.run,
    "du": du.run,
    "report": report.run,
    "exporter": exporter.run,
    "serve": serve.run,
}


class AlertingCommand(Protocol):
    """An alerting command's module: `--read-only` refuses the actions in its
    CHANGES, and a locked or unreachable store is a store error."""

    CHANGES: frozenset[str]

    def add_parser(self, sub: Subcommands, common: Parser) -> None: ...

    def run(self, args: argparse.Namespace, config: Config, store: Store) -> int: ...


ALERTING: dict[str, AlertingCommand] = {
    "rules": rules,
    "silences": silences,
    "alerts": alerts,
    "notify": notify,
}


def build_parser() -> argparse.ArgumentParser:
    common = common_options(top=False)
    parser = Parser(
        prog="r2tui",
        parents=[common_options(top=True)],
        description="Watch Cloudflare R2: storage, cost, health and alerts, in the terminal.",
        epilog="Start with `r2tui --demo`. Keys: press ? in the app.",
    )
    parser.add_argument("--version", action="version", version=f"r2tui {__version__}")
    parser.add_argument(
        "--viewer",
        action="store_true",
        help="the TUI only reads the store, collects nothing (what `r2tui serve` runs)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (
        collect,
        status,
        history,
        du,
        config_command,
        locate,
        estimate,
        report,
        exporter,
        serve,
    ):
        command.add_parser(sub, common)
    for module in ALERTING.values():
        module.add_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # `r2tui history … | head`: the reader has all it wanted. Point stdout at
        # nothing so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if not args.account:
        # As R2TUI_CONFIG and R2TUI_DB stand for --config and --db: `r2tui serve`
        # hands its account to the browser sessions this way, not on a command line.
        args.account = os.environ.get("R2TUI_ACCOUNT") or None
    level = os.environ.get("R2TUI_LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        say(
            f"r2tui: environment: R2TUI_LOG_LEVEL: unknown level {level!r}; use one of "
            f"{', '.join(LOG_LEVELS)}",
            err=True,
        )
        return EXIT_USAGE
    setup_logging(level)
    command = args.command
    if command == "history" and (refused := history.check(args)) is not None:
        return refused
    try:
        if command == "config":
            return config_command.run(args)
        if command == "locate":
            return locate.run(args)
        if command == "estimate":
            return estimate.run(args, load_pricing(args.config))
        config = load_config(args.config, args.db, demo=args.demo)
        if args.read_only:
            config = dataclasses.replace(config, read_only=True)
        if args.account and not args.demo:
            _check_account(config, args.account)
        if command is None:
            config_command.check_keys(config)
        if config.read_only and (change := would_change(args)) is not None:
            return read_only(change)
        store = open_store(config.store_url, config.store_url_source, read_only=config.read_only)
    except ConfigError as exc:
        say(f"r2tui: {exc}", err=True)
        return EXIT_USAGE
    except StoreError as exc:
        say(f"r2tui: store error: {exc}", err=True)
        return EXIT_USAGE
    try:
        if command in ON_THE_STORE:
            return ON_THE_STORE[command](args, config, store)
        if command in ALERTING:
            return _alerting(ALERTING[command], args, config, store)
        return _tui(args, config, store)
    finally:
        store.close()


def would_change(args: argparse.Namespace) -> str | None:
    """What the command would change in the store (or send), as `--read-only`
    refuses it; None for a command that only reads. The one rule for every
    command; a read-only store refuses any write that slips past it all the same.
    (`rules test` is the one exception: it evaluates first, then refuses to send.)"""
    command, action = args.command, getattr(args, ACTION, None)
    if command == "collect":
        return "collect --once" if args.once else "collect"
    if command == "serve" and args.collect:
        return "serve --collect"
    if command in ALERTING and action in ALERTING[command].CHANGES:
        return f"{command} {action}"
    if command == "rules" and action == "import" and not args.dry_run:
        return "rules import"
    return None


def _alerting(
    command: AlertingCommand, args: argparse.Namespace, config: Config, store: Store
) -> int:
    try:
        return command.run(args, config, store)
    except PeeweeException as exc:
        # A locked or unreachable store: a store error (exit 2), as everywhere else.
        return fail("store error", f"{store.url}: {visible(scrub(str(exc)))}")


def _check_account(config: Config, name: str) -> None:
    if name not in {a.name for a in config.accounts}:
        valid = ", ".join(a.name for a in config.accounts)
        raise ConfigError(
            [
                Problem(
                    "command line", "--account", f"no account named {name!r}; configured: {valid}"
                )
            ]
        )


def _tui(args: argparse.Namespace, config: Config, store: Store) -> int:
    # Start-up: Textual loads only for the app, never for a script's command.
    from r2tui.tui.app import build_app

    app = build_app(config, store, account=args.account, collect=not args.viewer)
    app.run()
    return app.return_code or EXIT_OK
