"""What the rate limit holds back, as the Alerts pane and `status --json` say
it: how many notifications, and from when their summary goes, counted as the
engine counts (a real store: SQLite, then PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from r2tui import dashboard
from r2tui.alerts import saved
from r2tui.alerts.engine import check_alerts
from r2tui.alerts.held import HeldBack
from r2tui.alerts.notice import Notice
from r2tui.alerts.rules import Rule
from r2tui.alerts.views import alerts_view
from r2tui.config import Config, Secret
from r2tui.config.alert_model import AlertSettings, ChannelConfig
from r2tui.status import dashboard_doc, iso
from r2tui.store import Store, writes
from r2tui.store.models import Notification
from r2tui.store.writes import SampleRow
from tests.support.configs import account_for, make_config

ACC = "acme"
T0 = int(datetime(2026, 11, 11, 12, 0, tzinfo=UTC).timestamp())
M = 60


def config(**alerts: object) -> Config:
    ops = ChannelConfig("ops", "webhook", url=Secret("http://127.0.0.1:9/ops", "test"))
    settings = AlertSettings(channels={"ops": ops}, default_channels=("ops",))
    return make_config(
        (account_for("http://127.0.0.1:9", name=ACC),), alerts=replace(settings, **alerts)
    )


def summaries() -> list[Notice]:
    return [
        n
        for n in map(Notice.from_json, (r.body for r in Notification.select()))
        if n.kind == "summary"
    ]


def flap(store: Store, minutes: int, max_per_hour: int | None = 2) -> None:
    """Fires and resolves every other minute: two notifications' worth an hour
    go, the rest are held."""
    rule = Rule("Flappy", "monthly_cost_usd", ">", 10.0, max_per_hour=max_per_hour)
    saved.import_rules(store, [rule], replace_all=True)
    for minute in range(minutes):
        at = T0 + minute * M
        usd = 20.0 if minute % 2 == 0 else 1.0
        writes.add_samples(store, ACC, [SampleRow("monthly_cost_usd", usd)], ts=at)
        check_alerts(store, config(max_per_hour=3), ACC, now=at)


def test_held_notifications_and_when_their_summary_goes(st: Store) -> None:
    assert alerts_view(st, ACC, T0).held == HeldBack()
    flap(st, 10)
    # The hour's two went at T0 and T0 + 1 min: room again once the first is
    # an hour old, and the next check sends the summary.
    view = alerts_view(st, ACC, T0 + 10 * M, max_per_hour=3)
    assert view.held == HeldBack(8, T0 + 3600)
    assert view.outbox["held"] == 8
    doc = dashboard_doc(dashboard.read(st, ACC, now=T0 + 10 * M))["alerts"]
    assert (doc["held"], doc["next_summary_at"]) == (8, iso(T0 + 3600))
    check_alerts(st, config(), ACC, now=T0 + 60 * M)  # the check at that moment sends it
    assert [n.held for n in summaries()] == [8]
    assert alerts_view(st, ACC, T0 + 60 * M).held == HeldBack()


def test_a_rule_without_its_own_limit_counts_with_the_alerts_setting(st: Store) -> None:
    # [alerts] max_per_hour = 3: T0 fired, T0 + 1 min resolved, T0 + 2 min fired;
    # the all-clear at T0 + 3 min went too (one is never held while nothing is);
    # the next four were held.
    flap(st, 8, max_per_hour=None)
    now = T0 + 8 * M
    # Room once only two of the four are in the hour: when T0 + 1 min's is an hour old.
    assert alerts_view(st, ACC, now, max_per_hour=3).held == HeldBack(4, T0 + 61 * M)
    # Counted with a limit of 5, the hour has room now: the next check sends it.
    assert alerts_view(st, ACC, now, max_per_hour=5).held.next_summary_at == now
