"""`r2tui rules …`: list, show, add, edit, enable, disable, delete, test, export
and import alert rules. Every change goes through `r2tui.alerts.saved` (one
transaction each) and every rule through `rule_from`, so the CLI accepts and
refuses exactly what the Rules screen does. Export and import are in
`r2tui.cli.rules_files`. Names, labels, comments and messages go into their
lines through `r2tui.literal.visible`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r2tui.alerts import saved
from r2tui.alerts.rules import Rule, RuleError, rule_to_dict
from r2tui.alerts.toml_io import DURATION_FIELDS, checked_rule, duration_text
from r2tui.cli import rules_files
from r2tui.cli.args import ACTION, account_name
from r2tui.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, read_only
from r2tui.cli.text import exact, rule_condition, scope_text, table, value_text
from r2tui.config.values import span_text
from r2tui.literal import visible
from r2tui.output import say, say_json
from r2tui.store.models import AlertRule

if TYPE_CHECKING:
    from r2tui.alerts.views import RuleState
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store

# Actions refused with --read-only. `rules test` and `rules import --dry-run`
# are decided where they run: part of them is harmless.
CHANGES = frozenset({"add", "edit", "enable", "disable", "delete"})

# Rule options: (flag, field, kind, help). The kinds turn command-line text into
# what `rule_from` reads (see option_data); validation stays there.
RULE_OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("--name", "name", "text", "the rule's name (edit: renames it)"),
    ("--metric", "metric", "text", "a catalog metric, e.g. error_rate_pct"),
    (
        "--comparison",
        "comparison",
        "text",
        "one of > >= < <= == !=, or a change: falls_by, rises_by, changes_by",
    ),
    (
        "--threshold",
        "threshold",
        "number",
        'in the metric\'s unit, sizes such as "1 GB" too; a change: how much (0 or more)',
    ),
    (
        "--window",
        "window",
        "duration",
        "a change rule: compare with the value this long ago, e.g. 1h "
        "(whole hours for hourly counts; no change rules on today's figures)",
    ),
    (
        "--change-in",
        "change_in",
        "text",
        "a change rule's threshold: percent (default) or absolute (the metric's unit)",
    ),
    (
        "--scope",
        "scope",
        "text",
        '"*" the account (default), a bucket, a glob "logs-*", a prefix "photos/2026/"',
    ),
    ("--for", "for", "duration", "how long the condition holds before firing, e.g. 5m"),
    (
        "--keep-firing-for",
        "keep_firing_for",
        "duration",
        "how long it keeps firing after the condition stops holding",
    ),
    ("--severity", "severity", "text", "low, medium (default), high or critical"),
    (
        "--channel",
        "channels",
        "list",
        "a configured channel (repeatable; default: [alerts] default_channels)",
    ),
    ("--label", "labels", "pairs", "KEY=VALUE label (repeatable)"),
    ("--annotation", "annotations", "pairs", "KEY=VALUE annotation (repeatable)"),
    ("--missing-data", "missing_data", "text", "keep (default), alert or resolve"),
    (
        "--repeat-interval",
        "repeat_interval",
        "duration",
        "resend a still-firing alert this often (default: [alerts] repeat_interval)",
    ),
    ("--max-per-hour", "max_per_hour", "count", "notifications an hour before holding back"),
    ("--escalate-after", "escalate_after", "duration", "still firing this long: escalate"),
    ("--escalate-to", "escalate_to", "list", "channel to add on escalation (repeatable)"),
    ("--escalate-severity", "escalate_severity", "text", "severity on escalation"),
    ("--response", "responses", "list", "a configured [responses.NAME] (repeatable)"),
)
CLEARABLE = (
    "window",
    "for",
    "keep_firing_for",
    "channels",
    "labels",
    "annotations",
    "repeat_interval",
    "max_per_hour",
    "escalate_after",
    "escalate_to",
    "escalate_severity",
    "responses",
)

# What `--clear FIELD` sets: the default of a new rule.
_DEFAULTS: dict[str, object] = {
    k: v for k, v in rule_to_dict(Rule("-", "monthly_cost_usd", ">", 0.0)).items() if k in CLEARABLE
} | {"window": 0}


def add_parser(sub: Subcommands, common: Parser) -> None:
    rules = sub.add_parser(
        "rules", parents=[common], help="list, change, test, export and import alert rules"
    )
    rsub = rules.add_subparsers(dest=ACTION, metavar="ACTION", required=True)
    for name, text in (("list", "every rule with its state"), ("show", "one rule")):
        p = rsub.add_parser(name, parents=[common], help=text)
        if name == "show":
            p.add_argument("name", metavar="NAME")
        p.add_argument("--json", action="store_true", help="as JSON")
    add = rsub.add_parser("add", parents=[common], help="add a rule")
    _rule_options(add)
    edit = rsub.add_parser("edit", parents=[common], help="change the given fields of a rule")
    edit.add_argument("name", metavar="NAME")
    _rule_options(edit)
    edit.add_argument(
        "--clear",
        metavar="FIELD",
        action="append",
        choices=CLEARABLE,
        default=[],
        help=f"back to the default: {', '.join(CLEARABLE)}",
    )
    for name, text in (
        ("enable", "enable a rule"),
        ("disable", "disable a rule"),
        ("delete", "delete a rule and its alerts"),
    ):
        rsub.add_parser(name, parents=[common], help=text).add_argument("name", metavar="NAME")
    test = rsub.add_parser(
        "test",
        parents=[common],
        help="evaluate a rule now and send a test notification to its channels (changes no alert)",
    )
    test.add_argument("name", metavar="NAME")
    test.add_argument("--no-send", action="store_true", help="only evaluate")
    test.add_argument("--json", action="store_true")
    export = rsub.add_parser("export", parents=[common], help="write every rule as TOML")
    export.add_argument(
        "file", metavar="FILE", nargs="?", default="-", help="where (default -: stdout)"
    )
    imp = rsub.add_parser(
        "import",
        parents=[common],
        help="add or update rules from a TOML file: every rule is checked before anything changes",
    )
    imp.add_argument("file", metavar="FILE", help="a file from `rules export`, or - for stdin")
    imp.add_argument(
        "--replace", action="store_true", help="also delete the rules the file does not name"
    )
    imp.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    imp.add_argument("--json", action="store_true")


def _rule_options(p: argparse.ArgumentParser) -> None:
    for flag, field, kind, text in RULE_OPTIONS:
        many = kind in ("list", "pairs")
        metavar = {
            "number": "N",
            "count": "N",
            "duration": "DURATION",
            "list": "NAME",
            "pairs": "KEY=VALUE",
        }.get(kind, field.upper())
        if many:
            text += "; edit: replaces them all"
        p.add_argument(
            flag,
            dest=f"opt_{field}",
            metavar=metavar,
            action="append" if many else "store",
            help=text,
        )
    state = p.add_mutually_exclusive_group()
    state.add_argument("--enabled", dest="opt_enabled", action="store_const", const=True)
    state.add_argument("--disabled", dest="opt_enabled", action="store_const", const=False)
    p.add_argument(
        "--from-json",
        metavar="FILE",
        help="the rule's fields as a JSON object (- for stdin); options given as well win over it",
    )


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound)."""
    action = getattr(args, ACTION)
    if action == "list":
        return _list(args, store)
    if action in ("export", "import"):
        return rules_files.run(args, config, store)
    if action == "add":
        return _add(args, config, store)
    if action == "delete":
        return _delete(store, args.name)
    rule = _find(store, f"rules {action}", args.name)
    if rule is None:
        return EXIT_FAILED
    if action == "show":
        return _show(args, store, rule)
    if action == "edit":
        return _edit(args, config, store, rule)
    if action == "test":
        return _test(args, config, store, rule)
    enabled = action == "enable"
    # Through the same checks as an edit: enabling a rule whose channel the config
    # lost would make it look fine and notify no one.
    done = _save(
        f"rules {action}",
        {**rule_to_dict(rule), "enabled": enabled},
        [],
        config,
        store,
        replacing=rule.name,
    )
    if isinstance(done, int):
        return done
    say(f"{'enabled' if enabled else 'disabled'} rule {rule.name!r}")
    return EXIT_OK


def _delete(store: Store, name: str) -> int:
    store.bound()
    # By name, without reading the rule: a stored rule no version of r2tui can
    # read any more must still be deletable.
    row = AlertRule.get_or_none(AlertRule.name_key == name.casefold())
    if row is None or not saved.delete_rule(store, name):
        return _unknown(store, "rules delete", name)
    say(f"deleted rule {row.name!r} and its alerts")
    return EXIT_OK


def _find(store: Store, where: str, name: str) -> Rule | None:
    try:
        rule = saved.get_rule(store, name)
    except RuleError as exc:  # stored by a newer r2tui, or edited by hand
        fail(where, str(exc), EXIT_FAILED)
        return None
    if rule is None:
        _unknown(store, where, name)
    return rule


def _unknown(store: Store, where: str, name: str) -> int:
    names = ", ".join(repr(r.name) for r in saved.list_rules(store)) or "none"
    return fail(where, f"no rule named {name!r}; rules: {names}", EXIT_FAILED)


# --- reading ----------------------------------------------------------------


def _doc(s: RuleState) -> dict[str, Any]:
    return {
        **rule_to_dict(s.rule),
        "condition": s.rule.condition(),
        "state": s.state,
        "firing": s.firing,
        "pending": s.pending,
    }


def _list(args: argparse.Namespace, store: Store) -> int:
    # Start-up: the alerts' views load only when this command runs, not for `r2tui --help`.
    from r2tui.alerts.views import rule_states

    states = rule_states(store)
    if args.json:
        say_json([_doc(s) for s in states])
        return EXIT_OK
    rows = [("NAME", "STATE", "CONDITION", "SCOPE", "FOR", "SEVERITY", "CHANNELS")]
    rows += [
        (
            visible(s.rule.name),
            s.state,
            rule_condition(s.rule),
            scope_text(s.rule.scope),
            _duration(s.rule.for_seconds),
            s.rule.severity,
            ", ".join(map(visible, s.rule.channels)) or "(default)",
        )
        for s in states
    ]
    say(table(rows))
    for problem in saved.unreadable_rules(store):
        say(f"r2tui: rules list: skipped: {visible(problem)}", err=True)
    for problem in saved.outdated_rules(store):
        say(f"r2tui: rules list: needs a fix (runs as saved): {visible(problem)}", err=True)
    return EXIT_OK


def _show(args: argparse.Namespace, store: Store, rule: Rule) -> int:
    # Start-up: the alerts' views load only when this command runs, not for `r2tui --help`.
    from r2tui.alerts.views import RuleState, rule_states

    state = next((s for s in rule_states(store) if s.rule.name == rule.name), RuleState(rule))
    doc = _doc(state)
    if args.json:
        say_json(doc)
        return EXIT_OK
    lines = [
        ("state", f"{state.state} ({state.firing} firing, {state.pending} pending)"),
        ("condition", rule_condition(rule)),
    ]
    for key, value in rule_to_dict(rule).items():
        lines.append((key, _field_text(key, value)))
    width = max(len(k) for k, _ in lines)
    say("\n".join(f"{k:<{width}}  {v}" for k, v in lines))
    return EXIT_OK


def _field_text(key: str, value: object) -> str:
    """A rule's field on one line: every text in it through `visible`."""
    if value is None:
        return "(default from [alerts])" if key in ("repeat_interval", "max_per_hour") else "-"
    if key in DURATION_FIELDS and isinstance(value, int):
        return _duration(value)
    if key == "scope":
        return scope_text(str(value))
    if isinstance(value, list):
        return ", ".join(map(visible, value)) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{visible(k)}={visible(v)}" for k, v in value.items()) or "-"
    return exact(value) if isinstance(value, float) else visible(value)


def _duration(seconds: int) -> str:
    return duration_text(seconds) if seconds else "-"


# --- test -------------------------------------------------------------------


def _test(args: argparse.Namespace, config: Config, store: Store, rule: Rule) -> int:
    """What the rule says about the data now, and a test notification to each of
    its channels (`alerts.trial`: never through the engine, so no alert changes)."""
    # Start-up: the channels' senders (httpx, smtplib) load only when something is sent.
    from r2tui.alerts.trial import evaluate, send_tests

    now = store.now()
    accounts = (
        [account_name(args, config)]
        if config.demo or args.account
        else [a.name for a in config.accounts]
    )
    evaluations = evaluate(store, rule, config, accounts, now)
    names = list(rule.channels or config.alerts.default_channels)
    wants_send = not args.no_send
    sends = (
        send_tests(f"r2tui test of rule {rule.name}", config, names, now)
        if wants_send and not config.read_only
        else []
    )
    if args.json:
        say_json(
            {
                "rule": rule.name,
                "condition": rule.condition(),
                "scope": rule.scope,
                "enabled": rule.enabled,
                "evaluations": evaluations,
                "channels": names,
                "sends": sends,
            }
        )
    else:
        _say_test(rule, evaluations, sends)
    if wants_send and config.read_only:
        return read_only("rules test (sending test notifications; --no-send only evaluates)")
    if wants_send and not names:
        return fail(
            "rules test",
            "nothing sent: the rule names no channels and [alerts] default_channels is empty",
            EXIT_FAILED,
        )
    return EXIT_FAILED if any(not s["ok"] for s in sends) else EXIT_OK


def _say_test(rule: Rule, evaluations: list[dict[str, Any]], sends: list[dict[str, Any]]) -> None:
    state = "" if rule.enabled else " (disabled)"
    say(f"rule {rule.name!r}{state}: {rule_condition(rule)} on {scope_text(rule.scope)}")
    if not evaluations:
        say(f"  no bucket matches {rule.scope!r} yet")
    for e in evaluations:
        change = (
            f" (from {value_text(e['before'], rule.metric_unit)} to "
            f"{value_text(e['now'], rule.metric_unit)} in {span_text(rule.window)})"
            if rule.is_change
            else ""
        )
        holds = {
            True: "holds",
            False: "does not hold",
            None: f"no data (missing_data {rule.missing_data}: state kept)",
        }[e["holds"]]
        say(
            f"  {visible(e['account'])}  {scope_text(e['bucket'])}  "
            f"{value_text(e['value'], rule.unit)}{change}  {holds}"
        )
    for s in sends:
        if s["ok"]:
            say(
                f"channel {visible(s['channel'])}: test notification sent "
                f"({visible(s['describe'])})"
            )
        else:
            say(f"channel {visible(s['channel'])}: FAILED: {visible(s['error'])}")


# --- add and edit -------------------------------------------------------------


def option_data(args: argparse.Namespace) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """The rule fields given as options, as `rule_from` reads them, and what could
    not even be turned into a field (a --label without "=")."""
    data: dict[str, object] = {}
    problems: list[tuple[str, str]] = []
    for _flag, field, kind, _help in RULE_OPTIONS:
        value = getattr(args, f"opt_{field}", None)
        if value is None:
            continue
        if kind == "list":
            # "--channel a,b" as well as "--channel a --channel b": names hold no comma.
            data[field] = [n.strip() for v in value for n in v.split(",") if n.strip()]
        elif kind == "pairs":
            pairs: dict[str, str] = {}
            for item in value:
                key, sep, text = item.partition("=")
                if not sep:
                    problems.append((field, f"expected KEY=VALUE, got {item!r}"))
                pairs[key.strip()] = text
            data[field] = pairs
        else:
            data[field] = _typed(value, kind)
    if args.opt_enabled is not None:
        data["enabled"] = args.opt_enabled
    return data, problems


def _typed(text: str, kind: str) -> object:
    """Numbers as numbers: rule_from takes text for sizes and durations ("1 GB",
    "5m"), but a plain number must reach it as one. Anything else is passed on
    as typed, for rule_from to refuse with a message saying what is valid."""
    try:
        if kind == "number":
            return float(text)
        if kind in ("duration", "count"):
            return int(text)
    except ValueError:
        pass
    return text


def _from_json(where: str, source: str | None) -> dict[str, object] | int:
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as exc:
        return fail(where, f"--from-json: cannot read {source}: {exc.strerror or exc}")
    except (UnicodeDecodeError, ValueError) as exc:
        return fail(where, f"--from-json: {source}: not valid JSON: {exc}")
    if not isinstance(data, dict):
        return fail(where, f"--from-json: {source}: expected a JSON object of rule fields")
    return data


def _save(
    where: str,
    data: Mapping[str, object],
    problems: list[tuple[str, str]],
    config: Config,
    store: Store,
    replacing: str | None = None,
) -> Rule | int:
    alerts = config.alerts
    rule = None
    try:
        rule = checked_rule(data, alerts.channels, alerts.responses)
    except RuleError as exc:
        problems = problems + exc.problems
    if problems or rule is None:
        for field, message in problems:  # one line each, whatever a value in it holds
            fail(where, f"{visible(field)}: {visible(message)}")
        return EXIT_USAGE
    try:
        saved.save_rule(store, rule, replacing=replacing)
    except RuleError as exc:  # the name is taken
        for field, message in exc.problems:
            fail(where, f"{visible(field)}: {visible(message)}")
        return EXIT_USAGE
    return rule


def _add(args: argparse.Namespace, config: Config, store: Store) -> int:
    base = _from_json("rules add", args.from_json)
    if isinstance(base, int):
        return base
    data, problems = option_data(args)
    rule = _save("rules add", {**base, **data}, problems, config, store)
    if isinstance(rule, int):
        return rule
    say(f"added rule {rule.name!r}: {rule_condition(rule)} ({scope_text(rule.scope)})")
    return EXIT_OK


def _edit(args: argparse.Namespace, config: Config, store: Store, old: Rule) -> int:
    base = _from_json("rules edit", args.from_json)
    if isinstance(base, int):
        return base
    data, problems = option_data(args)
    # Only what is given changes: the old rule, then cleared fields, the JSON, the options.
    merged = {**rule_to_dict(old), **{f: _DEFAULTS[f] for f in args.clear}, **base, **data}
    rule = _save("rules edit", merged, problems, config, store, replacing=old.name)
    if isinstance(rule, int):
        return rule
    if rule == old:
        say(f"rule {rule.name!r} unchanged")
    elif rule.name != old.name:
        say(f"renamed rule {old.name!r} to {rule.name!r}: {rule_condition(rule)}")
    else:
        changed = [k for k, v in rule_to_dict(rule).items() if rule_to_dict(old)[k] != v]
        say(f"changed rule {rule.name!r}: {', '.join(changed)}")
    return EXIT_OK
