"""A viewer (`r2tui --viewer`, what `r2tui serve` runs) collects nothing: space
re-reads the store and says who collects, p says there is nothing to pause, and
no job runs."""

from __future__ import annotations

from r2tui.config.model import DEMO_QUOTA
from r2tui.store import Store, lease
from r2tui.tui.app import VIEWER_PAUSE, VIEWER_REFRESH, build_app
from r2tui.tui.widgets.header import StatusHeader
from tests.support.configs import make_config
from tests.support.tui import SIZE, quiet_app, settle
from tests.support.tui_data import NOW, fill


async def test_space_and_p_in_a_viewer(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        read = app.applied_read
        await pilot.press("space")
        await settle(pilot)
        assert app.applied_read > read  # the store read again, at once
        assert list(app.notices)[-1] == VIEWER_REFRESH
        await pilot.press("p")
        await settle(pilot)
        assert list(app.notices)[-1] == VIEWER_PAUSE
        assert app.embedded.collector is None and not app.embedded.paused


async def test_space_in_a_viewer_asks_the_collector_through_the_store(filled: Store) -> None:
    """Another process holds the lease: space writes the request it polls for."""
    peer = lease.Holder("peer-host", 4242, "peer")
    assert lease.acquire(filled, "test", 3600, holder=peer) is not None
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        notices = list(app.notices)
    assert lease.take_run_request(filled, "test", holder=peer)  # the request is there
    assert notices[-1] == "asked the collector peer-host:4242 to collect now"


async def test_a_demo_viewer_knows_the_demo_quota_and_analytics(filled: Store) -> None:
    """`r2tui serve --demo` / `--demo --viewer` never start the demo account, yet
    read its store as the demo does: with its quota and its analytics."""
    fill(filled, "demo")
    app = build_app(make_config((), demo=True), filled, clock=lambda: NOW, collect=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        metrics = app.dashboard.metrics if app.dashboard else None
    assert metrics is not None and metrics.analytics
    assert app.dashboard is not None and app.dashboard.storage.quota_bytes == DEMO_QUOTA


async def test_the_app_says_when_a_newer_r2tui_upgraded_its_store(filled: Store) -> None:
    """The store is migrated under the open app: the next read says why it shows
    nothing new, instead of failing on tables it does not know."""
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.store_failure is None or "newer" not in app.store_failure
        filled.db.execute_sql(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'x', 0)"
        )
        app.refresh_data()
        await settle(pilot)
        header = str(app.query_one(StatusHeader).render())
    assert app.store_failure is not None
    assert "the store is at schema version 99" in app.store_failure
    assert "newer r2tui" in header or "schema version 99" in header
