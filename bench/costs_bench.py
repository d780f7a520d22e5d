"""How long the cost model takes for an account of N buckets: two months of
hourly request counts and daily storage peaks per bucket, priced as the
calculate_costs job prices them (the store's reads are not included).

    python bench/costs_bench.py --buckets 50 500 --runs 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from r2tui.costs.month import compute, month_bounds
from r2tui.costs.usage import BucketUsage
from r2tui.metrics import DAY, HOUR
from r2tui.pricing import LIST_PRICES

NOW = 1_795_910_400 + 12 * HOUR  # 2026-11-29 12:00 UTC


def account(buckets: int, seed: int = 7) -> dict[str, BucketUsage]:
    rnd = random.Random(seed)
    start = month_bounds(NOW)[2]
    out = {}
    for i in range(buckets):
        u = BucketUsage(ia_byte_share=0.3, ia_object_share=0.2, mean_object_bytes=1e6)
        for h in range(start, NOW, HOUR):
            u.hourly[h] = {
                "class_a_requests": rnd.randint(0, 1000),
                "class_b_requests": rnd.randint(0, 10_000),
                "download_requests": rnd.randint(0, 5000),
            }
        for d in range(start, NOW, DAY):
            u.peak_bytes[d] = 1e11 + rnd.random() * 1e9
        out[f"bucket-{i:05d}"] = u
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buckets", type=int, nargs="+", default=[50, 500])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    start, end, before = month_bounds(NOW)
    print(f"{'buckets':>8} {'median s':>9} {'ms/bucket':>10}")
    for n in args.buckets:
        times = []
        for _ in range(args.runs):
            usages = account(n)  # fresh: the per-bucket sums are built on first use
            t = time.perf_counter()
            compute(usages, start, end, NOW, LIST_PRICES, None, before)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        print(f"{n:>8} {med:>9.2f} {1000 * med / n:>10.1f}")


if __name__ == "__main__":
    main()
