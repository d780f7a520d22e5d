"""Prefix totals by brute force, written from the rule in
`r2tui/sources/listing/prefixes.py`'s docstring and not from its code: a key's
prefixes are its "/"-ended parts, `depth` of them at most."""

from __future__ import annotations

from collections.abc import Iterable

from r2tui.observations import BucketInventory

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
