"""One run of the real inventory job over a whole account; prints one JSON line.

    python child_account.py ENDPOINT STORE_URL CONCURRENCY

As `r2tui collect --once --job inventory` runs it (run_job, a JobContext on the
store), with [inventory] concurrency = CONCURRENCY and every other setting at
its default. Reports the job's wall time, its CPU (getrusage of this process
around the job), the process's peak RSS (VmHWM: see child_inventory.py), the
Class A requests the job counted, and the totals the store holds after it, which
the parent checks against the generator's.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _vm(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    endpoint, store_url, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from bench_account import bench_account

    from r2tui.config import Config, InventorySettings
    from r2tui.jobs import JobContext, run_job
    from r2tui.store import open_store, queries

    account = bench_account(endpoint)
    config = Config(
        accounts=(account,),
        store_url=store_url,
        store_url_source="bench",
        inventory=InventorySettings(concurrency=concurrency),
    )
    store = open_store(store_url, "bench")
    try:
        rss_before = _vm("VmRSS")
        cpu0, t0 = _cpu(), time.perf_counter()
        result = run_job("inventory", JobContext(config=config, store=store))
        took, cpu = time.perf_counter() - t0, _cpu() - cpu0
        view = queries.storage_view(store, "bench")
        per_bucket = {b.name: [b.objects, b.bytes] for b in view.buckets}
    finally:
        store.close()
    summary = result.summary
    class_a = int(summary.rsplit(", ", 1)[1].split()[0].replace(",", "")) if result.ok else -1
    print(
        json.dumps(
            {
                "ok": result.ok,
                "error": result.error,
                "summary": summary,
                "items": result.items,
                "job_s": took,
                "job_cpu_s": cpu,
                "class_a": class_a,
                "peak_rss_mb": _vm("VmHWM"),
                "rss_before_job_mb": rss_before,
                "buckets": per_bucket,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
