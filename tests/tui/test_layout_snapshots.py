"""Snapshots of the main screen, the Rules screen and the rule form at three
terminal sizes: 80x24 (the panes as tabs), 120x30 (compact cards) and 200x50
(rows sharing the height). The cards are fixed (metrics_data) and carry every
kind of value; the rules include two long names that differ only at the end.
Review a diff in snapshot_report.html and re-record with --snapshot-update."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from r2tui.alerts import saved
from r2tui.alerts.rules import Rule
from r2tui.store import Store
from tests.support.alerts_pilot import make_app as alerts_app
from tests.support.alerts_pilot import open_form, open_rules
from tests.support.metrics_data import fake_dashboard, make_app
from tests.support.tui import settle
from tests.support.tui_data import NOW
from tests.tui.test_alerts_snapshots import seed_alerts

SIZES = [(80, 24), (120, 30), (200, 50)]
SIZE_IDS = ["80x24", "120x30", "200x50"]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_main_screen_at(
    snap_compare,  # type: ignore[no-untyped-def]
    filled: Store,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    fake_dashboard(monkeypatch)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("1")  # the first card focused: shown as such
        await settle(pilot)

    assert snap_compare(make_app(filled, token=True), terminal_size=size, run_before=run_before)


def _seed_rules(store: Store) -> None:
    seed_alerts(store)
    for bucket in ("media-uploads", "media-archive"):
        saved.save_rule(
            store,
            Rule(f"Missing telemetry from {bucket}", "requests_per_hour", "<", 1, scope=bucket),
            now=NOW,
        )


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_rules_screen_at(snap_compare, filled: Store, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    _seed_rules(filled)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await open_rules(pilot)
        await settle(pilot)

    assert snap_compare(alerts_app(filled), terminal_size=size, run_before=run_before)


# From 40 lines the form is as before (test_alerts_snapshots pins it at 120x40).
@pytest.mark.parametrize("size", SIZES[:2], ids=SIZE_IDS[:2])
def test_rule_form_at(snap_compare, filled: Store, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await open_rules(pilot)
        form = await open_form(pilot, "a")
        for box in form.query(Input):  # a blinking cursor would make the picture flaky
            box.cursor_blink = False
        await settle(pilot)

    assert snap_compare(alerts_app(filled), terminal_size=size, run_before=run_before)
