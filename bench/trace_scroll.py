"""What the largest frame gaps of `child_scroll.py` are made of.

    python bench/trace_scroll.py STORE_URL [SECONDS] [REFRESH_S] [NOW]

The run of `child_scroll.py` (same arguments, same app at 160x50, same keys in
the same three tables), with each screen update timed (Textual's
`Screen._on_timer_update`: layout, then the render of the dirty widgets, on the
UI thread), each `MainScreen.show` (a store read reaching the panes) and each
garbage collection of the oldest generation. Prints one JSON line: per table
the largest gaps, each with what overlapped it (the longest screen update and
how many widgets it drew, a show and how long before the gap's end it started,
full collections, whether a `pagedown` was pressed within 50 ms before it);
and over the run, how long the first screen update after each show took (the
frame that draws what the read changed), and the full collections.

Textual's screen update runs at most 60 times a second; an update longer than
that 16.7 ms interval makes its timer skip to the interval after next
(`Timer._run`, `skip=True`, Textual 8.2.8), so an update of 17 ms shows as a gap
of about 50 ms: the updates' own times say what the gaps only hint at.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import statistics
import sys
import time
from typing import Any

from child_frames import Ticker
from textual.widgets import DataTable

TABLES = (
    ("storage", "#table-buckets DataTable"),
    ("metrics", "DataTable"),
    ("cost", "#table-costs DataTable"),
)
TOP = 4  # gaps described per table

Span = tuple[float, float, str, int]  # start, end, what, widgets drawn (updates)


def main() -> int:
    from bench_viewer import (
        run_and_print,
        scroll_args,
        scroll_table,
        time_screen_updates,
        time_shows,
        viewer_app,
    )

    store_url, seconds, refresh, at = scroll_args(sys.argv)
    spans: list[Span] = []
    time_screen_updates(lambda t0, t1, drawn: spans.append((t0, t1, "update", drawn)))
    full: dict[str, float] = {}

    def collected(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            full["t"] = time.perf_counter()
        else:
            spans.append((full["t"], time.perf_counter(), "gc2", 0))

    gc.callbacks.append(collected)
    app, store = viewer_app(store_url, at, refresh)
    ticker = Ticker()
    out: dict[str, Any] = {"refresh_s": refresh}

    def pagedowns(key: str) -> None:
        if key == "pagedown":
            now = time.perf_counter()
            spans.append((now, now, key, 0))

    def overlapping(a: float, b: float, what: str) -> list[Span]:
        return [s for s in spans if s[2] == what and s[1] > a and s[0] < b]

    def describe(gap: float, a: float, b: float) -> dict[str, Any]:
        updates = overlapping(a, b, "update")
        longest = max(updates, key=lambda s: s[1] - s[0], default=None)
        shows = [s for s in spans if s[2] == "show" and a - 0.05 < s[0] < b]
        return {
            "gap_ms": round(gap * 1000, 1),
            "longest_update_ms": round((longest[1] - longest[0]) * 1000, 1) if longest else 0,
            "widgets_drawn": longest[3] if longest else 0,
            "show_ms_before_end": [round((b - s[0]) * 1000, 1) for s in shows],
            "gc2_ms": [round((s[1] - s[0]) * 1000, 1) for s in overlapping(a, b, "gc2")],
            "pagedown": any(s[2] == "pagedown" and a - 0.05 < s[0] < b for s in spans),
        }

    async def drive() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            time_shows(app, lambda t0, t1: spans.append((t0, t1, "show", 0)))
            main_screen = app.screen
            while app.dashboard is None:
                await asyncio.sleep(0.05)
            await main_screen.mount(ticker)
            await asyncio.sleep(0.5)
            scrolling = time.perf_counter()  # the shows from here on are counted
            for pane, selector in TABLES:
                main_screen.focus_pane(pane)
                table = getattr(main_screen, pane).query_one(selector, DataTable)
                start, end = await scroll_table(pilot, table, seconds, on_key=pagedowns)
                frames = [t for t in ticker.frames if start <= t <= end]
                steps = sorted(((b - a, a, b) for a, b in itertools.pairwise(frames)), reverse=True)
                out[pane] = {
                    "rows": table.row_count,
                    "cursor": table.cursor_row,
                    "largest": [describe(*step) for step in steps[:TOP]],
                }
            after_show = []
            for s in (s for s in spans if s[2] == "show" and s[0] > scrolling):
                nxt = [u for u in spans if u[2] == "update" and u[0] >= s[1] and u[3] > 1]
                if nxt:
                    first = min(nxt, key=lambda u: u[0])
                    after_show.append((first[1] - first[0]) * 1000)
            shows = [(s[1] - s[0]) * 1000 for s in spans if s[2] == "show" and s[0] > scrolling]
            out["show_ms"] = {"n": len(shows), "median": statistics.median(shows)}
            out["update_after_show_ms"] = {
                "n": len(after_show),
                "median": statistics.median(after_show) if after_show else None,
                "max": max(after_show, default=None),
            }
            after_page = []
            for s in (s for s in spans if s[2] == "pagedown"):
                nxt = [u for u in spans if u[2] == "update" and s[0] <= u[0] < s[0] + 0.2]
                if nxt:
                    after_page.append(round(max((u[1] - u[0]) * 1000 for u in nxt), 1))
            out["update_after_pagedown_ms"] = after_page
            out["gc2_ms"] = [round((s[1] - s[0]) * 1000, 1) for s in spans if s[2] == "gc2"]

    return run_and_print(drive, store, out)


if __name__ == "__main__":
    sys.exit(main())
