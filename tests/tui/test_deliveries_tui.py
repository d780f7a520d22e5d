"""The Deliveries screen over a real store's outbox: every notification, newest
first, with the alert, firing or resolved, the channel by its name (never its
URL) and how the delivery went; text from outside as text, never markup; a
rebound key and the palette both open it."""

from __future__ import annotations

from textual.widgets.data_table import ColumnKey

from r2tui.alerts import outbox
from r2tui.alerts.notice import Notice
from r2tui.config.alert_model import AlertSettings, ChannelConfig
from r2tui.config.secrets import secret_url
from r2tui.store import Store
from r2tui.store.models import Notification
from r2tui.tui.app import R2App, build_app
from r2tui.tui.screens.deliveries import DeliveriesScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.widgets.table import FilterTable
from tests.support.configs import account_for, make_config
from tests.support.tui import SIZE, settle, wait_for
from tests.support.tui_data import NOW

SECRET_URL = "https://hooks.example.com/services/T000/B000/very-secret-token"


def notice(channel: str, title: str, status: str = "firing") -> Notice:
    return Notice(channel, "alert", status, f"{channel}:{title}", title, created_at=int(NOW))


def fill_outbox(store: Store) -> None:
    t = int(NOW)
    outbox.enqueue(store, [notice("ops", "High error rate")], t - 600, rule="High error rate")
    outbox.enqueue(
        store, [notice("ops", "[bold]x[/bold]", "resolved")], t - 300, rule="[bold]x[/bold]"
    )
    outbox.enqueue(store, [notice("pager", "Failed access")], t - 60, rule="Failed access")
    # The first was sent; the third failed for good, its reply quoting markup.
    Notification.update(state="sent", sent_at=int(NOW) - 590).where(
        Notification.rule == "High error rate"
    ).execute()
    Notification.update(
        state="dead", attempts=8, last_error="channel pager: HTTP 404 from the webhook: [red]no[/]"
    ).where(Notification.rule == "Failed access").execute()


def app_for(store: Store, keymap: dict[str, str] | None = None) -> R2App:
    channel = ChannelConfig("ops", "webhook", url=secret_url(SECRET_URL, "test"))
    config = make_config(
        (account_for("http://127.0.0.1:9"),),
        alerts=AlertSettings(channels={"ops": channel}),
        keymap=keymap or {},
    )
    return build_app(config, store, clock=lambda: NOW, collect=False)


def shown_rows(app: R2App) -> list[list[str]]:
    table = app.screen.query_one(FilterTable).table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_deliveries_newest_first(store: Store) -> None:
    """Rebound to f7 (D is the default: the demo's test presses it)."""
    app = app_for(store, keymap={"app.deliveries": "f7"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Deliveries" in {c.title for c in app.palette_commands(app.screen)}
        await pilot.press("D")
        await settle(pilot)
        assert app.screen is app.main
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, DeliveriesScreen)
        assert shown_rows(app) == []
        empty = app.screen.query_one(".table-empty")
        assert empty.display and "nothing delivered yet" in str(empty.render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main

        fill_outbox(store)
        await pilot.press("f7")
        await settle(pilot)
        rows = shown_rows(app)
        assert [r[1:4] for r in rows] == [
            ["Failed access", "firing", "pager"],
            ["[bold]x[/bold]", "resolved", "ops"],  # a rule's name as typed, not markup
            ["High error rate", "firing", "ops"],
        ]
        assert rows[0][4].startswith("dead (8 attempts): channel pager: HTTP 404")
        assert rows[0][4].endswith("[red]no[/]")
        assert rows[1][4] == "pending" and rows[2][4] == "sent"
        assert "3 notifications, 1 sent" in title(app)
        everything = title(app) + " ".join(" ".join(r) for r in rows)
        assert "hooks.example.com" not in everything and "very-secret" not in everything

        # Enter shows one in full; the store changes, the screen follows.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "last error: channel pager: HTTP 404" in app.screen.message
        await pilot.press("escape")
        Notification.update(state="sent", sent_at=int(NOW) - 200).where(
            Notification.rule == "[bold]x[/bold]"
        ).execute()
        app.refresh_data()
        await wait_for(pilot, lambda: "2 sent" in title(app))
        await pilot.press("f7")
        await settle(pilot)
        assert app.screen is app.main


def title(app: R2App) -> str:
    return str(app.screen.query_one("#deliveries-title").render())


async def test_at_80_columns_the_alert_names_show_whole(store: Store) -> None:
    """The alert and the delivery's result share the width the fixed columns
    leave: a fixed 30-cell result left "Failed access" at "Failed ac…"."""
    fill_outbox(store)
    app = app_for(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        table = app.screen.query_one(FilterTable).table
        alert = table.columns[ColumnKey("alert")]
        assert alert.width >= len("High error rate")
        assert table.columns[ColumnKey("delivery")].width >= 12
