"""`r2tui exporter [--listen HOST:PORT]`: serve `/metrics` for Prometheus and
`/healthz` from the store until Ctrl-C or SIGTERM (`r2tui.exporter`). The same
server runs beside a headless collector with `r2tui collect --exporter`."""

from __future__ import annotations

import argparse
import signal
import time
from typing import TYPE_CHECKING

from r2tui.cli.exits import EXIT_OK, EXIT_USAGE, fail
from r2tui.literal import visible
from r2tui.output import say

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.exporter.families import Scope
    from r2tui.exporter.server import Exporter
    from r2tui.store import Store

DEFAULT_LISTEN = "127.0.0.1:9464"  # 9464: the port Prometheus' list gives OpenTelemetry exporters
SIGNAL_POLL_SECONDS = 0.2


def listen_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[IPv6]:PORT` (an argparse type)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"{text!r}: give HOST:PORT, e.g. {DEFAULT_LISTEN}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise argparse.ArgumentTypeError(f"{text!r}: put an IPv6 address in brackets, [::1]:9464")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: the port must be a number from 0 to 65535")
    return host, int(port)


def add_parser(sub: Subcommands, common: Parser) -> None:
    exporter = sub.add_parser(
        "exporter",
        parents=[common],
        help="serve /metrics (Prometheus) and /healthz from the store",
    )
    exporter.add_argument(
        "--listen",
        type=listen_address,
        default=listen_address(DEFAULT_LISTEN),
        metavar="HOST:PORT",
        help=f"where to listen (default {DEFAULT_LISTEN}; port 0 takes a free one)",
    )


def scope_for(config: Config, only: str | None = None) -> Scope:
    """Every account of the config (the demo's with --demo; `only` that one),
    read as the collector would."""
    from r2tui.exporter.families import Scope  # Start-up: prometheus_client loads when it serves

    if config.demo:
        accounts: tuple[str, ...] = ("demo",)
    elif only is not None:
        accounts = (only,)
    else:
        accounts = tuple(a.name for a in config.accounts)
    return Scope(
        accounts=accounts,
        schedules=config.schedules,
        tz=config.timezone,
        windows=config.alerts.maintenance,
    )


def start(
    config: Config, store: Store, address: tuple[str, int], only: str | None = None
) -> Exporter | None:
    """The exporter serving on its own thread; None, having said why on stderr,
    when it cannot listen there."""
    from r2tui.exporter.server import Exporter  # Start-up: as in scope_for

    host, port = address
    try:
        exporter = Exporter(store, scope_for(config, only), host, port)
    except OSError as exc:
        fail(
            "exporter",
            f"cannot listen on {visible(host)}:{port}: {visible(str(exc.strerror or exc))}",
        )
        return None
    exporter.start()
    accounts = ", ".join(visible(a) for a in exporter.scope.accounts)
    say(
        f"r2tui exporter: {exporter.url}/metrics and /healthz for {accounts} from {store.url}",
        err=True,
    )
    return exporter


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    exporter = start(config, store, args.listen, only=args.account)
    if exporter is None:
        return EXIT_USAGE
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)  # only an append: see Collector.run_forever

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not received:
            time.sleep(SIGNAL_POLL_SECONDS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        exporter.stop()
    return EXIT_OK
