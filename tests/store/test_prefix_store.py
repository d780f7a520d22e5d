"""Prefixes in the store: kept with each inventory and pruned with it, their
series outliving it, and the tree `du` and the Storage pane read, with growth
since the previous inventory and over 7 and 30 days, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from r2tui.alerts.rules import rule_from
from r2tui.config.model import Retention
from r2tui.jobs.inventory import pinned_prefixes
from r2tui.metrics import DAY, PREFIX_BYTES
from r2tui.sources.listing.fold import InventoryFold
from r2tui.store import Store, open_store, rollups, writes
from r2tui.store.migrations import migrate
from r2tui.store.models import Inventory, InventoryPrefix, Sample, SeriesKey
from r2tui.store.prefixes import NoSuchPrefix, bucket_tree
from tests.support.prefixes import LONG, T0, fill, layout, save

GT = {"comparison": ">", "threshold": 1, "metric": PREFIX_BYTES}


def test_growth_since_the_previous_inventory_and_over_7_and_30_days(st: Store) -> None:
    """Four inventories, two kept: 30-day growth comes from the daily rollups of
    the prefix series once the raw samples and the inventory of that day are gone."""
    fill(st)
    assert Sample.select().where(Sample.ts < T0 + 16 * DAY).count() == 0  # raw day 0: gone
    assert Inventory.select().count() == 2
    assert {r.inventory_id for r in InventoryPrefix.select()} == {
        i.id for i in Inventory.select()
    }  # the pruned inventories' prefixes went with them

    tree = bucket_tree(st, "acc", "b")
    assert (tree.bucket, tree.inventoried_at, tree.previous_at) == (
        "b",
        T0 + 30 * DAY,
        T0 + 29 * DAY,
    )
    assert (tree.depth, tree.dropped) == (3, 0)
    root = tree.root
    assert (root.objects, root.bytes) == (36, 5 + 1000 + 500 + 1 + 3100 + 42)
    assert (root.files_objects, root.files_bytes) == (1, 5)
    assert [c.prefix for c in root.children] == ["logs/", "img/", "tmp/", LONG]
    logs = tree.find("logs/2026/")
    assert logs is not None and (logs.objects, logs.bytes, logs.name) == (31, 3100, "2026/")
    assert (logs.growth.since_previous, logs.growth.week, logs.growth.month) == (100, 800, 3000)
    img = tree.find("img/")
    assert img is not None and img.growth.since_previous == img.growth.month == 0
    assert (img.files_bytes, img.other_bytes, [c.name for c in img.children]) == (1000, 0, ["b/"])
    tmp = tree.find("tmp/")
    # New since the previous listing, which counted as deep and left nothing out.
    assert tmp is not None and tmp.growth.since_previous == 42
    assert tmp.growth.week is None and tmp.growth.month is None  # not there then: unknown
    assert root.growth.since_previous == 142 and root.growth.month == 3000 + 42
    long = tree.find(LONG)
    assert long is not None and long.bytes == 1 and long.growth.week is None  # no series
    assert not SeriesKey.select().where(SeriesKey.bucket.contains("ppppp")).exists()

    # A series with nothing left (samples and rollups purged): its key goes.
    SeriesKey.insert(account="acc", metric=PREFIX_BYTES, bucket="b/gone/").execute()
    purged = rollups.purge(st, Retention(samples_days=14), now=T0 + 30 * DAY + 3600)
    assert purged.series == 1
    keys = {k.bucket for k in SeriesKey.select().where(SeriesKey.metric == PREFIX_BYTES)}
    assert "b/gone/" not in keys and "b/img/" in keys  # img/'s day 0: in its daily rollup


def test_prefix_series_are_series_like_any_other_and_end_at_zero(st: Store) -> None:
    with pytest.raises(NoSuchPrefix, match="no bucket is listed yet"):
        bucket_tree(st, "acc", "nope")
    save(st, T0, layout(30))
    rows = {
        (s.bucket, s.metric): s.value
        for s in Sample.select().where(Sample.metric.startswith("prefix_"))
    }
    assert rows[("b/logs/", PREFIX_BYTES)] == 3100
    assert rows[("b/img/b/", "prefix_objects")] == 1
    assert ("b/", PREFIX_BYTES) not in rows  # the root is the bucket's total_bytes
    with pytest.raises(NoSuchPrefix, match="no inventory of bucket 'nope'; listed buckets: b"):
        bucket_tree(st, "acc", "nope")
    # tmp/ deleted, and the listing left nothing out: it is gone, its series ends at 0.
    save(st, T0 + DAY, layout(29))
    last = {
        (s.bucket, s.metric): s.value
        for s in Sample.select().where(Sample.ts == T0 + DAY, Sample.bucket == "b/tmp/")
    }
    assert last == {("b/tmp/", PREFIX_BYTES): 0, ("b/tmp/", "prefix_objects"): 0}


def test_a_prefix_left_out_is_in_its_parents_other(store: Store) -> None:
    fold = InventoryFold("b", prefix_depth=2, prefix_entries=2)
    for key, size in (("a/big", 100), ("a/s1/x", 3), ("a/s2/x", 4), ("z/y", 1)):
        fold.add(key, size, float(T0), "STANDARD")
    writes.save_inventory(store, "acc", fold.result(T0 - 1, T0, 1))
    tree = bucket_tree(store, "acc", "b")
    a = tree.find("a/")
    assert a is not None and [c.prefix for c in a.children] == ["a/s2/"]
    assert (a.files_bytes, a.other_bytes, a.other_objects) == (100, 3, 1)
    assert (tree.root.other_bytes, tree.dropped) == (1, 2)  # z/ and a/s1/
    # The previous inventory left prefixes out: a prefix missing from it is not "new".
    save(store, T0 + DAY, {"a/big": 100, "a/s1/x": 3, "a/s2/x": 4, "z/y": 1, "q/n": 9})
    q = bucket_tree(store, "acc", "b").find("q/")
    assert q is not None and q.growth.since_previous is None


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_an_inventory_from_before_prefixes_is_its_root_alone(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    store = open_store(url, migrate_now=False)
    try:
        migrate(store.db, target=9)
        store.db.execute_sql(
            "INSERT INTO inventory (account, bucket, started_at, finished_at, objects, bytes, "
            "list_requests, other_extensions) VALUES ('acc', 'old', 1, 2, 10, 1000, 1, false)"
        )
        migrate(store.db)
        tree = bucket_tree(store, "acc", "old")
        assert (tree.depth, tree.root.bytes, tree.root.files_bytes, tree.root.children) == (
            0,
            1000,
            1000,
            (),
        )
    finally:
        store.close()


def test_a_pinned_prefix_that_falls_out_or_goes_gets_its_true_figure(store: Store) -> None:
    """The last inventory's kept prefixes are pinned (as the inventory job pins
    them, with those rules name): tmp/, cleaned to 1 byte, falls out of the 3
    kept but its series says 1, not its last 50,000; gone, it says 0 though a
    prefix (o/) was left out."""
    base = {f"keep{i}/x": 10_000 for i in range(3)} | {"o/x": 1}
    rules = [
        rule_from({"name": n, "scope": s, "enabled": e, **GT})
        for n, s, e in (
            ("r", "b/rule/", True),
            ("e", "b/[[]r]/", True),  # "[r]/", escaped
            ("g", "b/x*/", True),
            ("d", "b/off/", False),
        )
    ] + [rule_from({"name": "c", "scope": "c/c/", **GT})]

    def save_pinned(at: int, objects: dict[str, int]) -> int:
        pins = pinned_prefixes(writes.last_prefixes(store, "acc", "b"), "b", rules)
        assert {"rule/", "[r]/"} <= set(pins)  # the glob's, a disabled one's, another bucket's: not
        assert not {"x*/", "off/", "c/"} & set(pins)
        fold = InventoryFold("b", prefix_depth=3, prefix_entries=3, pinned_prefixes=pins)
        for key in sorted(objects):
            fold.add(key, objects[key], float(at), "STANDARD")
        inv = fold.result(at - 60, at, 1)
        writes.save_inventory(store, "acc", inv)
        assert inv.prefixes_dropped
        tmp = Sample.select().where(
            Sample.ts == at, Sample.bucket == "b/tmp/", Sample.metric == PREFIX_BYTES
        )
        return int(tmp.get().value)

    assert save_pinned(T0, {**base, "tmp/big": 50_000}) == 50_000
    assert save_pinned(T0 + DAY, {**base, "tmp/small": 1}) == 1
    assert save_pinned(T0 + 2 * DAY, {**base, "tmp/big": 50_000}) == 50_000
    assert save_pinned(T0 + 3 * DAY, base) == 0
