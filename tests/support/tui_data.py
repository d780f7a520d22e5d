"""A store filled with fixed, known data for the TUI tests and snapshots."""

from __future__ import annotations

from r2tui.observations import BucketInventory, ObjectEntry, Tally
from r2tui.store import Store, writes
from r2tui.store.writes import EventRow, SampleRow

# 2026-03-14 15:00:00 UTC: every time on screen derives from this.
NOW = 1773500400.0
GB = 10**9


def _inventory(
    bucket: str,
    at: float,
    exts: dict[str, tuple[int, int]],
    classes: dict[str, tuple[int, int]],
    largest: list[tuple[str, int]],
) -> BucketInventory:
    objects = sum(n for n, _ in exts.values())
    size = sum(b for _, b in exts.values())
    return BucketInventory(
        bucket=bucket,
        started_at=at - 12,
        finished_at=at,
        objects=objects,
        bytes=size,
        by_extension={k: Tally(*v) for k, v in exts.items()},
        by_storage_class={k: Tally(*v) for k, v in classes.items()},
        largest=[
            ObjectEntry(k, s, at - 86400 * (i + 1), "STANDARD") for i, (k, s) in enumerate(largest)
        ],
        newest=[
            ObjectEntry(k, s, at - 3600 * (i + 1), "STANDARD") for i, (k, s) in enumerate(largest)
        ],
        new_large=[],
        new_large_count=0,
        list_requests=max(1, objects // 1000 + 1),
    )


BUCKETS = {
    "media": _inventory(
        "media",
        NOW - 600,
        {"mp4": (120, 300 * GB), "jpg": (4000, 8 * GB)},
        {"STANDARD": (4100, 290 * GB), "STANDARD_IA": (20, 18 * GB)},
        [("videos/launch-4k.mp4", 9 * GB), ("videos/teaser.mp4", 4 * GB)],
    ),
    "backups": _inventory(
        "backups",
        NOW - 660,
        {"tar.zst": (30, 420 * GB), "sql.gz": (30, 1 * GB)},
        {"STANDARD_IA": (60, 421 * GB)},
        [("pg/2026-03-13/base.tar.zst", 15 * GB)],
    ),
    "site": _inventory(
        "site",
        NOW - 700,
        {"html": (80, 2_000_000), "js": (12, 1_500_000)},
        {"STANDARD": (92, 3_500_000)},
        [("assets/app.js", 400_000)],
    ),
}
TOTAL_OBJECTS = sum(i.objects for i in BUCKETS.values())
TOTAL_BYTES = sum(i.bytes for i in BUCKETS.values())


def fill(store: Store, account: str = "test") -> None:
    writes.sync_buckets(store, account, sorted(BUCKETS), ts=NOW - 800)
    for inv in BUCKETS.values():
        writes.save_inventory(
            store,
            account,
            inv,
            [
                SampleRow("total_files", inv.objects, inv.bucket),
                SampleRow("total_bytes", inv.bytes, inv.bucket),
            ],
        )
    # The account's totals, as the inventory job writes them after its last bucket.
    writes.add_samples(
        store,
        account,
        [SampleRow("total_files", TOTAL_OBJECTS), SampleRow("total_bytes", TOTAL_BYTES)],
        ts=NOW - 600,
    )
    run = writes.start_job_run(store, "inventory", account, ts=NOW - 720)
    writes.finish_job_run(store, run, True, TOTAL_OBJECTS, None, ts=NOW - 600)
    writes.add_events(
        store,
        account,
        [EventRow("bucket", "info", "found 3 buckets: backups, media, site")],
        ts=NOW - 790,
    )
    writes.add_events(
        store,
        account,
        [
            EventRow(
                "upload",
                "warning",
                "large upload media/videos/launch-4k.mp4 (9.0 GB)",
                bucket="media",
            )
        ],
        ts=NOW - 610,
    )
    writes.add_events(
        store,
        account,
        [
            EventRow(
                "job", "info", "inventory: 3 of 3 buckets listed, 4,342 objects, 8 Class A requests"
            )
        ],
        ts=NOW - 600,
    )
    writes.add_samples(
        store,
        account,
        [
            SampleRow("monitor_class_a_ops", 8),
            SampleRow("monitor_class_b_ops", 6),
            SampleRow("monitor_free_ops", 3),
        ],
        ts=NOW - 600,
    )
    for i, bucket in enumerate(sorted(BUCKETS)):
        writes.add_samples(
            store,
            account,
            [
                SampleRow("probe_put_ms", 40 + i, bucket),
                SampleRow("probe_get_ms", 20 + i, bucket),
                SampleRow("probe_head_ms", 10 + i, bucket),
                SampleRow("probe_delete_ms", 15 + i, bucket),
                SampleRow("probe_ok", 0.0 if bucket == "site" else 1.0, bucket),
            ],
            ts=NOW - 300,
        )
