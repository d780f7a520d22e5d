"""What keeps notifications quiet, under Pilot on a real SQLite store: the
Alerts pane says how many the rate limit holds and from when their summary
goes; a silence made in the dialog to expire when resolved ends once the alert
resolves."""

from __future__ import annotations

from textual.widgets import Checkbox

from r2tui.alerts.engine import check_alerts
from r2tui.alerts.silences import silences
from r2tui.config import Secret
from r2tui.config.alert_model import ChannelConfig
from r2tui.store import Store, writes
from r2tui.store.writes import SampleRow
from r2tui.tui.format import local_time
from r2tui.tui.screens.dialogs import SilenceScreen
from tests.support.alerts_pilot import (
    ACCOUNT,
    choose,
    config_for,
    make_app,
    open_rules,
    seed_firing,
)
from tests.support.tui import SIZE, settle, wait_for
from tests.support.tui_data import NOW

M = 60


def bill(store: Store, usd: float, at: float) -> None:
    writes.add_samples(store, ACCOUNT, [SampleRow("monthly_cost_usd", usd)], ts=at)


async def test_the_alerts_pane_says_what_the_rate_limit_holds(store: Store) -> None:
    ops = ChannelConfig("ops", "webhook", url=Secret("http://127.0.0.1:9/ops", "test"))
    config = config_for(channels={"ops": ops}, default_channels=("ops",), max_per_hour=1)
    # "High monthly cost" (> $100) fires, resolves, fires, resolves: the firing
    # and its all-clear go, the next two are held.
    for minute, usd in enumerate((500.0, 1.0, 500.0, 1.0)):
        at = NOW - (5 - minute) * M
        bill(store, usd, at - 1)
        check_alerts(store, config, ACCOUNT, now=at)
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await settle(pilot)
        outbox = app.query_one("#alerts-outbox")
        assert outbox.display
        # Room in the hour once the all-clear at NOW - 4 min is an hour old.
        due = local_time(NOW - 4 * M + 3600, NOW)
        assert str(outbox.render()) == (
            f"⏸ 2 notifications held by the rate limit · summary from {due}"
        )


async def test_a_silence_set_to_expire_when_resolved_ends_with_the_alert(store: Store) -> None:
    config = config_for()
    seed_firing(store, config)  # "High monthly cost" fires at NOW
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "High monthly cost")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SilenceScreen))
        box = app.screen.query_one("#silence-until-resolved", Checkbox)
        assert not box.value  # off unless asked, as on the command line
        await pilot.press("f2")  # no comment yet: refused, and the dialog says why
        problem = app.screen.query_one("#silence-problem")
        assert problem.display and "comment: required" in str(problem.render())
        await pilot.press("shift+tab", "shift+tab")  # from the comment back to the presets
        await pilot.press("enter", *"until the bill is fixed", "tab", "space", "f2")
        await settle(pilot)
        [s] = silences(store, NOW)
        assert s.expire_on_resolve and s.ends_at == NOW + 3600
        # The bill is back under $100; x evaluates now: resolved, and the silence ends.
        bill(store, 1.0, NOW - 30)
        await pilot.press("x")
        await settle(pilot)
        assert silences(store, NOW) == []
        [ended] = silences(store, NOW, include_ended=True)
        assert ended.id == s.id and ended.ends_at == NOW
