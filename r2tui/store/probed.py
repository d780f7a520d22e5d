"""What the probes' budget reads back: when each bucket was last probed, which
buckets had errors lately, and whether the budget's warning was given lately.
Read from what the jobs stored (the `probe_ok` samples, the events), so the
rotation through the buckets carries on across restarts and collectors."""

from __future__ import annotations

from peewee import fn

from r2tui.store import readings
from r2tui.store.db import Store
from r2tui.store.models import Event, Sample, SeriesKey

# The analytics job's event for an hour with an error burst on a bucket.
ERROR_BURST_KIND = "errors"
BUDGET_KIND = "probe_budget"


def last_probes(store: Store, account: str) -> dict[str, int]:
    """Each bucket's newest probe (its time), among the raw samples kept: one
    seek of the index (account, metric, bucket, ts) per bucket that has probes
    (SeriesKey lists them), not a walk of every probe kept."""
    store.bound()
    newest = Sample.alias()
    at = newest.select(fn.MAX(newest.ts)).where(
        newest.account == SeriesKey.account,
        newest.metric == SeriesKey.metric,
        newest.bucket == SeriesKey.bucket,
    )
    return {
        bucket: int(ts)
        for bucket, ts in store.fetch(
            SeriesKey.select(SeriesKey.bucket, at).where(
                SeriesKey.account == account, SeriesKey.metric == "probe_ok"
            )
        )
        if ts is not None  # every probe of the bucket purged
    }


def erroring(store: Store, account: str, since: float) -> set[str]:
    """Buckets with errors since `since`: a probe that failed, or an error burst
    in Cloudflare's analytics (the analytics job's event)."""
    store.bound()
    failed = store.fetch(
        Sample.select(Sample.bucket)
        .where(
            readings.series_filter(store, account, ("probe_ok",)),
            Sample.ts >= int(since),
            Sample.value < 1.0,
        )
        .distinct()
    )
    bursts = store.fetch(
        Event.select(Event.bucket)
        .where(
            Event.account == account,
            Event.kind == ERROR_BURST_KIND,
            Event.ts >= int(since),
            Event.bucket.is_null(False),
        )
        .distinct()
    )
    return {b for (b,) in failed} | {b for (b,) in bursts}


def warned_since(store: Store, account: str, since: float) -> bool:
    """Whether the budget's warning event was written since `since`."""
    store.bound()
    return bool(
        store.fetch(
            Event.select(Event.id)
            .where(Event.account == account, Event.kind == BUDGET_KIND, Event.ts >= int(since))
            .limit(1)
        )
    )
