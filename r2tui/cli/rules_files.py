"""`r2tui rules export [FILE]` and `r2tui rules import FILE [--replace] [--dry-run]`:
the rules as a TOML file kept in version control.

An import reads and checks the whole file first (every table through
`rule_from`, names unique, channels and responses configured) and prints every
problem; only a file without any is saved, by `saved.import_rules` in one
transaction. So a file with one bad rule among good ones changes nothing.

The file written holds no raw control or bidirectional character: each one in
a name, label or annotation is a TOML escape (`toml_io.dump_rules`), which
reads back as the same character."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from r2tui.alerts import saved
from r2tui.alerts.import_plan import plan
from r2tui.alerts.toml_io import RulesFileError, dump_rules, read_rules
from r2tui.cli.args import ACTION
from r2tui.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail
from r2tui.config.tomlfile import TomlFileError, read_capped, read_path
from r2tui.literal import visible
from r2tui.output import say, say_json, write
from r2tui.reports.files import write_atomic

if TYPE_CHECKING:
    from r2tui.config import Config
    from r2tui.store import Store


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`rules export` or `rules import`; `store` is open (its models bound)."""
    if getattr(args, ACTION) == "export":
        return _export(args, store)
    return _import(args, config, store)


def _export(args: argparse.Namespace, store: Store) -> int:
    rules = saved.list_rules(store)
    try:
        text = dump_rules(rules)
    except ValueError as exc:  # a name TOML cannot hold (a lone surrogate from JSON)
        return fail("rules export", str(exc), EXIT_FAILED)
    for problem in saved.unreadable_rules(store):
        say(f"r2tui: rules export: skipped: {visible(problem)}", err=True)
    if args.file == "-":
        write(text)
        return EXIT_OK
    path = Path(args.file).expanduser()
    try:
        write_atomic(path, text)
    except OSError as exc:
        return fail(
            "rules export", f"cannot write {visible(path)}: {exc.strerror or exc}", EXIT_FAILED
        )
    say(f"wrote {len(rules)} rules to {visible(path)}", err=True)
    return EXIT_OK


def _import(args: argparse.Namespace, config: Config, store: Store) -> int:
    where = "rules import"  # refused with --read-only unless --dry-run: cli/main.py
    source = "stdin" if args.file == "-" else visible(args.file)
    try:
        # At most 1 MiB and one byte, never a whole huge file or endless pipe.
        if args.file == "-":
            raw = read_capped(sys.stdin.buffer)
        else:  # a regular file only: a FIFO is refused, not waited on
            raw = read_path(Path(args.file).expanduser())
        text = raw.decode("utf-8")
    except TomlFileError as exc:
        return fail(where, f"cannot read {source}: {exc}; nothing imported")
    except UnicodeDecodeError as exc:
        return fail(where, f"{source}: not UTF-8 text (byte {exc.start})")
    alerts = config.alerts
    try:
        rules = read_rules(text, source, alerts.channels, alerts.responses)
    except RulesFileError as exc:
        for problem in exc.problems:  # one line each, whatever a name in it holds
            fail(where, visible(problem))
        fail(where, f"nothing imported: {exc.total} problem(s) in {source}")
        return EXIT_USAGE
    p = plan(store, rules, args.replace)
    if not args.dry_run:
        # import_rules decides again under the write lock; its counts are the truth.
        counts = saved.import_rules(store, rules, replace_all=args.replace)
    else:
        counts = (len(p.added), len(p.updated), len(p.deleted))
    if args.json:
        say_json(
            {
                "file": "stdin" if args.file == "-" else args.file,
                "dry_run": args.dry_run,
                "added": counts[0],
                "updated": counts[1],
                "deleted": counts[2],
                "unchanged": len(p.unchanged),
                "rules": {"added": p.added, "updated": p.updated, "deleted": p.deleted},
            }
        )
        return EXIT_OK
    for verb, names in (("add", p.added), ("update", p.updated), ("delete", p.deleted)):
        for name in names:
            say(f"  {verb:<7} {visible(name)}")
    a, u, d = counts
    if args.dry_run:
        say(
            f"{source}: dry run: would add {a}, update {u}, delete {d} "
            f"({len(p.unchanged)} unchanged); nothing changed"
        )
    else:
        say(f"{source}: {a} added, {u} updated, {d} deleted, {len(p.unchanged)} unchanged")
    return EXIT_OK
