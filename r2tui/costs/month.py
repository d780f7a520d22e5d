"""The month put together from the cost model's parts: the bill and each
bucket's share of it, what each day added, the forecast and its range, the
free tier's burn-down, the last 24 hours against the baseline, and savings.
Definitions: `r2tui.jobs.cost_model` and docs/costs.md."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from r2tui.config.model import CostSettings
from r2tui.jobs.cost_model import (
    Basis,
    BucketCosts,
    Level,
    MonthCosts,
    bucket_shares,
    class_levels,
    day_usage,
    month_basis,
    month_usage,
    pace,
    paced_split,
    project,
    share,
    split_cents,
)
from r2tui.metrics import DAY
from r2tui.pricing import (
    ZERO,
    PriceList,
    Usage,
    bill,
    ia_minimum_byte_days,
    list_cost,
    settle,
    total_usage,
)
from r2tui.store.usage import BucketUsage


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
        c.today, c.baseline = _last_day(u, now, prices, spike.spike_baseline_days)
    account = total_usage(c.month_usage for c in out.values())
    basis = Basis()
    for c in out.values():
        basis.merge(c.basis)
    the_bill = bill(account, prices)
    daily, crossed = _increments(per_day, prices)
    _share_days(daily, out)
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
        out[n].ia_saving, out[n].standard_saving = _savings(
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
        runs_out=_runs_out(usages, account, crossed, now, month_end, prices),
        last_month=last,
        last_daily=last_daily,
        has_requests=any(u.hourly for u in usages.values()),
        basis=basis,
    )


def _share_days(daily: Mapping[int, Decimal], out: Mapping[str, BucketCosts]) -> None:
    """Each bucket's share of what each day added to the bill, by its share of
    the day's usage at list price: the buckets' days add up to the account's."""
    for d, added in daily.items():
        weights = {n: c.daily.get(d, ZERO) for n, c in out.items()}
        whole = sum(weights.values(), ZERO)
        for n, c in out.items():
            c.daily[d] = added * weights[n] / whole if whole > 0 else ZERO


def _last_day(
    u: BucketUsage, now: int, prices: PriceList, baseline_days: int
) -> tuple[Decimal, Decimal | None]:
    """The last 24 hours at list price, and the mean of the `baseline_days` 24-hour
    windows before them that have data."""
    first = min([*u.hourly, *u.peak_bytes], default=now)
    costs = []
    for k in range(baseline_days + 1):
        hi = now - k * DAY
        lo = hi - DAY
        if k > 0 and lo < first:
            break
        day = (hi - 1) - (hi - 1) % DAY
        level = class_levels(u, range(day, day + DAY, DAY))[0]
        costs.append(list_cost(day_usage(u, lo, hi, level, 0, prices), prices))
    baseline = sum(costs[1:], ZERO) / len(costs[1:]) if costs[1:] else None
    return costs[0], baseline


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
        for item, used, free in _allowances(running, prices):
            if settle(used) >= free and (free > 0 or used > 0) and item not in crossed:
                crossed[item] = d
    return out, crossed


def _allowances(u: Usage, prices: PriceList) -> list[tuple[str, Decimal, Decimal]]:
    return [
        ("standard_storage", Decimal(u.standard_gb_month), prices.free_storage_gb_month),
        ("standard_class_a", Decimal(u.standard_class_a), prices.free_class_a),
        ("standard_class_b", Decimal(u.standard_class_b), prices.free_class_b),
    ]


ONE = Decimal(1)


def _standard_bytes(u: BucketUsage, level: Level) -> Decimal:
    """A day's Standard bytes: measured, or the listing's share of the total."""
    if level.classes is not None:
        return Decimal(level.classes[0])
    return Decimal(level.total) * (1 - share(u.ia_byte_share))


def _runs_out(
    usages: Mapping[str, BucketUsage],
    account: Usage,
    crossed: dict[str, int],
    now: int,
    month_end: int,
    prices: PriceList,
) -> dict[str, int | None]:
    """When each free allowance runs out at the current pace: the day it did, a
    moment this month, or None when it lasts the month."""
    per_gb_month = Decimal(prices.bytes_per_gb) * prices.billing_period_days
    today = now - now % DAY
    rates = {"standard_storage": ZERO, "standard_class_a": ZERO, "standard_class_b": ZERO}
    for u in usages.values():
        level = class_levels(u, range(today, today + DAY, DAY))[0]
        rates["standard_storage"] += _standard_bytes(u, level) / per_gb_month
        rates["standard_class_a"] += paced_split(u, "class_a_requests", now, 0, ONE)[0]
        rates["standard_class_b"] += paced_split(u, "class_b_requests", now, 0, ONE)[0]
    out: dict[str, int | None] = {}
    for item, used, free in _allowances(account, prices):
        if item in crossed:
            out[item] = crossed[item]
        elif rates[item] > 0:
            at = now + int((free - used) / rates[item] * DAY)
            out[item] = at if at < month_end else None
        else:
            out[item] = None
    return out


def _savings(
    name: str,
    u: BucketUsage,
    out: Mapping[str, BucketCosts],
    total: Usage,
    month_start: int,
    now: int,
    month_end: int,
    prices: PriceList,
) -> tuple[Decimal | None, Decimal | None]:
    """What the account's month would cost less with this bucket's Standard data
    in Infrequent Access (IA's dearer requests, its retrieval fee for every GET
    and its 30-day minimum for data that churns all count against it), and with
    its IA data back in Standard. None where the bucket has no such data."""
    p = out[name].projected
    others = total - p
    as_is = bill(others + p, prices).total
    std_part = Usage(
        standard_gb_month=p.standard_gb_month,
        standard_class_a=p.standard_class_a,
        standard_class_b=p.standard_class_b,
    )
    ia_part = Usage(
        ia_gb_month=p.ia_gb_month,
        ia_class_a=p.ia_class_a,
        ia_class_b=p.ia_class_b,
        ia_retrieval_gb=p.ia_retrieval_gb,
    )
    to_ia = to_std = None
    remaining = Decimal(max(0, month_end - now)) / DAY
    gets = (
        Decimal(u.requests("download_requests", month_start, now))
        + pace(u, "download_requests", now)[0] * remaining
    )
    # GETs of objects of unknown size would make the retrieval fee look free.
    if p.standard_gb_month > 0 and not (gets > 0 and u.mean_object_bytes <= 0):
        std = 1 - share(u.ia_byte_share)
        peaks = class_levels(u, range(month_start - DAY, now, DAY))
        churn = sum(ia_minimum_byte_days([v.standard(u) for v in peaks], prices.ia_minimum_days))
        moved = Usage(
            ia_gb_month=p.standard_gb_month
            + Decimal(churn) / (Decimal(prices.bytes_per_gb) * prices.billing_period_days),
            ia_class_a=p.standard_class_a,
            ia_class_b=p.standard_class_b,
            ia_retrieval_gb=gets * std * share(u.mean_object_bytes) / prices.bytes_per_gb,
        )
        to_ia = as_is - bill(others + ia_part + moved, prices).total
    if p.ia_gb_month > 0:
        # As if its IA data had been Standard all month: requests at Standard rates,
        # no retrieval fee and no IA minimum.
        back = Usage(
            standard_gb_month=p.ia_gb_month,
            standard_class_a=p.ia_class_a,
            standard_class_b=p.ia_class_b,
        )
        to_std = as_is - bill(others + std_part + back, prices).total
    return to_ia, to_std
