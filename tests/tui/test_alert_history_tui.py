"""The rule form's backtest over stored history, the alert history screen, and
which keys reach the alert screens: under Pilot, on a real SQLite store."""

from __future__ import annotations

import dataclasses

import pytest

from r2tui.alerts.engine import check_alerts
from r2tui.config import ConfigError
from r2tui.store import Store, writes
from r2tui.store.writes import SampleRow
from r2tui.tui.screens.alert_history import AlertHistoryScreen
from r2tui.tui.screens.help import HelpScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.screens.rule_form import RuleForm
from r2tui.tui.screens.rules import RulesScreen
from r2tui.tui.widgets.table import FilterTable
from tests.support.alerts_pilot import (
    ACCOUNT,
    choose,
    config_for,
    make_app,
    open_form,
    open_rules,
    rows_of,
    seed_firing,
)
from tests.support.tui import SIZE, wait_for
from tests.support.tui_data import NOW


# ---- the backtest -------------------------------------------------------------------------
async def test_backtest_counts_firings_over_stored_history(store: Store) -> None:
    # 48 hours of the bill: above $100 in four 6-hour runs, below between them.
    for h in range(48):
        writes.add_samples(
            store,
            ACCOUNT,
            [SampleRow("monthly_cost_usd", 150.0 if (h // 6) % 2 else 50.0)],
            ts=NOW - h * 3600,
        )
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "High monthly cost")
        form = await open_form(pilot, "e")
        await wait_for(pilot, lambda: "would have fired" in form.backtest_text)
        assert form.backtest_text == (
            "over the last 7 days this rule would have fired 4 times (for 24.0 h in all)"
        )
        # The metric picker shows the value now for the rule's scope.
        assert "now $50.00 for the account" in str(form.query_one("#metric-help").render())
        await pilot.press("tab", "tab", "tab", *"1000")
        await wait_for(pilot, lambda: form.backtest_text.endswith("fired 0 times"))
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await wait_for(pilot, lambda: "waiting for a valid rule" in form.backtest_text)


# ---- the alert history ---------------------------------------------------------------------
async def test_history_screen_finds_an_alert_by_search(store: Store) -> None:
    config = config_for()
    seed_firing(store, config)
    writes.add_samples(store, ACCOUNT, [SampleRow("monthly_cost_usd", 50.0)], ts=NOW)
    check_alerts(store, config, ACCOUNT, now=NOW + 60)  # resolves
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertHistoryScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.shown_search == "")
        table = screen.query_one(FilterTable)
        found = rows_of(table)
        assert [r[3] for r in found] == ["firing → resolved", "inactive → firing"]
        assert found[1][1:3] == ["High monthly cost", "account"] and found[1][4] == "$500.00"
        await pilot.press("slash", *"nothing like it")
        await wait_for(pilot, lambda: screen.shown_search == "nothing like it")
        assert rows_of(table) == []
        await pilot.press("escape")  # clears the search
        await wait_for(pilot, lambda: screen.shown_search == "")
        await pilot.press("slash", *"monthly", "enter")
        await wait_for(pilot, lambda: screen.shown_search == "monthly")
        assert len(rows_of(table)) == 2
        await pilot.press("enter")
        assert isinstance(app.screen, MessageScreen)
        assert "High monthly cost resolved" in app.screen.message
        await pilot.press("escape", "A")
        assert app.screen is app.default_screen


@pytest.mark.parametrize("key", ["r", "A"])
async def test_alert_screens_only_open_from_the_panes(store: Store, key: str) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await pilot.press("question_mark", key)
        assert isinstance(app.screen, HelpScreen)


async def test_keys_rebind_by_id_and_reach_the_palette(store: Store) -> None:
    config = dataclasses.replace(config_for(), keymap={"app.rules": "f6", "rules.add": "n"})
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        main = {c.title for c in app.palette_commands(app.screen)}
        assert {"Rules", "Alerts"} <= main and "Silence" not in main
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, RulesScreen))
        titles = {c.title for c in app.palette_commands(app.screen)}
        assert {"Add", "Edit", "Silence", "Evaluate", "Sort"} <= titles
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RuleForm))
        await pilot.press("escape")
    with pytest.raises(ConfigError, match=r"keymap.rule_form.save: ctrl\+s is XOFF"):
        make_app(store, dataclasses.replace(config_for(), keymap={"rule_form.save": "ctrl+s"}))
