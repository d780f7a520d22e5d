"""`r2tui rules test NAME`: what a rule says about the data right now, and
whether its channels can be reached.

It never goes through the engine: `check_alerts` would step and store the
alerts' states, queue notifications and write history, so a test would fire a
real alert. Here the rule is evaluated read-only against the same readings
the engine uses, and each channel is sent a test notice directly (not through
the outbox), so the answer "did it arrive?" comes back at once."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from r2tui.alerts.channels import DeliveryError, deliver, test_notice
from r2tui.alerts.cli_base import (
    EXIT_FAILED,
    EXIT_OK,
    account_name,
    fail,
    read_only,
    scope_text,
    value_text,
)
from r2tui.alerts.engine import targets
from r2tui.alerts.rules import Rule
from r2tui.alerts.states import condition
from r2tui.literal import visible
from r2tui.output import say, say_json
from r2tui.store import queries
from r2tui.store.readings import readings

if TYPE_CHECKING:
    from r2tui.config import Config
    from r2tui.store import Store


def evaluate(rule: Rule, config: Config, accounts: list[str], now: int) -> list[dict[str, Any]]:
    """The rule's condition on every bucket it watches, per account: no state,
    no `for` wait; just whether the condition holds on the current value."""
    out = []
    for account in accounts:
        values = readings(account, [rule.metric], now, config.timezone)
        buckets = set(queries.bucket_names(account)) | set(values)
        for bucket in targets(rule, buckets):
            reading = values.get(bucket, {}).get(rule.metric)
            value = reading.value if reading is not None else None
            out.append(
                {
                    "account": account,
                    "bucket": bucket,
                    "value": value,
                    "holds": condition(rule, value),
                }
            )
    return out


def send_tests(title: str, config: Config, names: list[str], now: int) -> list[dict[str, Any]]:
    """A test notice to each channel, one after the other; one failing does not
    stop the others. Errors are DeliveryError's, which never hold a secret."""
    results = []
    configured = config.alerts.channels
    for name in names:
        channel = configured.get(name)
        error = None
        if channel is None:
            error = (
                f"channel {name} is not configured (configured: "
                f"{', '.join(sorted(configured)) or 'none'})"
            )
        else:
            notice = replace(test_notice(name, now), title=title)
            try:
                deliver(channel, notice)
            except DeliveryError as exc:
                error = str(exc)
            except Exception as exc:
                # Not a failure channels.py knows: its text could quote the URL.
                error = f"channel {name}: unexpected {type(exc).__name__}"
        results.append(
            {
                "channel": name,
                "ok": error is None,
                "error": error,
                "describe": channel.describe() if channel else None,
            }
        )
    return results


def run_test(args: argparse.Namespace, config: Config, store: Store, rule: Rule) -> int:
    del store  # read through the bound models; nothing is written
    now = int(time.time())
    accounts = (
        [account_name(args, config)]
        if config.demo or args.account
        else [a.name for a in config.accounts]
    )
    evaluations = evaluate(rule, config, accounts, now)
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
        _print(rule, evaluations, sends)
    if wants_send and config.read_only:
        return read_only("rules test (sending test notifications; --no-send only evaluates)")
    if wants_send and not names:
        return fail(
            "rules test",
            "nothing sent: the rule names no channels and [alerts] default_channels is empty",
            EXIT_FAILED,
        )
    return EXIT_FAILED if any(not s["ok"] for s in sends) else EXIT_OK


def _print(rule: Rule, evaluations: list[dict[str, Any]], sends: list[dict[str, Any]]) -> None:
    state = "" if rule.enabled else " (disabled)"
    say(f"rule {rule.name!r}{state}: {rule.condition()} on {scope_text(rule.scope)}")
    if not evaluations:
        say(f"  no bucket matches {rule.scope!r} yet")
    for e in evaluations:
        holds = {
            True: "holds",
            False: "does not hold",
            None: f"no data (missing_data {rule.missing_data}: state kept)",
        }[e["holds"]]
        say(
            f"  {visible(e['account'])}  {scope_text(e['bucket'])}  "
            f"{value_text(e['value'], rule.unit)}  {holds}"
        )
    for s in sends:
        if s["ok"]:
            say(
                f"channel {visible(s['channel'])}: test notification sent "
                f"({visible(s['describe'])})"
            )
        else:
            say(f"channel {visible(s['channel'])}: FAILED: {visible(s['error'])}")
