"""Where the inventory job's time goes: every list request and every store call
of a few runs of the real job over one bucket behind the 80 ms delay line.

    python bench/trace_job.py --objects 50000 --runs 4

Builds (or reuses, under --data) bench_keys.py's bucket as sparse files, serves
it with `rclone serve s3` behind delay_line.py (40 ms each way), and runs the
`inventory` job (run_job, as `r2tui collect --once --job inventory` does) --runs
times on one SQLite store: the first cold, the others warm from what the one
before stored. For each run it prints the job's time, the store calls and the
S3 client calls on a timeline (ms from the run's start), how the listing's
key ranges came out (pages and keys each), and how many list requests were on
their way in each 100 ms. Only this script's own process is patched to time
the calls; the code measured is unchanged.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_data import prepare
from bench_servers import RCLONE_HINT, find_rclone, start_rclone
from listing_bench import DelayLine

BUCKET = "r2tui-bench"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--objects", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "r2tui-bench")
    args = ap.parse_args()
    rclone = find_rclone()
    if rclone is None:
        print(f"rclone not found; install it with:\n  {RCLONE_HINT}")
        return 2
    prepare(args.data / str(args.objects), BUCKET, args.objects, with_files=True)
    work = Path(tempfile.mkdtemp(prefix="r2tui-trace-"))
    server = start_rclone(rclone, args.data / str(args.objects) / "root", work)
    line = DelayLine(server.endpoint)
    try:
        trace(line.endpoint, work, args.runs)
    finally:
        counted = line.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"delay line: {counted}")
    return 0


def trace(endpoint: str, work: Path, runs: int) -> None:
    import urllib3.connection
    from bench_account import bench_account

    from r2tui.config import Config
    from r2tui.jobs import JobContext, run_job
    from r2tui.jobs import base as job_base
    from r2tui.jobs import inventory as job
    from r2tui.sources import s3
    from r2tui.sources.listing import fetch, planner
    from r2tui.store import open_store, queries, writes

    events: list[tuple[str, float, float]] = []
    lock = threading.Lock()
    shapes: list[list[tuple[int, int]]] = []

    def timed(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                with lock:
                    events.append((name, start, time.perf_counter()))

        return wrapper

    fetch.Fetcher.fetch = timed("request", fetch.Fetcher.fetch)  # type: ignore[method-assign]
    urllib3.connection.HTTPConnection.connect = timed(  # type: ignore[method-assign]
        "connect", urllib3.connection.HTTPConnection.connect
    )
    for module, names in (
        (writes, ("save_inventory", "sync_buckets", "add_events", "add_samples")),
        (queries, ("listing_starts", "listing_hints", "last_new_large", "storage_view")),
        (writes, ("previous_inventory_start",)),
    ):
        for name in names:
            if hasattr(module, name):  # older versions read per bucket (listing_hints)
                setattr(module, name, timed(f"store {name}", getattr(module, name)))
    for name in ("list_buckets", "make_client"):
        setattr(s3, name, timed(f"s3 {name}", getattr(s3, name)))
    job_base.s3_client = timed("client", job_base.s3_client)
    job.s3_client = job_base.s3_client
    result = planner.Planner.result

    def shaped(self: planner.Planner) -> Any:
        shapes.append([(r.pages, r.folded) for r in self.ranges])
        return result(self)

    planner.Planner.result = shaped  # type: ignore[method-assign]

    account = bench_account(endpoint)
    url = f"sqlite:///{work / 'store.db'}"
    config = Config(accounts=(account,), store_url=url, store_url_source="bench")
    store = open_store(url, "bench")
    try:
        for i in range(runs):
            events.clear()
            shapes.clear()
            t0 = time.perf_counter()
            outcome = run_job("inventory", JobContext(config=config, store=store))
            took = time.perf_counter() - t0
            label = "cold" if i == 0 else f"warm {i}"
            print(f"== run {i + 1} ({label}): job {took:.3f} s; {outcome.summary}")
            for name, a, b in sorted(events, key=lambda e: e[1]):
                if name != "request":
                    print(f"  {name:<28}{(a - t0) * 1000:>8.0f}{(b - t0) * 1000:>8.0f} ms")
            for ranges in shapes:
                longest = max(p for p, _ in ranges)
                print(
                    f"  {len(ranges)} ranges, longest {longest} pages; (pages, keys) each: "
                    + " ".join(f"({p},{k})" for p, k in ranges)
                )
            requests = [(a, b) for name, a, b in events if name == "request"]
            if not requests:
                continue
            first = min(a for a, _ in requests)
            last = max(b for _, b in requests)
            print(
                f"  {len(requests)} list requests from {(first - t0) * 1000:.0f} to "
                f"{(last - t0) * 1000:.0f} ms; on their way, each 100 ms:"
            )
            t = first
            while t < last:
                n = sum(1 for a, b in requests if a <= t + 0.05 < b)
                print(f"  {(t - t0) * 1000:>7.0f} ms {'#' * n} {n}")
                t += 0.1
    finally:
        store.close()


if __name__ == "__main__":
    raise SystemExit(main())
