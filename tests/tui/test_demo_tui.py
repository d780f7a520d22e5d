"""`r2tui --demo` in the Pilot, on a real SQLite store: beside a live demo on
the same store the app starts no demo of its own, views that one, and starts
its own once that one's lease runs out; the demo starts with its webhook
receiver as its channel, and its firing alert ("Failed access", from the
scripted burst an hour before the start) arrives in the Deliveries screen.
One test, not two: each demo start costs seconds.

The demo is small (runtime.DEMO) and its analytics read starts two hours
back, as on a store a demo filled before: a whole month's backfill takes
seconds that this test does not need."""

from __future__ import annotations

import dataclasses
import time

import pytest

from r2tui import runtime
from r2tui.config import Config
from r2tui.config.model import CollectorSettings
from r2tui.store import Store, lease, state
from r2tui.store.models import Bucket, Notification
from r2tui.tui.app import R2App, build_app
from r2tui.tui.screens.deliveries import DeliveriesScreen
from r2tui.tui.widgets.table import FilterTable
from tests.support.configs import make_config
from tests.support.tui import SIZE, settle, wait_for

PEER = lease.Holder("peer-host", 4242, "peer")
# What brings an alert from the analytics to a channel; the other jobs would
# only compete for the two cores.
ALERTING = ("collect_metrics", "calculate_costs", "check_alerts")


@pytest.fixture(autouse=True)
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "DEMO", runtime.DemoOptions(scale=0.02, traffic=False))


def demo_config(store_url: str, jobs: tuple[str, ...], lease_seconds: float = 30.0) -> Config:
    """The demo's config, scheduling only `jobs` (each runs at the start)."""
    config = make_config(
        (), store_url, demo=True, collector=CollectorSettings(lease_seconds=lease_seconds)
    )
    return dataclasses.replace(
        config, schedules={k: v for k, v in config.schedules.items() if k in jobs}
    )


def recent_analytics(store: Store) -> None:
    """The analytics read from two hours back (it reads three more before that)."""
    state.put(store, state.analytics_key("demo"), int(time.time()) - 2 * 3600)


def screen_rows(app: R2App) -> list[list[str]]:
    table = app.screen.query_one(FilterTable).table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def sent(alert: str) -> bool:
    return (
        Notification.select()
        .where(Notification.rule == alert, Notification.state == "sent")
        .exists()
    )


async def test_a_second_demo_views_the_first_then_runs_its_own_whose_alert_arrives(
    store: Store, sqlite_url: str
) -> None:
    """A second `r2tui --demo` on a store whose demo runs in another process: it
    starts no demo server, lists nothing, and says who runs the demo. Once that
    process stops renewing its lease, this app starts the demo itself, and the
    demo's firing alert arrives at its receiver and in the Deliveries screen."""
    recent_analytics(store)
    assert lease.acquire(store, "demo", 3600, holder=PEER, activity="inventory") is not None
    app = build_app(demo_config(sqlite_url, ALERTING, lease_seconds=2.0), store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.embedded.viewing_demo)
        await settle(pilot)
        assert app.embedded.demo is None and app.embedded.collector is None
        header = app.header_state()
        assert header.state == "running" and header.detail.startswith("peer-host:4242")
        await pilot.press("p")
        assert list(app.notices)[-1].startswith("this app only views the store")
        assert not Bucket.select().exists() and not Notification.select().exists()

        # The other process stops renewing: its lease runs out, and this app runs the demo.
        store.db.execute_sql("UPDATE collector_lease SET expires_at = ?", (time.time() - 1,))
        app.refresh_data()
        await wait_for(pilot, lambda: app.embedded.demo is not None, timeout=30)
        assert not app.embedded.viewing_demo
        held = lease.read(store, "demo")
        assert held is not None and held.held_by(lease.me())

        await wait_for(pilot, lambda: sent("Failed access"), timeout=60)
        demo = app.embedded.demo
        assert demo is not None and demo.inbox is not None
        got = [r for r in demo.inbox.received() if "Failed access" in r.alerts]
        assert got and got[0].status == "firing" and got[0].receiver == "demo-inbox"

        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, DeliveriesScreen)
        shown = screen_rows(app)
        row = next(r for r in shown if r[1] == "Failed access")
        assert row[2:] == ["firing", "demo-inbox", "sent"]
        title = str(app.screen.query_one("#deliveries-title").render())
        assert "demo-inbox" in title and "127.0.0.1:" not in title  # the name, never the URL
        assert not any(demo.inbox.url in " ".join(r) for r in shown)

        await pilot.press("D")  # closes again
        await settle(pilot)
        assert app.screen is app.main
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=30)
    assert lease.read(store, "demo") is None  # given back on the way out
