"""The write side (r2tui.store.writes) and the read side (r2tui.store.queries), on
SQLite and PostgreSQL, plus read-then-write from several threads on SQLite."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from r2tui import dashboard
from r2tui.config import Retention
from r2tui.metrics import ACCOUNT
from r2tui.observations import BucketInventory, ObjectEntry, Tally
from r2tui.store import Store, queries, rollups, writes
from r2tui.store.models import (
    Bucket,
    Event,
    Inventory,
    InventoryBreakdown,
    InventoryObject,
    JobRun,
    Notification,
    ResponseRun,
    Sample,
)
from r2tui.store.queries import ObjectRow, ProbeRow, TallyRow
from r2tui.store.writes import EventRow, SampleRow
from tests.support.store_data import ACC, NOW, run

# Class A and Class B requests at R2's list price, in USD per million.
CLASS_A_PER_M = 4.50
CLASS_B_PER_M = 0.36


@pytest.fixture
def sq(store: Store) -> Store:
    """SQLite only: for what PostgreSQL does not add to (threads on one file)."""
    return store


def obj(key: str, size: int, modified: float = 1000.0, cls: str = "STANDARD") -> ObjectEntry:
    return ObjectEntry(key=key, size=size, last_modified=modified, storage_class=cls)


def inventory(
    bucket: str,
    finished: float,
    *,
    ext: dict[str, tuple[int, int]] | None = None,
    classes: dict[str, tuple[int, int]] | None = None,
    largest: list[ObjectEntry] | None = None,
    newest: list[ObjectEntry] | None = None,
    new_large: list[ObjectEntry] | None = None,
    took: float = 5.0,
    list_requests: int = 1,
) -> BucketInventory:
    """An inventory whose totals follow from its extension breakdown."""
    ext = ext if ext is not None else {".bin": (1, 10)}
    classes = (
        classes
        if classes is not None
        else {"STANDARD": (sum(n for n, _ in ext.values()), sum(b for _, b in ext.values()))}
    )
    return BucketInventory(
        bucket=bucket,
        started_at=finished - took,
        finished_at=finished,
        objects=sum(n for n, _ in ext.values()),
        bytes=sum(b for _, b in ext.values()),
        by_extension={k: Tally(n, b) for k, (n, b) in ext.items()},
        by_storage_class={k: Tally(n, b) for k, (n, b) in classes.items()},
        largest=largest or [],
        newest=newest or [],
        new_large=new_large or [],
        new_large_count=len(new_large or []),
        list_requests=list_requests,
    )


def counts() -> dict[str, int]:
    return {
        m.__name__: m.select().count()
        for m in (Inventory, InventoryBreakdown, InventoryObject, Sample, Event)
    }


# --- save_inventory ----------------------------------------------------------------------


def test_save_inventory_writes_everything(st: Store) -> None:
    inv = inventory(
        "media",
        1000,
        ext={".jpg": (2, 300), ".txt": (1, 10)},
        classes={"STANDARD": (2, 210), "STANDARD_IA": (1, 100)},
        largest=[obj("a.jpg", 200), obj("b.jpg", 100, cls="STANDARD_IA")],
        newest=[obj("c.txt", 10, 990)],
        new_large=[obj("a.jpg", 200)],
        list_requests=3,
    )
    inv_id = writes.save_inventory(
        st,
        ACC,
        inv,
        [SampleRow("total_bytes", 310, "media")],
        [EventRow("upload", "info", "a.jpg uploaded", "media", {"key": "a.jpg"})],
    )
    row = Inventory.get_by_id(inv_id)
    assert (
        row.account,
        row.bucket,
        row.started_at,
        row.finished_at,
        row.objects,
        row.bytes,
        row.list_requests,
    ) == (ACC, "media", 995, 1000, 3, 310, 3)
    tallies = {(b.dimension, b.key): (b.objects, b.bytes) for b in row.breakdowns}
    assert tallies == {
        ("extension", ".jpg"): (2, 300),
        ("extension", ".txt"): (1, 10),
        ("storage_class", "STANDARD"): (2, 210),
        ("storage_class", "STANDARD_IA"): (1, 100),
    }
    kept = sorted((o.kind, o.rank, o.key, o.size, o.storage_class) for o in row.objects_kept)
    assert kept == [
        ("largest", 0, "a.jpg", 200, "STANDARD"),
        ("largest", 1, "b.jpg", 100, "STANDARD_IA"),
        ("new_large", 0, "a.jpg", 200, "STANDARD"),
        ("newest", 0, "c.txt", 10, "STANDARD"),
    ]
    s = Sample.get()
    assert (s.ts, s.account, s.bucket, s.metric, s.value) == (
        1000,
        ACC,
        "media",
        "total_bytes",
        310.0,
    )
    e = Event.get()
    assert (e.ts, e.kind, e.bucket, e.message) == (1000, "upload", "media", "a.jpg uploaded")
    assert json.loads(e.data) == {"key": "a.jpg"}
    assert writes.previous_inventory_start(st, ACC, "media") == 995.0
    assert writes.previous_inventory_start(st, ACC, "other") is None


def test_the_last_inventorys_cut_points_are_the_next_listings_hints(st: Store) -> None:
    assert queries.listing_hints(st, ACC, "media") is None  # never listed: a cold start
    cuts = ("a/é 1", "m/&<2>", "z/3")
    writes.save_inventory(
        st,
        ACC,
        dataclasses.replace(inventory("media", 1000, ext={".jpg": (9, 90)}), split_keys=("old",)),
    )
    writes.save_inventory(
        st,
        ACC,
        dataclasses.replace(
            inventory("media", 2000, ext={".jpg": (7, 70)}, largest=[obj("a.jpg", 20)]),
            split_keys=cuts,
            split_positions=(2, 4, 6),
        ),
    )
    assert queries.listing_hints(st, ACC, "media") == (7, cuts, (2, 4, 6))
    assert queries.listing_hints(st, ACC, "other") is None
    # The same for the whole account at once, with when the last listing started.
    writes.save_inventory(st, ACC, dataclasses.replace(inventory("other", 1500), split_keys=()))
    assert queries.listing_starts(st, ACC) == {
        "media": (writes.previous_inventory_start(st, ACC, "media"), (7, cuts, (2, 4, 6))),
        "other": (writes.previous_inventory_start(st, ACC, "other"), (1, (), ())),
    }
    assert queries.listing_starts(st, "nobody") == {}
    # The cut points are no kept objects: the storage view shows only the largest.
    writes.sync_buckets(st, ACC, ["media"], 2000)
    view = queries.storage_view(st, ACC)
    assert [o.key for o in view.largest] == ["a.jpg"]


def _unserialisable_event() -> list[EventRow]:
    # Fails while add_events builds its rows, after the inventory rows went in.
    return [EventRow("upload", "info", "ok"), EventRow("upload", "info", "x", data={"o": object()})]


def _event_the_database_refuses() -> list[EventRow]:
    # Fails inside the database: kind is NOT NULL.
    return [EventRow(None, "info", "no kind")]  # type: ignore[arg-type]


@pytest.mark.parametrize("bad_events", [_unserialisable_event, _event_the_database_refuses])
def test_save_inventory_is_all_or_nothing(
    st: Store, bad_events: Callable[[], list[EventRow]]
) -> None:
    first = writes.save_inventory(
        st,
        ACC,
        inventory("media", 100, largest=[obj("k", 1)]),
        [SampleRow("total_bytes", 10, "media")],
        keep=1,
    )
    before = counts()
    with pytest.raises(Exception):  # noqa: B017 - which error depends on the back-end
        writes.save_inventory(
            st,
            ACC,
            inventory(
                "media",
                200,
                ext={".a": (1, 1), ".b": (2, 2)},
                largest=[obj("big", 9)],
                newest=[obj("new", 1)],
            ),
            [SampleRow("total_bytes", 3, "media")],
            bad_events(),
            keep=1,
        )
    # Nothing of the failed save remains, and keep=1 did not drop the earlier one.
    assert counts() == before
    assert [i.id for i in Inventory.select()] == [first]
    # The store is still usable afterwards (no transaction left open).
    writes.add_events(st, ACC, [EventRow("job", "info", "after")])
    assert Event.select().count() == before["Event"] + 1


def test_save_inventory_rolls_back_when_add_events_raises(
    st: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(writes, "add_events", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        writes.save_inventory(
            st,
            ACC,
            inventory("media", 100, largest=[obj("k", 1)]),
            [SampleRow("total_bytes", 10, "media")],
            [EventRow("upload", "info", "x")],
        )
    assert counts() == dict.fromkeys(counts(), 0)


def test_retention_keeps_the_newest_inventories_and_their_children(st: Store) -> None:
    ids = [
        writes.save_inventory(
            st, ACC, inventory("media", t, ext={".x": (1, t)}, largest=[obj(f"k{t}", t)]), keep=3
        )
        for t in (100, 200, 300, 400, 500)
    ]
    other = writes.save_inventory(st, ACC, inventory("logs", 50), keep=3)
    elsewhere = writes.save_inventory(st, "other-account", inventory("media", 10), keep=3)
    kept = [
        i.finished_at
        for i in Inventory.select()
        .where(Inventory.account == ACC, Inventory.bucket == "media")
        .order_by(Inventory.finished_at)
    ]
    assert kept == [300, 400, 500]
    alive = set(ids[2:]) | {other, elsewhere}
    assert {i.id for i in Inventory.select()} == alive
    assert {b.inventory_id for b in InventoryBreakdown.select()} == alive
    assert {o.inventory_id for o in InventoryObject.select()} == set(ids[2:])
    assert InventoryBreakdown.select().count() == 2 * len(alive)  # extension + class each


def test_retention_never_drops_the_inventory_just_written(st: Store) -> None:
    writes.save_inventory(st, ACC, inventory("media", 100), keep=1)
    latest = writes.save_inventory(st, ACC, inventory("media", 200), keep=0)
    assert [i.id for i in Inventory.select()] == [latest]


def test_large_batches_fit_the_driver_limits(sq: Store) -> None:
    """SQLite's default build allows 32,766 bound variables a statement (this
    machine's allows more: hold it to the default). 4,700 events bind 32,900."""
    conn = sq.db.connection()
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32766)
    n = 4700
    writes.add_events(sq, ACC, [EventRow("upload", "info", f"m{i}") for i in range(n)], ts=1)
    assert Event.select().count() == n
    many = [obj(f"k{i}", i) for i in range(2400)]  # 4,800 kept objects bind 33,600
    writes.save_inventory(sq, ACC, inventory("media", 10, largest=many, newest=many))
    assert InventoryObject.select().count() == 2 * len(many)


# --- buckets -----------------------------------------------------------------------------


def test_sync_buckets_reports_new_and_vanished(st: Store) -> None:
    first = writes.sync_buckets(st, ACC, ["alpha", "beta"], ts=100)
    assert (first.new, first.vanished) == (["alpha", "beta"], [])
    again = writes.sync_buckets(st, ACC, ["alpha", "beta"], ts=150)
    assert (again.new, again.vanished) == ([], [])
    second = writes.sync_buckets(st, ACC, ["beta", "gamma"], ts=200)
    assert (second.new, second.vanished) == (["gamma"], ["alpha"])
    assert queries.bucket_names(st, ACC) == ["beta", "gamma"]
    assert queries.bucket_names(st, ACC, include_vanished=True) == ["alpha", "beta", "gamma"]
    alpha = Bucket.get(Bucket.name == "alpha")
    assert (alpha.first_seen, alpha.last_seen, alpha.vanished_at) == (100, 150, 200)
    # A bucket that comes back is new again, keeps its first sighting and is current.
    third = writes.sync_buckets(st, ACC, ["alpha", "beta", "gamma"], ts=300)
    assert (third.new, third.vanished) == (["alpha"], [])
    alpha = Bucket.get(Bucket.name == "alpha")
    assert (alpha.first_seen, alpha.last_seen, alpha.vanished_at) == (100, 300, None)
    # Another account's buckets are its own business.
    other = writes.sync_buckets(st, "other", ["alpha"], ts=300)
    assert other.new == ["alpha"] and queries.bucket_names(st, "other") == ["alpha"]


def test_sync_buckets_tolerates_repeated_names(st: Store) -> None:
    changes = writes.sync_buckets(st, ACC, ["alpha", "alpha", "beta"], ts=1)
    assert changes.new == ["alpha", "beta"]
    assert queries.bucket_names(st, ACC) == ["alpha", "beta"]


def test_sync_buckets_with_nothing_seen_vanishes_all(st: Store) -> None:
    writes.sync_buckets(st, ACC, ["alpha"], ts=1)
    assert writes.sync_buckets(st, ACC, [], ts=2).vanished == ["alpha"]
    assert queries.bucket_names(st, ACC) == []


# --- storage view ------------------------------------------------------------------------


def _storage_fixture(st: Store) -> None:
    writes.sync_buckets(st, ACC, ["alpha", "beta", "gamma", "old"], ts=1)
    writes.save_inventory(
        st, ACC, inventory("old", 50, ext={".jpg": (100, 10**9)}, largest=[obj("huge", 10**9)])
    )
    writes.sync_buckets(st, ACC, ["alpha", "beta", "gamma"], ts=2)  # "old" vanishes
    # An earlier alpha inventory that the later one replaces.
    writes.save_inventory(
        st, ACC, inventory("alpha", 100, ext={".jpg": (1, 1)}, largest=[obj("stale", 5000)])
    )
    writes.save_inventory(
        st,
        ACC,
        inventory(
            "alpha",
            300,
            ext={".jpg": (10, 1000), ".txt": (5, 50)},
            classes={"STANDARD": (12, 1040), "STANDARD_IA": (3, 10)},
            largest=[obj("a1.jpg", 900), obj("a2.jpg", 100)],
            newest=[obj("a3.txt", 10, 299)],
            took=20,
        ),
    )
    writes.save_inventory(
        st,
        ACC,
        inventory(
            "beta",
            250,
            ext={".jpg": (1, 500), ".csv": (2, 2000)},
            largest=[obj("b1.csv", 1500), obj("b2.jpg", 500)],
        ),
    )
    # Another account's inventory of a bucket with the same name stays out.
    writes.save_inventory(st, "other", inventory("alpha", 400, ext={".jpg": (7, 7000)}))
    writes.sync_buckets(st, "other", ["alpha"], ts=3)


def test_storage_view_merges_the_latest_inventory_of_each_current_bucket(st: Store) -> None:
    _storage_fixture(st)
    view = queries.storage_view(st, ACC, quota_bytes=10_000, top_n=2, now=NOW)
    assert [b.name for b in view.buckets] == ["beta", "alpha"]  # by bytes, largest first
    alpha = view.buckets[1]
    assert (alpha.objects, alpha.bytes, alpha.inventoried_at, alpha.duration_s) == (
        15,
        1050,
        300,
        20.0,
    )
    assert alpha.by_extension == [TallyRow(".jpg", 10, 1000), TallyRow(".txt", 5, 50)]
    assert alpha.by_storage_class == [
        TallyRow("STANDARD", 12, 1040),
        TallyRow("STANDARD_IA", 3, 10),
    ]
    assert [o.key for o in alpha.largest] == ["a1.jpg", "a2.jpg"]
    assert alpha.newest == [ObjectRow("alpha", "a3.txt", 10, 299, "STANDARD")]
    assert (view.total_objects, view.total_bytes) == (15 + 3, 1050 + 2500)
    assert view.by_extension == [
        TallyRow(".csv", 2, 2000),
        TallyRow(".jpg", 11, 1500),
        TallyRow(".txt", 5, 50),
    ]
    assert view.by_storage_class == [TallyRow("STANDARD", 15, 3540), TallyRow("STANDARD_IA", 3, 10)]
    assert view.largest == [
        ObjectRow("beta", "b1.csv", 1500, 1000, "STANDARD"),
        ObjectRow("alpha", "a1.jpg", 900, 1000, "STANDARD"),
    ]
    assert view.not_inventoried == ["gamma"]
    assert view.oldest_inventory_at == 250
    assert view.usage_pct == pytest.approx(100.0 * 3550 / 10_000)
    assert view.has_data


def test_storage_view_without_quota_or_data(st: Store) -> None:
    empty = queries.storage_view(st, ACC, now=NOW)
    assert not empty.has_data and empty.buckets == [] and empty.not_inventoried == []
    assert (empty.total_objects, empty.total_bytes, empty.usage_pct) == (0, 0, None)
    assert empty.oldest_inventory_at is None
    writes.sync_buckets(st, ACC, ["alpha"], ts=1)
    view = queries.storage_view(st, ACC, quota_bytes=1000, now=NOW)
    assert view.not_inventoried == ["alpha"] and view.usage_pct == 0.0


# --- monitor spend -----------------------------------------------------------------------


def test_month_start() -> None:
    assert queries.month_start(NOW) == datetime(2025, 3, 1, tzinfo=UTC).timestamp()
    new_year = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    assert queries.month_start(new_year) == new_year
    assert queries.month_start(new_year - 1) == datetime(2024, 12, 1, tzinfo=UTC).timestamp()


def test_monitor_spend_prices_this_months_requests(st: Store) -> None:
    start = queries.month_start(NOW)
    for ts, a, b, free in (
        (start, 1_500_000, 4_000_000, 3),
        (NOW - 60, 500_000, 6_000_000, 4),
        (start - 1, 9_000_000, 9_000_000, 9),
    ):  # last month: left out
        writes.add_samples(
            st,
            ACC,
            [
                SampleRow("monitor_class_a_ops", a),
                SampleRow("monitor_class_b_ops", b),
                SampleRow("monitor_free_ops", free),
                SampleRow("monitor_cost_usd", 99.0),
            ],
            ts=ts,
        )
    writes.add_samples(st, "other", [SampleRow("monitor_class_a_ops", 5_000_000)], ts=NOW)
    writes.add_samples(st, ACC, [SampleRow("monitor_class_a_ops", 7, "media")], ts=NOW)
    spend = queries.monitor_spend(st, ACC, start)
    assert (spend.since, spend.class_a, spend.class_b, spend.free) == (
        start,
        2_000_000,
        10_000_000,
        7,
    )
    assert spend.usd == pytest.approx(2 * CLASS_A_PER_M + 10 * CLASS_B_PER_M)
    assert queries.storage_view(st, ACC, now=NOW).spend == spend
    assert queries.monitor_spend(st, "nobody", start).usd == 0.0


def test_monitor_spend_counts_the_days_whose_raw_samples_are_purged(st: Store) -> None:
    """A month of the jobs' own request counts, rolled up every 3 hours and
    purged daily as the scheduler does (raw samples kept 14 days): the month
    to date is every count written since the month's start, the purged days,
    the rolled-up hours and the raw ones after the watermark each once."""
    h, d = 3600, 86400
    start = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp())
    written = {"monitor_class_a_ops": 0, "monitor_class_b_ops": 0, "monitor_free_ops": 0}
    checked = 0
    # From five days before the month (left out) to the 25th at 12:40, a
    # sample every 2 hours at :10; the last at 12:40, after the roll-up at 12:30
    # that rolled up the hour to then and left the watermark at 12:00.
    times = [*range(start - 5 * d + 600, start + 24 * d + 12 * h, 2 * h)]
    times += [start + 24 * d + 12 * h + 600, start + 24 * d + 12 * h + 2400]
    for i, ts in enumerate(times):
        counts = {
            "monitor_class_a_ops": i % 7 + 1,
            "monitor_class_b_ops": 3 * i,
            "monitor_free_ops": i % 2,
        }
        writes.add_samples(st, ACC, [SampleRow(m, n) for m, n in counts.items()], ts=ts)
        if ts >= start:
            for m, n in counts.items():
                written[m] += n
        if ts % (6 * h) == 600:  # every 6 hours, 20 minutes after the sample
            rollups.roll_up(st, ts + 1200)
        if ts % d == 600:
            rollups.purge(st, Retention(), ts + 1200)
        if ts % (5 * d) == 600 or ts == times[-1]:
            spend = queries.monitor_spend(st, ACC, start)
            assert (spend.class_a, spend.class_b, spend.free) == tuple(written.values()), ts
            checked += 1
    assert checked >= 5
    # The month's first days are gone from the raw samples: the sums came through the rollups.
    assert not Sample.select().where(Sample.ts < start + 10 * d).exists()
    spend = queries.monitor_spend(st, ACC, start)
    assert spend.usd == pytest.approx(
        written["monitor_class_a_ops"] / 1e6 * CLASS_A_PER_M
        + written["monitor_class_b_ops"] / 1e6 * CLASS_B_PER_M
    )


# --- activity, probes, last values, purge ------------------------------------------------


def test_activity_newest_first(st: Store) -> None:
    writes.add_events(st, ACC, [EventRow("job", "info", "first at 100")], ts=100)
    writes.add_events(st, ACC, [EventRow("job", "info", "second at 100")], ts=100)
    writes.add_events(st, ACC, [EventRow("bucket", "warning", "at 300", "media")], ts=300)
    writes.add_events(st, ACC, [EventRow("error", "error", "at 200")], ts=200)
    writes.add_events(st, ACCOUNT, [EventRow("job", "info", "account-wide at 250")], ts=250)
    writes.add_events(st, "other", [EventRow("job", "info", "not ours")], ts=400)
    rows = queries.activity(st, ACC)
    assert [r.message for r in rows] == [
        "at 300",
        "account-wide at 250",
        "at 200",
        "second at 100",
        "first at 100",
    ]
    assert (rows[0].kind, rows[0].level, rows[0].bucket, rows[0].ts) == (
        "bucket",
        "warning",
        "media",
        300,
    )
    assert [r.message for r in queries.activity(st, ACC, limit=2)] == [
        "at 300",
        "account-wide at 250",
    ]
    assert [r.message for r in queries.activity(st, ACC, kinds=["error", "bucket"])] == [
        "at 300",
        "at 200",
    ]


def test_probes_show_the_last_probe_of_each_bucket(st: Store) -> None:
    def probe(
        bucket: str, ts: float, ok: bool, ms: dict[str, float], ok_first: bool = False
    ) -> None:
        timing = [SampleRow(f"probe_{k}_ms", v, bucket) for k, v in ms.items()]
        verdict = [SampleRow("probe_ok", 1.0 if ok else 0.0, bucket)]
        # The order of the rows within one probe must not matter.
        for rows in (verdict, timing) if ok_first else (timing, verdict):
            writes.add_samples(st, ACC, rows, ts=ts)

    probe("alpha", NOW - 100, True, {"put": 50, "get": 40, "head": 30, "delete": 20})
    probe("alpha", NOW - 10, True, {"put": 5, "get": 4, "head": 3, "delete": 2}, ok_first=True)
    probe("beta", NOW - 20, False, {"put": 7})
    probe("gamma", NOW - 2 * 86400, True, {"put": 1})  # outside the window
    probe("delta", NOW - 30, True, {"put": 1, "get": 1, "head": 1, "delete": 1}, ok_first=True)
    writes.add_samples(st, "other", [SampleRow("probe_ok", 1.0, "alpha")], ts=NOW)
    assert queries.probes(st, ACC, NOW) == [
        ProbeRow("alpha", int(NOW - 10), True, {"put": 5, "get": 4, "head": 3, "delete": 2}),
        ProbeRow("beta", int(NOW - 20), False, {"put": 7}),
        ProbeRow("delta", int(NOW - 30), True, {"put": 1, "get": 1, "head": 1, "delete": 1}),
    ]
    assert [p.bucket for p in queries.probes(st, ACC, NOW, window=25)] == ["alpha", "beta"]


def test_last_value(st: Store) -> None:
    writes.add_samples(st, ACC, [SampleRow("total_bytes", 1.0)], ts=100)
    writes.add_samples(st, ACC, [SampleRow("total_bytes", 3.0)], ts=300)
    writes.add_samples(st, ACC, [SampleRow("total_bytes", 2.0)], ts=200)
    writes.add_samples(st, ACC, [SampleRow("total_bytes", 9.0, "media")], ts=400)
    assert queries.last_value(st, ACC, "total_bytes") == 3.0
    assert queries.last_value(st, ACC, "total_bytes", "media") == 9.0
    assert queries.last_value(st, ACC, "total_files") is None
    assert writes.add_samples(st, ACC, []) == 0


def test_purge_by_retention(st: Store) -> None:
    day = 86400
    old_run = run(st, "inventory", NOW - 41 * day, NOW - 40 * day)
    recent_run = run(st, "inventory", NOW - 11 * day, NOW - 10 * day)
    open_run = run(st, "inventory", NOW - 40 * day)
    writes.add_events(st, ACC, [EventRow("job", "info", "old")], ts=NOW - 100 * day)
    writes.add_events(st, ACC, [EventRow("job", "info", "recent")], ts=NOW - 10 * day)
    # Old notifications: sent ones go with the events; a dead one waits for someone.
    for state in ("sent", "dead"):
        Notification.insert(
            created_at=NOW - 100 * day,
            channel="ops",
            kind="alert",
            group_key="g",
            status="firing",
            body="{}",
            state=state,
            next_attempt_at=0,
        ).execute()
    # Old responses: those that ran or failed go with the events; a pending one is
    # still to run.
    for state in ("ran", "failed", "unknown", "pending"):
        ResponseRun.insert(
            created_at=NOW - 100 * day,
            account=ACC,
            rule="r",
            response="restart",
            bucket="*",
            fingerprint="f",
            body="{}",
            state=state,
        ).execute()
    assert writes.purge(st, job_runs_days=30, events_days=90, now=NOW) == {
        "job_runs": 1,
        "events": 1,
        "notifications": 1,
        "responses": 3,
    }
    assert [n.state for n in Notification.select()] == ["dead"]
    assert [r.state for r in ResponseRun.select()] == ["pending"]
    assert {r.id for r in JobRun.select()} == {recent_run, open_run}
    assert old_run not in {r.id for r in JobRun.select()}
    assert [e.message for e in Event.select()] == ["recent"]
    assert writes.purge(st, job_runs_days=30, events_days=90, now=NOW) == {
        "job_runs": 0,
        "events": 0,
        "notifications": 0,
        "responses": 0,
    }


def test_dashboard_composes_the_views(st: Store) -> None:
    _storage_fixture(st)
    run(st, "inventory", NOW - 70, NOW - 60)
    writes.add_events(st, ACC, [EventRow("job", "info", "done")], ts=NOW - 60)
    board = dashboard.read(st, ACC, quota_bytes=10_000, now=NOW)
    assert board.generated_at == int(NOW)
    # The age of the newest observation (a listing), not of the last job run.
    newest = max(b.inventoried_at for b in board.storage.buckets)
    assert board.data_at == newest
    assert board.data_age_s == int(NOW) - newest
    assert board.collector.state == "idle"
    assert board.storage == queries.storage_view(st, ACC, 10_000, now=NOW)
    assert board.activity[0].message == "done"
    assert board.probes == []


# --- threads -----------------------------------------------------------------------------


def _in_threads(n: int, work: Callable[[int], None], store: Store) -> list[BaseException]:
    gate = threading.Barrier(n)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            gate.wait()
            work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.db.close()  # each thread hands its own connection back

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_read_then_write_from_threads_never_locks(st: Store) -> None:
    """SQLite: no "database is locked". PostgreSQL: no lost update (two transactions
    reading the same count)."""
    threads, rounds = 6, 25

    def work(i: int) -> None:
        for _ in range(rounds):
            with st.write():
                seen = Sample.select().count()
                Sample.insert(
                    ts=seen, account=ACC, bucket=f"t{i}", metric="counter", value=float(seen)
                ).execute()

    assert _in_threads(threads, work, st) == []
    values = sorted(int(s.value) for s in Sample.select())
    # Each read saw every earlier write: the transactions ran one after another.
    assert values == list(range(threads * rounds))


def test_concurrent_writers_through_the_write_api(st: Store) -> None:
    def work(i: int) -> None:
        for r in range(5):
            # Every thread sees "fresh-{r}" first: each must not insert it again.
            writes.sync_buckets(st, ACC, [f"b{i}", "shared", f"fresh-{r}"], ts=r)
            writes.save_inventory(
                st,
                ACC,
                inventory(f"b{i}", 100 + r, largest=[obj("k", 1)]),
                [SampleRow("total_bytes", r, f"b{i}")],
                [EventRow("job", "info", f"{i}/{r}")],
                keep=2,
            )
            writes.add_events(st, ACC, [EventRow("job", "info", "tick")], ts=r)

    assert _in_threads(5, work, st) == []
    assert Inventory.select().count() == 5 * 2
    assert Event.select().where(Event.message == "tick").count() == 25
    assert Bucket.select().where(Bucket.name == "shared").count() == 1
