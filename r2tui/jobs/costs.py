"""The calculate_costs job: the month's bill so far, each day's share of it,
the forecast and its range, the free tier's burn-down, spikes and savings,
stored as samples for the Cost pane, the reports and the alert rules.

It reads only the store (no request to R2 or Cloudflare, so it costs nothing),
so it can run as often as wanted; the defaults run it every 6 hours.
"""

from __future__ import annotations

from datetime import UTC, datetime

from r2tui.config import AccountConfig
from r2tui.jobs.base import JobContext, Outcome, plural
from r2tui.jobs.cost_model import (
    KINDS,
    TRAILING_DAYS,
    Basis,
    MonthCosts,
    increase_pct,
    is_spike,
    round_usd,
)
from r2tui.jobs.cost_month import compute
from r2tui.metrics import ACCOUNT, DAY
from r2tui.pricing import USAGE_FIELD, Line
from r2tui.store import state, usage, writes
from r2tui.store.models import Event, Sample, fetch
from r2tui.store.rollups import RAW_KEPT_FROM
from r2tui.store.writes import EventRow, SampleRow

RUNS_OUT = {
    "standard_storage": "free_storage_runs_out_at",
    "standard_class_a": "free_class_a_runs_out_at",
    "standard_class_b": "free_class_b_runs_out_at",
}


def month_bounds(now: float) -> tuple[int, int, int]:
    """The UTC calendar month around `now`: its start, its end and the start of
    the month before."""
    d = datetime.fromtimestamp(now, UTC)
    start = datetime(d.year, d.month, 1, tzinfo=UTC)
    end = datetime(d.year + d.month // 12, d.month % 12 + 1, 1, tzinfo=UTC)
    before = datetime(d.year - (d.month == 1), (d.month - 2) % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(end.timestamp()), int(before.timestamp())


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
        account.name,
        before - prices.ia_minimum_days * DAY,
        now + 1,
        hourly_from=now - now % DAY - hours_for * DAY,
    )
    found.pop(ACCOUNT, None)
    # A bucket gone before last month began has nothing left to bill.
    found = {n: u for n, u in found.items() if u.gone_from is None or u.gone_from > before}
    costs = compute(found, start, end, now, prices, settings, before)
    rows = _gauges(costs)
    daily = [
        (d, ACCOUNT, "daily_cost_usd", round_usd(v))
        for d, v in {**costs.last_daily, **costs.daily}.items()
    ]
    for name, c in costs.buckets.items():
        daily += [
            (d, name, "daily_cost_usd", round_usd(v)) for d, v in c.daily.items() if d >= start
        ]
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
    kept = state.get(RAW_KEPT_FROM)
    if kept is not None:
        start = max(start, kept + (-kept) % DAY)
        rows = [r for r in rows if r[0] >= start]
    stored = {
        (int(ts), b): float(v)
        for ts, b, v in fetch(
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


def _gauges(c: MonthCosts) -> list[SampleRow]:
    rows = [
        SampleRow("monthly_cost_usd", round_usd(c.bill.total)),
        SampleRow("cost_storage_usd", round_usd(c.bill.by_kind("storage"))),
        SampleRow("cost_requests_usd", round_usd(c.bill.by_kind("requests"))),
        SampleRow("cost_retrieval_usd", round_usd(c.bill.by_kind("retrieval"))),
        SampleRow("forecast_month_usd", round_usd(c.forecast.total)),
        SampleRow("forecast_low_usd", round_usd(c.forecast_low.total)),
        SampleRow("forecast_high_usd", round_usd(c.forecast_high.total)),
        SampleRow("daily_average_usd", round_usd(c.daily_average)),
        SampleRow("today_cost_usd", round_usd(c.today)),
        SampleRow("has_request_counts", 1.0 if c.has_requests else 0.0),
    ]
    if c.baseline is not None:
        rows.append(SampleRow("baseline_cost_usd", round_usd(c.baseline)))
    if c.increase_pct is not None:
        rows.append(SampleRow("daily_cost_increase_pct", c.increase_pct))
    if c.last_month is not None:
        rows.append(SampleRow("last_month_usd", round_usd(c.last_month.total)))
    for item, at in c.runs_out.items():
        rows.append(SampleRow(RUNS_OUT[item], float(at or 0)))
    rows += _usage_rows(ACCOUNT, c.bill.lines)
    rows += _basis_rows(ACCOUNT, c.basis)
    for name, b in c.buckets.items():
        rows += _basis_rows(name, b.basis)
        rows += [
            SampleRow("monthly_cost_usd", round_usd(b.month_to_date), name),
            SampleRow("cost_storage_usd", round_usd(b.by_kind.get("storage", 0)), name),
            SampleRow("cost_requests_usd", round_usd(b.by_kind.get("requests", 0)), name),
            SampleRow("cost_retrieval_usd", round_usd(b.by_kind.get("retrieval", 0)), name),
            SampleRow("forecast_month_usd", round_usd(b.forecast), name),
            SampleRow("today_cost_usd", round_usd(b.today), name),
        ]
        if b.baseline is not None:
            rows.append(SampleRow("baseline_cost_usd", round_usd(b.baseline), name))
            pct = increase_pct(b.today, b.baseline)
            if pct is not None:
                rows.append(SampleRow("daily_cost_increase_pct", pct, name))
        if b.ia_saving is not None:
            rows.append(SampleRow("ia_saving_usd", round_usd(b.ia_saving), name))
        if b.standard_saving is not None:
            rows.append(SampleRow("standard_saving_usd", round_usd(b.standard_saving), name))
    return rows


def _basis_rows(bucket: str, basis: Basis) -> list[SampleRow]:
    return [SampleRow(f"basis_{kind}", basis.value(kind), bucket) for kind in KINDS]


def _usage_rows(bucket: str, lines: tuple[Line, ...]) -> list[SampleRow]:
    return [
        SampleRow(f"usage_{USAGE_FIELD[line.item]}", float(line.usage), bucket) for line in lines
    ]


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
                        f"${round_usd(c.baseline or 0):,.2f} a day over the "
                        f"{spike.spike_baseline_days} days before (+{c.increase_pct:.0f} %)",
                        data={
                            "today_usd": round_usd(c.today),
                            "baseline_usd": round_usd(c.baseline or 0),
                        },
                    )
                ],
                ts=c.now,
            )
