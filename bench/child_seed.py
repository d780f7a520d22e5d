"""Put one inventory in a store through the real `inventory` job; prints one JSON line.

    python child_seed.py ENDPOINT STORE_URL

Run in its own process so the benchmark's parent stays small: a child
inherits its parent's RSS high-water mark into ru_maxrss (see child_inventory.py).
The listing it makes also warms the server's directory cache and the OS page
cache before anything is measured.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    endpoint, store_url = sys.argv[1], sys.argv[2]
    from bench_account import bench_account

    from r2tui.config import Config
    from r2tui.jobs import JobContext, run_job
    from r2tui.store import open_store

    account = bench_account(endpoint)
    config = Config(accounts=(account,), store_url=store_url, store_url_source="bench")
    store = open_store(store_url, "bench")
    try:
        t0 = time.perf_counter()
        result = run_job("inventory", JobContext(config=config, store=store))
        took = time.perf_counter() - t0
    finally:
        store.close()
    print(
        json.dumps(
            {
                "ok": result.ok,
                "items": result.items,
                "seconds": took,
                "summary": result.summary,
                "error": result.error,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
