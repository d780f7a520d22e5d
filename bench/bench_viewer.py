"""The benchmarks' viewer: the app on a benchmark store, collecting nothing, its
clock running on from the store's "now"."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from r2tui.store import Store
    from r2tui.tui.app import R2App


def viewer_app(store_url: str, at: float, refresh: float) -> tuple[R2App, Store]:
    """The app (not started) and its store, whose clock says `at` now and runs on;
    the store read every `refresh` seconds."""
    # Imported here: the child processes time their own start-up and imports.
    from dataclasses import replace

    import r2tui.tui.app as tui_app
    from r2tui.config import AccountConfig, Config
    from r2tui.store import open_store

    started = time.time()

    def clock() -> float:
        return at + time.time() - started

    store = open_store(store_url, "bench", clock=clock)
    account = AccountConfig(name="bench", endpoint_url="http://127.0.0.1:9")
    config = Config(accounts=(account,), store_url=store_url, store_url_source="bench")
    config = replace(config, refresh_seconds=refresh)
    return tui_app.build_app(config, store, collect=False, clock=clock), store


async def scroll_table(
    pilot: Any,
    table: Any,
    seconds: float,
    on_key: Callable[[str], None] | None = None,
) -> tuple[float, float]:
    """Focus `table` and scroll it for `seconds` as the scroll benchmarks do:
    `down` every 20 ms, `pagedown` every 25th press, `home` at the end; gives
    back when the scrolling started and ended (perf_counter). `on_key` hears
    each key just before it is pressed."""
    table.focus()
    await pilot.pause()
    start = time.perf_counter()
    presses = 0
    while time.perf_counter() - start < seconds:
        presses += 1
        key = "pagedown" if presses % 25 == 0 else "down"
        if table.cursor_row >= table.row_count - 1:
            key = "home"
        if on_key is not None:
            on_key(key)
        await pilot.press(key)
        await asyncio.sleep(0.02)
    return start, time.perf_counter()


def scroll_args(argv: list[str]) -> tuple[str, float, float, float]:
    """The scroll benchmarks' `STORE_URL [SECONDS] [REFRESH_S] [NOW]`: the store,
    seconds a table (6), seconds between store reads (2), and the store's "now"
    (this moment)."""
    seconds = float(argv[2]) if len(argv) > 2 else 6.0
    refresh = float(argv[3]) if len(argv) > 3 else 2.0
    at = float(argv[4]) if len(argv) > 4 else time.time()
    return argv[1], seconds, refresh, at


def time_screen_updates(record: Callable[[float, float, int], None]) -> None:
    """Each screen update from now on (Textual's `Screen._on_timer_update`: the
    layout, then the render of the dirty widgets, on the UI thread), timed:
    `record(start, end, widgets it draws)`, perf_counter seconds."""
    from textual.screen import Screen

    update = Screen._on_timer_update

    def timed_update(self: Screen[Any]) -> None:
        drawn = len(self._dirty_widgets)  # private: what this update will draw
        t0 = time.perf_counter()
        try:
            update(self)
        finally:
            record(t0, time.perf_counter(), drawn)

    Screen._on_timer_update = timed_update  # type: ignore[method-assign]


def time_shows(app: R2App, record: Callable[[float, float], None]) -> None:
    """Each `MainScreen.show` of the running `app` (a store read reaching the
    panes, on the UI thread), timed: `record(start, end)`, perf_counter seconds."""
    main_screen = app.main
    show = main_screen.show

    def timed_show(*args: Any, **kwargs: Any) -> None:
        t0 = time.perf_counter()
        show(*args, **kwargs)
        record(t0, time.perf_counter())

    main_screen.show = timed_show  # type: ignore[method-assign]


def run_and_print(
    drive: Callable[[], Coroutine[Any, Any, None]], store: Store, out: dict[str, Any]
) -> int:
    """Run the benchmark's `drive`, close its store, print `out` as one JSON line."""
    asyncio.run(drive())
    store.close()
    print(json.dumps(out), flush=True)
    return 0
