"""How responsive the TUI stays while an inventory runs in the same process.

    python child_frames.py STORE_URL ENDPOINT OBJECTS

Starts the app headless (`run_test`) on the store, adds a small widget that
asks for a repaint every 10 ms, and records when each of its frames is
rendered and when each of its timer ticks runs. It measures 2 s idle, then
runs the real inventory job in a thread (as the app's scheduler does) on the
ENDPOINT's bucket and measures until the job ends. Prints one JSON line: the
largest gap between rendered frames and between ticks, idle and during the
inventory, with the 99th percentile, how much of the largest gap the UI thread
spent waiting for a core (one small read of /proc in each frame, on the UI
thread being measured), and the job's result.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import threading
import time
from typing import Any

from textual.widgets import Static

TICK_S = 0.01
IDLE_S = 2.0


class Ticker(Static):
    """Repaints every TICK_S; its render times are the frames we measure."""

    def __init__(self) -> None:
        super().__init__("")
        self.frames: list[float] = []
        self.waits: list[float] = []  # runqueue_wait() at each frame
        self.ticks: list[float] = []
        self.count = 0

    def on_mount(self) -> None:
        self.set_interval(TICK_S, self.tick)

    def tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.count += 1
        self.refresh()

    def render(self) -> str:
        self.frames.append(time.perf_counter())
        self.waits.append(runqueue_wait())
        return f"frame {self.count}"


def runqueue_wait() -> float:
    """Seconds this thread has spent ready to run but waiting for a core (Linux
    schedstat; 0 elsewhere): what part of a gap the machine, not the app, caused."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def largest_gap_wait(ticker: Ticker, start: float, end: float) -> float:
    """Milliseconds of the largest frame gap in [start, end] the UI thread spent
    waiting for a core."""
    pairs = [(t, w) for t, w in zip(ticker.frames, ticker.waits, strict=True) if start <= t <= end]
    if len(pairs) < 2:
        return float("nan")
    (_, w0), (_, w1) = max(itertools.pairwise(pairs), key=lambda p: p[1][0] - p[0][0])
    return (w1 - w0) * 1000


def gaps(times: list[float], start: float, end: float) -> dict[str, float]:
    inside = [t for t in times if start <= t <= end]
    steps = [b - a for a, b in itertools.pairwise(inside)]
    if not steps:
        return {"n": 0, "max_ms": float("nan"), "p99_ms": float("nan")}
    steps.sort()
    return {
        "n": len(inside),
        "max_ms": steps[-1] * 1000,
        "p99_ms": steps[min(len(steps) - 1, int(0.99 * len(steps)))] * 1000,
        "median_ms": statistics.median(steps) * 1000,
    }


def main() -> int:
    store_url, endpoint, objects = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from bench_account import bench_account

    import r2tui.tui.app as tui_app
    from r2tui.config import Config
    from r2tui.jobs import JobContext, run_job
    from r2tui.store import open_store

    store = open_store(store_url, "bench")
    account = bench_account(endpoint)
    config = Config(accounts=(account,), store_url=store_url, store_url_source="bench")
    app = tui_app.build_app(config, store, collect=False)
    ticker = Ticker()
    out: dict[str, Any] = {}

    async def drive() -> None:
        async with app.run_test(size=(120, 40)):
            await app.screen.mount(ticker)
            await asyncio.sleep(IDLE_S)
            idle_end = time.perf_counter()
            result: list[Any] = []
            job = threading.Thread(
                target=lambda: result.append(
                    run_job("inventory", JobContext(config=config, store=store))
                ),
                daemon=True,
            )
            job.start()
            while job.is_alive():
                await asyncio.sleep(0.05)
            done = time.perf_counter()
            await asyncio.sleep(0.2)
            out["idle_frames"] = gaps(ticker.frames, idle_end - IDLE_S + 0.5, idle_end)
            out["idle_ticks"] = gaps(ticker.ticks, idle_end - IDLE_S + 0.5, idle_end)
            out["job_frames"] = gaps(ticker.frames, idle_end, done)
            out["job_ticks"] = gaps(ticker.ticks, idle_end, done)
            out["job_s"] = done - idle_end
            out["job_frames"]["max_gap_cpu_wait_ms"] = largest_gap_wait(ticker, idle_end, done)
            out["job"] = {
                "ok": result[0].ok,
                "items": result[0].items,
                "summary": result[0].summary,
                "error": result[0].error,
            }

    asyncio.run(drive())
    store.close()
    if out["job"]["items"] != objects:
        raise SystemExit(f"the inventory listed {out['job']['items']} objects, not {objects}")
    with open("/proc/self/status") as f:
        out["peak_rss_mb"] = (
            next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
        )
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
