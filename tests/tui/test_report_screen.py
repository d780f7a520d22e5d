"""The report screen under Pilot: R opens it from the main screen, the list
shows the stored reports, the highlighted one is shown as Markdown, / filters,
escape closes; a failing store is said on screen; and one snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Markdown, Static

import tests.support.report_data as d
from r2tui.reports import stored
from r2tui.reports.build import build
from r2tui.reports.render import to_markdown
from r2tui.store import Store
from r2tui.tui.app import R2App
from r2tui.tui.screens.help import HelpScreen
from r2tui.tui.screens.reports import EMPTY, ReportsScreen
from r2tui.tui.widgets.table import FilterTable
from tests.support.tui import SIZE, quiet_app, settle, wait_for


@pytest.fixture
def rs(tmp_path: Path) -> Iterator[Store]:
    yield from d.store_copy(tmp_path)


@pytest.fixture
def with_reports(rs: Store) -> Store:
    stored.save(rs, build(rs, d.ACCOUNT, "monthly", d.OCT1, d.REPORT_NOW))
    stored.save(rs, build(rs, d.ACCOUNT, "daily", d.NOV28, d.REPORT_NOW))
    stored.save(rs, build(rs, d.ACCOUNT, "daily", d.NOV28 - 86400, d.NOV29 - 86400 + 30))
    stored.save(rs, build(rs, "another", "daily", d.NOV28, d.REPORT_NOW))  # not this account's
    return rs


def list_rows(screen: ReportsScreen) -> list[list[str]]:
    table = screen.query_one(FilterTable).table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def source(screen: ReportsScreen) -> str:
    return screen.query_one("#reports-markdown", Markdown).source


async def open_reports(pilot) -> ReportsScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReportsScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.rows is not None)
    return screen


async def test_open_list_show_and_close(with_reports: Store) -> None:
    app = quiet_app(with_reports)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        # The latest period first; only this account's reports.
        assert list_rows(screen) == [
            ["daily", "2026-11-28", "2026-11-29 00:00"],
            ["daily", "2026-11-27", "2026-11-28 00:00"],
            ["monthly", "2026-10", "2026-11-29 00:00"],
        ]
        daily = stored.find(with_reports, d.ACCOUNT, "daily", d.NOV28)
        assert daily is not None
        await wait_for(pilot, lambda: screen.shown_id is not None)
        assert source(screen) == to_markdown(daily)
        assert "3 reports" in str(screen.query_one("#reports-title", Static).render())

        await pilot.press("down", "down")
        monthly = stored.find(with_reports, d.ACCOUNT, "monthly", d.OCT1)
        assert monthly is not None
        await wait_for(pilot, lambda: source(screen) == to_markdown(monthly))
        await pilot.press("enter")  # read it: the viewer takes the keys
        assert app.focused is screen.query_one("#reports-view")

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.default_screen)


async def test_filter_then_escape_clears_it_before_closing(with_reports: Store) -> None:
    app = quiet_app(with_reports)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("slash", *"monthly", "enter")
        assert [r[0] for r in list_rows(screen)] == ["monthly"]
        await pilot.press("escape")
        assert app.screen is screen and len(list_rows(screen)) == 3
        assert not screen.query_one(Input).has_class("-shown")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.default_screen)


async def test_no_reports_yet(rs: Store) -> None:
    app = quiet_app(rs)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        empty = screen.query_one(".table-empty", Static)
        assert empty.display and str(empty.render()) == EMPTY
        assert screen.shown_id is None and source(screen) == ""


async def test_a_failing_store_is_said_on_screen(with_reports: Store) -> None:
    class Broken:
        def listing(self) -> list[stored.StoredRow]:
            raise RuntimeError("database is locked")

        def markdown(self, report_id: int) -> str | None:
            raise AssertionError("nothing to show")

    app = quiet_app(with_reports)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = ReportsScreen(Broken(), "test")
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.rows is not None)
        title = str(screen.query_one("#reports-title", Static).render())
        assert "could not read the reports: RuntimeError: database is locked" in title
        assert app.is_running


async def test_key_only_from_the_main_screen_and_in_the_palette(with_reports: Store) -> None:
    app = quiet_app(with_reports)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_rows = app.screen.query_one(DataTable)
        keys = [help_rows.get_row_at(i)[:2] for i in range(help_rows.row_count)]
        assert ["R", "app.reports"] in [[str(k), str(i)] for k, i in keys]
        await pilot.press("R")  # over help: nothing opens
        await pilot.pause(0.1)
        assert isinstance(app.screen, HelpScreen)
        titles = [c.title for c in app.palette_commands(app.default_screen)]
        assert "Reports" in titles


def test_reports_screen(snap_compare, with_reports: Store) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_reports(pilot)
        await wait_for(pilot, lambda: screen.shown_id is not None)
        await settle(pilot)

    app: R2App = quiet_app(with_reports)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
