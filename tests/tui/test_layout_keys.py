"""Pilot tests of the keyboard and the layout of issue 18: j/k/g/G in tables
and lists, the command line (`:`), charting the focused metric card with enter
or h, the panes as tabs on a small screen; and the header's wording by width."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static, Tab, Tabs

from r2tui.metrics import ACCOUNT
from r2tui.store import Store
from r2tui.tui import command_line
from r2tui.tui.bindings import PANES
from r2tui.tui.screens.command_line import CommandLineScreen
from r2tui.tui.screens.history import HistoryScreen
from r2tui.tui.screens.rules import RulesScreen
from r2tui.tui.widgets.card import Card
from r2tui.tui.widgets.fit import words
from r2tui.tui.widgets.header import HeaderState, render_header
from r2tui.tui.widgets.table import FilterTable
from tests.support.alerts_pilot import config_for, seed_firing
from tests.support.metrics_data import FakeLoader, fake_dashboard, make_app
from tests.support.tui import SIZE, quiet_app, settle, wait_for


async def test_j_k_g_and_shift_g_move_in_a_table_and_type_in_a_field(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")  # the Storage pane's bucket table: three rows
        table = app.query_one("#table-buckets", FilterTable).table
        assert app.focused is table and table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("G")
        assert table.cursor_row == 2
        # In the filter field the letters are typed, not moves.
        await pilot.press("slash", "j", "g")
        assert app.query_one("#table-buckets .table-filter", Input).value == "jg"


async def test_colon_rules_opens_the_rules(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        assert isinstance(app.screen, CommandLineScreen)
        await pilot.press(*"rul", "tab")  # tab completes the command
        assert app.screen.query_one(Input).value == "rules"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RulesScreen))


async def test_colon_history_charts_a_metric_over_a_range(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = quiet_app(filled)
    loader = FakeLoader()
    monkeypatch.setattr(app.main, "load_history", loader)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        app.screen.query_one(Input).value = "history error_rate_pct 7d"  # typing is slow
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_for(pilot, lambda: bool(loader.calls))
        assert loader.calls[-1] == ("error_rate_pct", ACCOUNT, "7d")


async def test_a_line_that_cannot_run_stays_open_with_its_error(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"frob", "enter")
        screen = app.screen
        assert isinstance(screen, CommandLineScreen)
        error = str(screen.query_one("#command-error", Static).render())
        assert error.startswith("unknown command 'frob'")
        assert "tab completes" in error
        line = screen.query_one(Input)
        line.value = "history error_rate 9d"  # typing is slow: the line, then enter
        await pilot.press("enter")
        assert "did you mean error_rate_pct" in screen.error
        line.value = "history error_rate_pct 9d"
        await pilot.press("enter")
        assert screen.error == "unknown range '9d': valid are 1h, 24h, 7d, 30d, 90d, 1y"
        line.value = "account nobody"
        await pilot.press("enter")
        assert screen.error.startswith("unknown account 'nobody'")
        assert "Valid: test" in screen.error
        await pilot.press("escape")
        assert not isinstance(app.screen, CommandLineScreen)


def test_account_switching_says_when_this_r2tui_cannot() -> None:
    base = command_line.LineContext(
        commands={},
        allowed=lambda action: True,
        chart=None,
        buckets=[],
        accounts=["prod", "staging"],
        account="prod",
        switch_account=None,
        quit=lambda: None,
    )
    assert "not available" in str(command_line.resolve("account staging", base))
    assert "is the account shown" in str(command_line.resolve(":account prod", base))
    assert "main screen" in str(command_line.resolve("history total_bytes", base))
    switched: list[str] = []
    able = command_line.LineContext(**{**base.__dict__, "switch_account": switched.append})
    run = command_line.resolve("account staging", able)
    assert callable(run)
    run()
    assert switched == ["staging"]
    assert command_line.complete("account st", able) == "account staging"
    assert command_line.complete("history error_r", able) == "history error_rate_pct"


async def test_enter_and_h_chart_the_focused_card(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dashboard(monkeypatch)
    app = make_app(filled, token=True)
    loader = FakeLoader()
    monkeypatch.setattr(app.main, "load_history", loader)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "1")  # away and back: the Metrics pane's first card
        assert app.focused is app.query_one("#card-total_files", Card)
        await pilot.press("right", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_for(pilot, lambda: bool(loader.calls))
        assert loader.calls[-1] == ("total_bytes", ACCOUNT, "24h")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen))
        await pilot.press("down", "right")  # a row down, a card right: Class B
        assert app.focused is app.query_one("#card-class_b_ops", Card)
        await pilot.press("h")
        await wait_for(pilot, lambda: len(loader.calls) == 2)
        assert loader.calls[-1] == ("class_b_ops", ACCOUNT, "24h")


async def test_the_layout_follows_the_terminal_medium_small_and_back(filled: Store) -> None:
    """120x30 keeps the rows and compacts the cards; a resize to 80x24 makes the
    panes tabs (the tab strip is made then: the alerts tab counts what fires),
    one pane at a time; back at 120x30 the rows return."""
    seed_firing(filled, config_for())
    app = quiet_app(filled)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert not app.main.tabbed
        assert not app.query("#pane-tabs")  # no tab strip until the panes are tabs
        assert app.query_one("#metrics").has_class("-compact")
        probes = app.query_one("#table-probes", FilterTable).table
        # The probes' header and rows in sight under the cards, unscrolled.
        pane = app.query_one("#metrics")
        assert probes.region.bottom <= pane.region.bottom - 1
        assert probes.size.height >= 4
        assert isinstance(probes, DataTable)

        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert app.main.tabbed
        assert app.query_one("#metrics").display and not app.query_one("#storage").display
        tabs = app.query_one("#pane-tabs", Tabs)
        assert tabs.display and tabs.active == "tab-metrics"
        assert str(app.query_one("#tab-alerts", Tab).label) == "5 Alerts ● 1"
        await pilot.press("3")
        await settle(pilot)
        storage = app.query_one("#table-buckets", FilterTable).table
        assert app.query_one("#storage").display and not app.query_one("#metrics").display
        assert app.focused is storage
        assert storage.size.height >= 4  # the header and all three buckets
        assert tabs.active == "tab-storage"
        # Full cards: the tab has the height.
        assert not app.query_one("#metrics").has_class("-compact")

        await pilot.resize_terminal(120, 30)
        await settle(pilot)
        assert not app.main.tabbed and not tabs.display
        assert all(app.query_one(f"#{name}").display for name in PANES)
        assert app.query_one("#metrics").has_class("-compact")


HEADER = HeaderState(
    account="production-eu",
    endpoint="0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com",
    demo=False,
    state="failing",
    detail="analytics token refused since 09:40 (needs Account Analytics: Read): "
    "Authentication error 10000, 312 of 512 buckets",
    data_at=1000.0,
    now=1300.0,
    refresh_seconds=5,
)


def test_the_header_drops_parts_by_priority_and_never_cuts_a_word() -> None:
    wide = render_header(HEADER, 300).plain
    assert "cloudflarestorage.com" in wide and "312 of 512 buckets" in wide
    assert "refresh 5s" in wide
    assert "refresh" not in render_header(HEADER, 240).plain  # the first to go
    at_120 = render_header(HEADER, 120).plain
    assert len(at_120) <= 120
    assert "refresh" not in at_120 and "@" not in at_120  # dropped first
    assert "5m 00s old" in at_120 and "failing: analytics token refused since 09:40" in at_120
    assert at_120.endswith("Read)…")  # at a word
    for width in (100, 80, 60):
        text = render_header(HEADER, width).plain
        assert len(text) <= width
        shown = text.split("failing: ", 1)[1].removesuffix("…")
        assert HEADER.detail.startswith(shown) and HEADER.detail[len(shown)] in " :"


def test_words_cut_at_a_word() -> None:
    assert words("one two three", 20) == "one two three"
    assert words("one two three", 10) == "one two…"
    assert words("unbreakable", 5) == "…"
    assert words("failed: because", 12) == "failed…"
