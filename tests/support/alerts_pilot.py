"""What the alert screens' Pilot tests share: an app on a fixed clock with
collection off, a firing alert, and the keystrokes that open and fill the
Rules screen and the rule form."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from r2tui.alerts.engine import check_alerts
from r2tui.config import Config
from r2tui.config.alert_model import AlertSettings
from r2tui.store import Store, writes
from r2tui.store.writes import SampleRow
from r2tui.tui.app import R2App, build_app
from r2tui.tui.screens.rule_form import RuleForm
from r2tui.tui.screens.rules import RulesScreen
from r2tui.tui.widgets.table import FilterTable
from tests.support.configs import account_for, make_config
from tests.support.tui import wait_for
from tests.support.tui_data import NOW

ACCOUNT = "test"


def config_for(**alerting: Any) -> Config:
    read_only = alerting.pop("read_only", False)
    return make_config(
        (account_for("http://127.0.0.1:9", quota_bytes=10**12),),
        alerts=AlertSettings(**alerting),
        read_only=read_only,
    )


def make_app(store: Store, config: Config | None = None) -> R2App:
    return build_app(config or config_for(), store, clock=lambda: NOW, collect=False)


def seed_firing(store: Store, config: Config, value: float = 500.0) -> None:
    """This month's bill at $500: the default "High monthly cost" rule (> $100) fires."""
    writes.add_samples(store, ACCOUNT, [SampleRow("monthly_cost_usd", value)], ts=NOW - 60)
    check_alerts(store, config, ACCOUNT, now=NOW)


def notes(app: R2App) -> list[str]:
    return list(app.notices)


def problem(form: RuleForm, field: str) -> str:
    box = form.query_one(f"#problem-{field}", Static)
    return str(box.render()) if box.display else ""


async def open_rules(pilot) -> RulesScreen:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: pilot.app.dashboard is not None)
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RulesScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.states is not None)
    return screen


async def choose(pilot, screen: RulesScreen, name: str) -> None:  # type: ignore[no-untyped-def]
    """Highlight a rule with the keyboard: filter by its name, enter back to the table."""
    await pilot.press("slash", *name, "enter")
    await wait_for(
        pilot, lambda: screen.current() is not None and screen.current().rule.name == name
    )  # type: ignore[union-attr]


async def open_form(pilot, key: str) -> RuleForm:  # type: ignore[no-untyped-def]
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RuleForm))
    form = pilot.app.screen
    await wait_for(pilot, lambda: bool(form.initial))
    return form


def rows_of(table: FilterTable) -> list[list[str]]:
    t = table.table
    return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]
