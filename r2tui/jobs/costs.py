"""The calculate_costs job: the month's bill so far, each day's share of it,
the forecast and its range, the free tier's burn-down, spikes and savings
(`r2tui.costs`), stored as samples for the Cost pane, the reports and the
alert rules.

It reads only the store (no request to R2 or Cloudflare, so it costs nothing),
so it can run as often as wanted; the defaults run it every 6 hours.
"""

from __future__ import annotations

from r2tui.config import AccountConfig
from r2tui.costs import usage
from r2tui.costs.bill import ZERO, round_usd
from r2tui.costs.figures import MonthCosts
from r2tui.costs.forecast import TRAILING_DAYS
from r2tui.costs.month import compute, month_bounds
from r2tui.costs.samples import daily_rows, gauges
from r2tui.costs.spikes import is_spike
from r2tui.jobs.base import JobContext, Outcome, plural
from r2tui.metrics import ACCOUNT, DAY
from r2tui.store import state, writes
from r2tui.store.models import Event, Sample
from r2tui.store.rollups import RAW_KEPT_FROM
from r2tui.store.writes import EventRow


def calculate_costs(ctx: JobContext, account: AccountConfig) -> Outcome:
    now = int(ctx.clock())
    start, end, before = month_bounds(now)
    prices, settings = ctx.config.pricing, ctx.config.costs
    # From the month before (its bill, the baseline early in a month) and the IA
    # minimum's 30 days before that; by the hour for the days the pace and the
    # baseline look at.
    hours_for = max(TRAILING_DAYS, settings.spike_baseline_days + 1) + 1
    # Through `now` itself: a listing stamped this very second counts.
    found = usage.read(
        ctx.store,
        account.name,
        before - prices.ia_minimum_days * DAY,
        now + 1,
        hourly_from=now - now % DAY - hours_for * DAY,
    )
    found.pop(ACCOUNT, None)
    # A bucket gone before last month began has nothing left to bill.
    found = {n: u for n, u in found.items() if u.gone_from is None or u.gone_from > before}
    costs = compute(found, start, end, now, prices, settings, before)
    rows = gauges(costs)
    daily = daily_rows(costs)
    with ctx.store.write():
        writes.add_samples(ctx.store, account.name, rows, ts=now)
    _replace_changed_days(ctx, account.name, before if costs.last_daily else start, now, daily)
    _spike_events(ctx, account.name, costs)
    summary = (
        f"month to date ${costs.bill.total_usd:,.2f}, forecast "
        f"${round_usd(costs.forecast.total):,.2f} ({plural(len(found), 'bucket')})"
    )
    if not costs.has_requests:
        summary += "; storage only: no request counts (analytics needs an API token)"
    return Outcome(items=len(rows) + len(daily), summary=summary)


def _replace_changed_days(
    ctx: JobContext, account: str, start: int, now: int, rows: list[tuple[int, str, str, float]]
) -> None:
    """Rewrite the daily series from the first day whose value changed (usually
    today): rewriting the past sends the store-wide rollup back to it. Days the
    raw purge has passed live on in the rollups and are left alone, or every
    run would write them again for the next purge to drop."""
    kept = state.get(ctx.store, RAW_KEPT_FROM)
    if kept is not None:
        start = max(start, kept + (-kept) % DAY)
        rows = [r for r in rows if r[0] >= start]
    stored = {
        (int(ts), b): float(v)
        for ts, b, v in ctx.store.fetch(
            Sample.select(Sample.ts, Sample.bucket, Sample.value).where(
                Sample.account == account,
                Sample.metric == "daily_cost_usd",
                Sample.ts >= start,
                Sample.ts <= now,
            )
        )
    }
    fresh = {(ts, b): v for ts, b, _, v in rows}
    changed = [ts for (ts, b), v in fresh.items() if stored.get((ts, b)) != v]
    changed += [ts for key in stored.keys() - fresh.keys() for ts in (key[0],)]
    if not changed:
        return
    lo = min(changed)
    writes.replace_series(
        ctx.store, account, ["daily_cost_usd"], lo, now + 1, [r for r in rows if r[0] >= lo]
    )


def _spike_events(ctx: JobContext, account: str, c: MonthCosts) -> None:
    """One event a day for a cost spike of the account: the alert rules page on
    the metric; the activity feed says when it happened."""
    spike = ctx.config.costs
    if not is_spike(c.today, c.baseline, spike):
        return
    day = c.now - c.now % DAY
    with ctx.store.write():
        seen = (
            Event.select(Event.id)
            .where(Event.account == account, Event.kind == "cost", Event.ts >= day)
            .exists()
        )
        if not seen:
            writes.add_events(
                ctx.store,
                account,
                [
                    EventRow(
                        "cost",
                        "warning",
                        f"cost spike: ${round_usd(c.today):,.2f} in the last 24 hours against "
                        f"${round_usd(c.baseline or ZERO):,.2f} a day over the "
                        f"{spike.spike_baseline_days} days before (+{c.increase_pct:.0f} %)",
                        data={
                            "today_usd": round_usd(c.today),
                            "baseline_usd": round_usd(c.baseline or ZERO),
                        },
                    )
                ],
                ts=c.now,
            )
