"""The `r2tui` command: the TUI by default, and subcommands for scripts."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from r2tui import __version__, estimate, paths
from r2tui.alerts import cli as alerts_cli
from r2tui.config import JOB_NAMES, Config, ConfigError, load_config, resolve_config_path
from r2tui.config.load import load_pricing
from r2tui.config.secrets import shown_url
from r2tui.config.template import STARTER
from r2tui.literal import visible
from r2tui.metrics import CATALOG
from r2tui.output import say, say_json, write
from r2tui.reports import cli as report_cli
from r2tui.runtime import setup_logging, with_demo_account
from r2tui.status_text import human, status_text
from r2tui.store import Store, StoreError, open_store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Parser(argparse.ArgumentParser):
    """argparse's own errors quote what was typed ("unrecognized arguments: …",
    unquoted): shown by the rule too. Subcommands' parsers are of this class
    (add_subparsers makes them of the parent's)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        write(f"{self.prog}: error: {message}\n", err=True)
        self.exit(EXIT_USAGE)


def _common(top: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after its name. A subcommand's
    copy has no defaults: argparse would let them overwrite what the user gave
    before the subcommand (`r2tui --config x collect` would lose --config)."""
    p = Parser(add_help=False)
    default: dict = {} if top else {"default": argparse.SUPPRESS}
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
    p.add_argument("--account", metavar="NAME", help="which configured account to show", **default)
    p.add_argument(
        "--read-only",
        action="store_true",
        dest="read_only",
        help="change nothing: no rule edits, silences, test sends or deliveries",
        **default,
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _common(top=False)
    parser = Parser(
        prog="r2tui",
        parents=[_common(top=True)],
        description="Watch Cloudflare R2: storage, cost, health and alerts, in the terminal.",
        epilog="Start with `r2tui --demo`. Keys: press ? in the app.",
    )
    parser.add_argument("--version", action="version", version=f"r2tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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

    status = sub.add_parser("status", parents=[common], help="print the dashboard snapshot")
    status.add_argument("--json", action="store_true", help="as one JSON document")

    history = sub.add_parser(
        "history",
        parents=[common],
        help="print a metric's history from the store",
        epilog=f"metrics: {', '.join(sorted(CATALOG))}",
    )
    history.add_argument("metric", metavar="METRIC", help="a catalog metric, e.g. total_bytes")
    history.add_argument(
        "--range",
        default="24h",
        metavar="RANGE",
        dest="range_",
        help="1h, 24h, 7d, 30d, 90d or 1y (default 24h)",
    )
    history.add_argument("--bucket", metavar="NAME", help="one bucket (default: the account)")
    history.add_argument("--json", action="store_true", help="as one JSON document")

    config = sub.add_parser("config", help="write or check the config file")
    csub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    init = csub.add_parser("init", help="write a commented starter config file")
    init.add_argument("--path", metavar="PATH", help="where (default: the config folder)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    csub.add_parser("check", parents=[common], help="validate the config and say what it sets")

    locate = sub.add_parser(
        "locate", parents=[common], help="print where config, store, logs and reports live"
    )
    locate.add_argument("--json", action="store_true")
    estimate.add_parser(sub, common)
    report_cli.add_parser(sub, common)
    alerts_cli.add_parser(sub, common)
    return parser


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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
    if command == "history":
        # Before the config and the store: a typo costs nothing.
        from r2tui.store.history import check

        try:
            check(args.metric, args.range_)
        except ValueError as exc:
            say(f"r2tui: history: {exc}", err=True)
            return EXIT_USAGE
    try:
        if command == "config":
            return _config_init(args) if args.config_command == "init" else _config_check(args)
        if command == "locate":
            return _locate(args)
        if command == "estimate":
            return estimate.run(args, load_pricing(args.config))
        config = load_config(args.config, args.db, demo=args.demo)
        if args.read_only:
            config = dataclasses.replace(config, read_only=True)
        if args.account and not args.demo:
            _check_account(config, args.account)
        if command is None:
            _check_keys(config)
        store = open_store(config.store_url, config.store_url_source)
    except ConfigError as exc:
        say(f"r2tui: {exc}", err=True)
        return EXIT_USAGE
    except StoreError as exc:
        say(f"r2tui: store error: {exc}", err=True)
        return EXIT_USAGE
    try:
        if command == "collect":
            return _collect(args, config, store)
        if command == "status":
            return _status(args, config, store)
        if command == "history":
            return _history(args, config, store)
        if command == "report":
            return report_cli.run(args, config, store)
        if command in alerts_cli.COMMANDS:
            return alerts_cli.run(args, config, store)
        return _tui(args, config, store)
    finally:
        store.close()


def _check_keys(config: Config) -> None:
    """The keymap names the app's bindings, so only the app can check it; done
    before the store opens, so a typo costs nothing."""
    from r2tui.tui.keymap import check_keymap

    check_keymap(config.keymap, config.path)


def _check_account(config: Config, name: str) -> None:
    from r2tui.config import Problem

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
    from r2tui.tui.app import build_app

    app = build_app(config, store, account=args.account)
    app.run()
    return app.return_code or EXIT_OK


def _collect(args: argparse.Namespace, config: Config, store: Store) -> int:
    from r2tui.jobs import JOBS, JobContext
    from r2tui.scheduler import Collector

    if not args.once and (args.json or args.job):
        # Silently running forever instead of once would surprise a script.
        say("r2tui: collect: --json and --job need --once", err=True)
        return EXIT_USAGE
    demo = None
    if config.demo:
        config, demo = with_demo_account(config)
    try:
        collector = Collector(JobContext(config=config, store=store))
        if not args.once:
            names = ", ".join(collector.scheduled_jobs())
            accounts = ", ".join(visible(a.name) for a in config.accounts)
            say(f"r2tui collect: {names} for {accounts} into {store.url}; Ctrl-C stops", err=True)
            collector.run_forever()
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


def _status(args: argparse.Namespace, config: Config, store: Store) -> int:
    from r2tui import dashboard
    from r2tui.status import dashboard_doc
    from r2tui.store import queries

    if config.demo and not queries.bucket_names("demo"):
        # A first `status --demo` has nothing to show: fill the demo store once.
        from r2tui.jobs import JobContext
        from r2tui.scheduler import Collector

        say("r2tui: demo store is empty; collecting once from the demo account…", err=True)
        demo_config, demo = with_demo_account(config, traffic=False)
        try:
            collector = Collector(JobContext(config=demo_config, store=store))
            for job in ("inventory", "collect_metrics"):
                collector.run(job)
        finally:
            demo.stop()
    account = "demo" if config.demo else config.account(args.account)
    name = account if isinstance(account, str) else account.name
    quota = None if isinstance(account, str) else account.quota_bytes
    if config.demo:
        from r2tui.sources.demo import DEMO_QUOTA

        quota = DEMO_QUOTA
    analytics = config.demo or (not isinstance(account, str) and account.has_analytics)
    doc = dashboard_doc(
        dashboard.read(
            name,
            quota,
            analytics=analytics,
            tz=config.timezone,
            prices=config.pricing,
            alert_windows=config.alerts.maintenance,
        ),
        demo=config.demo,
    )
    if args.json:
        say_json(doc)
    else:
        say(status_text(doc))
    return EXIT_OK


def _history(args: argparse.Namespace, config: Config, store: Store) -> int:
    from r2tui.metrics import ACCOUNT
    from r2tui.status import iso
    from r2tui.store.history import series

    name = "demo" if config.demo else config.account(args.account).name
    s = series(name, args.metric, args.bucket or ACCOUNT, args.range_, retention=config.retention)
    bucket = None if s.bucket == ACCOUNT else s.bucket
    if args.json:
        say_json(
            {
                "metric": s.metric,
                "unit": s.unit,
                "bucket": bucket,
                "range": s.range,
                "resolution": s.resolution,
                "start": iso(s.start),
                "end": iso(s.end),
                "points": [{"ts": iso(ts), "value": v} for ts, v in s.points],
            }
        )
        return EXIT_OK
    say(
        f"{s.metric} ({s.unit})  {'account' if bucket is None else visible(bucket)}  "
        f"range {s.range}  "
        f"resolution {s.resolution}  {len(s.points)} points"
    )
    shape = "%Y-%m-%d %H:%M:%S" if s.resolution == "raw" else "%Y-%m-%d %H:%M"
    for ts, v in s.points:
        when = datetime.fromtimestamp(ts).astimezone().strftime(shape)
        say(f"{when}  {human(v, s.unit):>14}")
    if not s.points:
        say("no data in this range")
    return EXIT_OK


def _config_init(args: argparse.Namespace) -> int:
    # Without --path, write where `config check` and the app will read: --config,
    # then R2TUI_CONFIG, then the config folder.
    path = (
        Path(args.path).expanduser()
        if args.path
        else resolve_config_path(args.config, os.environ)[0]
    )
    if path.exists() and not args.force:
        say(f"r2tui: {visible(path)} exists; use --force to overwrite it", err=True)
        return EXIT_USAGE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 from the first byte: the file is meant to hold credentials.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(STARTER)
        path.chmod(0o600)  # O_CREAT's mode does not apply to a file that already existed
    except OSError as exc:
        say(f"r2tui: cannot write {visible(path)}: {exc.strerror or exc}", err=True)
        return EXIT_FAILED
    say(f"wrote {visible(path)}; set account_id and credentials, then run `r2tui config check`")
    return EXIT_OK


def _config_check(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, args.db, demo=args.demo)
        if args.read_only:
            config = dataclasses.replace(config, read_only=True)
        _check_keys(config)
    except ConfigError as exc:
        say(f"r2tui: {exc}", err=True)
        return EXIT_USAGE
    say(f"config: {config.path or '(none: environment only)'}")
    say(f"store:  {config.store_url.shown}  (from {config.store_url_source})")
    for a in config.accounts:
        creds = (
            f"profile {a.profile}"
            if a.profile
            else f"key {a.access_key_id.source if a.access_key_id else '?'}, "
            f"secret {a.secret_access_key.source if a.secret_access_key else '?'}"
        )
        # URLs shown without userinfo, query or fragment: they may hold credentials.
        token = (
            f"{a.api_token.source} (analytics at {a.graphql_url.shown})"
            if a.api_token
            else "none (analytics off)"
        )
        say(f"account {a.name}: {a.endpoint_url.shown} region {a.region}; {creds}; token {token}")
    for s in config.schedules.values():
        say(f"schedule {s.job}: {s.text}")
    for ch in config.alerts.channels.values():
        say(f"channel {ch.name}: {ch.describe()}")  # never its URL or password
    for w in config.alerts.maintenance:
        say(
            f"maintenance {w.name}: {w.start // 60:02d}:{w.start % 60:02d}-"
            f"{w.end // 60:02d}:{w.end % 60:02d} {w.timezone}"
        )
    return EXIT_OK


def _locate(args: argparse.Namespace) -> int:
    config_path, _ = resolve_config_path(args.config, os.environ)
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
