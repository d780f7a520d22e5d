"""The r2tui application: five panes over the store, the collector embedded."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from r2tui import dashboard, pace
from r2tui.config import AccountConfig, Config
from r2tui.config.secrets import shown_host
from r2tui.literal import visible
from r2tui.metrics import ACCOUNT
from r2tui.store import Store, health
from r2tui.store.health import ANALYTICS
from r2tui.store.views import Dashboard
from r2tui.tui import messages as msg
from r2tui.tui.actions import KeyActions
from r2tui.tui.bindings import APP_BINDINGS
from r2tui.tui.format import duration
from r2tui.tui.keymap import check_keymap
from r2tui.tui.lifecycle import CollectorHost, freeze_long_lived, reason
from r2tui.tui.panes.activity import ActivityPane
from r2tui.tui.panes.alerts import AlertsPane
from r2tui.tui.panes.base import Pane
from r2tui.tui.panes.cost import CostPane
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.panes.storage import StoragePane
from r2tui.tui.resources import style
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.widgets.card import clock_time
from r2tui.tui.widgets.header import HeaderState, StatusHeader, waiting_text

if TYPE_CHECKING:
    from r2tui.scheduler import Collector

log = logging.getLogger(__name__)
# A request in flight longer than this shows in the header, by host: a healthy
# endpoint answers well within it, a hung one is named at once.


class R2App(CollectorHost, KeyActions, App[int]):
    CSS_PATH = [style("app.tcss")]
    TITLE = "r2tui"
    BINDINGS = APP_BINDINGS

    def __init__(
        self,
        config: Config,
        store: Store,
        account: str | None = None,
        clock: Callable[[], float] = time.time,
        collect: bool = True,
    ) -> None:
        super().__init__()
        self.config = config
        self.store = store
        self.clock = clock
        self.collect = collect
        self.account_name = "demo" if config.demo else config.account(account).name
        self.refresh_seconds = config.refresh_seconds
        self.collector: Collector | None = None
        self.demo: Any = None
        self.dashboard: Dashboard | None = None
        self.local_state = "starting" if (config.demo and collect) else "idle"
        self.local_running: set[str] = set()
        self.failures: dict[str, str] = {}
        self.store_failure: str | None = None
        self.first_paint_at: float | None = None
        self._refresh_timer: Timer | None = None
        self._reads = itertools.count(1)
        self.metrics_bucket = ACCOUNT  # the Metrics pane's bucket filter, for the next read
        self._applied_read = 0

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

    def on_mount(self) -> None:
        pace.UI.attach(asyncio.get_running_loop())  # jobs here give way when it runs late
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self._show_header()
        self._refresh_timer = self.set_interval(self.refresh_seconds, self.refresh_data)
        self.set_interval(1.0, self._show_header)
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.first_paint_at = time.perf_counter()
        freeze_long_lived()
        self.refresh_data()
        if self.collect:
            self.start_collecting()

    # ---- reading the store --------------------------------------------------------------
    def refresh_data(self) -> None:
        """Re-read the store on a worker; each read is numbered so that a slow one
        finishing late never overwrites a newer one."""
        account = self._account_config()
        self._read_store(
            next(self._reads),
            account.quota_bytes if account else None,
            account is not None and account.has_analytics,
            self.metrics_bucket,
        )

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _read_store(self, seq: int, quota: int | None, analytics: bool, bucket: str) -> None:
        t0 = time.perf_counter()
        try:
            dash = dashboard.read(
                self.store,
                self.account_name,
                quota,
                now=self.clock(),
                analytics=analytics,
                metrics_bucket=bucket,
                tz=self.config.timezone,
                prices=self.config.pricing,
                alert_windows=self.config.alerts.maintenance,
            )
        except Exception as exc:  # a locked or unreachable store: say so and keep going
            self.post_message(msg.StoreFailed(reason(exc)))
            return
        finally:
            self.store.thread_done()  # this worker thread ends; give its connection back
        self.post_message(msg.SnapshotReady(dash, (time.perf_counter() - t0) * 1000, seq))

    def _account_config(self) -> AccountConfig | None:
        if not self.config.accounts:
            return None  # the demo account is still starting
        return self.config.account(None if self.config.demo else self.account_name)

    @on(msg.SnapshotReady)
    def _apply(self, event: msg.SnapshotReady) -> None:
        # A read that ends while the app closes: its panes' widgets may be gone already.
        if event.seq < self._applied_read or not self.is_running:
            return
        first = self.dashboard is None
        self._applied_read = event.seq
        self.dashboard = event.dashboard
        self.store_failure = None
        now = self.clock()
        for pane in self.query(Pane):
            pane.show(event.dashboard, now)
        # A screen over the panes that shows live state (the Rules screen) reads again too.
        for screen in self.screen_stack:
            follow = getattr(screen, "store_changed", None)
            if callable(follow):
                follow()
        self._show_header()
        if first:  # the panes' render caches, made by this first paint, live on
            self.call_after_refresh(freeze_long_lived)

    @on(MetricsPane.BucketChosen)
    def _metrics_bucket(self, event: MetricsPane.BucketChosen) -> None:
        self.metrics_bucket = event.bucket
        self.refresh_data()  # at once, not at the next tick

    @on(msg.StoreFailed)
    def _store_failed(self, event: msg.StoreFailed) -> None:
        self.store_failure = f"store: {event.reason}"
        self._show_header()

    # ---- the header ---------------------------------------------------------------------
    def header_state(self) -> HeaderState:
        now = self.clock()
        dash = self.dashboard
        stored = dash.collector if dash else None
        running = sorted(self.local_running) or (
            stored.detail.split(", ") if stored and stored.state == "running" else []
        )
        # The shown account's sources first: "token refused", not a job's last words.
        sources = self._source_failures(now)
        failure = self.store_failure or sources or next(iter(self.failures.values()), None)
        if self.local_state in ("starting", "stopping"):
            state = self.local_state
            detail = "demo account" if state == "starting" else "waiting for jobs to end"
        elif self.collector is not None and self.collector.paused:
            state, detail = "paused", "p resumes"
        elif running:
            state, detail = "running", ", ".join(running)
            waiting = self._waiting()
            if waiting:
                detail = f"{waiting} ({detail})"
        elif failure:
            state, detail = "failing", failure
        elif stored is not None:
            state, detail = stored.state, stored.detail
        else:
            state, detail = "idle", ""
        account = self._account_config()
        # Host, port and path: never a password or a token the URL holds.
        endpoint = account.endpoint_url.shown.split("://", 1)[-1] if account else ""
        return HeaderState(
            account=self.account_name,
            endpoint=endpoint,
            demo=self.config.demo,
            state=state,
            detail=detail,
            data_at=dash.data_at if dash else None,
            now=now,
            refresh_seconds=self.refresh_seconds,
            next_run=self._next_run(),
        )

    def _source_failures(self, now: float) -> str:
        """The shown account's failing sources, as the store has them."""
        if self.dashboard is None:
            return ""
        view = health.of(self.dashboard)
        analytics = self.dashboard.metrics is None or self.dashboard.metrics.analytics
        lines, said = [], set()
        for h in view.failed:
            if (h.source == ANALYTICS and not analytics) or (h.short, h.reason) in said:
                continue
            said.add((h.short, h.reason))
            # "token refused" alone would not say whose token.
            name = "analytics " if h.source == ANALYTICS and "analytics" not in h.short else ""
            lines.append(
                f"{name}{h.short} since {clock_time(h.since, now)}"
                + (f" ({h.needs})" if h.needs else "")
                + (f": {h.reason}" if h.reason else "")
            )
        return "; ".join(lines)

    def _waiting(self) -> str:
        """ "waiting 12 s for HOST" while a request of the shown account has been in
        flight a while; from memory (the jobs' Waits), never a store read."""
        if self.collector is None:
            return ""
        waits = self.collector.ctx.waits
        account = self._account_config()
        if account is None:
            return ""
        hosts = {shown_host(account.endpoint_url), shown_host(account.graphql_url)}
        return waiting_text(waits.open(), hosts, waits.now())

    def _next_run(self) -> str:
        sched = self.collector.scheduler if self.collector else None
        if sched is None or not sched.running:
            return ""
        jobs = [(j.next_run_time.timestamp(), j.id) for j in sched.get_jobs() if j.next_run_time]
        if not jobs:
            return ""
        at, name = min(jobs)
        return f"{name} in {duration(at - time.time())}"

    def _show_header(self) -> None:
        # Timers and late messages can arrive while the app is closing.
        for header in self.query(StatusHeader):
            header.show(self.header_state())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            log.error("background task %s failed", event.worker.name, exc_info=event.worker.error)
            self.push_screen(
                MessageScreen(
                    f"{event.worker.name} failed", visible(reason(event.worker.error)), error=True
                )
            )

    def action_reports(self) -> None:
        from r2tui.tui.screens.reports import ReportsScreen, StoreReports

        if self.screen is self.default_screen:  # not over help, history or a message
            self.push_screen(
                ReportsScreen(StoreReports(self.account_name, self.store), self.account_name)
            )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from self.palette_commands(screen)


def build_app(
    config: Config,
    store: Store,
    account: str | None = None,
    clock: Callable[[], float] = time.time,
    collect: bool = True,
) -> R2App:
    """The one way to make the app: the CLI and the tests both call this."""
    check_keymap(config.keymap, config.path)
    return R2App(config, store, account=account, clock=clock, collect=collect)
