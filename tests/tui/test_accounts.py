"""The account picker and switching accounts: every configured account with its
last collection, its firing alerts and who collects it; choosing one shows it
(the header names it) while every collector keeps collecting; an unknown name
is refused, naming the accounts there are."""

from __future__ import annotations

from r2tui.alerts.engine import check_alerts
from r2tui.config import Config
from r2tui.jobs import JobResult
from r2tui.store import Store, health, lease, writes
from r2tui.store.health import S3, SourceReport, SourceState
from r2tui.store.models import JobRun
from r2tui.store.writes import SampleRow
from r2tui.tui import messages as msg
from r2tui.tui.app import R2App, build_app
from r2tui.tui.screens.accounts import AccountsScreen
from r2tui.tui.widgets.header import render_header
from tests.support.configs import account_for, make_config
from tests.support.peers import closed_port
from tests.support.tui import SIZE, settle, wait_for
from tests.support.tui_data import NOW, fill

PEER = lease.Holder("peer-host", 4242, "peer")
DOWN = "cannot reach 127.0.0.1:9: connection refused"


def two_accounts(store: Store) -> Config:
    """prod: collected fine by another process; staging: its S3 endpoint fails,
    an alert fires, and nobody collects it."""
    config = make_config(
        (
            account_for("http://127.0.0.1:9", name="prod"),
            account_for("http://127.0.0.1:9", name="staging"),
        )
    )
    fill(store, "prod")
    writes.add_samples(store, "staging", [SampleRow("monthly_cost_usd", 500.0)], ts=NOW - 60)
    check_alerts(store, config, "staging", now=NOW)  # "High monthly cost" fires
    with store.write():
        health.record(store, "staging", {S3: SourceReport(SourceState.DOWN, DOWN)}, at=NOW - 120)
    JobRun.insert(
        job="inventory", account="prod", started_at=NOW - 300, finished_at=NOW - 290, ok=True
    ).execute()
    assert lease.acquire(store, "prod", 10**10, holder=PEER, activity="") is not None
    return config


def picker_rows(app: R2App) -> dict[str, list[str]]:
    screen = app.screen
    assert isinstance(screen, AccountsScreen)
    table = screen.query_one("#accounts-table")
    rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]  # type: ignore[attr-defined]
    return {r[0][2:]: r for r in rows}


def header(app: R2App) -> str:
    return render_header(app.header_state()).plain


async def test_the_picker_lists_each_account_and_switches(store: Store) -> None:
    app = build_app(two_accounts(store), store, clock=lambda: NOW, collect=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.account_name == "prod" and " prod @ 127.0.0.1:9" in header(app)
        prod_read = app.dashboard
        # The `:account NAME` command's door: an unknown name changes nothing.
        assert app.switch_account("nope") is False
        await settle(pilot)
        assert list(app.notices)[-1] == "unknown account 'nope'; the accounts are: prod, staging"
        assert app.account_name == "prod" and app.dashboard is prod_read
        await pilot.press("C")
        await settle(pilot)
        rows = picker_rows(app)
        assert list(rows) == ["prod", "staging"]  # the config's order
        prod, staging = rows["prod"], rows["staging"]
        assert prod[0] == "▶ prod"  # the account shown
        assert prod[1].startswith("ok: last success ")
        assert prod[2] == "none"
        assert prod[3].startswith("peer-host:4242, heartbeat ")
        assert staging[1].startswith("failing: S3 unreachable: cannot reach")
        detail = str(app.screen.query_one("#accounts-detail").render())
        assert detail.startswith("prod: ok: last success ")
        assert detail.endswith(" · collected by " + prod[3])
        assert staging[2] == "1 firing"
        assert staging[3] == "no collector"
        assert app.screen.query_one("#accounts-table").cursor_row == 0  # type: ignore[attr-defined]

        await pilot.press("down")
        detail = str(app.screen.query_one("#accounts-detail").render())
        assert detail == f"staging: failing: S3 unreachable: {DOWN} · collected by no collector"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.account_name == "staging"
        assert app.dashboard is not None and app.dashboard.account == "staging"
        assert " staging @ 127.0.0.1:9" in header(app)
        assert app.header_state().state == "failing"
        assert "S3 unreachable" in app.header_state().detail
        assert app.lease is None  # staging's: nobody holds it
        assert [a.rule for a in app.dashboard.alerts.firing] == ["High monthly cost"]
        assert app.dashboard.storage.total_objects == 0  # none of prod's buckets
        assert list(app.notices)[-1] == "showing account staging"
        # A read of prod that comes back late is not shown over staging's.
        assert prod_read is not None
        app.post_message(msg.SnapshotReady(prod_read, 1.0, app.applied_read + 1))
        await settle(pilot)
        assert app.dashboard.account == "staging" and " staging @ " in header(app)

        # Escape closes the picker without a switch.
        await pilot.press("C")
        await settle(pilot)
        assert picker_rows(app)["staging"][0] == "▶ staging"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main and app.account_name == "staging"

        # The palette's entry opens the same picker.
        entry = next(c for c in app.palette_commands(app.main) if c.title == "Switch account")
        await entry.callback()  # type: ignore[misc]
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main
        assert app.switch_account("prod") is True
        # Until prod's read is back, the header names the account the panes show.
        assert " staging @ " in header(app)
        await settle(pilot)
        assert app.dashboard is not None and app.dashboard.account == "prod"
        assert " prod @ " in header(app) and app.lease is not None


async def test_switching_keeps_the_collector_collecting_both_accounts(
    store: Store,
    s3_backend,  # type: ignore[no-untyped-def]
    moto_endpoint: str,
) -> None:
    """A real collection: good's endpoint is moto, bad's a closed port. The app's
    collector collects both; a switch shows bad's failure and stops nothing."""
    s3_backend.create_bucket("alpha", region_name="us-east-1")
    s3_backend.put_object("alpha", "k/1.txt", b"x")
    config = make_config(
        (
            account_for(moto_endpoint, name="good"),
            account_for(f"http://127.0.0.1:{closed_port()}", name="bad"),
        )
    )
    app = build_app(config, store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: app.dashboard is not None and app.dashboard.storage.total_objects == 1,
            timeout=30,
        )
        await wait_for(pilot, lambda: bool(health.read(store, "bad").failed), timeout=30)
        collector = app.embedded.collector
        assert collector is not None and app.embedded.holding
        me = lease.me().name
        await pilot.press("C")
        await wait_for(pilot, lambda: "failing" in picker_rows(app)["bad"][1])
        rows = picker_rows(app)
        assert "cannot reach 127.0.0.1" in rows["bad"][1]
        assert rows["good"][1].startswith(("ok", "running"))
        assert all(r[3].startswith(f"{me}, heartbeat ") for r in rows.values())

        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.dashboard is not None and app.dashboard.account == "bad")
        assert " bad @ 127.0.0.1:" in header(app)
        await wait_for(pilot, lambda: app.header_state().state == "failing")
        assert "cannot reach 127.0.0.1" in app.header_state().detail
        # The same collector, still holding both accounts' leases, still scheduling.
        assert app.embedded.collector is collector and app.embedded.holding
        assert collector.scheduler is not None and collector.scheduler.running
        assert not collector.ctx.stop.is_set()
        held = [lease.read(store, name) for name in ("good", "bad")]
        assert all(h is not None and h.held_by(lease.me()) for h in held)
        # A job's failure for bad is the header's news now, not good's.
        result = JobResult(
            "inventory", False, 0, NOW, NOW, "x", ("good: boom",), (("good", "boom"),)
        )
        app.embedded.job_finished(result)
        assert "inventory" not in app.embedded.failures
        app.embedded.account_name = "good"
        assert app.embedded.failures["inventory"] == "inventory: boom"
