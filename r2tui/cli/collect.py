"""`r2tui collect [--once [--job NAME] [--json]]`: the collection jobs headless,
on their schedule until Ctrl-C or SIGTERM, or once with a summary."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from r2tui.cli import exporter
from r2tui.cli.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from r2tui.config import JOB_NAMES
from r2tui.literal import visible
from r2tui.output import say, say_json
from r2tui.runtime import with_demo_account

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
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
    if args.once and args.exporter:
        say(
            "r2tui: collect: --exporter serves while collecting on the schedule, not --once",
            err=True,
        )
        return EXIT_USAGE
    demo = None
    if config.demo:
        config, demo = with_demo_account(config)
    try:
        collector = Collector(JobContext(config=config, store=store))
        if not args.once:
            jobs = ", ".join(collector.scheduled_jobs())
            accounts = ", ".join(visible(a.name) for a in config.accounts)
            served = None
            if args.exporter is not None:
                served = exporter.start(config, store, args.exporter)
                if served is None:
                    return EXIT_USAGE
            say(f"r2tui collect: {jobs} for {accounts} into {store.url}; Ctrl-C stops", err=True)
            try:
                collector.run_forever()
            finally:
                if served is not None:
                    served.stop()
            return EXIT_OK
        names = args.job or [n for n in JOB_NAMES if JOBS[n].implemented]
        try:
            results = [r for r in (collector.run(n) for n in names) if r is not None]
        except KeyboardInterrupt:
            # The job closed its run as cancelled on the way out.
            say("r2tui: interrupted", err=True)
            return EXIT_INTERRUPTED
    finally:
        if demo is not None:
            demo.stop()
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
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED
