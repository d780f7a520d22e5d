"""The check_alerts job: evaluate the rules for an account, run the automated
responses queued for its alerts that fired (here or wherever else the rules
were evaluated: `r2tui.alerts.response_runs`), and deliver what the outbox
holds."""

from __future__ import annotations

from r2tui.alerts import outbox, response_runs
from r2tui.alerts.engine import check_alerts as evaluate
from r2tui.config import AccountConfig
from r2tui.jobs.base import JobContext, Outcome


def check_alerts(ctx: JobContext, account: AccountConfig) -> Outcome:
    from r2tui.alerts.channels import deliver  # httpx and smtplib: only when alerting

    result = evaluate(ctx.store, ctx.config, account.name, now=ctx.clock())
    errors = list(result.problems)
    # A response a config no longer defines is reported there, never guessed.
    ran = response_runs.run_due(ctx.store, ctx.config.alerts.responses, account=account.name)
    errors += ran.errors
    sent = outbox.deliver_due(ctx.store, ctx.config.alerts, deliver, now=ctx.clock())
    errors += sent.errors
    summary = result.summary()
    if ran.any:
        summary += f"; responses ran {ran.ran}, failed {ran.failed}, unknown {ran.unknown}"
    if sent.sent or sent.retried or sent.dead:
        summary += f"; delivered {sent.sent}, retrying {sent.retried}, dead {sent.dead}"
    return Outcome(items=result.evaluated, summary=summary, errors=errors)
