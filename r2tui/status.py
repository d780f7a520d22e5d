"""The dashboard snapshot as one JSON-ready document (`r2tui status --json`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from r2tui.costs.bill import to_cents
from r2tui.costs.probes import ProbePlan
from r2tui.metrics import ACCOUNT, BYTES_METRICS, CLASS_METRICS, describe, series_source
from r2tui.store import health
from r2tui.store.queries import REPORTED
from r2tui.store.views import (
    ActivityRow,
    BucketStorage,
    CollectorView,
    CostsView,
    Dashboard,
    ObjectRow,
    Reading,
    StorageView,
    TallyRow,
)

if TYPE_CHECKING:
    from r2tui.alerts.views import AlertRow, AlertsView


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _tallies(rows: list[TallyRow]) -> dict[str, dict[str, int]]:
    return {r.key: {"objects": r.objects, "bytes": r.bytes} for r in rows}


def _objects(rows: list[ObjectRow], with_bucket: bool = False) -> list[dict[str, Any]]:
    out = []
    for o in rows:
        d: dict[str, Any] = {
            "key": o.key,
            "size": o.size,
            "last_modified": iso(o.last_modified),
            "storage_class": o.storage_class,
        }
        if with_bucket:
            d = {"bucket": o.bucket, **d}
        out.append(d)
    return out


def _bucket(b: BucketStorage) -> dict[str, Any]:
    return {
        "name": b.name,
        "objects": b.objects,
        "bytes": b.bytes,
        "inventoried_at": iso(b.inventoried_at),
        "list_requests": b.list_requests,
        "by_extension": _tallies(b.by_extension),
        "by_storage_class": _tallies(b.by_storage_class),
        "largest": _objects(b.largest),
        "newest": _objects(b.newest),
        "other_extensions": b.other_extensions,
    }


def storage_doc(s: StorageView) -> dict[str, Any]:
    return {
        "total_objects": s.total_objects,
        "total_bytes": s.total_bytes,
        "bucket_count": len(s.buckets),
        "quota_bytes": s.quota_bytes,
        "usage_pct": None if s.usage_pct is None else round(s.usage_pct, 3),
        "by_extension": _tallies(s.by_extension),
        "by_storage_class": _tallies(s.by_storage_class),
        "largest": _objects(s.largest, with_bucket=True),
        "not_inventoried": s.not_inventoried,
        "oldest_inventory_at": iso(s.oldest_inventory_at),
        "monitor_spend": {
            "since": iso(s.spend.since),
            "class_a_requests": s.spend.class_a,
            "class_b_requests": s.spend.class_b,
            "free_requests": s.spend.free,
            "usd_list_price": round(s.spend.usd, 6),
        },
        "buckets": [_bucket(b) for b in s.buckets],
    }


def collector_doc(c: CollectorView) -> dict[str, Any]:
    return {
        "state": c.state,
        "detail": c.detail,
        "last_success_at": iso(c.last_success_at),
        "jobs": [
            {
                "job": j.job,
                "started_at": iso(j.started_at),
                "finished_at": iso(j.finished_at),
                "ok": j.ok,
                "items": j.items,
                "error": j.error,
                "host": j.host,
            }
            for j in c.jobs
        ],
    }


def activity_doc(rows: list[ActivityRow]) -> list[dict[str, Any]]:
    return [
        {
            "ts": iso(r.ts),
            "kind": r.kind,
            "level": r.level,
            "bucket": r.bucket,
            "message": r.message,
        }
        for r in rows
    ]


def _value(r: Reading | None) -> float | int | None:
    if r is None or r.value is None:
        return None
    return int(r.value) if r.value.is_integer() and abs(r.value) < 2**53 else round(r.value, 3)


# Every metric the document reports: the cards' and the alert rules', the
# storage classes and the bytes moved.
NAMES = REPORTED + tuple(n for n in CLASS_METRICS + BYTES_METRICS if n not in REPORTED)


def _readings(values: dict[str, Reading]) -> dict[str, Any]:
    doc: dict[str, Any] = {name: _value(values.get(name)) for name in NAMES}
    doc["trends_pct"] = {
        name: round(t, 1)
        for name in NAMES
        if (r := values.get(name)) is not None and (t := r.trend_pct) is not None
    }
    # Which source each value read from ("listing" or "analytics"), for the
    # metrics that read either; and the figures built on sampled request counts.
    doc["sources"] = {
        name: series_source(r.series)
        for name in NAMES
        if (r := values.get(name)) is not None and r.series is not None
    }
    doc["sampled"] = sorted(
        name for name in NAMES if (r := values.get(name)) is not None and r.sampled
    )
    return doc


def metrics_doc(d: Dashboard) -> dict[str, Any]:
    """The catalog metrics for the account (top level) and each bucket
    (`buckets.<name>.<metric>`); null where there is no data (never a made-up 0),
    and which need an API token when none is set."""
    doc: dict[str, Any] = {}
    m = d.metrics
    if m is not None:
        doc.update(_readings(m.values.get(ACCOUNT, {})))
        doc["analytics"] = {"configured": m.analytics, "stored_to": iso(m.analytics_at)}
        if not m.analytics:
            doc["analytics"]["needs_token"] = sorted(
                name for name in NAMES if describe(name).needs_token
            )
        doc["buckets"] = {b: _readings(m.values.get(b, {})) for b in m.buckets}
    if d.probes:
        doc["probes"] = {
            p.bucket: {
                "at": iso(p.at),
                "ok": p.ok,
                **{f"{k}_ms": round(v, 3) for k, v in p.ms.items()},
            }
            for p in d.probes
        }
    if d.endpoint is not None:
        doc["endpoint"] = {
            "at": iso(d.endpoint.at),
            "ok": d.endpoint.ok,
            "ms": None if d.endpoint.ms is None else round(d.endpoint.ms, 3),
        }
    return doc


def _usd(v: float | None) -> float | None:
    """To the cent, half up as an invoice rounds: round() would give 1.00 for
    $1.005, which a float holds as 1.00499…"""
    return None if v is None else float(to_cents(Decimal(repr(v))))


def costs_doc(c: CostsView) -> dict[str, Any]:
    """The month in USD, to the cent (line items keep the exact amount: a single
    Class A unit beyond the free tier is $4.50, a GB-month $0.015). Before the
    first calculation every figure is null: a zero would look like a bill."""
    if not c.has_data:
        return {
            "computed_at": None,
            "month": iso(c.month_start),
            **dict.fromkeys(
                (
                    "month_to_date_usd",
                    "daily_average_usd",
                    "forecast_month_usd",
                    "storage_usd",
                    "requests_usd",
                    "retrieval_usd",
                )
            ),
            "monitor_month_usd": round(c.monitor_month_usd, 6),
            "prices_source": c.prices_source,
            "lines": [],
            "buckets": {},
            "recommendations": [],
        }
    return {
        "computed_at": iso(c.computed_at),
        "month": iso(c.month_start),
        "month_to_date_usd": _usd(c.month_to_date_usd),
        "daily_average_usd": _usd(c.daily_average_usd),
        "forecast_month_usd": _usd(c.forecast_month_usd),
        "forecast_range_usd": [_usd(c.forecast_low_usd), _usd(c.forecast_high_usd)],
        "storage_usd": _usd(c.storage_usd),
        "requests_usd": _usd(c.requests_usd),
        "retrieval_usd": _usd(c.retrieval_usd),
        "last_month_usd": _usd(c.last_month_usd),
        "change_vs_last_month_pct": None if c.change_pct is None else round(c.change_pct, 1),
        "last_24h_usd": _usd(c.today_usd),
        "daily_cost_increase_pct": None if c.increase_pct is None else round(c.increase_pct, 1),
        "monitor_month_usd": round(c.monitor_month_usd, 6),
        "requests_known": c.requests_known,
        "prices_source": c.prices_source,
        "lines": [
            {
                "item": x.item,
                "usage": round(x.usage, 6),
                "free": round(x.free, 6),
                "billable": x.billable,
                "usd": round(x.usd, 6),
                "basis": x.basis,
                "reason": x.reason,
            }
            for x in c.lines
        ],
        "daily": [{"day": iso(ts), "usd": round(v, 6)} for ts, v in c.daily],
        "free_tier": [
            {
                "item": g.item,
                "used": round(g.used, 6),
                "allowance": g.allowance,
                "used_pct": round(g.used_pct, 1),
                "runs_out_at": iso(g.runs_out_at),
            }
            for g in c.free_tier
        ],
        "buckets": {
            b.name: {
                "month_to_date_usd": _usd(b.month_to_date_usd),
                "storage_usd": _usd(b.storage_usd),
                "requests_usd": _usd(b.requests_usd),
                "retrieval_usd": _usd(b.retrieval_usd),
                "forecast_month_usd": _usd(b.forecast_month_usd),
                "last_24h_usd": _usd(b.today_usd),
                "daily_cost_increase_pct": None
                if b.increase_pct is None
                else round(b.increase_pct, 1),
                "ia_saving_usd": _usd(b.ia_saving_usd),
                "standard_saving_usd": _usd(b.standard_saving_usd),
                "basis": dict(b.basis),
            }
            for b in c.buckets
        },
        "recommendations": [
            {"kind": r.kind, "bucket": r.bucket, "text": r.text, "saving_usd": _usd(r.saving_usd)}
            for r in c.recommendations
        ],
    }


def probe_plan_doc(p: ProbePlan | None) -> dict[str, Any] | None:
    """What the account's probes cost a month at the current settings (null
    when they are off): `r2tui.costs.probes`, over the buckets the store knows."""
    if p is None:
        return None
    return {
        "mode": p.mode,
        "buckets": p.buckets,
        "must_probe": p.must,
        "budget_requests_per_month": p.budget_requests,
        "runs_per_month": round(p.runs_month, 3),
        "probes_per_month": p.probes_month,
        "requests_per_month": p.requests_month,
        "class_a_per_month": p.class_a,
        "class_b_per_month": p.class_b,
        "free_per_month": p.free,
        "usd_list_price": float(to_cents(p.list_usd)),
        "usd_beyond_free_tier": float(to_cents(p.beyond_free_usd)),
        "bucket_every_seconds": None if p.every_seconds is None else round(p.every_seconds, 1),
        "must_every_seconds": None
        if p.must_every_seconds is None
        else round(p.must_every_seconds, 1),
        "needed_requests_per_month": p.needed_requests() if p.over_budget else None,
    }


def alerts_doc(v: AlertsView | None) -> dict[str, Any]:
    if v is None:
        return {"firing": [], "pending": [], "recent": []}

    def one(a: AlertRow) -> dict[str, Any]:
        return {
            "rule": a.rule,
            "bucket": a.bucket,
            "severity": a.severity,
            "state": a.state,
            "value": a.value,
            "threshold": a.threshold,
            "comparison": a.comparison,
            "unit": a.unit,
            "metric": a.metric,
            # A change rule: seconds back, and "percent" or "absolute"; else 0, null.
            "window": a.window,
            "change_in": a.change_in or None,
            "since": iso(a.since),
            "silenced": a.silenced,
        }

    return {
        "firing": [one(a) for a in v.firing],
        "pending": [one(a) for a in v.pending],
        "recent": [one(a) for a in v.recent],
        "rules": v.rules,
        "outbox": dict(sorted(v.outbox.items())),
        "last_delivery_error": v.last_error,
        # Held back by the rate limit (also counted in "outbox"), and from when
        # the first summary of them goes (at the next alert check after it).
        "held": v.held.count,
        "next_summary_at": iso(v.held.next_summary_at),
    }


def dashboard_doc(d: Dashboard, demo: bool = False) -> dict[str, Any]:
    return {
        "account": d.account,
        "demo": demo,
        "generated_at": iso(d.generated_at),
        "data_at": iso(d.data_at),
        "data_age_s": d.data_age_s,
        "collector": collector_doc(d.collector),
        # Each source's state: why a figure is missing or stale, for this account.
        "sources": health.sources_doc(health.of(d), iso),
        "metrics": metrics_doc(d),
        "costs": costs_doc(d.costs) if d.costs is not None else None,
        "storage": storage_doc(d.storage),
        "activity": activity_doc(d.activity),
        "alerts": alerts_doc(d.alerts),
    }
