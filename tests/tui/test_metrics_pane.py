"""Pilot tests of the Metrics pane (cards, warnings, bucket filter, no-token
note) and the history screen (keys, loader arguments, empty series).

Most tests replace r2tui.dashboard.read with metrics_data.FakeDashboard: the
panes still get the store's real storage, activity and probes, but the cards
come from fixed MetricsViews, so every case (a warning, a missing trend, a
locked card) is pinned exactly, and the keywords the app reads with are
recorded."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Sparkline, Static
from textual_plotext import PlotextPlot

from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.store import Store
from r2tui.store.views import Series
from r2tui.tui.app import R2App
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.screens.help import HelpScreen
from r2tui.tui.screens.history import HistoryScreen, byte_scale
from r2tui.tui.widgets.card import Card, metric_title, metric_value, trend_text
from tests.support.metrics_data import (
    BUCKETS,
    GB,
    FakeLoader,
    fake_dashboard,
    make_app,
    metrics_view,
    series,
    spark,
)
from tests.support.tui import SIZE, settle, wait_for


def card(app: R2App, metric: str) -> Card:
    return app.query_one(f"#card-{metric}", Card)


def card_text(app: R2App, metric: str) -> str:
    return str(card(app, metric).query_one(".card-value", Static).render())


async def loaded(pilot, app: R2App) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    assert app.dashboard is not None and app.dashboard.metrics is not None


# ---- formatting -------------------------------------------------------------------------
def test_values_read_in_their_units() -> None:
    assert metric_value(4342, "objects") == "4,342"
    assert metric_value(729 * GB, "bytes") == "729.0 GB"
    assert metric_value(7.25, "%") == "7.2 %"
    assert metric_value(2450.4, "ms") == "2,450 ms"
    assert metric_value(None, "ms") == "–"
    assert metric_value(0.0, "requests") == "0"  # a real zero stays a zero
    assert str(trend_text(12.34)) == "▲12.3%"
    assert str(trend_text(-250.0)) == "▼250%"
    assert str(trend_text(None)) == "–"
    assert trend_text(None).style == "dim"
    assert trend_text(5.0, lower_is_better=True).style == "red"
    assert metric_title("error_rate_pct") == "Error rate"
    assert metric_title("class_a_ops") == "Class A / hour"  # a card's title
    assert metric_title("failed_access") == "Failed access"
    assert byte_scale(2.5e12) == (1e12, "TB")
    assert byte_scale(999.0) == (1.0, "B")


# ---- the cards --------------------------------------------------------------------------
async def test_cards_show_values_trends_and_sparklines(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dashboard(monkeypatch)
    app = make_app(filled, token=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert card_text(app, "total_files") == "4,342  ▲1.0%"
        assert card_text(app, "total_bytes") == "729.0 GB  ▲4.1%"
        assert card_text(app, "uploads_today") == "1,234  ▲23.4%"
        assert card_text(app, "downloads_today") == "56,789  –"  # no previous window
        assert card_text(app, "error_rate_pct") == "7.2 %  ▲262%"
        assert card_text(app, "avg_response_ms") == "180 ms  ▼10.0%"
        titles = [str(c.query_one(".card-title", Static).render()) for c in app.query(Card)]
        assert titles == [
            "Total files",
            "Storage used",
            "Uploads today",
            "Downloads today",
            "Class A / hour",
            "Class B / hour",
            "Error rate",
            "Avg response",
            "p95 response",
        ]
        for i, c in enumerate(app.query(Card)):
            assert list(c.query_one(Sparkline).data or []) == spark(i)
        assert not app.query_one("#metrics-token").display
        assert not app.query_one("#metrics-waiting").display
        # The probes table is still there, below the cards.
        assert app.query_one("#table-probes").table.row_count == 3


async def test_a_sampled_figure_is_marked_as_an_estimate(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dashboard(monkeypatch, sampled=frozenset({"downloads_today"}))
    app = make_app(filled, token=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert card_text(app, "downloads_today") == "≈ 56,789  –"
        assert "estimate" in str(card(app, "downloads_today").tooltip)
        assert card_text(app, "uploads_today") == "1,234  ▲23.4%"  # counted: no mark


async def test_warning_class_follows_the_thresholds(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_dashboard(monkeypatch)
    app = make_app(filled, token=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        # Account: error rate 7.25 % > 5 %; response 180 ms < 2,000 ms.
        assert card(app, "error_rate_pct").has_class("-warning")
        assert not card(app, "avg_response_ms").has_class("-warning")
        assert not card(app, "total_bytes").has_class("-warning")  # no threshold
        await pilot.press("1", "b", "b")  # media: 0.5 % errors, 2,450 ms
        await wait_for(
            pilot,
            lambda: (
                app.dashboard is not None
                and app.dashboard.metrics is not None
                and app.dashboard.metrics.bucket == "media"
            ),
        )
        await pilot.pause()
        assert fake.buckets_read[-1] == "media"
        assert not card(app, "error_rate_pct").has_class("-warning")
        assert card(app, "avg_response_ms").has_class("-warning")
        assert card_text(app, "avg_response_ms") == "2,450 ms  ▲172%"


async def test_bucket_filter_reaches_the_read_at_once(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_dashboard(monkeypatch)
    app = make_app(filled, token=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        pane = app.query_one("#metrics", MetricsPane)
        assert fake.calls[0] == {"analytics": True, "metrics_bucket": ACCOUNT, "tz": "UTC"}
        assert pane.buckets == BUCKETS
        await pilot.press("1")  # focus the Metrics pane
        reads = len(fake.calls)
        await pilot.press("b")
        assert pane.bucket == "backups" and app.metrics_bucket == "backups"
        assert "backups" in str(app.query_one("#metrics-scope").render())
        # Read at once: well before the 5 s refresh timer would fire.
        await wait_for(pilot, lambda: len(fake.calls) > reads, timeout=2)
        assert fake.buckets_read[-1] == "backups"
        await pilot.press("b", "b")
        assert pane.bucket == "site"
        await pilot.press("b")  # wraps round to the account
        assert pane.bucket == ACCOUNT
        await pilot.press("B")  # backwards
        assert pane.bucket == "site"
        await wait_for(pilot, lambda: fake.buckets_read[-1] == "site", timeout=2)
        await wait_for(
            pilot,
            lambda: (
                app.dashboard is not None
                and app.dashboard.metrics is not None
                and app.dashboard.metrics.bucket == "site"
            ),
        )
        # Later timed reads keep the chosen bucket.
        app.refresh_data()
        await wait_for(
            pilot, lambda: len(fake.calls) >= 2 and fake.calls[-1]["metrics_bucket"] == "site"
        )
        # "site" has no card data in the fixed view: no data says so, never 0.
        await pilot.pause()
        assert card_text(app, "total_files") == "no data yet"
        assert not card(app, "total_files").query_one(Sparkline).display


async def test_no_token_says_what_it_would_add(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_dashboard(monkeypatch)
    app = make_app(filled, token=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert fake.calls[0]["analytics"] is False  # no api_token in the config
        for metric in ("uploads_today", "downloads_today", "error_rate_pct"):
            assert card_text(app, metric) == "needs API token"
            assert card(app, metric).has_class("-locked")
            # A locked card never warns, whatever its (absent) value.
            assert not card(app, metric).has_class("-warning")
        assert card_text(app, "total_files").startswith("4,342")
        assert card_text(app, "avg_response_ms").startswith("180 ms")
        note = app.query_one("#metrics-token")
        assert note.display
        text = str(note.render())
        for words in (
            "Uploads and downloads today",
            "error rate",
            "request counts",
            "failed access",
            "My Profile → API Tokens → Create Token",
            "Account · Account Analytics · Read",
            "CLOUDFLARE_API_TOKEN",
            "api_token_env",
            "S3 keys alone give inventory totals",
        ):
            assert words in text, words
        assert "5 cards need an API token" in str(app.query_one("#metrics-scope").render())


async def test_no_metrics_part_waits_instead_of_zeros(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dashboard(monkeypatch, metrics=False)
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await pilot.pause()
        assert app.query_one("#metrics-waiting").display
        assert "waiting for the first read" in str(app.query_one("#metrics-waiting").render())
        assert not app.query_one("#metrics-cards").display
        assert not app.query_one("#metrics-token").display
        # The filter still offers the buckets the inventory knows.
        assert app.query_one("#metrics", MetricsPane).buckets == BUCKETS


# ---- the history screen -----------------------------------------------------------------
async def open_history(
    pilot,
    app: R2App,
    loader: FakeLoader,  # type: ignore[no-untyped-def]
    **kwargs: object,
) -> HistoryScreen:
    screen = HistoryScreen(loader, list(CATALOG), BUCKETS, **kwargs)  # type: ignore[arg-type]
    app.push_screen(screen)
    await wait_for(pilot, lambda: screen.is_mounted and not screen.loading)
    return screen


async def test_history_keys_reload_with_new_arguments(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dashboard(monkeypatch)
    app = make_app(filled)
    loader = FakeLoader()
    names = list(CATALOG)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        screen = await open_history(pilot, app, loader)
        assert loader.calls == [("total_bytes", ACCOUNT, "24h")]
        title = str(screen.query_one("#history-title").render())
        assert "Storage used (bytes)" in title and "All buckets" in title
        assert str(screen.query_one("#history-help").render()) == CATALOG["total_bytes"].help
        meta = str(screen.query_one("#history-meta").render())
        assert "resolution hourly" in meta and "24 points" in meta
        assert "2026-03-14 15:00" in meta  # local time (TZ=UTC in tests)
        assert screen.query_one(PlotextPlot).display
        assert not screen.query_one("#history-empty").display

        async def pressed(key: str) -> tuple[str, str, str]:
            await pilot.press(key)
            await wait_for(pilot, lambda: not screen.loading)
            return loader.calls[-1]

        nxt = names[(names.index("total_bytes") + 1) % len(names)]
        assert await pressed("m") == (nxt, ACCOUNT, "24h")
        assert await pressed("M") == ("total_bytes", ACCOUNT, "24h")
        assert await pressed("r") == ("total_bytes", ACCOUNT, "7d")
        assert await pressed("R") == ("total_bytes", ACCOUNT, "24h")
        assert await pressed("b") == ("total_bytes", "backups", "24h")
        assert "bucket backups" in str(screen.query_one("#history-title").render())
        assert await pressed("B") == ("total_bytes", ACCOUNT, "24h")
        assert await pressed("B") == ("total_bytes", "site", "24h")
        # The screen's keys are in the palette while it is open.
        await pilot.press("ctrl+p")
        await pilot.press(*"Range")
        await settle(pilot)  # the palette's search runs on a worker
        await pilot.press("enter")
        await wait_for(pilot, lambda: loader.calls[-1] == ("total_bytes", "site", "7d"))
        await wait_for(pilot, lambda: app.screen is screen and not screen.loading)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen))


async def test_history_empty_series_and_failures(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dashboard(monkeypatch)
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        screen = await open_history(pilot, app, FakeLoader(), range_="1h")
        empty = screen.query_one("#history-empty")
        assert empty.display and not screen.query_one(PlotextPlot).display
        assert str(empty.render()).startswith("no data for this range yet")
        assert "0 points" in str(screen.query_one("#history-meta").render())
        await pilot.press("escape")

        def broken(metric: str, bucket: str, range_: str) -> Series:
            raise OSError("database is locked")

        screen = await open_history(pilot, app, broken)  # type: ignore[arg-type]
        meta = str(screen.query_one("#history-meta").render())
        assert "could not read the history: OSError: database is locked" in meta
        assert app.is_running


async def test_h_charts_the_focused_card_for_the_chosen_bucket(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dashboard(monkeypatch)
    app = make_app(filled, token=True)
    loader = FakeLoader()
    # The app's own loader reads r2tui.store.history; here the screen's keys and
    # arguments are under test, so a fixed loader stands in.
    monkeypatch.setattr(app.main, "load_history", loader)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        # The first card has focus at start: h charts it.
        assert app.focused is card(app, "total_files")
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_for(pilot, lambda: bool(loader.calls))
        assert loader.calls[-1] == ("total_files", ACCOUNT, "24h")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen))
        await pilot.press("3", "h")  # no card focused: storage used
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_for(pilot, lambda: len(loader.calls) == 2)
        assert loader.calls[-1] == ("total_bytes", ACCOUNT, "24h")
        # No per-prefix metric to step to: no bucket of the chooser has its series.
        shown = app.screen.metrics  # type: ignore[attr-defined]
        assert "total_bytes" in shown and not {m for m in shown if CATALOG[m].per_prefix}
        await pilot.press("h")  # h again closes
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen))
        await pilot.press("1", "b")
        card(app, "error_rate_pct").focus()
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_for(pilot, lambda: len(loader.calls) == 3)
        assert loader.calls[-1] == ("error_rate_pct", "backups", "24h")
        assert "Error rate (%)" in str(app.screen.query_one("#history-title").render())
        await pilot.press("escape")


async def test_history_with_the_store_loader(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's own loader: r2tui.store.history over the filled store."""
    fake_dashboard(monkeypatch)
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("3", "h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        await wait_for(pilot, lambda: not screen.loading)
        assert screen.error is None and screen.series is not None
        assert screen.series.metric == "total_bytes"
        await pilot.press("b")  # backups: its listing is a total_bytes sample
        await wait_for(pilot, lambda: not screen.loading)
        assert screen.series is not None and screen.series.bucket == "backups"
        assert screen.series.points and screen.series.points[-1][1] == 421 * GB
        assert screen.query_one(PlotextPlot).display


async def test_keys_in_help_and_palette(filled: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dashboard(monkeypatch)
    app = make_app(filled)
    loader = FakeLoader()
    monkeypatch.setattr(app.main, "load_history", loader)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = {r[3]: r[0] for r in app.screen.rows}
        assert ids["app.history"] == "h"
        assert ids["metrics.next_bucket"] == "b" and ids["metrics.prev_bucket"] == "B"
        for binding_id in (
            "history.next_metric",
            "history.prev_metric",
            "history.next_range",
            "history.prev_range",
            "history.next_bucket",
            "history.prev_bucket",
            "history.close",
        ):
            assert binding_id in ids
        assert len(ids) == len(app.screen.rows)  # each id once
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Bucket")
        await settle(pilot)  # the palette's search runs on a worker
        await pilot.press("enter")  # the Metrics pane's filter, from the palette
        await wait_for(pilot, lambda: app.metrics_bucket == "backups")
        await pilot.press("ctrl+p")
        await pilot.press(*"History")
        await settle(pilot)  # the palette's search runs on a worker
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_for(pilot, lambda: bool(loader.calls))
        assert loader.calls[-1] == ("total_files", "backups", "24h")  # the focused card


def test_series_fixture_is_deterministic() -> None:
    assert series("total_bytes", ACCOUNT, "24h") == series("total_bytes", ACCOUNT, "24h")
    assert next(c for c in metrics_view().cards if c.metric == "error_rate_pct").warning
