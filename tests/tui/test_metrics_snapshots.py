"""Snapshots of the Metrics pane zoomed (with a warning card; without a token)
and of the history screen (a series; an empty range). The cards and series are
fixed (metrics_data), so only a change to the look changes these. Review a
diff in snapshot_report.html and re-record with --snapshot-update."""

from __future__ import annotations

import pytest

from r2tui.metrics import CATALOG
from r2tui.store import Store
from r2tui.tui.screens.history import HistoryScreen
from tests.support.metrics_data import BUCKETS, FakeLoader, fake_dashboard, make_app
from tests.support.tui import SIZE, settle, wait_for


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)


async def _zoom_metrics(pilot) -> None:  # type: ignore[no-untyped-def]
    await _loaded(pilot)
    await pilot.press("1", "z")
    await settle(pilot)


def test_metrics_zoomed(
    snap_compare,
    filled: Store,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dashboard(monkeypatch)
    assert snap_compare(make_app(filled, token=True), terminal_size=SIZE, run_before=_zoom_metrics)


def test_metrics_zoomed_without_token(
    snap_compare,
    filled: Store,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dashboard(monkeypatch)
    assert snap_compare(make_app(filled, token=False), terminal_size=SIZE, run_before=_zoom_metrics)


def _history(range_: str):  # type: ignore[no-untyped-def]
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await _loaded(pilot)
        screen = HistoryScreen(FakeLoader(), list(CATALOG), BUCKETS, range_=range_)
        pilot.app.push_screen(screen)
        await wait_for(pilot, lambda: screen.is_mounted and not screen.loading)
        await settle(pilot)

    return run


def test_history_screen(
    snap_compare,
    filled: Store,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dashboard(monkeypatch)
    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=_history("24h"))


def test_history_screen_empty(
    snap_compare,
    filled: Store,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dashboard(monkeypatch)
    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=_history("1h"))
