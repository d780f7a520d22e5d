"""The check_alerts job: evaluate the rules for an account, run the automated
responses of alerts that fired, and deliver what the outbox holds."""

from __future__ import annotations

from dataclasses import asdict

from r2tui.alerts import outbox
from r2tui.alerts.engine import STATE_KIND
from r2tui.alerts.engine import check_alerts as evaluate
from r2tui.alerts.notice import AlertNotice
from r2tui.alerts.rules import Rule
from r2tui.config import AccountConfig
from r2tui.jobs.base import JobContext, Outcome
from r2tui.store.writes import EventRow, add_events


def check_alerts(ctx: JobContext, account: AccountConfig) -> Outcome:
    from r2tui.alerts.channels import deliver  # httpx and smtplib: only when alerting

    result = evaluate(ctx.store, ctx.config, account.name, now=ctx.clock())
    errors = list(result.problems)
    _respond(ctx, account.name, result.fired, errors)
    sent = outbox.deliver_due(ctx.store, ctx.config.alerts, deliver, now=ctx.clock())
    errors += sent.errors
    summary = result.summary()
    if sent.sent or sent.retried or sent.dead:
        summary += f"; delivered {sent.sent}, retrying {sent.retried}, dead {sent.dead}"
    return Outcome(items=result.evaluated, summary=summary, errors=errors)


def _respond(
    ctx: JobContext, account: str, fired: list[tuple[Rule, AlertNotice]], errors: list[str]
) -> None:
    """Each fired alert's configured responses, their outcome an event. A
    response the config no longer defines is reported, never guessed."""
    from r2tui.alerts.responses import run_response  # httpx: only when alerting

    responses = ctx.config.alerts.responses
    for rule, notice in fired:
        for name in rule.responses:
            resp = responses.get(name)
            if resp is None:
                errors.append(f"rule {rule.name!r}: response {name!r} is not configured")
                continue
            ok, outcome = run_response(resp, asdict(notice))
            add_events(
                ctx.store,
                account,
                [
                    EventRow(
                        STATE_KIND,
                        "info" if ok else "error",
                        f"{rule.name}: response {name} {'ran' if ok else 'failed'}: {outcome}",
                        notice.bucket,
                        {"rule": rule.name, "response": name, "ok": ok},
                    )
                ],
            )
