"""The arguments every command shares: the parser class, the options taken
before or after a command's name, and the account a command is about."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from r2tui.cli.exits import EXIT_USAGE
from r2tui.output import write

if TYPE_CHECKING:
    from r2tui.config import Config

# The dest of the action under `rules`, `silences` and `notify` (`rules add`).
ACTION = "alert_action"


class Parser(argparse.ArgumentParser):
    """argparse's own errors quote what was typed ("unrecognized arguments: …",
    unquoted): shown by the rule too. Subcommands' parsers are of this class
    (add_subparsers makes them of the parent's)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        write(f"{self.prog}: error: {message}\n", err=True)
        self.exit(EXIT_USAGE)


if TYPE_CHECKING:
    # What `add_subparsers` returns, which each command module adds its parser
    # to: argparse gives the type no public name.
    Subcommands = argparse._SubParsersAction[Parser]


def common_options(top: bool) -> Parser:
    """The options every command takes, before or after its name. A subcommand's
    copy has no defaults: argparse would let them overwrite what the user gave
    before the subcommand (`r2tui --config x collect` would lose --config)."""
    p = Parser(add_help=False)
    default: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    p.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: see `r2tui locate`; env R2TUI_CONFIG)",
        **default,
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="store URL, e.g. sqlite:////path/r2tui.db or postgresql://user@host/db (env R2TUI_DB)",
        **default,
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="use the embedded demo account (its own store, nothing leaves loopback)",
        **default,
    )
    p.add_argument(
        "--account",
        metavar="NAME",
        help="which configured account to show (env R2TUI_ACCOUNT)",
        **default,
    )
    p.add_argument(
        "--read-only",
        action="store_true",
        dest="read_only",
        help="open the store so it cannot be written: no collection, rule edits, silences or sends",
        **default,
    )
    return p


def account_name(args: argparse.Namespace, config: Config) -> str:
    """The account the command is about: `--account`, else the first configured
    one; the demo's own with `--demo`."""
    return "demo" if config.demo else config.account(args.account).name
