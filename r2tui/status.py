"""The dashboard snapshot as one JSON-ready document (`r2tui status --json`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from r2tui.metrics import ACCOUNT, describe
from r2tui.store.queries import (
    REPORTED,
    ActivityRow,
    BucketStorage,
    CollectorView,
    Dashboard,
    ObjectRow,
    Reading,
    StorageView,
    TallyRow,
)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _tallies(rows: list[TallyRow]) -> dict[str, dict[str, int]]:
    return {r.key: {"objects": r.objects, "bytes": r.bytes} for r in rows}


def _objects(rows: list[ObjectRow], with_bucket: bool = False) -> list[dict[str, Any]]:
    out = []
    for o in rows:
        d: dict[str, Any] = {"key": o.key, "size": o.size,
                             "last_modified": iso(o.last_modified),
                             "storage_class": o.storage_class}
        if with_bucket:
            d = {"bucket": o.bucket, **d}
        out.append(d)
    return out


def _bucket(b: BucketStorage) -> dict[str, Any]:
    return {
        "name": b.name, "objects": b.objects, "bytes": b.bytes,
        "inventoried_at": iso(b.inventoried_at), "list_requests": b.list_requests,
        "by_extension": _tallies(b.by_extension),
        "by_storage_class": _tallies(b.by_storage_class),
        "largest": _objects(b.largest), "newest": _objects(b.newest),
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
            "since": iso(s.spend.since), "class_a_requests": s.spend.class_a,
            "class_b_requests": s.spend.class_b, "free_requests": s.spend.free,
            "usd_list_price": round(s.spend.usd, 6),
        },
        "buckets": [_bucket(b) for b in s.buckets],
    }


def collector_doc(c: CollectorView) -> dict[str, Any]:
    return {
        "state": c.state, "detail": c.detail, "last_success_at": iso(c.last_success_at),
        "jobs": [{"job": j.job, "started_at": iso(j.started_at), "finished_at": iso(j.finished_at),
                  "ok": j.ok, "items": j.items, "error": j.error, "host": j.host}
                 for j in c.jobs],
    }


def activity_doc(rows: list[ActivityRow]) -> list[dict[str, Any]]:
    return [{"ts": iso(r.ts), "kind": r.kind, "level": r.level, "bucket": r.bucket,
             "message": r.message} for r in rows]


def _value(r: Reading | None) -> float | int | None:
    if r is None or r.value is None:
        return None
    return int(r.value) if r.value.is_integer() and abs(r.value) < 2**53 else round(r.value, 3)


def _readings(values: dict[str, Reading]) -> dict[str, Any]:
    doc: dict[str, Any] = {name: _value(values.get(name)) for name in REPORTED}
    doc["trends_pct"] = {name: round(t, 1) for name in REPORTED
                         if (r := values.get(name)) is not None
                         and (t := r.trend_pct) is not None}
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
                name for name in REPORTED if describe(name).needs_token)
        doc["buckets"] = {b: _readings(m.values.get(b, {})) for b in m.buckets}
    if d.probes:
        doc["probes"] = {p.bucket: {"at": iso(p.at), "ok": p.ok,
                                    **{f"{k}_ms": round(v, 3) for k, v in p.ms.items()}}
                         for p in d.probes}
    if d.endpoint is not None:
        doc["endpoint"] = {"at": iso(d.endpoint.at), "ok": d.endpoint.ok,
                           "ms": None if d.endpoint.ms is None else round(d.endpoint.ms, 3)}
    return doc


def dashboard_doc(d: Dashboard, demo: bool = False) -> dict[str, Any]:
    return {
        "account": d.account,
        "demo": demo,
        "generated_at": iso(d.generated_at),
        "data_at": iso(d.data_at),
        "data_age_s": d.data_age_s,
        "collector": collector_doc(d.collector),
        "metrics": metrics_doc(d),
        "costs": d.costs,
        "storage": storage_doc(d.storage),
        "activity": activity_doc(d.activity),
        "alerts": d.alerts,
    }
