"""Snapshots of the main screen and help. After an intended change to the look,
review the diff in snapshot_report.html and re-record with --snapshot-update."""

from __future__ import annotations

from r2tui.store import Store
from tests.support.tui import SIZE, quiet_app, settle


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)


def test_main_screen(snap_compare, filled: Store) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(quiet_app(filled), terminal_size=SIZE, run_before=_loaded)


def test_main_screen_empty_store(snap_compare, store: Store) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(quiet_app(store), terminal_size=SIZE, run_before=_loaded)


def test_help_screen(snap_compare, filled: Store) -> None:  # type: ignore[no-untyped-def]
    async def open_help(pilot) -> None:  # type: ignore[no-untyped-def]
        await _loaded(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(quiet_app(filled), terminal_size=SIZE, run_before=open_help)


def test_storage_zoomed_on_largest(snap_compare, filled: Store) -> None:  # type: ignore[no-untyped-def]
    async def zoom(pilot) -> None:  # type: ignore[no-untyped-def]
        await _loaded(pilot)
        await pilot.press(
            "3", "z", "right_square_bracket", "right_square_bracket", "right_square_bracket"
        )
        await settle(pilot)

    assert snap_compare(quiet_app(filled), terminal_size=SIZE, run_before=zoom)
