"""A TUI beside another process that holds the collector lease: it collects
nothing, its header names the collecting process and what it does, space asks
that process to collect through the store, and it takes the lease over once
the holder stops renewing; leaving the app gives the lease up at once."""

from __future__ import annotations

import os
import signal
import time

from r2tui.config.model import CollectorSettings
from r2tui.store import Store, lease
from r2tui.store.models import JobRun
from r2tui.tui.app import build_app
from r2tui.tui.widgets.header import render_header
from tests.support.configs import account_for, make_config
from tests.support.peers import closed_port
from tests.support.tui import SIZE, settle, wait_for

LEASE_SECONDS = 2.0
PEER = lease.Holder("peer-host", 4242, "peer")


async def test_a_viewer_names_the_holder_asks_it_and_takes_over(store: Store) -> None:
    config = make_config(
        (account_for(f"http://127.0.0.1:{closed_port()}"),),
        collector=CollectorSettings(lease_seconds=LEASE_SECONDS),
    )
    assert lease.acquire(store, "test", 3600, holder=PEER, activity="inventory") is not None
    app = build_app(config, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.embedded.collector is not None)
        assert not app.embedded.holding
        await wait_for(pilot, lambda: app.lease is not None)
        header = app.header_state()
        assert header.state == "running"
        assert header.detail.startswith("peer-host:4242, heartbeat ")
        assert header.detail.endswith(": inventory")
        assert "peer-host:4242, heartbeat" in render_header(header).plain
        assert not JobRun.select().exists()  # a viewer runs no job

        await pilot.press("space")
        await settle(pilot)
        held = lease.read(store, "test")
        assert held is not None and held.run_requested_at is not None
        assert list(app.notices)[-1] == "asked the collector peer-host:4242 to collect now"

        # The holder stops renewing: its lease runs out now, and the app takes it.
        store.db.execute_sql("UPDATE collector_lease SET expires_at = ?", (time.time() - 1,))
        await wait_for(pilot, lambda: app.embedded.holding, timeout=LEASE_SECONDS * 3)
        taken = lease.read(store, "test")
        assert taken is not None and taken.held_by(lease.me())
        await wait_for(pilot, lambda: JobRun.select().exists(), timeout=10)
    # Given up at once on the way out: released, or (jobs left running) run out now,
    # its row kept for the next holder to close their runs.
    left = lease.read(store, "test")
    assert left is None or not left.live(time.time())


async def test_killed_politely_it_quits_as_q_does_and_gives_the_lease_back(store: Store) -> None:
    """SIGTERM (a service manager, `kill`) or SIGHUP (its terminal closed): the
    app stops its collector as `q` does, so the next start collects at once
    instead of viewing a dead holder until the lease runs out."""
    config = make_config((account_for(f"http://127.0.0.1:{closed_port()}"),))
    app = build_app(config, store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.embedded.holding, timeout=15)
        # Handled by the app's loop, not the default (which would end this test's process).
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_for(pilot, lambda: not app.is_running, timeout=15)
    assert app.return_code == 0
    left = lease.read(store, "test")
    assert left is None or not left.live(time.time())
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)  # given back
