"""The inventory job: list every object of every watched bucket and keep
counts, bytes, types, storage classes, the largest and newest objects."""

from __future__ import annotations

import contextlib
import dataclasses

from r2tui.alerts import saved
from r2tui.alerts.rules import Rule
from r2tui.config import AccountConfig
from r2tui.jobs.base import JobContext, Outcome, log, plural, record_spend, s3_client
from r2tui.metrics import CATALOG, DAY, literal_scope
from r2tui.observations import BucketInventory, RequestTally, Tally
from r2tui.sources import s3
from r2tui.sources.errors import Cancelled, describe_error, failure_kind
from r2tui.sources.listing.hints import Hints
from r2tui.store import queries, writes
from r2tui.store.group import GroupCommit
from r2tui.store.health import LISTING, S3
from r2tui.store.writes import EventRow, SampleRow
from r2tui.units import human_bytes

UPLOAD_EVENTS_MAX = 10
_ZERO = Tally(0, 0)


def inventory(ctx: JobContext, account: AccountConfig) -> Outcome:
    tally = RequestTally()
    try:
        return _inventory(ctx, account, tally)
    finally:
        # Requests were made (and billed) whether or not the job succeeded.
        record_spend(ctx, account, tally)


def _inventory(ctx: JobContext, account: AccountConfig, tally: RequestTally) -> Outcome:
    client = s3_client(ctx, account, tally)
    try:
        listed = s3.list_buckets(client)
    except Cancelled:
        raise
    except Exception as exc:
        # Nothing is listed: every figure built on the listings is from before now.
        reason = describe_error(exc, account.endpoint_url)
        log.warning(
            "inventory of %s: the bucket list failed: %s", account.name, reason, exc_info=True
        )
        out = Outcome(summary="the bucket list failed", errors=[reason])
        out.source_failed(S3, failure_kind(exc), reason)
        out.source_failed(LISTING, failure_kind(exc), reason)
        return out
    wanted = [b for b in listed if account.wants_bucket(b)]
    # The buckets' changes and their events in one transaction: a stop between
    # them would leave a bucket known whose "new" or "vanished" is never said.
    with ctx.store.write():
        first_time = not queries.bucket_names(ctx.store, account.name, include_vanished=True)
        changes = writes.sync_buckets(ctx.store, account.name, wanted, ctx.clock())
        events = _bucket_events(changes, listed, wanted, first_time)
        if events:
            writes.add_events(ctx.store, account.name, events, ctx.clock())
    out = Outcome()
    out.source_ok(S3)  # it answered the bucket list
    new_large = 0
    failed: dict[str, Exception] = {}
    # The buckets are listed at once within [inventory] concurrency; each one's
    # store reads happen as it starts, and its save as it ends, in this thread.
    starts = queries.listing_starts(ctx.store, account.name)
    rules = saved.list_rules(ctx.store)
    # Each bucket's last kept prefixes, read as its listing starts (they are among
    # its pins), until its save, which would otherwise read them again.
    kept: dict[str, list[str]] = {}
    # A last inventory younger than this has all its samples still stored.
    stored_for = (ctx.config.retention.samples_days - 1) * DAY

    def pinned(bucket: str) -> list[str]:
        kept[bucket] = writes.last_prefixes(ctx.store, account.name, bucket)
        return pinned_prefixes(kept[bucket], bucket, rules)

    work = (_work(bucket, starts.get(bucket), pinned(bucket)) for bucket in wanted)
    # The buckets' saves share transactions, committed before the listing waits
    # (see store.group): one commit for the many buckets that finish together.
    group = GroupCommit(ctx.store)
    results = s3.inventory_buckets(
        client, work, ctx.config.inventory, ctx.stop, ctx.clock, on_turn=group.turn
    )
    with contextlib.closing(results), group:
        for bucket, inv in results:
            if ctx.stop.is_set():
                raise Cancelled()
            kept_before = kept.pop(bucket, None)
            last = starts.get(bucket)
            if isinstance(inv, Exception):
                failed[bucket] = inv
                continue
            if inv.new_large:
                reported = queries.last_new_large(ctx.store, account.name, bucket)
                inv = _without_repeats(inv, reported)
            with group.write():
                writes.save_inventory(
                    ctx.store,
                    account.name,
                    inv,
                    _bucket_samples(inv),
                    _upload_events(inv, ctx.config.inventory.large_object_bytes),
                    keep=ctx.config.retention.inventories_kept,
                    before=kept_before,
                    before_stored=last is not None and ctx.clock() - last[0] < stored_for,
                )
            out.items += inv.objects
            new_large += inv.new_large_count
    for bucket in wanted:  # in the buckets' order, whatever order they failed in
        if bucket in failed:
            error = failed[bucket]
            reason = describe_error(error, account.endpoint_url, bucket)
            out.errors.append(reason)
            out.source_failed(LISTING, failure_kind(error), reason)
    view = queries.storage_view(ctx.store, account.name, account.quota_bytes)
    classes = {r.key: r.bytes for r in view.by_storage_class}
    objects = {r.key: r.objects for r in view.by_storage_class}
    totals = [
        SampleRow("total_files", view.total_objects),
        SampleRow("total_bytes", view.total_bytes),
        SampleRow("standard_bytes", classes.get("STANDARD", 0)),
        SampleRow("ia_bytes", classes.get("STANDARD_IA", 0)),
        SampleRow("standard_objects", objects.get("STANDARD", 0)),
        SampleRow("ia_objects", objects.get("STANDARD_IA", 0)),
        # For the account: an alert rule on large uploads watches every bucket.
        SampleRow("new_large_objects", new_large),
    ]
    if view.usage_pct is not None:
        totals.append(SampleRow("quota_usage_pct", view.usage_pct))
    writes.add_samples(ctx.store, account.name, totals, ctx.clock())
    if LISTING not in out.sources:
        out.source_ok(LISTING)
    done = len(wanted) - len(out.errors)
    out.summary = (
        f"{done} of {len(wanted)} buckets listed, {out.items:,} objects, "
        f"{tally.class_a:,} Class A requests"
    )
    return out


def _work(
    bucket: str,
    last: tuple[float, tuple[int, tuple[str, ...], tuple[int, ...]]] | None,
    pinned: list[str],
) -> s3.BucketWork:
    """What the bucket's last inventory leaves its next listing: uploads since its
    start are new, its cut points, and the prefixes whose totals it must keep."""
    if last is None:
        return s3.BucketWork(bucket, pinned=tuple(pinned))
    since, (objects, keys, positions) = last
    return s3.BucketWork(bucket, since, Hints(objects, keys, positions), tuple(pinned))


def pinned_prefixes(last: list[str], bucket: str, rules: list[Rule]) -> list[str]:
    """The prefixes whose series must go on whatever their rank: the last
    inventory's kept ones (`last`: one that falls out, or is gone, shows it) and
    those enabled rules name exactly (`b/tmp/` → `tmp/`)."""
    exact = [literal_scope(r.scope) for r in rules if r.enabled and CATALOG[r.metric].per_prefix]
    named = [s[len(bucket) + 1 :] for s in exact if s is not None and s.startswith(bucket + "/")]
    return sorted({*last, *named})


def _without_repeats(inv: BucketInventory, reported: set[tuple[str, int]]) -> BucketInventory:
    """`since` is the previous listing's start, so an upload made during that
    listing and already reported by it comes back: drop it here."""
    fresh = [o for o in inv.new_large if (o.key, int(o.last_modified)) not in reported]
    repeats = len(inv.new_large) - len(fresh)
    if not repeats:
        return inv
    return dataclasses.replace(inv, new_large=fresh, new_large_count=inv.new_large_count - repeats)


def _bucket_events(
    changes: writes.BucketChanges, listed: list[str], wanted: list[str], first_time: bool
) -> list[EventRow]:
    if first_time:
        skipped = len(listed) - len(wanted)
        note = f" ({skipped} excluded by config)" if skipped else ""
        return [
            EventRow(
                "bucket",
                "info",
                f"found {plural(len(wanted), 'bucket')}: {', '.join(wanted) or 'none'}{note}",
            )
        ]
    events = [EventRow("bucket", "warning", f"new bucket {b}", bucket=b) for b in changes.new]
    for b in changes.vanished:
        why = "excluded by config" if b in listed else "deleted or no longer visible"
        events.append(EventRow("bucket", "warning", f"bucket {b} vanished ({why})", bucket=b))
    return events


def _bucket_samples(inv: BucketInventory) -> list[SampleRow]:
    b = inv.bucket
    return [
        SampleRow("total_files", inv.objects, b),
        SampleRow("total_bytes", inv.bytes, b),
        SampleRow("standard_bytes", inv.by_storage_class.get("STANDARD", _ZERO).bytes, b),
        SampleRow("ia_bytes", inv.by_storage_class.get("STANDARD_IA", _ZERO).bytes, b),
        SampleRow("standard_objects", inv.by_storage_class.get("STANDARD", _ZERO).objects, b),
        SampleRow("ia_objects", inv.by_storage_class.get("STANDARD_IA", _ZERO).objects, b),
        SampleRow("inventory_seconds", inv.finished_at - inv.started_at, b),
        SampleRow("new_large_objects", inv.new_large_count, b),
    ]


def _upload_events(inv: BucketInventory, threshold: int) -> list[EventRow]:
    events = [
        EventRow(
            "upload",
            "warning",
            f"large upload {inv.bucket}/{o.key} ({human_bytes(o.size)})",
            bucket=inv.bucket,
            data={"key": o.key, "size": o.size},
        )
        for o in inv.new_large[:UPLOAD_EVENTS_MAX]
    ]
    more = inv.new_large_count - len(events)
    if more > 0:
        events.append(
            EventRow(
                "upload",
                "warning",
                f"{more} more uploads above {human_bytes(threshold)} in {inv.bucket}",
                bucket=inv.bucket,
            )
        )
    return events
