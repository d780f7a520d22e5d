"""`r2tui serve [--listen HOST:PORT] [--collect]`: the TUI in a web browser,
through textual-serve.

Each browser session runs its own `python -m r2tui` (textual-serve starts a
command per session, through a shell). That command is built from constant
words only: the options the user gave reach it through the environment
(`R2TUI_CONFIG`, `R2TUI_DB`, `R2TUI_ACCOUNT`), never as shell text, so no
value is quoted into a shell line and no secret a store URL holds shows on a
command line. The served app is a viewer (`--viewer`): it reads the store on
its timer and collects nothing, unless `--collect` is given."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from r2tui.cli.exits import EXIT_OK, fail
from r2tui.literal import visible
from r2tui.output import say

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store

DEFAULT_LISTEN = "127.0.0.1:8000"


def add_parser(sub: Subcommands, common: Parser) -> None:
    serve = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the TUI to web browsers (a viewer: it collects nothing unless --collect)",
        description="Serve the TUI to web browsers through textual-serve: each browser "
        "session runs its own app, which reads the store. Anyone who can reach the "
        "address sees the dashboard: keep it on loopback or behind an authenticating proxy.",
    )
    serve.add_argument(
        "--listen",
        metavar="HOST:PORT",
        type=listen_address,
        default=listen_address(DEFAULT_LISTEN),
        help=f"where to listen (default {DEFAULT_LISTEN}: this machine only)",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when it is not the listening one "
        "(behind a reverse proxy: https://r2.example.com)",
    )
    serve.add_argument(
        "--collect",
        action="store_true",
        help="each browser session also runs the collector, as `r2tui` does "
        "(default: it only reads the store)",
    )


def listen_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 host in brackets: `[::1]:8000`) as (host, port)."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8000, [::1]:8000)"
        )
    return host, int(port)


def session_command(args: argparse.Namespace, config: Config) -> str:
    """The shell command textual-serve runs for each browser session: this
    interpreter and constant words, every word quoted."""
    words = [sys.executable, "-m", "r2tui"]
    if config.demo:
        words.append("--demo")
    if config.read_only:
        words.append("--read-only")
    if not args.collect:
        words.append("--viewer")
    return shlex.join(words)


def session_environment(args: argparse.Namespace, config: Config) -> dict[str, str]:
    """What the sessions need of the command line, as the environment variables
    that stand for those options. The config path is made absolute, in case a
    session ever starts elsewhere."""
    env: dict[str, str] = {}
    if config.path is not None:
        env["R2TUI_CONFIG"] = str(Path(config.path).resolve())
    if getattr(args, "db", None):
        env["R2TUI_DB"] = args.db
    if getattr(args, "account", None) and not config.demo:
        env["R2TUI_ACCOUNT"] = args.account
    return env


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    if config.demo and getattr(args, "db", None):
        # A session's --demo would take the demo's own store over R2TUI_DB.
        return fail("serve", "--db with --demo: the demo has its own store; give one or the other")
    store.close()  # the sessions open their own; this process only serves
    # Start-up: textual-serve and aiohttp load only for this command.
    from r2tui.cli.web_server import WebServer

    host, port = args.listen
    os.environ.update(session_environment(args, config))  # the sessions inherit it
    server = WebServer(
        session_command(args, config), host=host, port=port, public_url=args.public_url
    )
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        server.serve()
    except OSError as exc:  # the address is taken, or not ours to bind
        return fail("serve", f"cannot listen on {visible(host)}:{port}: {visible(str(exc))}")
    say("r2tui serve: stopped", err=True)
    return EXIT_OK
