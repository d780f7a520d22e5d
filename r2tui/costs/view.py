"""The Cost pane's, the reports' and `status --json`'s view of the month: a
read of what the calculate_costs job stored, plus the recommendations drawn
from it."""

from __future__ import annotations

import threading
import weakref
from decimal import Decimal

from r2tui.costs.bill import ITEMS, USAGE_FIELD, Usage, bill
from r2tui.metrics import ACCOUNT, CATALOG, COST_GAUGES, DAY, USAGE_SERIES
from r2tui.pricing import LIST_PRICES, PriceList
from r2tui.store import Store, history, queries
from r2tui.store.readings import marks
from r2tui.store.views import (
    ESTIMATED,
    MEASURED,
    BucketCost,
    CostLine,
    CostsView,
    FreeTierGauge,
    Recommendation,
)

FREE_TIER = (
    ("standard_storage", "free_storage_runs_out_at"),
    ("standard_class_a", "free_class_a_runs_out_at"),
    ("standard_class_b", "free_class_b_runs_out_at"),
)
# Advice about r2tui's own requests once they are this share of the bill.
MONITOR_SHARE_PCT = 5.0
MIN_SAVING_USD = 0.01
PENDING_FRESH = 2 * DAY  # an older count of unfinished uploads is no news
# Why a kind of charge is measured, estimated or partly either (the cost job's
# basis_<kind>: 1, 0, 0.5), in one short line each.
REASONS: dict[str, dict[float, str]] = {
    "storage": {
        1.0: "per-class bytes from Cloudflare's analytics",
        0.0: "split by the last listing's IA share of bytes",
        0.5: "partly split by the last listing's IA share (days or buckets without "
        "per-class analytics)",
    },
    "requests": {
        1.0: "counted per storage class by Cloudflare's analytics",
        0.0: "split by the last listing's IA share of objects",
        0.5: "partly counted; the rest split by the last listing's IA share of objects",
    },
    "retrieval": {
        1.0: "bytes read from IA, summed by Cloudflare's analytics",
        0.0: "GETs x the last listing's IA share x its mean object size",
        0.5: "partly summed; the rest GETs x the listing's IA share x mean object size",
    },
}
NOT_COUNTED = "no request counts stored"


def costs_view(
    store: Store,
    account: str,
    now: float | None = None,
    prices: PriceList = LIST_PRICES,
    monitor_usd: float | None = None,
) -> CostsView:
    """`monitor_usd`: r2tui's own spend this month when the caller has read it
    already (the dashboard's storage view has)."""
    store.bound()
    now = store.clock() if now is None else now
    start = queries.month_start(now)
    # Plain SQL (Store.rows): a pane refresh reads this every few seconds.
    at = store.rows(
        "SELECT ts FROM sample WHERE account = ? AND metric = ? AND bucket = ? "
        "AND ts >= ? AND ts <= ? ORDER BY ts DESC LIMIT 1",
        (account, "monthly_cost_usd", ACCOUNT, start, now),
    )
    computed_at = int(at[0][0]) if at else None
    values, run = _run(store, account, computed_at) if computed_at is not None else ({}, [])
    buckets = list(run)
    mine = values.get(ACCOUNT, {})
    usage = Usage(
        **{field: Decimal(str(mine.get(f"usage_{field}", 0.0))) for field in USAGE_FIELD.values()}
    )
    known = bool(mine.get("has_request_counts"))
    lines = [
        CostLine(
            item=line.item,
            label=line.label,
            unit=line.unit,
            usage=float(line.usage),
            free=float(line.free),
            billable=float(line.billable),
            usd=float(line.usd),
            **_basis(line.kind, mine.get(f"basis_{line.kind}"), known),
        )
        for line in bill(usage, prices).lines
    ]
    gauges = [_gauge(item, usage, prices, mine.get(key)) for item, key in FREE_TIER]
    mtd = mine.get("monthly_cost_usd", 0.0)
    monitor = (
        queries.monitor_spend(store, account, start).usd if monitor_usd is None else monitor_usd
    )
    # Through the rollups: the raw purge drops a month's first days.
    daily = history.points(
        store, account, CATALOG["daily_cost_usd"], ACCOUNT, "day", start, int(now)
    )
    return CostsView(
        account=account,
        computed_at=computed_at,
        month_start=start,
        month_to_date_usd=mtd,
        daily_average_usd=mine.get("daily_average_usd", 0.0),
        forecast_month_usd=mine.get("forecast_month_usd", 0.0),
        forecast_low_usd=mine.get("forecast_low_usd", 0.0),
        forecast_high_usd=mine.get("forecast_high_usd", 0.0),
        storage_usd=mine.get("cost_storage_usd", 0.0),
        requests_usd=mine.get("cost_requests_usd", 0.0),
        retrieval_usd=mine.get("cost_retrieval_usd", 0.0),
        last_month_usd=mine.get("last_month_usd"),
        today_usd=mine.get("today_cost_usd"),
        increase_pct=mine.get("daily_cost_increase_pct"),
        monitor_month_usd=monitor,
        lines=lines,
        buckets=buckets,
        daily=daily,
        free_tier=gauges,
        recommendations=recommendations(store, account, buckets, mtd, monitor, now),
        prices_source=prices.source,
        requests_known=known,
    )


# The figures of each account's last run, as last read (per store): at a
# thousand buckets a run stores 13,000 of them, and a pane refresh every few
# seconds would read them all again. A run's figures are written at its time in
# one transaction and never changed, so its time and its count of rows say
# whether what was read still holds.
RunValues = dict[str, dict[str, float]]  # bucket → series → value
Run = tuple[RunValues, list[BucketCost]]  # the figures, and each bucket's costs from them
_RUNS: weakref.WeakKeyDictionary[Store, dict[str, tuple[int, int, Run]]] = (
    weakref.WeakKeyDictionary()
)
_RUNS_LOCK = threading.Lock()


def _run(store: Store, account: str, computed_at: int) -> Run:
    """Every bucket's figures of the run at `computed_at` (for each series, one
    seek on the (account, metric, ts) index, then that run's rows), and each
    bucket's costs, most expensive first."""
    series = COST_GAUGES + USAGE_SERIES
    where = f"account = ? AND metric IN ({marks(series)}) AND ts = ?"
    args = (account, *series, computed_at)
    (count,) = store.rows(f"SELECT COUNT(*) FROM sample WHERE {where}", args)[0]
    with _RUNS_LOCK:
        kept = _RUNS.get(store, {}).get(account)
    if kept is not None and kept[:2] == (computed_at, count):
        return kept[2]
    values: RunValues = {}
    for bucket, metric, value in store.rows(
        f"SELECT bucket, metric, value FROM sample WHERE {where}", args
    ):
        values.setdefault(bucket, {})[metric] = float(value)
    known = bool(values.get(ACCOUNT, {}).get("has_request_counts"))
    buckets = sorted(
        (_bucket(name, v, known) for name, v in values.items() if name != ACCOUNT),
        key=lambda b: (-b.month_to_date_usd, b.name),
    )
    with _RUNS_LOCK:
        _RUNS.setdefault(store, {})[account] = (computed_at, count, (values, buckets))
    return values, buckets


def _basis(kind: str, value: float | None, requests_known: bool) -> dict[str, str]:
    """A bill line's basis and why. A run stored before the bill said its basis
    (no basis_<kind>) estimated every IA share from the listing."""
    if kind != "storage" and not requests_known:
        return {"basis": ESTIMATED, "reason": NOT_COUNTED}
    v = 0.0 if value is None else min(REASONS[kind], key=lambda k: abs(k - value))
    return {"basis": MEASURED if v == 1.0 else ESTIMATED, "reason": REASONS[kind][v]}


def _bucket(name: str, v: dict[str, float], requests_known: bool) -> BucketCost:
    return BucketCost(
        name=name,
        month_to_date_usd=v.get("monthly_cost_usd", 0.0),
        storage_usd=v.get("cost_storage_usd", 0.0),
        requests_usd=v.get("cost_requests_usd", 0.0),
        retrieval_usd=v.get("cost_retrieval_usd", 0.0),
        forecast_month_usd=v.get("forecast_month_usd"),
        today_usd=v.get("today_cost_usd"),
        increase_pct=v.get("daily_cost_increase_pct"),
        ia_saving_usd=v.get("ia_saving_usd"),
        standard_saving_usd=v.get("standard_saving_usd"),
        # Without request counts, requests and retrieval are not measured: not counted.
        basis={
            kind: MEASURED
            if v.get(f"basis_{kind}", 0.0) == 1.0 and (kind == "storage" or requests_known)
            else ESTIMATED
            for kind in REASONS
        },
    )


def _gauge(item: str, usage: Usage, prices: PriceList, runs_out: float | None) -> FreeTierGauge:
    spec = next(i for i in ITEMS if i.name == item)
    assert spec.free is not None
    return FreeTierGauge(
        item=item,
        label=spec.label,
        unit=spec.unit,
        used=float(getattr(usage, USAGE_FIELD[item])),
        allowance=float(getattr(prices, spec.free)),
        runs_out_at=int(runs_out) if runs_out else None,
    )


def _pending_uploads(store: Store, account: str, now: float) -> dict[str, float]:
    """Each bucket's newest count of unfinished multipart uploads in the last two
    days (analytics' storage snapshots): per bucket with such a series
    (series_key), one seek for its newest sample on the (account, metric,
    bucket, ts) index, however old within the two days."""
    return {
        bucket: float(value)
        for bucket, value in store.rows(
            "SELECT bucket, (SELECT value FROM sample WHERE account = k.account"
            " AND metric = k.metric AND bucket = k.bucket AND ts >= ? AND ts <= ?"
            # `+id`: the last stored of two at one time, without walking an id order.
            " ORDER BY ts DESC, +id DESC LIMIT 1)"
            " FROM series_key k WHERE account = ? AND metric = ? AND bucket <> ?",
            (now - PENDING_FRESH, now, account, "pending_uploads", ACCOUNT),
        )
        if value is not None
    }


def recommendations(
    store: Store,
    account: str,
    buckets: list[BucketCost],
    month_to_date: float,
    monitor_usd: float,
    now: float,
) -> list[Recommendation]:
    """The biggest saving first."""
    out = [
        Recommendation(
            "infrequent_access",
            b.name,
            f"Move {b.name} to Infrequent Access: cheaper even with its reads, the retrieval "
            "fee and the 30-day minimum counted",
            saving_usd=b.ia_saving_usd,
        )
        for b in buckets
        if b.ia_saving_usd is not None and b.ia_saving_usd >= MIN_SAVING_USD
    ]
    out += [
        Recommendation(
            "standard",
            b.name,
            f"Move the Infrequent Access data of {b.name} back to Standard: its reads cost "
            "more in IA (retrieval fee, dearer requests) than the storage saves",
            saving_usd=b.standard_saving_usd,
        )
        for b in buckets
        if b.standard_saving_usd is not None and b.standard_saving_usd >= MIN_SAVING_USD
    ]
    out.sort(key=lambda r: -(r.saving_usd or 0.0))
    pending_by = _pending_uploads(store, account, now)
    for b in buckets:
        pending = pending_by.get(b.name)
        if pending:
            out.append(
                Recommendation(
                    "pending_uploads",
                    b.name,
                    f"{b.name} has {int(pending):,} unfinished multipart uploads: their parts are "
                    "stored and billed; abort them, or add a lifecycle rule that does",
                )
            )
    if month_to_date > 0 and 100.0 * monitor_usd / month_to_date >= MONITOR_SHARE_PCT:
        out.append(
            Recommendation(
                "monitor",
                None,
                f"r2tui's own requests cost ${monitor_usd:,.2f} this month "
                f"({100.0 * monitor_usd / month_to_date:.0f} % of the bill): list less often "
                "(schedule.inventory), or set an API token so totals come from free analytics",
            )
        )
    return out
