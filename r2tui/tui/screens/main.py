"""The main screen: the header over five panes, and what the keys bound for the
panes do (zoom, focus, history, rules, alert history, reports).

The keys themselves are bound on the app (`tui/bindings.py`): every screen's
footer shows them and the keymap names them `app.…`; the app hands each to
this screen while it is the one on top."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from r2tui.config.model import Schedule
from r2tui.metrics import CATALOG
from r2tui.store import history
from r2tui.store.views import Dashboard, Series
from r2tui.tui import messages as msg
from r2tui.tui.alert_ops import AlertOps, Host
from r2tui.tui.panes.activity import ActivityPane
from r2tui.tui.panes.alerts import AlertsPane
from r2tui.tui.panes.base import Pane
from r2tui.tui.panes.cost import CostPane
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.panes.storage import StoragePane
from r2tui.tui.panes.views import (
    ActivityPaneView,
    AlertsPaneView,
    CostPaneView,
    MetricsPaneView,
    StoragePaneView,
)
from r2tui.tui.screens.alert_history import AlertHistoryScreen
from r2tui.tui.screens.history import HistoryScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.screens.rules import RulesScreen
from r2tui.tui.widgets.header import HeaderState, StatusHeader


class MainScreen(Screen[None]):
    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host  # the app: its config, store, account and clock, read at each use

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with Horizontal(id="top-row"):
            yield MetricsPane(id="metrics")
            yield CostPane(id="cost")
            yield AlertsPane(id="alerts")
        with Horizontal(id="bottom-row"):
            yield StoragePane(id="storage")
            yield ActivityPane(id="activity")
        yield Footer(compact=True)  # every key of the main screen fits in 120 columns

    @on(msg.ShowDetail)
    def _show_detail(self, event: msg.ShowDetail) -> None:
        event.stop()
        self.app.push_screen(MessageScreen(event.title, event.message, error=event.error))

    # ---- showing ------------------------------------------------------------------------
    def show(
        self,
        dash: Dashboard,
        now: float,
        keymap: dict[str, str],
        schedules: dict[str, Schedule],
    ) -> None:
        """Each pane its own view of the dashboard. (Queries, not query_one: a read
        that ends while the app closes finds no panes, and shows nothing.)"""
        for metrics in self.query(MetricsPane):
            metrics.show(MetricsPaneView.of(dash), now)
        for cost in self.query(CostPane):
            cost.show(CostPaneView.of(dash, schedules), now)
        for alerts in self.query(AlertsPane):
            alerts.show(AlertsPaneView.of(dash, keymap), now)
        for storage in self.query(StoragePane):
            storage.show(StoragePaneView.of(dash), now)
        for activity in self.query(ActivityPane):
            activity.show(ActivityPaneView.of(dash, keymap), now)

    def show_header(self, state: HeaderState) -> None:
        # Timers and late messages can arrive while the app is closing: no header then.
        for header in self.query(StatusHeader):
            header.show(state)

    # ---- keys ---------------------------------------------------------------------------
    def zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        pane = (
            next((a for a in focused.ancestors_with_self if isinstance(a, Pane)), None)
            if focused
            else None
        )
        if pane is None:
            self.notify("focus a pane first (1–5 or tab)", severity="warning")
            return
        self.maximize(pane, container=False)

    def focus_pane(self, name: str) -> None:
        pane = self.query_one(f"#{name}", Pane)
        # A visible table first (not the tab strip above it), then anything focusable;
        # the focus chain leaves out what is hidden (an empty Alerts pane's table).
        focusable = [w for w in self.focus_chain if pane in w.ancestors]
        target = next(
            (w for w in focusable if isinstance(w, DataTable)), focusable[0] if focusable else None
        )
        if target is not None:
            target.focus()

    def open_history(self) -> None:
        """Chart the focused card's metric (else storage used) for the Metrics pane's
        bucket."""
        pane = self.query_one("#metrics", MetricsPane)
        view = pane.view
        self.app.push_screen(
            HistoryScreen(
                self.load_history,
                list(CATALOG),
                pane.buckets,
                metric=pane.focused_metric() or "total_bytes",
                bucket=pane.bucket,
                titles={c.metric: c.title for c in view.cards} if view else None,
            )
        )

    def load_history(self, metric: str, bucket: str, range_: str) -> Series:
        """The history screen's loader; runs on its worker thread."""
        host = self.host
        try:
            return history.series(
                host.store,
                host.account_name,
                metric,
                bucket,
                range_,
                now=host.clock(),
                retention=host.config.retention,
                tz=host.config.timezone,
            )
        finally:
            host.store.thread_done()  # this worker thread ends; give its connection back

    def open_rules(self) -> None:
        self.app.push_screen(RulesScreen(AlertOps(self.host), self.host.account_name))

    def open_alert_history(self) -> None:
        self.app.push_screen(AlertHistoryScreen(AlertOps(self.host), self.host.account_name))

    def open_reports(self) -> None:
        # Deferred for start-up time: the reports' screen and model load on first use.
        from r2tui.tui.screens.reports import ReportsScreen, StoreReports

        account = self.host.account_name
        self.app.push_screen(ReportsScreen(StoreReports(account, self.host.store), account))
