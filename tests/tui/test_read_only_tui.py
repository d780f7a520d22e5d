"""A read-only TUI collects nothing even when asked to, and leaves the store's
bytes as they were: its panes read the store on their timer, space re-reads it,
and the history, reports, rules and alert history screens read it too.

Real parts: a SQLite file filled as the other TUI tests fill it, opened
read-only, the app under Pilot. Nothing is mocked."""

from __future__ import annotations

from r2tui.store import Store, open_store
from r2tui.tui.app import VIEWER_REFRESH, build_app
from tests.support.configs import account_for, make_config
from tests.support.store_files import sqlite_path, store_bytes
from tests.support.tui import SIZE, settle, wait_for
from tests.support.tui_data import NOW


async def test_a_read_only_tui_changes_nothing(filled: Store) -> None:
    url = f"sqlite:///{filled.db.database}"
    filled.close()
    open_store(url).close()  # the last writer out checkpoints: the file settles
    before = store_bytes(sqlite_path(url))
    store = open_store(url, read_only=True)
    # A read every 0.3 s: three timer reads come soon, and between them the app is
    # idle (at 0.1 s it re-read without pause and every step took twice as long).
    config = make_config(
        (account_for("http://127.0.0.1:9"),), store_url=url, read_only=True, refresh_seconds=0.3
    )
    app = build_app(config, store, clock=lambda: NOW, collect=True)  # read-only wins
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            read = app.applied_read
            await wait_for(pilot, lambda: app.applied_read >= read + 3)  # timer ticks
            await pilot.press("space")
            await settle(pilot)
            assert list(app.notices)[-1] == VIEWER_REFRESH
            for key in ("h", "R", "r", "A"):
                await pilot.press(key)
                await settle(pilot)
                await pilot.press("escape")
                await settle(pilot)
            assert app.store_failure is None
            assert not app.collect and app.embedded.collector is None
    finally:
        store.close()
    assert store_bytes(sqlite_path(url)) == before
