"""What the app's keys do, beyond starting and stopping the collector."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable

from r2tui.metrics import CATALOG
from r2tui.tui.keymap import MODALS, all_bindings, screen_classes
from r2tui.tui.panes.base import Pane
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.screens.help import HelpScreen
from r2tui.tui.screens.history import HistoryScreen

if TYPE_CHECKING:
    from r2tui.config import Config
    from r2tui.scheduler import Collector
    from r2tui.store import Store
    from r2tui.store.views import Dashboard, Series

REFRESH_STEPS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
COLLECT_NOW = ("collect_metrics", "inventory")
MAIN_SCREEN_ONLY = ("zoom", "history", "reports", "rules", "alert_history", "focus_pane")


class KeyActions:
    """Mixed into the app: help, collect now, pause, refresh pace, zoom, focus, history."""

    account_name: str
    config: Config
    store: Store
    clock: Callable[[], float]
    collector: Collector | None
    dashboard: Dashboard | None
    refresh_seconds: float
    _refresh_timer: Timer | None

    if TYPE_CHECKING:  # provided by the app; declared here for the type checker only
        screen: Screen
        focused: Widget | None
        _keymap: dict[str, str]

        def _show_header(self) -> None: ...
        def refresh_data(self) -> None: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        def push_screen(self, screen: Screen) -> Any: ...
        def get_key_display(self, binding: Binding) -> str: ...
        def set_interval(self, interval: float, callback: Any) -> Timer: ...
        def query_one(self, selector: str, expect_type: Any = None) -> Any: ...
        def run_action(self, action: str, default_namespace: Any = None) -> Any: ...
        @property
        def default_screen(self) -> Screen: ...

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that only act on the panes are off (and out of the footer) over
        another screen, except the key that closes the screen it opened."""
        if action in MAIN_SCREEN_ONLY and self.screen is not self.default_screen:
            from r2tui.tui.screens.alert_history import AlertHistoryScreen

            closes = {"history": HistoryScreen, "alert_history": AlertHistoryScreen}.get(action)
            return closes is not None and isinstance(self.screen, closes)
        return True

    def action_help(self) -> None:
        rows = []
        for where, b in all_bindings():
            keys = self._keymap.get(b.id or "", b.key)
            shown = ", ".join(self.get_key_display(Binding(k.strip(), "")) for k in keys.split(","))
            desc = b.description + (f": {b.tooltip}" if b.tooltip else "")
            rows.append((shown, desc, where, b.id or ""))
        rows.append(("ctrl+p", "Command palette: every action by name", "everywhere", "-"))
        self.push_screen(HelpScreen(rows))

    def action_refresh_now(self) -> None:
        if self.collector is None:
            self.notify("the collector is still starting", severity="warning")
            return
        busy = [j for j in COLLECT_NOW if j in self.collector.running_jobs]
        todo = [j for j in COLLECT_NOW if j not in busy]
        note = f" ({', '.join(busy)} already running)" if busy else ""
        pages = (
            sum(b.list_requests for b in self.dashboard.storage.buckets) if (self.dashboard) else 0
        )
        cost = (
            f"; the listing is about {pages:,} Class A requests"
            if (pages and "inventory" in todo)
            else ""
        )
        self.notify(f"collecting now: {', '.join(todo) or 'nothing new'}{note}{cost}")
        for job in todo:
            self.collector.launch(job, chain=True)  # then the costs, from what it brought

    def action_toggle_pause(self) -> None:
        if self.collector is None:
            self.notify("the collector is still starting", severity="warning")
            return
        if self.collector.paused:
            self.collector.resume()
            self.notify("collection resumed")
        else:
            self.collector.pause()
            self.notify("collection paused: p resumes")
        self._show_header()

    def action_faster(self) -> None:
        self._set_refresh(
            max((s for s in REFRESH_STEPS if s < self.refresh_seconds), default=REFRESH_STEPS[0])
        )

    def action_slower(self) -> None:
        self._set_refresh(
            min((s for s in REFRESH_STEPS if s > self.refresh_seconds), default=REFRESH_STEPS[-1])
        )

    def _set_refresh(self, seconds: float) -> None:
        self.refresh_seconds = seconds
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
        self._refresh_timer = self.set_interval(seconds, self.refresh_data)
        self._show_header()

    def action_zoom(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
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
        self.screen.maximize(pane, container=False)

    def action_focus_pane(self, name: str) -> None:
        pane = self.query_one(f"#{name}", Pane)
        # A visible table first (not the tab strip above it), then anything focusable;
        # the focus chain leaves out what is hidden (an empty Alerts pane's table).
        focusable = [w for w in self.screen.focus_chain if pane in w.ancestors]
        target = next(
            (w for w in focusable if isinstance(w, DataTable)), focusable[0] if focusable else None
        )
        if target is not None:
            target.focus()

    # ---- history ------------------------------------------------------------------------
    def action_history(self) -> None:
        """Chart the focused card's metric (else storage used) for the Metrics pane's
        bucket; `h` again closes the chart."""
        screen = self.screen
        if isinstance(screen, HistoryScreen):
            screen.dismiss(None)
            return
        if screen is not self.default_screen:
            return  # help or a message is open: leave it be
        pane = self.query_one("#metrics", MetricsPane)
        view = self.dashboard.metrics if self.dashboard else None
        self.push_screen(
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
        # Imported on first use: only the chart needs it, and the app paints first.
        from r2tui.store import history

        try:
            return history.series(
                self.store,
                self.account_name,
                metric,
                bucket,
                range_,
                now=self.clock(),
                retention=self.config.retention,
            )
        finally:
            self.store.thread_done()  # this worker thread ends; give its connection back

    # ---- alerts -------------------------------------------------------------------------
    def action_rules(self) -> None:
        from r2tui.tui.alert_ops import AlertOps
        from r2tui.tui.screens.rules import RulesScreen

        if self.screen is self.default_screen:  # not over help, history or a message
            self.push_screen(RulesScreen(AlertOps(self), self.account_name))  # type: ignore[arg-type]

    def action_alert_history(self) -> None:
        from r2tui.tui.alert_ops import AlertOps
        from r2tui.tui.screens.alert_history import AlertHistoryScreen

        screen = self.screen
        if isinstance(screen, AlertHistoryScreen):
            screen.dismiss(None)
        elif screen is self.default_screen:
            self.push_screen(AlertHistoryScreen(AlertOps(self), self.account_name))  # type: ignore[arg-type]

    # ---- the command palette ----------------------------------------------------------------
    def palette_commands(self, screen: Screen | None = None) -> Iterable[SystemCommand]:
        """Every binding by name. Pane and table actions act on the focused table
        when there is one, else on the storage pane's bucket table; a screen's
        keys are offered while it is open (a modal's never: the palette does not
        open over one)."""
        screens = screen_classes()
        for where, b in all_bindings():
            if b.id is None or b.action == "quit" or where in MODALS:
                continue
            if where in screens:
                if isinstance(screen, screens[where]):
                    yield SystemCommand(
                        b.description,
                        f"{b.tooltip or b.description} ({where})",
                        partial(self.run_action, b.action, screen),
                    )
                continue
            if b.id.startswith("app."):
                callback = partial(self.run_action, b.action)
            else:
                callback = partial(self._act_on, where, b.action)
            yield SystemCommand(b.description, f"{b.tooltip or b.description} ({where})", callback)

    async def _act_on(self, where: str, action: str) -> None:
        from r2tui.tui.panes.storage import StoragePane
        from r2tui.tui.widgets.table import FilterTable

        if where == "storage pane":
            target: Widget = self.query_one("#storage", StoragePane)
        elif where == "metrics pane":
            target = self.query_one("#metrics", MetricsPane)
        else:
            focused = self.focused
            owner = (
                next((a for a in focused.ancestors_with_self if isinstance(a, FilterTable)), None)
                if focused
                else None
            )
            target = owner or self.query_one("#table-buckets", FilterTable)
        await self.run_action(action, target)
