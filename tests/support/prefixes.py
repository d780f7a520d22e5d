"""Prefix totals by brute force, written from the rule in
`r2tui/sources/listing/prefixes.py`'s docstring and not from its code: a key's
prefixes are its "/"-ended parts, `depth` of them at most."""

from __future__ import annotations

from collections.abc import Iterable

from r2tui.config.model import Retention
from r2tui.metrics import DAY
from r2tui.observations import BucketInventory
from r2tui.sources.listing.fold import InventoryFold
from r2tui.store import Store, rollups, writes

# ---- a store holding inventories of one bucket, "b", with growth ----------------------

T0 = 1_780_000_000 - 1_780_000_000 % DAY + 3 * 3600  # an inventory at 03:00 UTC
LONG = "p" * 300 + "/"  # beyond what the series' column holds


def inventory(at: int, layout: dict[str, int], bucket: str = "b") -> BucketInventory:
    """A bucket holding one object of each size under each key, folded as the
    listing does."""
    fold = InventoryFold(bucket, prefix_depth=3, prefix_entries=50)
    for key in sorted(layout):
        fold.add(key, layout[key], float(at), "STANDARD")
    return fold.result(at - 60, at, 1)


def save(
    store: Store,
    at: int,
    layout: dict[str, int],
    keep: int = 14,
    account: str = "acc",
    bucket: str = "b",
) -> None:
    inv = inventory(at, layout, bucket)
    # As the inventory job does: the bucket's total is its own series (the root's).
    samples = [writes.SampleRow("total_bytes", inv.bytes, inv.bucket)]
    writes.save_inventory(store, account, inv, samples, keep=keep)


def layout(day: int) -> dict[str, int]:
    """logs/ grows 100 bytes a day, img/ stays, tmp/ comes on day 30."""
    out = {"README": 5, "img/a.png": 1000, "img/b/c.png": 500, LONG + "x": 1}
    out.update({f"logs/2026/{d:02d}.gz": 100 for d in range(day + 1)})
    if day >= 30:
        out["tmp/x"] = 42
    return out


def fill(
    store: Store,
    account: str = "acc",
    bucket: str = "b",
    t0: int = T0,
    extra: dict[str, int] | None = None,
) -> None:
    """Inventories on days 0, 22, 29 and 30 from `t0` (two kept), rolled up and
    purged as the rollup job does an hour after the last: 7- and 30-day growth to
    read. `extra` objects are in the last one only."""
    for day in (0, 22, 29, 30):
        objects = {**layout(day), **(extra or {})} if day == 30 else layout(day)
        save(store, t0 + day * DAY, objects, keep=2, account=account, bucket=bucket)
    now = t0 + 30 * DAY + 3600
    rollups.roll_up(store, now=now)
    rollups.purge(store, Retention(samples_days=14), now=now)


# ---- brute force -------------------------------------------------------------------------

Totals = dict[str, list[int]]  # prefix -> [objects, bytes, files_objects, files_bytes]


def brute_force(objects: Iterable[tuple[str, int]], depth: int) -> tuple[Totals, list[int]]:
    """Every prefix's totals, and [objects, bytes] at the root."""
    totals: Totals = {}
    root = [0, 0]
    for key, size in objects:
        parts = key.split("/")[:-1][:depth]  # the parts that end in "/"
        if not parts:
            root[0] += 1
            root[1] += size
            continue
        for i in range(1, len(parts) + 1):
            acc = totals.setdefault("".join(p + "/" for p in parts[:i]), [0, 0, 0, 0])
            acc[0] += 1
            acc[1] += size
        deepest = totals["".join(p + "/" for p in parts)]
        deepest[2] += 1
        deepest[3] += size
    return totals, root


def expected_kept(totals: Totals, entries: int) -> list[tuple[str, list[int]]]:
    """The prefixes a bucket keeps: the largest by bytes, then objects, then name."""
    return sorted(totals.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))[:entries]


def check_prefixes(
    inv: BucketInventory, objects: Iterable[tuple[str, int]], depth: int, entries: int
) -> None:
    """`inv`'s prefixes are exactly the brute-force ones, capped as the rule says,
    and what was left out is counted in the parents: the totals stay exact."""
    objects = list(objects)
    totals, root = brute_force(objects, depth)
    got = [(p.prefix, [p.objects, p.bytes, p.files_objects, p.files_bytes]) for p in inv.prefixes]
    assert got == expected_kept(totals, entries)
    assert [inv.root_files.objects, inv.root_files.bytes] == root
    assert inv.prefixes_dropped == len(totals) - len(got)
    assert inv.prefix_depth == depth
    kept = {p.prefix for p in inv.prefixes}
    top = [p for p in inv.prefixes if p.prefix.count("/") == 1]
    # The root: its files, its kept prefixes and "other" (those left out) make the bucket.
    other_bytes = inv.bytes - root[1] - sum(p.bytes for p in top)
    left_out = [t for p, t in totals.items() if p.count("/") == 1 and p not in kept]
    assert other_bytes == sum(t[1] for t in left_out) >= 0
    for p in inv.prefixes:
        parent = p.prefix[: p.prefix[:-1].rfind("/") + 1]
        assert parent == "" or parent in kept, f"{p.prefix!r} kept without its parent"
