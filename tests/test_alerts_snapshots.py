"""Snapshots of the alert screens over fixed data: the Alerts pane zoomed with
alerts firing (one silenced), pending and resolved; the Rules screen; the rule
form showing a validation error. Review a diff in snapshot_report.html and
re-record with --snapshot-update."""

from __future__ import annotations

from test_alerts_tui import ACCOUNT, config_for, make_app, open_form, open_rules
from test_tui import SIZE, settled, wait_for
from textual.widgets import Input
from tui_data import GB, NOW

from r2tui.alerts import saved
from r2tui.alerts.engine import check_alerts
from r2tui.alerts.rules import Rule
from r2tui.alerts.silences import add_silence
from r2tui.store import Store, writes
from r2tui.store.writes import SampleRow
from r2tui.tui.widgets.table import MeasuredTable


def seed_alerts(store: Store) -> None:
    """On tui_data's buckets (media 308 GB, backups 421 GB, 729 GB in all):
    two buckets firing (backups silenced), the account pending, and the
    monthly bill fired two hours ago and resolved an hour later."""
    config = config_for()
    saved.save_rule(
        store,
        Rule(
            "Big bucket",
            "total_bytes",
            ">",
            300 * GB,
            scope="[a-z]*",
            severity="medium",
            channels=("ops",),
        ),
        now=NOW,
    )
    saved.save_rule(
        store,
        Rule(
            "Storage past 700 GB",
            "total_bytes",
            ">",
            700 * GB,
            for_seconds=6 * 3600,
            severity="low",
        ),
        now=NOW,
    )
    writes.add_samples(store, ACCOUNT, [SampleRow("monthly_cost_usd", 500.0)], ts=NOW - 7300)
    check_alerts(store, config, ACCOUNT, now=NOW - 7200)
    writes.add_samples(store, ACCOUNT, [SampleRow("monthly_cost_usd", 50.0)], ts=NOW - 3700)
    check_alerts(store, config, ACCOUNT, now=NOW - 3600)
    add_silence(store, ["bucket=backups"], 4 * 3600, "restore test", now=NOW - 600)
    check_alerts(store, config, ACCOUNT, now=NOW - 300)


async def tables_sized(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_for(
        pilot,
        lambda: not any(t.measuring for t in pilot.app.screen.query(MeasuredTable)),
    )
    await pilot.pause(0.2)


def test_alerts_pane_zoomed(snap_compare, filled: Store) -> None:  # type: ignore[no-untyped-def]
    seed_alerts(filled)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settled(pilot)
        await wait_for(pilot, lambda: len(pilot.app.dashboard.alerts.firing) == 2)
        await pilot.press("5", "z")
        await tables_sized(pilot)

    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=run_before)


def test_rules_screen(snap_compare, filled: Store) -> None:  # type: ignore[no-untyped-def]
    seed_alerts(filled)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settled(pilot)
        await open_rules(pilot)
        await tables_sized(pilot)

    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=run_before)


def test_rule_form_with_a_validation_error(snap_compare, filled: Store) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settled(pilot)
        await open_rules(pilot)
        form = await open_form(pilot, "a")
        await pilot.press(
            *"Too many files", "tab", "enter", *"total_f", "enter", "tab", "tab", *"lots"
        )
        await wait_for(
            pilot,
            lambda: (
                bool(form.values) and "expected a number" in str(form.problems.get("threshold"))
            ),
        )
        await wait_for(pilot, lambda: "waiting for a valid rule" in form.backtest_text)
        for box in form.query(Input):  # a blinking cursor would make the picture flaky
            box.cursor_blink = False
        await pilot.pause(0.2)

    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=run_before)
