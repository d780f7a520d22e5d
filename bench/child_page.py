"""How long the screen update after a `pagedown` takes in the Storage table.

    python bench/child_page.py STORE_URL [PAGES] [NOW]

Starts the app headless (`run_test`, 160x50) on the store without collecting
and without reading it again (so only the pages are drawn), focuses the
Storage pane's table of buckets, then PAGES times (default 40) calls the
table's `pagedown` action and waits for the screen to settle. Each screen
update (Textual's `Screen._on_timer_update`, on the UI thread) is timed; the
longest after each `pagedown` is that page's. On a store of 1,000 buckets
every page is rows never drawn before. Prints one JSON line: the median,
minimum and maximum, in ms.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

from textual.widgets import DataTable


def main() -> int:
    store_url = sys.argv[1]
    pages = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    at = float(sys.argv[3]) if len(sys.argv) > 3 else time.time()
    from bench_viewer import run_and_print, time_screen_updates, viewer_app

    updates: list[float] = []
    time_screen_updates(lambda t0, t1, _drawn: updates.append((t1 - t0) * 1000))
    app, store = viewer_app(store_url, at, 3600)
    out: dict[str, Any] = {}

    async def drive() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            while app.dashboard is None:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            main_screen = app.screen
            main_screen.focus_pane("storage")
            table = main_screen.storage.query_one("#table-buckets DataTable", DataTable)
            table.focus()
            await pilot.pause()
            times = []
            for _ in range(pages):
                updates.clear()
                table.action_page_down()
                await pilot.pause()
                await asyncio.sleep(0.05)
                times.append(max(updates, default=0.0))
            out.update(
                rows=table.row_count,
                cursor=table.cursor_row,
                pages=len(times),
                median_ms=statistics.median(times),
                min_ms=min(times),
                max_ms=max(times),
            )

    return run_and_print(drive, store, out)


if __name__ == "__main__":
    sys.exit(main())
