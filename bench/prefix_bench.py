"""What counting prefixes costs: the fold's CPU per 1,000 keys with and without
prefixes, and the store's time to save and read a bucket's prefixes.

    .venv/bin/python bench/prefix_bench.py [--objects 200000] [--runs 5]

1. The fold: `InventoryFold.add_page` over pages of 1,000 sorted keys, as the
   listing feeds it, at `prefix_depth` 0 (off) and 3 (the default), on three
   layouts: `bench_keys.py`'s realistic bucket, every key in a folder of its
   own (the worst case: a prefix per key, most dropped by the cap), and a flat
   bucket. Process CPU time, the best of `--runs`.
2. The store: `writes.save_inventory` of one bucket with 2,000 kept prefixes
   (the default cap) after an inventory of them, on a fresh SQLite file, and
   `store.prefixes.bucket_tree` reading it back with its growth (the previous
   inventory and the 7- and 30-day series); wall and CPU time, the median of
   `--runs`.

No server and no network: it measures r2tui's own work only."""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench_keys import generate

from r2tui.sources.listing.fold import InventoryFold
from r2tui.store import open_store, writes
from r2tui.store.prefixes import bucket_tree

DATE = "2026-01-01T00:00:00.000Z"
PAGE = 1000


def _fold_cpu(keys: list[str], sizes: list[int], depth: int, runs: int) -> float:
    """CPU seconds per 1,000 keys, the best of `runs`."""
    dates, classes = [DATE] * PAGE, ["STANDARD"] * PAGE
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        fold = InventoryFold("bench", prefix_depth=depth)
        for i in range(0, len(keys), PAGE):
            n = len(keys[i : i + PAGE])
            fold.add_page(keys[i : i + PAGE], sizes[i : i + PAGE], dates[:n], classes[:n])
        fold.result(0, 1, 1)
        best = min(best, time.process_time() - started)
    return best / len(keys) * 1000


def _layouts(n: int) -> dict[str, tuple[list[str], list[int]]]:
    rng = random.Random(1)
    objs = sorted(generate(n), key=lambda o: o.key)
    own = sorted(f"{rng.getrandbits(40):010x}/{i}.bin" for i in range(n))
    flat = [f"obj-{i:09d}" for i in range(n)]
    return {
        "bench_keys (realistic)": ([o.key for o in objs], [o.size for o in objs]),
        "a folder per key": (own, [1000] * n),
        "flat": (flat, [1000] * n),
    }


def _store_times(runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds to save an inventory of 2,000 prefixes after
    another, and to read its tree."""
    took: dict[str, list[tuple[float, float]]] = {"save": [], "tree": []}

    def timed(what: str, work: Callable[[], object]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        took[what].append((time.perf_counter() - wall, time.process_time() - cpu))

    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
            try:
                for day in range(2):
                    fold = InventoryFold("b", prefix_depth=3, prefix_entries=2000)
                    keys = sorted(f"u{i // 40:05d}/d{i % 7}/{i}" for i in range(80_000 + day))
                    for key in keys:
                        fold.add(key, 1000 + run, 0.0, "STANDARD")
                    inv = fold.result(day * 86400.0, day * 86400.0 + 60, 80)
                    if day:  # the second: the first's prefixes are there to compare
                        timed("save", partial(writes.save_inventory, store, "acc", inv))
                    else:
                        writes.save_inventory(store, "acc", inv)
                timed("tree", partial(bucket_tree, store, "acc", "b"))
            finally:
                store.close()
    return {
        what: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
        for what, got in took.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=200_000, help="keys per layout")
    parser.add_argument("--runs", type=int, default=5, help="runs; the best (CPU) or median")
    args = parser.parse_args()
    print(f"fold CPU per 1,000 keys, best of {args.runs}, {args.objects:,} keys per layout")
    print(f"{'layout':26} {'depth 0':>10} {'depth 3':>10} {'prefixes':>10}")
    for name, (keys, sizes) in _layouts(args.objects).items():
        off = _fold_cpu(keys, sizes, 0, args.runs)
        on = _fold_cpu(keys, sizes, 3, args.runs)
        print(f"{name:26} {off * 1000:8.3f}ms {on * 1000:8.3f}ms {(on - off) * 1000:+8.3f}ms")
    times = _store_times(args.runs)
    for what, label in (
        ("save", "save_inventory with 2,000 prefixes (SQLite)"),
        ("tree", "bucket_tree of them, with growth"),
    ):
        wall, cpu = times[what]
        print(f"{label}, median: {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU")


if __name__ == "__main__":
    main()
