"""`r2tui config init [--path P] [--force]` and `r2tui config check`: write a
commented starter config file, or validate one and say what it sets (never a
secret: each key and token by where it comes from, URLs without credentials)."""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from r2tui.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from r2tui.config import Config, ConfigError, load_config, resolve_config_path
from r2tui.config.template import STARTER
from r2tui.literal import visible
from r2tui.output import say

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands


def add_parser(sub: Subcommands, common: Parser) -> None:
    config = sub.add_parser("config", help="write or check the config file")
    csub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    init = csub.add_parser("init", help="write a commented starter config file")
    init.add_argument("--path", metavar="PATH", help="where (default: the config folder)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    csub.add_parser("check", parents=[common], help="validate the config and say what it sets")


def run(args: argparse.Namespace) -> int:
    return _init(args) if args.config_command == "init" else _check(args)


def check_keys(config: Config) -> None:
    """The keymap names the app's bindings, so only the app can check it; done
    before the store opens, so a typo costs nothing."""
    # Start-up: Textual loads only for the app, or to check its keymap.
    from r2tui.tui.keymap import check_keymap

    check_keymap(config.keymap, config.path)


def _init(args: argparse.Namespace) -> int:
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


def _check(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, args.db, demo=args.demo)
        if args.read_only:
            config = dataclasses.replace(config, read_only=True)
        check_keys(config)
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
    probe_lines(config)
    return EXIT_OK


def probe_lines(config: Config) -> None:
    """What each account's probe budget pays for; with the store (opened
    read-only, when it can be), what a month of probes costs over its buckets,
    and a warning when the buckets that must be probed at every run (named by
    rules on probe metrics, or with errors in the last hour) need more."""
    probing = [a for a in config.accounts if a.probe.enabled]
    if not probing:
        return
    # Start-up: the store, the rules and the probes' arithmetic load only when probes are on.
    from peewee import PeeweeException

    from r2tui.alerts.probe_watch import stored_plan
    from r2tui.config.secrets import scrub
    from r2tui.costs import probes
    from r2tui.store import Store, StoreError, open_store

    store: Store | None = None
    unread = ""
    try:
        store = open_store(config.store_url, config.store_url_source, read_only=True)
    except StoreError as exc:
        unread = visible(exc)
    try:
        for a in probing:
            name = visible(a.name)
            schedule = probes.collect_schedule(config)
            runs = probes.runs_per_month(schedule, config.timezone, config.pricing)
            budget = a.probe.requests_per_month
            fits = int(budget // probes.REQUESTS_PER_PROBE / runs) if runs else 0
            say(
                f"probes {name}: budget {budget:,} requests a month: every bucket at every "
                f"run ({schedule.text}) for up to {fits:,} buckets; more take turns"
            )
            if store is None:
                say(f"probes {name}: buckets not counted: the store, opened read-only: {unread}")
                continue
            try:
                plan = stored_plan(store, config, a, store.clock())
            except PeeweeException as exc:
                say(f"probes {name}: store not read ({visible(scrub(str(exc)))})")
                continue
            if plan is None:
                continue
            say(f"probes {name}: {probes.plan_text(plan)}")
            if plan.over_budget:
                say(
                    f"r2tui: warning: accounts.{name}.probe.requests_per_month: "
                    f"{plan.must:,} buckets must be probed at every run (named by rules on "
                    f"probe metrics, or with errors in the last hour): "
                    f"{plan.must_probes_month:,} probes a month, more than the budget's "
                    f"{plan.budget_probes:,}; they take turns and no other bucket is "
                    f"probed. Set it to at least {plan.needed_requests():,} to probe them "
                    "at every run",
                    err=True,
                )
    finally:
        if store is not None:
            store.close()
