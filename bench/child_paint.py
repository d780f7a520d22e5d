"""One measured TUI start in a fresh interpreter; prints one JSON line.

    python child_paint.py STORE_URL ENDPOINT SPAWN_WALL EXPECTED_OBJECTS

The parent passes SPAWN_WALL, its time.time() just before it started this
process; the gap to our first line is interpreter startup (exec, site, the
venv's .pth files). From our first line on, time.perf_counter() is used.

The app is the real one, `build_app(config, store, collect=False)`, run
headless by `run_test()`: it composes, lays out and renders every widget, but
the headless driver skips turning the frame into escape codes and writing it
to a terminal, a few ms for a full screen.
"""

import time

T_TOP_WALL = time.time()
T_TOP = time.perf_counter()  # before any import of ours

import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

SIZE = (160, 48)  # a roomy terminal: every pane shows rows


def main() -> int:
    store_url, endpoint, spawn_wall, expected = (
        sys.argv[1],
        sys.argv[2],
        float(sys.argv[3]),
        int(sys.argv[4]),
    )
    t0 = time.perf_counter()
    import r2tui.tui.app as tui_app  # the whole UI: textual, peewee, boto3, apscheduler...

    t_imported = time.perf_counter()
    from bench_account import bench_account

    from r2tui.config import Config
    from r2tui.store import open_store

    store = open_store(store_url, "bench")  # as the CLI does: connect and check migrations
    t_store = time.perf_counter()
    account = bench_account(endpoint)
    config = Config(accounts=(account,), store_url=store_url, store_url_source="bench")
    app = tui_app.build_app(config, store, collect=False)
    t_built = time.perf_counter()
    marks: dict[str, float] = {}

    async def drive() -> None:
        painted = asyncio.Event()
        with_data = asyncio.Event()
        after_first_paint = app._after_first_paint

        def first_paint() -> None:
            # The app's own hook stamps first_paint_at; we only learn that it ran.
            after_first_paint()
            painted.set()

        # on_mount looks the hook up on the instance, so wrapping it there is enough.
        app._after_first_paint = first_paint  # type: ignore[method-assign]

        def data_painted() -> None:
            marks["data"] = time.perf_counter()
            with_data.set()

        def hook(message: Any) -> None:
            # Called as the store snapshot is dispatched, before the panes get it: the
            # InvokeLater queued here runs after that handler, then after the repaint.
            if type(message).__name__ == "SnapshotReady" and "data" not in marks:
                app.call_after_refresh(data_painted)

        async with app.run_test(size=SIZE, message_hook=hook):
            await asyncio.wait_for(painted.wait(), 60)
            await asyncio.wait_for(with_data.wait(), 60)
            dash = app.dashboard
            shown = dash.storage.total_objects if dash is not None else -1
            if shown != expected:
                raise SystemExit(f"the app shows {shown} objects, the store holds {expected}")

    asyncio.run(drive())
    store.close()
    first = app.first_paint_at
    assert first is not None
    startup = T_TOP_WALL - spawn_wall
    with open("/proc/self/status") as f:  # VmHWM, not ru_maxrss: see child_inventory.py
        peak_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    result: dict[str, float] = {
        "startup_s": startup,  # parent's spawn until our first line
        "import_s": t_imported - t0,  # import r2tui.tui.app
        "store_s": t_store - t_imported,
        "build_s": t_built - t_store,
        "run_to_paint_s": first - t_built,  # run_test: mount, compose, layout, render
        "first_paint_s": startup + (first - T_TOP),  # process start to first paint
        "data_paint_s": startup + (marks["data"] - T_TOP),  # ...to the inventory on screen
        "peak_rss_mb": peak_kb / 1024,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
