"""The main screen: the header over five panes, and what the keys bound for the
panes do (zoom, focus, history, rules, alert history, reports).

Its layout follows the terminal: below `NARROW` columns or `SHORT` lines the
panes become tabs, one pane at a time over the whole screen (keys 1–5, the tab
strip, or tab and the arrows on it choose); from `TALL` lines the top row takes
half the height; between, the rows keep the Metrics pane's cards and probes in
sight with compact cards.

The keys themselves are bound on the app (`tui/bindings.py`): every screen's
footer shows them and the keymap names them `app.…`; the app hands each to
this screen while it is the one on top."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import DescendantBlur, DescendantFocus, Resize
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import DataTable, Tab, Tabs

from r2tui.config.model import Schedule
from r2tui.metrics import CATALOG
from r2tui.store import history
from r2tui.store.views import Dashboard, Series
from r2tui.tui import messages as msg
from r2tui.tui.alert_ops import AlertOps, Host
from r2tui.tui.bindings import PANES
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
from r2tui.tui.screens.folders import BucketSize, FoldersScreen, StoreFolders
from r2tui.tui.screens.history import HistoryScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.screens.rules import RulesScreen
from r2tui.tui.screens.styled import StyledOnce, breakpoint_classes
from r2tui.tui.widgets.card import Card
from r2tui.tui.widgets.footer import KeyFooter
from r2tui.tui.widgets.header import HeaderState, StatusHeader

# Below this many columns (the Metrics pane's cards would cut their titles) or
# lines (the Storage pane would show no rows), one pane at a time, as tabs.
NARROW = 110
SHORT = 28
# From this many lines the top row takes half the height, not 15 lines.
TALL = 40


def tab_label(name: str, firing: int = 0) -> Text:
    """A pane's tab: its focus key and title; the Alerts tab counts what fires,
    which the hidden pane would otherwise keep out of sight."""
    label = Text(f"{PANES.index(name) + 1} {name.title()}")
    if firing:
        label.append(f" ● {firing}", "bold red")
    return label


class MainScreen(StyledOnce[None]):
    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host  # the app: its config, store, account and clock, read at each use
        self.current = PANES[0]  # the pane shown when the panes are tabs
        self.firing = 0
        # The panes and the header, kept: each store read shows them, and a query
        # walks every widget of the screen (it cost a third of a busy app's time).
        self.header = StatusHeader(id="header")
        self.metrics = MetricsPane(id="metrics")
        self.cost = CostPane(id="cost")
        self.alerts = AlertsPane(id="alerts")
        self.storage = StoragePane(id="storage")
        self.activity = ActivityPane(id="activity")
        # The tab strip, made and mounted the first time the panes are tabs: most
        # terminals never need it, and its widgets cost every start.
        self.tabs: Tabs | None = None
        self.top_row = Horizontal(id="top-row", classes="pane-row")
        self.bottom_row = Horizontal(id="bottom-row", classes="pane-row")
        self.rows: tuple[tuple[Horizontal, tuple[Pane[Any], ...]], ...] = (
            (self.top_row, (self.metrics, self.cost, self.alerts)),
            (self.bottom_row, (self.storage, self.activity)),
        )

    def compose(self) -> ComposeResult:
        # The layout for the terminal's size from the start: a class changed on the
        # first resize restyles every widget below it (a third of the start-up).
        self.fit(self.app.size)
        yield self.header
        if self.tabs is not None:
            yield self.tabs
        with self.top_row:
            yield self.metrics
            yield self.cost
            yield self.alerts
        with self.bottom_row:
            yield self.storage
            yield self.activity
        yield KeyFooter(compact=True)  # every key of the main screen fits in 120 columns

    # ---- layout -------------------------------------------------------------------------
    @property
    def tabbed(self) -> bool:
        return self.has_class("-tabbed")

    def on_resize(self, event: Resize) -> None:
        self.fit(event.size)

    def fit(self, size: Size) -> None:
        """The layout for a terminal of `size`: one restyle at most, and none when
        nothing changes (the first resize, after compose chose for the same size)."""
        tabbed = size.width < NARROW or size.height < SHORT
        classes = {"-tabbed": tabbed, "-tall": not tabbed and size.height >= TALL}
        # The app's own breakpoint classes (Screen._on_resize sets them), chosen
        # here with ours so that they cost no second restyle.
        classes.update(breakpoint_classes(self, size))
        if tabbed and self.tabs is None:
            self.tabs = Tabs(
                *(Tab(tab_label(name, self._firing(name)), id=f"tab-{name}") for name in PANES),
                active=f"tab-{self.current}",
                id="pane-tabs",
            )
            if self.header.is_attached:  # a resize made the panes tabs: compose is past
                self.mount(self.tabs, after=self.header)
        if self.tabs is not None:
            self.tabs.can_focus = tabbed
        self.update_classes(classes)
        self._show_current()

    def _firing(self, name: str) -> int:
        return self.firing if name == "alerts" else 0

    def _show_current(self) -> None:
        for row, panes in self.rows:
            for pane in panes:
                _own_class(pane, pane.id == self.current, "-current")
            _own_class(row, any(p.id == self.current for p in panes), "-current")
        tab = f"tab-{self.current}"
        # Before the strip has mounted its tabs there is none to choose (it is
        # made with the current one active).
        if self.tabs is not None and self.tabs.active != tab and self.tabs.query(f"#{tab}"):
            self.tabs.active = tab

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_chosen(self, event: Tabs.TabActivated) -> None:
        event.stop()
        name = (event.tab.id or "").removeprefix("tab-")
        if name in PANES and name != self.current:
            self.current = name
            self._show_current()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """The focus went into a pane (tab, a palette command): it is the current one."""
        self._mark_focused()
        pane = next((a for a in event.widget.ancestors_with_self if isinstance(a, Pane)), None)
        if pane is not None and pane.id in PANES and pane.id != self.current:
            self.current = pane.id
            self._show_current()

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        self._mark_focused()

    def _mark_focused(self) -> None:
        """The pane that has the focus somewhere in it is marked `-has-focus` (its
        border shows it). Not Textual's :focus-within, which restyles every widget
        of the pane the focus leaves and of the one it enters."""
        inside = set(self.focused.ancestors_with_self) if self.focused is not None else set()
        for _, panes in self.rows:
            for pane in panes:
                _own_class(pane, pane in inside, "-has-focus")

    @on(Card.Chosen)
    def _chart_card(self, event: Card.Chosen) -> None:
        event.stop()
        self.open_history(event.metric)

    @on(msg.ShowFolders)
    def _show_folders(self, event: msg.ShowFolders) -> None:
        event.stop()
        host = self.host
        self.app.push_screen(
            FoldersScreen(
                StoreFolders(host.store, host.account_name),
                [BucketSize(*b) for b in event.buckets],
                event.bucket,
                clock=host.clock,
            )
        )

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
        """Each pane its own view of the dashboard. (A read that ends while the
        app closes finds its panes detached, and shows nothing.)"""
        if self.metrics.is_attached:
            self.metrics.show(MetricsPaneView.of(dash), now)
        if self.cost.is_attached:
            self.cost.show(CostPaneView.of(dash, schedules, self.host.config), now)
        if self.alerts.is_attached:
            self.alerts.show(AlertsPaneView.of(dash, keymap), now)
        firing = len(dash.alerts.firing) if dash.alerts else 0
        if firing != self.firing:
            self.firing = firing
            for tab in self.query("#tab-alerts").results(Tab):
                tab.label = tab_label("alerts", firing)
        if self.storage.is_attached:
            self.storage.show(StoragePaneView.of(dash), now)
        if self.activity.is_attached:
            self.activity.show(ActivityPaneView.of(dash, keymap), now)

    def show_header(self, state: HeaderState) -> None:
        # Timers and late messages can arrive while the app is closing: no header then.
        if self.header.is_attached:
            self.header.show(state)

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
        if name != self.current:
            self.current = name
            self._show_current()
        # The Metrics pane's first card (enter charts it), else a visible table (not
        # the tab strip above it), then anything focusable.
        card = pane.first_card() if isinstance(pane, MetricsPane) else None
        focusable = _focusable(pane)
        target = card or next(
            (w for w in focusable if isinstance(w, DataTable)), focusable[0] if focusable else None
        )
        if target is not None:
            target.focus()

    def open_history(
        self, metric: str | None = None, range_: str | None = None, bucket: str | None = None
    ) -> None:
        """Chart a metric (else the focused card's, else storage used) for a bucket
        (else the Metrics pane's) over a range (else 24 hours)."""
        pane = self.query_one("#metrics", MetricsPane)
        view = pane.view
        self.app.push_screen(
            HistoryScreen(
                self.load_history,
                # Not the per-prefix metrics: no bucket of the chooser has their series.
                [m for m, x in CATALOG.items() if not x.per_prefix],
                pane.buckets,
                metric=metric or pane.focused_metric() or "total_bytes",
                bucket=bucket or pane.bucket,
                range_=range_ or "24h",
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


def _own_class(widget: Widget, add: bool, name: str) -> None:
    """Set or clear a class only the widget's own style reads (no rule selects a
    widget inside it by that class: app.tcss says so where it uses one), and
    restyle the widget alone. Textual's set_class restyles every widget inside
    too: a pane's, or a row of panes', at each move of the focus between panes,
    a third of what a key 1–5 cost. Before mounting (compose) nothing needs a
    restyle: mounting styles it."""
    if widget.has_class(name) == add:
        return
    widget.set_class(add, name, update=False)
    if widget.is_attached:
        widget.app.stylesheet.apply(widget)


def _focusable(pane: Widget) -> list[Widget]:
    """What in a pane can take the focus, in order: shown, enabled, and not inside
    anything hidden (an empty Alerts pane's table is). The pane itself may be
    hidden still: it is shown by the time the focus lands."""
    found = []
    for widget in pane.query("*"):
        if not widget.focusable:
            continue
        between = widget.ancestors_with_self[: widget.ancestors_with_self.index(pane)]
        if all(w.display for w in between):
            found.append(widget)
    return found
