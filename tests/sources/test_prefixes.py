"""Prefix totals from the listing: equal to a brute-force sum over the keys on
awkward layouts, capped without losing a byte, the same whatever the order
ranges are folded and merged in, and bounded in memory."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.observations import BucketInventory, ancestors
from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.prefixes import PrefixTally, folder_of
from tests.support.listing_peers import LAYOUTS
from tests.support.prefixes import brute_force, check_prefixes

Objects = list[tuple[str, int]]


def _sized(keys: list[str], seed: int = 1) -> Objects:
    rng = random.Random(seed)
    return [(k, rng.choice((0, 1, 7, 7, rng.randrange(10**6)))) for k in sorted(set(keys))]


def _listed(
    objects: Objects,
    depth: int,
    entries: int,
    ranges: int = 1,
    page: int = 50,
    seed: int = 0,
    pinned: tuple[str, ...] = (),
) -> BucketInventory:
    """`objects` (in key order) folded as a listing would: cut into `ranges` key
    ranges, each folded page by page, the folds merged in a shuffled order."""
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(objects)), min(ranges - 1, max(0, len(objects) - 1))))
    folds = []
    for lo, hi in zip([0, *cuts], [*cuts, len(objects)], strict=True):
        fold = InventoryFold(
            "b", prefix_depth=depth, prefix_entries=entries, pinned_prefixes=pinned
        )
        part = objects[lo:hi]
        for i in range(0, len(part), page):
            chunk = part[i : i + page]
            fold.add_page(
                [k for k, _ in chunk],
                [s for _, s in chunk],
                ["2026-01-01T00:00:00.000Z"] * len(chunk),
                ["STANDARD"] * len(chunk),
            )
        folds.append(fold)
    rng.shuffle(folds)
    first, *rest = folds
    for fold in rest:
        first.merge(fold)
    return first.result(0, 1, 1)


@pytest.mark.parametrize(
    ("key", "depth", "folder"),
    [
        ("file.txt", 3, ""),  # at the root
        ("a/b/c/d/e.txt", 3, "a/b/c/"),  # deeper than counted: in its ancestor at the depth
        ("a/b.txt", 3, "a/"),
        ("a/", 3, "a/"),  # a folder marker is in the folder it names
        ("a/b/", 1, "a/"),
        ("a//b", 3, "a//"),  # an empty part is a part, as S3 lists it
        ("/x", 3, "/"),
        ("//", 3, "//"),
        ("фото/2026/😀.jpg", 3, "фото/2026/"),
        ("a/b", 0, ""),  # depth 0: no prefixes
    ],
)
def test_the_folder_a_key_counts_in(key: str, depth: int, folder: str) -> None:
    assert folder_of(key, depth) == folder
    assert brute_force([(key, 1)], depth)[0].keys() == set(ancestors(folder))


def _awkward_mix(n: int) -> list[str]:
    rng = random.Random(8)
    parts = ["", "a", "b", "é", "日本", "😀", "x y", "-", "0"]
    out = set()
    while len(out) < n:
        out.add("/".join(rng.choice(parts) for _ in range(rng.randrange(1, 7))))
    return sorted(out)


LAYOUT_KEYS = {
    **{name: make(600) for name, make in LAYOUTS.items()},
    "markers": sorted({f"d{i % 7}/" for i in range(7)} | {f"d{i % 7}/f{i}" for i in range(300)}),
    "slashes": _awkward_mix(600),  # "//", leading and trailing "/", unicode parts
    "huge_prefix": [f"big/{i:06d}" for i in range(550)] + ["a/1", "z/2", "top"],
}


@pytest.mark.parametrize("layout", sorted(LAYOUT_KEYS))
@pytest.mark.parametrize(("depth", "entries"), [(3, 2000), (2, 7), (6, 25)])
def test_totals_equal_a_brute_force_sum(layout: str, depth: int, entries: int) -> None:
    objects = _sized(LAYOUT_KEYS[layout])
    inv = _listed(objects, depth, entries, ranges=5, page=37, seed=len(layout))
    assert inv.bytes == sum(s for _, s in objects)
    check_prefixes(inv, objects, depth, entries)


def test_other_keeps_the_totals_exact() -> None:
    """Three prefixes kept of many: every byte is still in the bucket's total, and
    each kept prefix's figure is whole, not what was left of it."""
    objects = _sized([f"p{i:03d}/f{j}" for i in range(40) for j in range(i % 5 + 1)] + ["r"])
    inv = _listed(objects, 1, 3, ranges=6, page=9, seed=3)
    check_prefixes(inv, objects, 1, 3)
    assert len(inv.prefixes) == 3 and inv.prefixes_dropped == 37
    assert inv.root_files.objects == 1
    kept = sum(p.bytes for p in inv.prefixes)
    assert inv.bytes - inv.root_files.bytes - kept == sum(
        s
        for k, s in objects
        if "/" in k and k[: k.index("/") + 1] not in {p.prefix for p in inv.prefixes}
    )

    # Pinned: the smallest early and late in the listing, dropped as they finish or
    # pruned else, keep their exact totals, and the kept set is the same.
    totals = brute_force(objects, 1)[0]
    smallest = [min(sorted(totals)[i : i + 10], key=lambda p: totals[p][1]) for i in (0, 30)]
    pinned = _listed(objects, 1, 3, ranges=6, page=9, seed=3, pinned=(*smallest, "gone/"))
    assert pinned.prefixes == inv.prefixes and pinned.prefixes_dropped == 37
    want = {p: totals[p] for p in smallest} | {"gone/": [0, 0, 0, 0]}
    got = {
        p.prefix: [p.objects, p.bytes, p.files_objects, p.files_bytes]
        for p in pinned.pinned_prefixes
    }
    assert got == want


key_lists = st.lists(
    st.lists(st.sampled_from(["a", "b", "", "é", "ab"]), min_size=1, max_size=5).map("/".join),
    min_size=1,
    max_size=80,
    unique=True,
).map(sorted)


@settings(max_examples=120, deadline=None)
@given(
    keys=key_lists,
    depth=st.integers(1, 4),
    entries=st.integers(1, 6),
    ranges=st.integers(1, 6),
    page=st.integers(1, 9),
    seed=st.integers(0, 2**16),
)
def test_any_split_and_merge_order_gives_the_same_result(
    keys: list[str], depth: int, entries: int, ranges: int, page: int, seed: int
) -> None:
    objects = _sized(keys, seed)
    # Pinned (the last inventory's, a rule's): some that exist, one gone, one too deep.
    totals = brute_force(objects, depth)[0]
    pinned = (*random.Random(seed).sample(sorted(totals), len(totals) // 2), "gone/", "a/" * 5)
    inv = _listed(objects, depth, entries, ranges=ranges, page=page, seed=seed, pinned=pinned)
    check_prefixes(inv, objects, depth, entries)  # the kept set is the same
    kept = {p.prefix for p in inv.prefixes}
    want = {p: totals.get(p, [0, 0, 0, 0]) for p in pinned[:-1] if p not in kept}
    got = inv.pinned_prefixes
    assert {p.prefix: [p.objects, p.bytes, p.files_objects, p.files_bytes] for p in got} == want
    # Keys in no order at all (not a listing): still exact, only not bounded;
    # out of order from the second key. (Had the first keys come in order, the
    # tally may have dropped prefixes that later keys add to: it says so, as
    # "some may be short". A listing's keys are in order; hypothesis found the
    # case with five keys, the first three in order.)
    shuffled = objects[:]
    random.Random(seed).shuffle(shuffled)
    if len(shuffled) > 1 and shuffled[0][0] < shuffled[1][0]:
        shuffled[0], shuffled[1] = shuffled[1], shuffled[0]
    fold = InventoryFold("b", prefix_depth=depth, prefix_entries=entries)
    for key, size in shuffled:
        fold.add(key, size, 0.0, "STANDARD")
    check_prefixes(fold.result(0, 1, 1), objects, depth, entries)


def test_memory_stays_bounded_while_listing() -> None:
    """100,000 keys in 20,000 folders, two levels: at most 2 x entries whole prefixes,
    and the few that may reach past the range's ends, are held at any time."""
    tally = PrefixTally(depth=3, entries=50)
    keys = [f"u{i // 50:05d}/{(i // 5) % 10}/{i:07d}" for i in range(100_000)]
    for i in range(0, len(keys), 1000):
        tally.add_page(keys[i : i + 1000], [i % 997] * 1000)
        assert len(tally._whole) <= 100 and len(tally._partial) <= 3 and len(tally._path) <= 3
    kept, root, dropped, _ = tally.result()
    assert len(kept) == 50 and root.objects == 0 and dropped == 2000 + 20_000 - 50


def test_off_at_depth_zero() -> None:
    inv = _listed(_sized(["a/b", "c"]), 0, 10)
    assert (inv.prefixes, inv.root_files.objects, inv.prefix_depth) == ((), 0, 0)
