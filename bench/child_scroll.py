"""How smoothly the TUI's tables of every bucket scroll, and what a store read
costs the screen, on a store of many buckets.

    python bench/child_scroll.py STORE_URL [SECONDS] [REFRESH_S] [NOW]

Starts the app headless (`run_test`, 160x50) on the store without collecting,
as a viewer would, with the store read every REFRESH_S seconds (default 2, so a
run sees several), and waits for the first read. NOW: the store's clock at the
start (a benchmark store's, whose newest samples are from then; default the
time now), running on from there. Adds a small widget that asks for a repaint
every 10 ms and records when each of its frames is rendered (as
`child_frames.py` does). Then for each table that lists every bucket (Storage's
buckets, Metrics' probes, Cost's buckets) it focuses the table and presses
`down` every 20 ms, `pagedown` every 25th press and `home` at the end, for
SECONDS (default 6): the gaps between rendered frames meanwhile are the
scrolling's. Prints one JSON line: per table its rows, the largest gap, p99 and
median, how much of the largest gap the UI thread waited for a core, and the
time each `MainScreen.show` (a store read reaching the panes) took on the UI
thread, with the dashboard read's own time (on its worker thread).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

from child_frames import Ticker, gaps, largest_gap_wait
from textual.widgets import DataTable

TABLES = (
    ("storage", "#table-buckets DataTable"),
    ("metrics", "DataTable"),
    ("cost", "#table-costs DataTable"),
)


def main() -> int:
    from bench_viewer import run_and_print, scroll_args, scroll_table, time_shows, viewer_app

    store_url, seconds, refresh, at = scroll_args(sys.argv)

    import r2tui.dashboard

    reads: list[float] = []
    read = r2tui.dashboard.read

    def timed_read(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return read(*args, **kwargs)
        finally:
            reads.append((time.perf_counter() - t0) * 1000)

    r2tui.dashboard.read = timed_read  # the app reads through the module
    app, store = viewer_app(store_url, at, refresh)
    ticker = Ticker()
    out: dict[str, Any] = {"refresh_s": refresh}
    shows: list[float] = []

    async def drive() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            time_shows(app, lambda t0, t1: shows.append((t1 - t0) * 1000))
            main_screen = app.screen
            while app.dashboard is None:
                await asyncio.sleep(0.05)
            await main_screen.mount(ticker)
            await asyncio.sleep(0.5)
            for pane, selector in TABLES:
                main_screen.focus_pane(pane)
                table = getattr(main_screen, pane).query_one(selector, DataTable)
                start, end = await scroll_table(pilot, table, seconds)
                result = gaps(ticker.frames, start, end)
                result["max_gap_cpu_wait_ms"] = largest_gap_wait(ticker, start, end)
                out[pane] = {"rows": table.row_count, "cursor": table.cursor_row, **result}
            out["show_ms"] = {
                "n": len(shows),
                "median": statistics.median(shows) if shows else None,
                "max": max(shows, default=None),
            }
            out["read_ms"] = {
                "n": len(reads),
                "median": statistics.median(reads) if reads else None,
                "max": max(reads, default=None),
            }

    return run_and_print(drive, store, out)


if __name__ == "__main__":
    sys.exit(main())
