"""Trying a rule and its channels without the engine: what a rule says about
the data right now, and whether its channels can be reached (`r2tui rules
test`, `r2tui notify test`, the Rules screen's test).

It never goes through the engine: `check_alerts` would step and store the
alerts' states, queue notifications and write history, so a test would fire a
real alert. Here the rule is evaluated read-only against the same readings
the engine uses, and each channel is sent a test notice directly (not through
the outbox), so the answer "did it arrive?" comes back at once."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from r2tui.alerts.channels import DeliveryError, deliver, trial_notice
from r2tui.alerts.engine import targets
from r2tui.alerts.rules import Rule
from r2tui.alerts.states import condition
from r2tui.store import Store, queries
from r2tui.store.readings import readings
from r2tui.store.views import Reading

if TYPE_CHECKING:
    from r2tui.config import Config


def evaluate(
    store: Store, rule: Rule, config: Config, accounts: list[str], now: int
) -> list[dict[str, Any]]:
    """The rule's condition on every bucket it watches, per account: no state,
    no `for` wait; just whether the condition holds on the current value (a
    change rule: on the change from `window` ago, with both values)."""
    out = []
    for account in accounts:
        values = readings(store, account, [rule.metric], now, config.timezone)
        past = (
            readings(store, account, [rule.metric], now, config.timezone, back=rule.window)
            if rule.is_change
            else {}
        )
        buckets = set(queries.bucket_names(store, account)) | set(values)
        for bucket in targets(rule, buckets):
            value = _value(values, bucket, rule.metric)
            row: dict[str, Any] = {"account": account, "bucket": bucket}
            if rule.is_change:
                before = _value(past, bucket, rule.metric)
                row |= {"now": value, "before": before}
                value = rule.change_of(value, before)
            out.append({**row, "value": value, "holds": condition(rule, value)})
    return out


def _value(values: dict[str, dict[str, Reading]], bucket: str, metric: str) -> float | None:
    reading = values.get(bucket, {}).get(metric)
    return reading.value if reading is not None else None


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
            notice = replace(trial_notice(name, now), title=title)
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
