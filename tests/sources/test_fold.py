"""The inventory fold: file types from keys, and a bounded-memory summary whose
result does not depend on the order objects arrive in."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.observations import BucketInventory
from r2tui.sources.listing.fold import (
    FOLDER_MARKER,
    NEW_LARGE_KEPT,
    NO_EXTENSION,
    OTHER,
    InventoryFold,
    extension_of,
)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("photo.jpg", "jpg"),
        ("images/2026/01/IMG_0001.JPG", "jpg"),  # upper case folds to lower
        ("Mixed.JpEg", "jpeg"),
        ("a/b/c/", FOLDER_MARKER),  # a folder marker
        ("u/abc/", FOLDER_MARKER),
        ("README", NO_EXTENSION),
        ("bin/Makefile", NO_EXTENSION),
        (".env", NO_EXTENSION),  # a dotfile's name is not its type
        ("config/.gitignore", NO_EXTENSION),
        (".env.example", "example"),
        ("backup.tar.gz", "tar.gz"),
        ("db/2026-01-01/base.TAR.GZ", "tar.gz"),
        ("dump.2026-01-01.tar.zst", "tar.zst"),
        ("cdn/2026/part-000001.json.gz", "json.gz"),
        ("export.csv.gz", "csv.gz"),
        ("plain.gz", "gz"),
        ("wal/000000010000000000000001", NO_EXTENSION),
        ("archive.001", NO_EXTENSION),  # numbered volume, not a type
        ("v1.2", NO_EXTENSION),
        ("movie.mp4", "mp4"),  # digits inside a type are fine
        ("trailing.", NO_EXTENSION),
        ("a.b/c", NO_EXTENSION),  # a dot in a folder name is not the file's
        ("what?.pdf", "pdf"),
        ("Résumé 2026.pdf", "pdf"),
        ("報告書.docx", "docx"),
        ("фото отпуска.jpg", "jpg"),
        ("emoji 🎉 party.png", "png"),
        ("notes (final) v2.md", "md"),
        ("weird.ext-with-dash", NO_EXTENSION),
        ("long.abcdefghijklmnop", NO_EXTENSION),  # longer than any real type
        ("tab\tname.txt", "txt"),
    ],
)
def test_extension_of(key: str, expected: str) -> None:
    assert extension_of(key) == expected


def _objects(rng: random.Random, n: int, now: float = 1_700_000_000.0) -> list[tuple]:
    exts = ["jpg", "PNG", "tar.gz", "json.gz", "", "log", "csv", "mp4"]
    out = []
    for i in range(n):
        ext = rng.choice(exts)
        key = f"{rng.choice(['x', 'y/z'])}/k{i:05d}" + (f".{ext}" if ext else "")
        size = rng.choice([0, 7, 7, 500, rng.randrange(10**9)])  # ties on purpose
        mtime = float(now - rng.choice([0, 10, 10, rng.randrange(10**7)]))
        cls = rng.choice(["STANDARD", "STANDARD", "STANDARD_IA"])
        out.append((key, size, mtime, cls))
    return out


def _fold(objects: list[tuple], **kwargs: object) -> InventoryFold:
    fold = InventoryFold("b", **kwargs)  # type: ignore[arg-type]
    for o in objects:
        fold.add(*o)
    return fold


def test_fold_counts_bytes_and_breakdowns() -> None:
    objs = _objects(random.Random(1), 3000)
    since, threshold = 1_700_000_000.0 - 5_000_000, 400_000_000
    inv = _fold(objs, top_n=7, newest_n=5, large_object_bytes=threshold, since=since).result(
        10.0, 12.5, 3
    )

    assert (inv.bucket, inv.started_at, inv.finished_at, inv.list_requests) == ("b", 10, 12.5, 3)
    assert inv.objects == len(objs)
    assert inv.bytes == sum(o[1] for o in objs)
    by_ext: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_cls: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, size, _, cls in objs:
        for table, k in ((by_ext, extension_of(key)), (by_cls, cls)):
            table[k][0] += 1
            table[k][1] += size
    assert {k: [v.objects, v.bytes] for k, v in inv.by_extension.items()} == by_ext
    assert {k: [v.objects, v.bytes] for k, v in inv.by_storage_class.items()} == by_cls
    assert set(inv.by_extension) == {
        "jpg",
        "png",
        "tar.gz",
        "json.gz",
        NO_EXTENSION,
        "log",
        "csv",
        "mp4",
    }
    assert not inv.other_extensions

    largest = sorted(objs, key=lambda o: (o[1], o[0]), reverse=True)[:7]
    assert [(e.key, e.size, e.last_modified, e.storage_class) for e in inv.largest] == largest
    newest = sorted(objs, key=lambda o: (o[2], o[0]), reverse=True)[:5]
    assert [(e.key, e.size, e.last_modified, e.storage_class) for e in inv.newest] == newest

    new_large = [o for o in objs if o[2] > since and o[1] >= threshold]
    assert len(new_large) > NEW_LARGE_KEPT  # the seed exercises the cap
    assert inv.new_large_count == len(new_large)  # counted in full...
    assert (
        [e.key for e in inv.new_large]
        == [  # ...and the largest of them kept
            o[0] for o in sorted(new_large, key=lambda o: (o[1], o[0]), reverse=True)
        ][:NEW_LARGE_KEPT]
    )


def test_new_large_needs_a_previous_inventory() -> None:
    """Without `since` (a first inventory) nothing counts as newly uploaded."""
    inv = _fold(_objects(random.Random(2), 500), large_object_bytes=1).result(0, 1, 1)
    assert inv.new_large_count == 0 and inv.new_large == []


def test_new_large_boundaries() -> None:
    fold = InventoryFold("b", large_object_bytes=100, since=1000.0)
    fold.add("at-since", 500, 1000.0, "STANDARD")  # not after since
    fold.add("small", 99, 2000.0, "STANDARD")  # below the threshold
    fold.add("at-threshold", 100, 2000.0, "STANDARD")  # counts: the threshold is inclusive
    fold.add("big", 10**12, 1000.5, "STANDARD_IA")
    inv = fold.result(0, 1, 1)
    assert [e.key for e in inv.new_large] == ["big", "at-threshold"]
    assert inv.new_large_count == 2


def test_empty_fold() -> None:
    inv = InventoryFold("empty").result(5, 6, 1)
    assert (
        inv.objects,
        inv.bytes,
        inv.largest,
        inv.newest,
        inv.by_extension,
        inv.by_storage_class,
    ) == (0, 0, [], [], {}, {})


def _comparable(inv: BucketInventory) -> tuple:
    return (
        inv.objects,
        inv.bytes,
        inv.by_extension,
        inv.by_storage_class,
        inv.largest,
        inv.newest,
        inv.new_large,
        inv.new_large_count,
        inv.other_extensions,
    )


object_lists = st.lists(
    st.tuples(
        st.integers(0, 10**6),
        st.sampled_from([0, 1, 5, 5, 10**9]),
        st.sampled_from([1.0, 2.0, 2.0, 3.5, 9e8]),
        st.sampled_from(["STANDARD", "STANDARD_IA"]),
        st.sampled_from(["a.jpg", "b.tar.gz", "c", "d/", "e.PNG", "f.json.gz"]),
    ),
    max_size=120,
    unique_by=lambda t: t[0],
).map(lambda rows: [(f"k{i}/{name}", size, t, cls) for i, size, t, cls, name in rows])


@settings(max_examples=150, deadline=None)
@given(objs=object_lists, seed=st.integers(0, 2**32 - 1), split=st.floats(0, 1))
def test_order_and_split_do_not_change_the_result(
    objs: list[tuple], seed: int, split: float
) -> None:
    kw = {"top_n": 4, "newest_n": 3, "large_object_bytes": 5, "since": 1.5}
    whole = _fold(objs, **kw).result(0, 1, 1)

    shuffled = objs[:]
    random.Random(seed).shuffle(shuffled)
    assert _comparable(_fold(shuffled, **kw).result(0, 1, 1)) == _comparable(whole)

    cut = int(split * len(shuffled))
    left, right = _fold(shuffled[:cut], **kw), _fold(shuffled[cut:], **kw)
    left.merge(right)
    assert _comparable(left.result(0, 1, 1)) == _comparable(whole)


def test_extension_cap_folds_the_rest_into_other() -> None:
    objs = [(f"f{i}.t{i % 12}", i, float(i), "STANDARD") for i in range(240)]
    inv = _fold(objs, max_extensions=5).result(0, 1, 1)
    assert inv.other_extensions
    assert len(inv.by_extension) == 6 and OTHER in inv.by_extension
    # The first five types seen keep their rows; everything else is counted, not lost.
    assert set(inv.by_extension) - {OTHER} == {f"t{i}" for i in range(5)}
    assert sum(t.objects for t in inv.by_extension.values()) == 240
    assert sum(t.bytes for t in inv.by_extension.values()) == sum(range(240))
    kept = Counter(f"t{i % 12}" for i in range(240))
    assert inv.by_extension[OTHER].objects == sum(
        v for k, v in kept.items() if k not in inv.by_extension
    )


def test_extension_cap_holds_through_merge() -> None:
    a = _fold([(f"a{i}.x{i}", 1, 1.0, "STANDARD") for i in range(4)], max_extensions=4)
    b = _fold([(f"b{i}.y{i}", 2, 1.0, "STANDARD") for i in range(4)], max_extensions=4)
    assert not a.other_extensions and not b.other_extensions
    a.merge(b)
    inv = a.result(0, 1, 1)
    assert inv.other_extensions
    assert len(inv.by_extension) == 5
    assert inv.by_extension[OTHER].objects == 4 and inv.by_extension[OTHER].bytes == 8
    assert inv.objects == 8 and inv.bytes == 12


def test_memory_stays_bounded_over_100k_objects() -> None:
    rng = random.Random(3)
    fold = InventoryFold(
        "big", top_n=20, newest_n=20, large_object_bytes=1, max_extensions=50, since=0.0
    )
    expected_new_large = 0
    for i in range(100_000):
        size = rng.randrange(10**9)
        fold.add(f"k/{i}.e{rng.randrange(500)}", size, float(i), "STANDARD")
        expected_new_large += i > 0 and size >= 1
        if i % 10_000 == 0:
            assert len(fold._largest) <= 20 and len(fold._newest) <= 20
            assert len(fold._new_large) <= NEW_LARGE_KEPT
            # Tracked with a margin (see InventoryFold.tracked_extensions), bounded.
            assert len(fold.by_extension) <= fold.tracked_extensions + 1
    assert len(fold._largest) == 20 and len(fold._newest) == 20
    assert len(fold._new_large) == NEW_LARGE_KEPT
    assert len(fold.by_extension) == fold.tracked_extensions + 1 and len(fold.by_class) == 1
    inv = fold.result(0, 1, 100)
    assert inv.objects == 100_000 and inv.new_large_count == expected_new_large
    assert len(inv.by_extension) == 51 and inv.other_extensions


def test_top_lists_are_prefixes_of_one_order_even_with_ties() -> None:
    """Asking for fewer largest/newest objects gives the head of the longer list:
    ties on size or time are kept and shown by the same rule."""
    objs = [(f"k{i}", 100 if i % 3 else 5, 50.0 if i % 2 else 60.0, "STANDARD") for i in range(30)]
    short, long = (_fold(objs, top_n=n, newest_n=n).result(0, 1, 1) for n in (3, 8))
    assert [e.key for e in short.largest] == [e.key for e in long.largest][:3]
    assert [e.key for e in short.newest] == [e.key for e in long.newest][:3]
    assert all(e.size == 100 for e in long.largest)
    assert all(e.last_modified == 60.0 for e in long.newest)
