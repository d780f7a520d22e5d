"""A report from the store for one UTC day or month.

Every figure is a read of stored series through `store.history.points` at day
resolution, so a report of a month long past still finds its numbers in the
daily rollups after the raw samples are purged. What a period means:

- a daily report for day D covers D 00:00 to 24:00 UTC (the cost job's days are
  UTC days); a monthly one the UTC calendar month;
- objects and bytes: the level at the period's end against the level before it
  (the last value within `LOOKBACK_DAYS` before the start); a bucket with no
  value before the period has no known growth and is left out of the ranking;
- requests, uploads, downloads and the error rate: sums over the period
  against the previous period (analytics only: None without a token);
- cost of a day: what it added to the month's bill (daily_cost_usd); of a
  month: its bill, as the next month's cost runs recorded it (last_month_usd,
  the whole month), else the month's last month-to-date figure;
- objects and bytes per storage class: as objects and bytes (analytics' per
  class figures where it said the class, else the listing's); the totals are
  their sums;
- how the bill's usage was found (measured or estimated, per kind of charge)
  and the recommendations: the cost view as of the period's end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from peewee import fn

from r2tui.costs.bill import ITEMS
from r2tui.costs.view import costs_view
from r2tui.metrics import ACCOUNT, CATALOG, DAY, Metric
from r2tui.pricing import LIST_PRICES, PriceList
from r2tui.reports.model import (
    KINDS,
    Basis,
    BucketGrowth,
    Costs,
    EventLine,
    Figure,
    KeyNumbers,
    Report,
)
from r2tui.store import Store, health, history
from r2tui.store.health import ANALYTICS, LISTING, S3, SOURCES, HealthView
from r2tui.store.models import Event
from r2tui.store.queries import month_start
from r2tui.store.readings import series_buckets
from r2tui.store.views import CostsView

LOOKBACK_DAYS = 31  # how far back the level "before the period" is looked for
TOP_GROWTH = 5
MAX_ALERTS = 100
MAX_EVENTS = 20
# The activity feed's job runs are routine; a failed one is worth a line.
ALERT_KIND = "alert"
QUIET_KINDS = ("job", ALERT_KIND)
FORMS = {"daily": ("%Y-%m-%d", "YYYY-MM-DD"), "monthly": ("%Y-%m", "YYYY-MM")}


def _series(name: str, calc: str = "last") -> Metric:
    """A stored series the catalog does not list (the cost job's account gauges)."""
    return Metric(name, "", calc, "", "costs")


def _sum(*series: str) -> Metric:
    return Metric(series[0], "", "sum", "", "analytics", series=series)


def parse_period(kind: str, text: str) -> int:
    """The period's start from `--date`; ValueError naming the valid form."""
    fmt, form = FORMS[kind]
    try:
        d = datetime.strptime(text, fmt).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"--date {text!r} is not a {'day' if kind == 'daily' else 'month'}; "
            f"use {form} for a {kind} report"
        ) from None
    return int(d.timestamp())


def default_period(kind: str, now: float) -> int:
    """Yesterday (UTC) for a daily report, last month for a monthly one: the
    last period that is over."""
    if kind == "daily":
        return int(now) - int(now) % DAY - DAY
    return month_start(month_start(now) - 1)


def period_bounds(kind: str, start: int) -> tuple[int, int]:
    """The UTC day or month holding `start`: [start, end)."""
    if kind not in KINDS:
        raise ValueError(f"unknown report kind {kind!r}; valid: {', '.join(KINDS)}")
    if kind == "daily":
        day = start - start % DAY
        return day, day + DAY
    return month_start(start), _next_month(start)


def previous_period(kind: str, start: int) -> int:
    return start - DAY if kind == "daily" else month_start(start - 1)


def _next_month(ts: float) -> int:
    return month_start(month_start(ts) + 32 * DAY)


def build(
    store: Store,
    account: str,
    kind: str,
    period_start: int,
    now: float,
    prices: PriceList = LIST_PRICES,
) -> Report:
    start, end = period_bounds(kind, period_start)
    before = previous_period(kind, start)
    notes: list[str] = []
    if now < end:
        notes.append("the period is not over yet: figures are as of the time generated")
    growth, unknown = _growth(store, account, start, end)
    if unknown:
        notes.append(
            f"{unknown} bucket{'s have' if unknown > 1 else ' has'} no size "
            "recorded before the period: growth not known"
        )
    numbers = KeyNumbers(
        objects=_level(store, account, CATALOG["total_files"], ACCOUNT, start, end),
        bytes=_level(store, account, CATALOG["total_bytes"], ACCOUNT, start, end),
        requests=_total(store, account, ("requests",), before, start, end),
        uploads=_total(store, account, ("upload_requests",), before, start, end),
        downloads=_total(store, account, ("download_requests",), before, start, end),
        error_rate_pct=Figure(
            _error_rate(store, account, start, end), _error_rate(store, account, before, start)
        ),
        **{
            name: _level(store, account, CATALOG[name], ACCOUNT, start, end)
            for name in ("standard_objects", "standard_bytes", "ia_objects", "ia_bytes")
        },
    )
    sources = health.read(store, account)
    analytics = sources.get(ANALYTICS)
    if numbers.requests.value is None:
        notes.append(
            "no request counts for the period: "
            + (
                f"Cloudflare's analytics: {analytics.headline}"
                if analytics.failed
                else "they come from Cloudflare's analytics, which need an API token"
            )
        )
    notes += _stale_notes(sources, end, skip=ANALYTICS if numbers.requests.value is None else None)
    costs = (
        _daily_costs(store, account, start)
        if kind == "daily"
        else _monthly_costs(store, account, start)
    )
    if not costs.known:
        notes.append("no cost figures for the period: the calculate_costs job had not run")
    alerts, alerts_total = _events(store, account, start, end, [ALERT_KIND], MAX_ALERTS)
    events, events_total = _events(store, account, start, end, None, MAX_EVENTS)
    view = costs_view(store, account, min(float(end - 1), now), prices)
    costs = replace(costs, basis=_basis(view))
    if costs.known and not view.has_data:
        # The view reads the cost run's raw samples, which retention purges first.
        notes.append(
            "no recommendations, nor which charges were measured or estimated: "
            "the cost run behind them is no longer kept in "
            "detail (raw samples are purged after retention.samples_days)"
        )
    return Report(
        kind=kind,
        account=account,
        period_start=start,
        period_end=end,
        generated_at=int(now),
        numbers=numbers,
        costs=costs,
        growth=growth,
        alerts=alerts,
        alerts_total=alerts_total,
        events=events,
        events_total=events_total,
        recommendations=list(view.recommendations),
        notes=notes,
    )


KIND_OF = {item.name: item.kind for item in ITEMS}
WHAT = {
    ANALYTICS: "requests and analytics storage",
    S3: "listed storage",
    LISTING: "listed storage",
}


def _stale_notes(sources: HealthView, end: int, skip: str | None) -> list[str]:
    """A note per source that was failing before the period ended: the figures
    built on it stop where it stopped, and are not the period's whole."""
    notes, said = [], set()
    for source in SOURCES:
        h = sources.get(source)
        if source == skip or not h.failed or h.since is None or h.since >= end:
            continue
        if WHAT[source] in said:  # the endpoint and the listing: one note
            continue
        said.add(WHAT[source])
        when = datetime.fromtimestamp(h.since, UTC).strftime("%Y-%m-%d %H:%M UTC")
        notes.append(f"{WHAT[source]} may be stale: {h.headline} (failing since {when})")
    return notes


def _basis(view: CostsView) -> list[Basis]:
    """Per kind of charge, whether the bill's usage was measured or estimated,
    and why; none for charges not counted (no request counts)."""
    out: dict[str, Basis] = {}
    if view.has_data:
        for line in view.lines:
            kind = KIND_OF[line.item]
            if kind == "storage" or view.requests_known:
                out.setdefault(kind, Basis(kind, line.basis, line.reason))
    return list(out.values())


def _days(store: Store, account: str, m: Metric, bucket: str, lo: int, hi: int) -> dict[int, float]:
    """The metric per UTC day for days starting in [lo, hi)."""
    return dict(history.points(store, account, m, bucket, "day", lo, hi - 1))


def _level(store: Store, account: str, m: Metric, bucket: str, start: int, end: int) -> Figure:
    days = _days(store, account, m, bucket, start - LOOKBACK_DAYS * DAY, end)
    inside = [v for d, v in sorted(days.items()) if d >= start]
    earlier = [v for d, v in sorted(days.items()) if d < start]
    return Figure(inside[-1] if inside else None, earlier[-1] if earlier else None)


def _total(
    store: Store, account: str, series: tuple[str, ...], before: int, start: int, end: int
) -> Figure:
    m = _sum(*series)
    days = _days(store, account, m, ACCOUNT, before, end)
    now = [v for d, v in days.items() if d >= start]
    then = [v for d, v in days.items() if d < start]
    return Figure(sum(now) if now else None, sum(then) if then else None)


def _error_rate(store: Store, account: str, start: int, end: int) -> float | None:
    requests = _days(store, account, _sum("requests"), ACCOUNT, start, end)
    if not sum(requests.values()):
        return None
    errors = _days(store, account, _sum("error_requests"), ACCOUNT, start, end)
    return 100.0 * sum(errors.values()) / sum(requests.values())


def _growth(store: Store, account: str, start: int, end: int) -> tuple[list[BucketGrowth], int]:
    """The buckets that added the most bytes (fastest first), and how many
    buckets have no level before the period."""
    m = CATALOG["total_bytes"]
    rows, unknown = [], 0
    for bucket in series_buckets(store, account, m.reads):
        if bucket == ACCOUNT:
            continue
        level = _level(store, account, m, bucket, start, end)
        if level.value is None:
            continue  # no data in the period: gone, or never listed
        if level.previous is None:
            unknown += 1
            continue
        rows.append(BucketGrowth(bucket, level.previous, level.value))
    grew = [g for g in rows if g.added > 0]
    grew.sort(key=lambda g: (-g.added, g.name))
    return grew[:TOP_GROWTH], unknown


def _daily_costs(store: Store, account: str, day: int) -> Costs:
    month = month_start(day)
    daily = _days(
        store, account, CATALOG["daily_cost_usd"], ACCOUNT, min(month, day - DAY), day + DAY
    )
    if day not in daily:
        return Costs(known=False, period_usd=Figure(None, daily.get(day - DAY)))

    def that_day(name: str) -> float | None:
        return _days(store, account, _series(name), ACCOUNT, day, day + DAY).get(day)

    return Costs(
        known=True,
        period_usd=Figure(daily[day], daily.get(day - DAY)),
        # To the millionth, as the cost job stores each day: no float noise from the sum.
        month_to_date_usd=round(sum(v for d, v in daily.items() if month <= d <= day), 6),
        forecast_month_usd=that_day("forecast_month_usd"),
        forecast_low_usd=that_day("forecast_low_usd"),
        forecast_high_usd=that_day("forecast_high_usd"),
    )


def _month_bill(store: Store, account: str, month: int) -> float | None:
    after = _next_month(month)
    recorded = _days(store, account, _series("last_month_usd"), ACCOUNT, after, _next_month(after))
    if recorded:
        return recorded[max(recorded)]
    so_far = _days(store, account, CATALOG["monthly_cost_usd"], ACCOUNT, month, after)
    return so_far[max(so_far)] if so_far else None


def _monthly_costs(store: Store, account: str, month: int) -> Costs:
    bill = _month_bill(store, account, month)
    return Costs(
        known=bill is not None,
        period_usd=Figure(bill, _month_bill(store, account, month_start(month - 1))),
    )


def _events(
    store: Store, account: str, start: int, end: int, kinds: list[str] | None, limit: int
) -> tuple[list[EventLine], int]:
    """Events of `kinds` in the period (None: the notable ones: all but routine
    job runs, and alerts, which have their own section), oldest first; at most
    `limit`, the newest kept, and how many there were in all."""
    where = [Event.account.in_([account, ACCOUNT]), Event.ts >= start, Event.ts < end]
    if kinds is not None:
        where.append(Event.kind.in_(kinds))
    else:
        where.append(
            Event.kind.not_in(QUIET_KINDS) | ((Event.kind == "job") & (Event.level == "error"))
        )
    total = Event.select(fn.COUNT(Event.id)).where(*where).scalar() or 0
    # peewee's stubs type a `.tuples()` query's rows as models.
    rows = cast(
        "Iterable[tuple[int, str, str, str | None, str]]",
        Event.select(Event.ts, Event.kind, Event.level, Event.bucket, Event.message)
        .where(*where)
        .order_by(Event.ts.desc(), Event.id.desc())
        .limit(limit)
        .tuples(),
    )
    lines = [
        EventLine(int(ts), kind, level, bucket, message)
        for ts, kind, level, bucket, message in rows
    ]
    lines.reverse()
    return lines, int(total)
