"""The month's costs as the samples the calculate_costs job stores: the
gauges of the account and of each bucket, and each day's cost.
`r2tui.costs.view` reads them back."""

from __future__ import annotations

from r2tui.costs.basis import KINDS, Basis
from r2tui.costs.bill import USAGE_FIELD, ZERO, Line, round_usd
from r2tui.costs.figures import MonthCosts
from r2tui.costs.spikes import increase_pct
from r2tui.metrics import ACCOUNT
from r2tui.store.writes import SampleRow

RUNS_OUT = {
    "standard_storage": "free_storage_runs_out_at",
    "standard_class_a": "free_class_a_runs_out_at",
    "standard_class_b": "free_class_b_runs_out_at",
}


def gauges(c: MonthCosts) -> list[SampleRow]:
    """The account's gauges (bucket "*") and each bucket's."""
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
            SampleRow("cost_storage_usd", round_usd(b.by_kind.get("storage", ZERO)), name),
            SampleRow("cost_requests_usd", round_usd(b.by_kind.get("requests", ZERO)), name),
            SampleRow("cost_retrieval_usd", round_usd(b.by_kind.get("retrieval", ZERO)), name),
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


def daily_rows(c: MonthCosts) -> list[tuple[int, str, str, float]]:
    """Each day's cost as (day, bucket, metric, value): the account's, last
    month's days included when it has them, and each bucket's this month."""
    rows = [
        (d, ACCOUNT, "daily_cost_usd", round_usd(v)) for d, v in {**c.last_daily, **c.daily}.items()
    ]
    for name, b in c.buckets.items():
        rows += [
            (d, name, "daily_cost_usd", round_usd(v))
            for d, v in b.daily.items()
            if d >= c.month_start
        ]
    return rows
