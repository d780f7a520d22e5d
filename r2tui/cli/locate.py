"""`r2tui locate [--json]`: where the config, the store, the logs and the
reports live. It works even when the config is broken."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from r2tui import paths
from r2tui.cli.exits import EXIT_OK
from r2tui.config import ConfigError, load_config, resolve_config_path
from r2tui.config.secrets import SecretUrl, shown_url
from r2tui.output import say, say_json

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands


def add_parser(sub: Subcommands, common: Parser) -> None:
    locate = sub.add_parser(
        "locate", parents=[common], help="print where config, store, logs and reports live"
    )
    locate.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    config_path, _ = resolve_config_path(args.config, os.environ)
    store_url: str | SecretUrl
    try:
        store_url = load_config(
            args.config, args.db, demo=args.demo, require_accounts=False
        ).store_url
    except ConfigError:
        # `locate` must work even when the config is broken: say where things would be.
        store_url = (
            args.db
            or (None if args.demo else os.environ.get("R2TUI_DB"))
            or (paths.default_store_url(demo=args.demo))
        )
    where = {
        "config": str(config_path),
        "config_exists": config_path.exists(),
        "store": shown_url(store_url),
        "log": str(paths.log_file()),
        "reports": str(paths.reports_dir(demo=args.demo)),
        "data": str(paths.data_dir()),
    }
    if args.json:
        say_json(where)
    else:
        note = "" if where["config_exists"] else "  (not created yet: r2tui config init)"
        say(f"config   {where['config']}{note}")
        for key in ("store", "log", "reports", "data"):
            say(f"{key:<8} {where[key]}")
    return EXIT_OK
