"""The month put together from the parts: the bill and each bucket's share of
it, what each day added, the forecast and its range, the free tier's
burn-down, the last 24 hours against the baseline, and savings. Definitions:
`r2tui.costs` and docs/costs.md."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from r2tui.config.model import CostSettings
from r2tui.costs.allocation import bucket_shares, share_days, split_cents
from r2tui.costs.basis import Basis, month_basis
from r2tui.costs.bill import ZERO, Usage, bill, list_cost, settle, total_usage
from r2tui.costs.daily_usage import month_usage
from r2tui.costs.figures import BucketCosts, MonthCosts
from r2tui.costs.forecast import project
from r2tui.costs.free_tier import allowances, runs_out
from r2tui.costs.levels import class_levels
from r2tui.costs.savings import savings
from r2tui.costs.spikes import last_day
from r2tui.costs.usage import BucketUsage
from r2tui.metrics import DAY
from r2tui.pricing import PriceList


def month_bounds(now: float) -> tuple[int, int, int]:
    """The UTC calendar month around `now`: its start, its end and the start of
    the month before."""
    d = datetime.fromtimestamp(now, UTC)
    start = datetime(d.year, d.month, 1, tzinfo=UTC)
    end = datetime(d.year + d.month // 12, d.month % 12 + 1, 1, tzinfo=UTC)
    before = datetime(d.year - (d.month == 1), (d.month - 2) % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(end.timestamp()), int(before.timestamp())


def compute(
    usages: Mapping[str, BucketUsage],
    month_start: int,
    month_end: int,
    now: int,
    prices: PriceList,
    spike: CostSettings | None = None,
    last_month_start: int | None = None,
) -> MonthCosts:
    """Everything the Cost pane and the cost metrics show, for buckets `usages`
    (the account's own series, bucket "*", are not among them)."""
    spike = spike or CostSettings()
    today = now - now % DAY
    out: dict[str, BucketCosts] = {}
    per_day: dict[int, Usage] = {}
    for name, u in usages.items():
        mtd, days = month_usage(u, month_start, now, prices)
        c = out[name] = BucketCosts(
            month_usage=mtd,
            basis=month_basis(u, month_start, now, class_levels(u, range(month_start, now, DAY))),
        )
        for d, du in days.items():
            per_day[d] = per_day.get(d, Usage()) + du
            c.daily[d] = list_cost(du, prices)
        c.today, c.baseline = last_day(u, now, prices, spike.spike_baseline_days)
    account = total_usage(c.month_usage for c in out.values())
    basis = Basis()
    for c in out.values():
        basis.merge(c.basis)
    the_bill = bill(account, prices)
    daily, crossed = _increments(per_day, prices)
    share_days(daily, out)
    forecasts = {}
    for case in ("mid", "low", "high"):
        projected = {
            n: project(u, out[n].month_usage, today, now, month_end, prices, case)
            for n, u in usages.items()
        }
        forecasts[case] = bill(total_usage(projected.values()), prices)
        if case == "mid":
            for n, p in projected.items():
                out[n].projected = p
    shares = bucket_shares(the_bill, {n: c.month_usage for n, c in out.items()})
    for n, cents in split_cents(
        the_bill.total, {n: sum(k.values(), ZERO) for n, k in shares.items()}
    ).items():
        out[n].by_kind, out[n].month_to_date = shares[n], cents
    ahead = bucket_shares(forecasts["mid"], {n: c.projected for n, c in out.items()})
    for n, cents in split_cents(
        forecasts["mid"].total, {n: sum(k.values(), ZERO) for n, k in ahead.items()}
    ).items():
        out[n].forecast = cents
    projected_total = total_usage(c.projected for c in out.values())
    for n, u in usages.items():
        out[n].ia_saving, out[n].standard_saving = savings(
            n, u, out, projected_total, month_start, now, month_end, prices
        )
    today_cost = sum((c.today for c in out.values()), ZERO)
    baselines = [c.baseline for c in out.values() if c.baseline is not None]
    last, last_daily = None, {}
    # Last month only when the store saw its first day: a part of it is no comparison.
    if last_month_start is not None and any(
        last_month_start in u.peak_bytes
        or any(last_month_start <= h < last_month_start + DAY for h in u.hourly)
        for u in usages.values()
    ):
        before: dict[int, Usage] = {}
        for u in usages.values():
            for d, du in month_usage(u, last_month_start, month_start, prices)[1].items():
                before[d] = before.get(d, Usage()) + du
        last = bill(total_usage(before.values()), prices)
        # Its days again: the last run of a month ends before the month does.
        last_daily = _increments(before, prices)[0]
    return MonthCosts(
        month_start=month_start,
        month_end=month_end,
        now=now,
        bill=the_bill,
        forecast=forecasts["mid"],
        forecast_low=forecasts["low"],
        forecast_high=forecasts["high"],
        daily=daily,
        buckets=out,
        today=today_cost,
        baseline=sum(baselines, ZERO) if baselines else None,
        runs_out=runs_out(usages, account, crossed, now, month_end, prices),
        last_month=last,
        last_daily=last_daily,
        has_requests=any(u.hourly for u in usages.values()),
        basis=basis,
    )


def _increments(
    per_day: Mapping[int, Usage], prices: PriceList
) -> tuple[dict[int, Decimal], dict[str, int]]:
    """What each day added to the month's bill, and the day each free allowance
    was used up."""
    running, before, out = Usage(), ZERO, {}
    crossed: dict[str, int] = {}
    for d in sorted(per_day):
        running = running + per_day[d]
        total = bill(running, prices).total
        out[d], before = total - before, total
        for item, used, free in allowances(running, prices):
            if settle(used) >= free and (free > 0 or used > 0) and item not in crossed:
                crossed[item] = d
    return out, crossed
