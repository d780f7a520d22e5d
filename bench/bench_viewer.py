"""The benchmarks' viewer: the app on a benchmark store, collecting nothing, its
clock running on from the store's "now"."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

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
