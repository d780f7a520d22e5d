"""`r2tui collect [--once [--job NAME] [--json] [--force]]`: the collection jobs
headless, on their schedule until Ctrl-C or SIGTERM, or once with a summary.

Only the process holding the collector lease collects (store/lease.py): on the
schedule, a collector that does not hold it waits as a viewer and takes over
when the lease runs out; `--once` beside a live holder runs nothing, says who
holds it and exits 0 (a cron line must not fail because a TUI is open), unless
`--force`, which runs without the lease. A store `--once` cannot reach to take
the lease is a failure (exit 1), not a holder elsewhere. With `--demo` the demo's
servers start only with the lease in hand: beside a running demo, `--once` runs
nothing whatever `--force` says (two demos would mix into one store), and the
schedule waits to take over before it starts one."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from r2tui.cli import exporter
from r2tui.cli.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from r2tui.config import JOB_NAMES
from r2tui.literal import visible
from r2tui.output import say, say_json
from r2tui.runtime import DEMO_ACCOUNT, release_demo, start_demo
from r2tui.store import lease

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.sources.demo import DemoAccount
    from r2tui.store import Store


def add_parser(sub: Subcommands, common: Parser) -> None:
    collect = sub.add_parser(
        "collect",
        parents=[common],
        help="run the collection jobs headless (Ctrl-C or SIGTERM stops)",
    )
    collect.add_argument("--once", action="store_true", help="run once, print a summary, exit")
    collect.add_argument(
        "--job", choices=JOB_NAMES, action="append", help="with --once: only this job (repeatable)"
    )
    collect.add_argument("--json", action="store_true", help="with --once: JSON summary")
    collect.add_argument(
        "--force",
        action="store_true",
        help="with --once: run even while another process holds the collector lease",
    )
    collect.add_argument(
        "--exporter",
        type=exporter.listen_address,
        metavar="HOST:PORT",
        help="also serve /metrics (Prometheus) and /healthz there while collecting",
    )


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    # Start-up: the jobs and APScheduler load only when something is collected.
    from r2tui.jobs import JOBS, JobContext
    from r2tui.scheduler import Collector

    if not args.once and (args.json or args.job):
        # Silently running forever instead of once would surprise a script.
        say("r2tui: collect: --json and --job need --once", err=True)
        return EXIT_USAGE
    if args.force and not args.once:
        say("r2tui: collect: --force needs --once", err=True)
        return EXIT_USAGE
    if args.once and args.exporter:
        say(
            "r2tui: collect: --exporter serves while collecting on the schedule, not --once",
            err=True,
        )
        return EXIT_USAGE
    demo = None
    if config.demo:
        # One demo per store: the demo's servers start only in the process that
        # holds its collector lease, never beside a running demo.
        started = start_demo(config, store)
        if started is None:
            if args.once:
                say(
                    f"r2tui: collect --once: {held_elsewhere(store, config)}, which runs "
                    "the demo: nothing run (a second demo would mix into its store)",
                    err=True,
                )
                return EXIT_OK
            say(
                f"r2tui collect: {held_elsewhere(store, config)}, which runs the demo; "
                "waiting to take over (Ctrl-C stops)",
                err=True,
            )
            try:
                started = wait_for_demo(store, config)
            except KeyboardInterrupt:
                say("r2tui: interrupted", err=True)
                return EXIT_INTERRUPTED
        config, demo = started
    try:
        # --force runs without the lease; so does nothing else.
        collector = Collector(JobContext(config=config, store=store), lease=not args.force)
        if not args.once:
            jobs = ", ".join(collector.scheduled_jobs())
            accounts = ", ".join(visible(a.name) for a in config.accounts)
            served = None
            if args.exporter is not None:
                served = exporter.start(config, store, args.exporter)
                if served is None:
                    return EXIT_USAGE
            say(f"r2tui collect: {jobs} for {accounts} into {store.url}; Ctrl-C stops", err=True)
            beat = collector.heartbeat
            if beat is not None and not beat.beat() and beat.too_new is None:
                if beat.error is not None:
                    why = f"cannot take the collector lease: {visible(beat.error)}; retrying"
                else:
                    why = f"{held_elsewhere(store, config)}; waiting as a viewer to take over"
                say(f"r2tui collect: {why}", err=True)
            try:
                collector.run_forever()
            finally:
                if served is not None:
                    served.stop()
            if collector.too_new is not None:
                say(f"r2tui: collect: stopped: {collector.too_new}", err=True)
                return EXIT_USAGE
            return EXIT_OK
        names = args.job or [n for n in JOB_NAMES if JOBS[n].implemented]
        beat = collector.heartbeat
        if beat is not None:
            if not beat.beat():
                if beat.too_new is not None:
                    say(f"r2tui: collect --once: {beat.too_new}", err=True)
                    return EXIT_USAGE
                if beat.error is not None:
                    say(
                        "r2tui: collect --once: cannot take the collector lease: "
                        f"{visible(beat.error)}; nothing run",
                        err=True,
                    )
                    return EXIT_FAILED
                say(
                    f"r2tui: collect --once: {held_elsewhere(store, config)}: "
                    "nothing run (--force runs anyway)",
                    err=True,
                )
                return EXIT_OK
            beat.start()  # held through a run longer than the lease
        try:
            ran = {n: collector.run(n) for n in names}
        except KeyboardInterrupt:
            # The job closed its run as cancelled on the way out.
            say("r2tui: interrupted", err=True)
            return EXIT_INTERRUPTED
        finally:
            if beat is not None:
                beat.stop()
    finally:
        if demo is not None:
            demo.stop()
            release_demo(store)  # when no heartbeat gave it back (--force)
    results = [r for r in ran.values() if r is not None]
    # None: the lease was lost before the job started.
    unrun = [n for n, r in ran.items() if r is None]
    if args.json:
        say_json(
            {
                "jobs": [
                    {
                        "job": r.job,
                        "ok": r.ok,
                        "items": r.items,
                        "seconds": round(r.finished_at - r.started_at, 3),
                        "summary": r.summary,
                        "errors": list(r.errors),
                    }
                    for r in results
                ]
            }
        )
    else:
        for r in results:
            mark = "ok    " if r.ok else "FAILED"
            say(
                f"{r.job:<16} {mark} {r.items:>10,} items {r.finished_at - r.started_at:7.1f} s"
                f"  {visible(r.summary if r.ok else r.error)}"
            )
    if unrun:
        say(
            f"r2tui: collect --once: lost the collector lease; not run: {', '.join(unrun)}",
            err=True,
        )
    return EXIT_OK if all(r.ok for r in results) and not unrun else EXIT_FAILED


def wait_for_demo(store: Store, config: Config) -> tuple[Config, DemoAccount]:
    """Start the demo once the running one has stopped (its lease ran out)."""
    while True:
        time.sleep(config.collector.lease_seconds / 3)
        started = start_demo(config, store)
        if started is not None:
            return started


def held_elsewhere(store: Store, config: Config) -> str:
    """Who holds the accounts' collector lease: "the collector lease is held by
    host:pid, heartbeat 3s ago"."""
    now = store.clock()
    many = len(config.accounts) > 1
    held = []
    # The demo's account is known before the demo starts: by its name.
    names = [a.name for a in config.accounts] or ([DEMO_ACCOUNT] if config.demo else [])
    for name in names:
        h = lease.read(store, name)
        if h is not None and h.live(now) and not h.held_by(lease.me()):
            held.append(visible(h.describe(now)) + (f" for {visible(h.account)}" if many else ""))
    return "the collector lease is held by " + ("; ".join(held) or "another process")
