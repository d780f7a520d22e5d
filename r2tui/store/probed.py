"""What the probes' budget reads back: when each bucket was last probed, which
buckets had errors lately, and whether the budget's warning was given lately.
Read from what the jobs stored (the `probe_ok` samples, the events), so the
rotation through the buckets carries on across restarts and collectors."""

from __future__ import annotations

import json
from typing import Any

from peewee import fn

from r2tui.store.db import Store
from r2tui.store.health import SourceState
from r2tui.store.models import Event, Sample, SampleDaily, SampleHourly, SeriesKey

# The analytics job's event for an hour with an error burst on a bucket.
ERROR_BURST_KIND = "errors"
BUDGET_KIND = "probe_budget"
# The collect job's event for a probe that starts failing, and in its data,
# under FAILURE_KEY, how it failed (REFUSED_FAILURE: a step the key may not do).
PROBE_KIND = "probe"
FAILURE_KEY = "failure"
REFUSED_FAILURE = SourceState.REFUSED.value


def last_probes(store: Store, account: str) -> dict[str, int]:
    """Each bucket's newest probe (its time): among the raw samples kept, else
    (its raw samples purged after `samples_days`) the start of the newest hour,
    else day, of the rollups that hold its probes. A bucket whose turn comes less
    often than raw samples are kept still sorts by when it was probed, not as
    never probed: the rotation reaches every bucket. One seek of an index
    (account, metric, bucket, ts) per bucket that has probes (SeriesKey lists
    them) and table, not a walk of every probe kept."""
    store.bound()

    def newest(table: type[Sample] | type[SampleHourly] | type[SampleDaily]) -> Any:
        alias = table.alias()
        return alias.select(fn.MAX(alias.ts)).where(
            alias.account == SeriesKey.account,
            alias.metric == SeriesKey.metric,
            alias.bucket == SeriesKey.bucket,
        )

    at = fn.COALESCE(newest(Sample), newest(SampleHourly), newest(SampleDaily))
    return {
        bucket: int(ts)
        for bucket, ts in store.fetch(
            SeriesKey.select(SeriesKey.bucket, at).where(
                SeriesKey.account == account, SeriesKey.metric == "probe_ok"
            )
        )
        if ts is not None  # every probe of the bucket purged, rollups too
    }


def erroring(store: Store, account: str, since: float) -> set[str]:
    """Buckets with new errors since `since`: a probe that failed after one
    that did not (the job's "probe" error event: not every failed probe, or a
    bucket that always fails would be probed at every run for ever), or an
    error burst in Cloudflare's analytics (the analytics job's event). A probe
    refused (a read-only key's PutObject) is no error of the bucket's."""
    store.bound()
    rows = store.fetch(
        Event.select(Event.bucket, Event.kind, Event.data).where(
            Event.account == account,
            ((Event.kind == PROBE_KIND) & (Event.level == "error"))
            | (Event.kind == ERROR_BURST_KIND),
            Event.ts >= int(since),
            Event.bucket.is_null(False),
        )
    )
    return {
        bucket
        for bucket, kind, data in rows
        if kind == ERROR_BURST_KIND or _failure(data) != REFUSED_FAILURE
    }


def _failure(data: str | None) -> object:
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        return None
    return parsed.get(FAILURE_KEY) if isinstance(parsed, dict) else None


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
