"""The r2tui application: five panes over the store, the collector embedded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer
from textual.worker import Worker, WorkerState

from r2tui.config import Config
from r2tui.store import Store, queries
from r2tui.tui import messages as msg
from r2tui.tui.format import duration
from r2tui.tui.keymap import all_bindings, check_keymap
from r2tui.tui.panes.activity import ActivityPane
from r2tui.tui.panes.base import Pane
from r2tui.tui.panes.placeholders import AlertsPane, CostPane, MetricsPane
from r2tui.tui.panes.storage import StoragePane
from r2tui.tui.resources import style
from r2tui.tui.screens.help import HelpScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.widgets.header import HeaderState, StatusHeader

if TYPE_CHECKING:
    from r2tui.jobs import JobResult
    from r2tui.scheduler import Collector

log = logging.getLogger(__name__)
REFRESH_STEPS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
PANES = ("metrics", "cost", "storage", "activity", "alerts")
COLLECT_NOW = ("collect_metrics", "inventory")


class R2App(App[int]):
    CSS_PATH = [style("app.tcss")]
    TITLE = "r2tui"
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help", tooltip="List every key"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Stop the collector and quit"),
        Binding("space", "refresh_now", "Refresh", id="app.refresh",
                tooltip="Collect now (probes and a full listing), then re-read the store"),
        Binding("p", "toggle_pause", "Pause", id="app.pause",
                tooltip="Pause or resume the scheduled collection"),
        Binding("plus", "faster", "Faster", id="app.faster",
                tooltip="Re-read the store more often"),
        Binding("minus", "slower", "Slower", id="app.slower",
                tooltip="Re-read the store less often"),
        Binding("z", "zoom", "Zoom", id="app.zoom",
                tooltip="Fill the screen with the focused pane (again to restore)"),
        *(Binding(str(i + 1), f"focus_pane('{name}')", name.title(), show=False,
                  id=f"app.focus_{name}", tooltip=f"Focus the {name.title()} pane")
          for i, name in enumerate(PANES)),
    ]

    def __init__(self, config: Config, store: Store, account: str | None = None,
                 clock: Callable[[], float] = time.time, collect: bool = True) -> None:
        super().__init__()
        self.config = config
        self.store = store
        self.clock = clock
        self.collect = collect
        self.account_name = "demo" if config.demo else config.account(account).name
        self.refresh_seconds = config.refresh_seconds
        self.collector: Collector | None = None
        self.demo: Any = None
        self.dashboard: queries.Dashboard | None = None
        self.local_state = "starting" if (config.demo and collect) else "idle"
        self.local_running: set[str] = set()
        self.local_failure: str | None = None
        self.store_failure: str | None = None
        self.first_paint_at: float | None = None
        self._refresh_timer: Timer | None = None

    # ---- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with Horizontal(id="top-row"):
            yield MetricsPane(id="metrics")
            yield CostPane(id="cost")
            yield AlertsPane(id="alerts")
        with Horizontal(id="bottom-row"):
            yield StoragePane(id="storage")
            yield ActivityPane(id="activity")
        yield Footer()

    def on_mount(self) -> None:
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self._show_header()
        self._refresh_timer = self.set_interval(self.refresh_seconds, self.refresh_data)
        self.set_interval(1.0, self._show_header)
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.first_paint_at = time.perf_counter()
        self.refresh_data()
        if not self.collect:
            return
        if self.config.demo:
            self._start_demo()
        else:
            self._start_collector(self.config)

    # ---- the collector ------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="demo", exit_on_error=False)
    def _start_demo(self) -> None:
        from r2tui.runtime import with_demo_account

        try:
            config, demo = with_demo_account(self.config)
        except Exception as exc:
            self.post_message(msg.DemoFailed(reason(exc)))
            return
        self.post_message(msg.DemoReady(config, demo))

    @on(msg.DemoReady)
    def _demo_ready(self, event: msg.DemoReady) -> None:
        self.demo = event.demo
        if self.local_state == "stopping":
            event.demo.stop()  # type: ignore[attr-defined]
            return
        self.config = event.config
        self._start_collector(event.config)
        self.refresh_data()  # the quota and endpoint are known only now

    @on(msg.DemoFailed)
    def _demo_failed(self, event: msg.DemoFailed) -> None:
        self.local_state = "idle"
        self.local_failure = f"demo account: {event.reason}"
        self._show_header()

    def _start_collector(self, config: Config) -> None:
        self._plan_collector(config)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _plan_collector(self, config: Config) -> None:
        """Build the collector off the loop: boto3 and APScheduler take about half a
        second to import, and the first run of each job depends on the store."""
        from r2tui.jobs import JobContext
        from r2tui.scheduler import Collector

        ctx = JobContext(config=config, store=self.store, clock=self.clock)
        collector = Collector(
            ctx,
            on_result=lambda r: self.post_message(msg.JobFinished(r)),
            on_start=lambda name: self.post_message(msg.JobStarted(name)),
        )
        self.post_message(msg.CollectorPlanned(collector, collector.plan()))

    @on(msg.CollectorPlanned)
    def _collector_planned(self, event: msg.CollectorPlanned) -> None:
        if self.local_state == "stopping":
            return
        self.collector = event.collector
        try:
            event.collector.start_embedded(event.plan)
        except Exception as exc:
            self.local_failure = f"scheduler: {reason(exc)}"
        self.local_state = "idle"
        self._show_header()

    @on(msg.JobStarted)
    def _job_started(self, event: msg.JobStarted) -> None:
        self.local_running.add(event.job)
        self._show_header()

    @on(msg.JobFinished)
    def _job_finished(self, event: msg.JobFinished) -> None:
        result: JobResult = event.result
        self.local_running.discard(result.job)
        self.local_failure = None if result.ok else f"{result.job}: {result.error}"
        self.refresh_data()

    # ---- reading the store --------------------------------------------------------------
    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def refresh_data(self) -> None:
        t0 = time.perf_counter()
        quota = self._quota()
        try:
            dash = queries.dashboard(self.account_name, quota, now=self.clock())
        except Exception as exc:  # a locked or unreachable store: say so and keep going
            self.post_message(msg.StoreFailed(reason(exc)))
            return
        finally:
            self.store.db.close()  # this worker thread ends; give its connection back
        self.post_message(msg.SnapshotReady(dash, (time.perf_counter() - t0) * 1000))

    def _quota(self) -> int | None:
        if self.config.accounts:
            return self.config.account(None if self.config.demo else self.account_name).quota_bytes
        return None

    @on(msg.SnapshotReady)
    def _apply(self, event: msg.SnapshotReady) -> None:
        self.dashboard = event.dashboard
        self.store_failure = None
        now = self.clock()
        for pane in self.query(Pane):
            pane.show(event.dashboard, now)
        self._show_header()

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
            stored.detail.split(", ") if stored and stored.state == "running" else [])
        if self.local_state in ("starting", "stopping"):
            state = self.local_state
            detail = "demo account" if state == "starting" else "waiting for jobs to end"
        elif self.collector is not None and self.collector.paused:
            state, detail = "paused", "p resumes"
        elif running:
            state, detail = "running", ", ".join(running)
        elif self.store_failure or self.local_failure:
            state, detail = "failing", self.store_failure or self.local_failure or ""
        elif stored is not None:
            state, detail = stored.state, stored.detail
        else:
            state, detail = "idle", ""
        endpoint = ""
        if self.config.accounts:
            endpoint = self.config.account(
                None if self.config.demo else self.account_name).endpoint_url
            endpoint = endpoint.split("://", 1)[-1]
        return HeaderState(
            account=self.account_name, endpoint=endpoint, demo=self.config.demo, state=state,
            detail=detail, data_at=stored.last_success_at if stored else None, now=now,
            refresh_seconds=self.refresh_seconds, next_run=self._next_run(now))

    def _next_run(self, now: float) -> str:
        sched = self.collector.scheduler if self.collector else None
        if sched is None or not sched.running:
            return ""
        jobs = [(j.next_run_time.timestamp(), j.id) for j in sched.get_jobs() if j.next_run_time]
        if not jobs:
            return ""
        at, name = min(jobs)
        return f"{name} in {duration(at - time.time())}"

    def _show_header(self) -> None:
        self.query_one(StatusHeader).show(self.header_state())

    # ---- actions ------------------------------------------------------------------------
    def action_help(self) -> None:
        rows = []
        for where, b in all_bindings():
            keys = self._keymap.get(b.id or "", b.key)  # type: ignore[attr-defined]
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
        self.notify("collecting now: " + ", ".join(j for j in COLLECT_NOW if j not in busy)
                    + (f" ({', '.join(busy)} already running)" if busy else ""))
        self._collect_now()

    @work(thread=True, group="collect", exit_on_error=False)
    def _collect_now(self) -> None:
        collector = self.collector
        if collector is None:
            return
        for job in COLLECT_NOW:
            if collector.ctx.stop.is_set():
                return
            collector.run(job)

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
        self._set_refresh(max((s for s in REFRESH_STEPS if s < self.refresh_seconds),
                              default=REFRESH_STEPS[0]))

    def action_slower(self) -> None:
        self._set_refresh(min((s for s in REFRESH_STEPS if s > self.refresh_seconds),
                              default=REFRESH_STEPS[-1]))

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
        pane = next((a for a in focused.ancestors_with_self if isinstance(a, Pane)),
                    None) if focused else None
        if pane is None:
            self.notify("focus a pane first (1–5 or tab)", severity="warning")
            return
        self.screen.maximize(pane, container=False)

    def action_focus_pane(self, name: str) -> None:
        pane = self.query_one(f"#{name}", Pane)
        # A visible table first (not the tab strip above it), then anything focusable.
        focusable = [w for w in pane.query("*") if w.focusable and w.visible]
        target = next((w for w in focusable if isinstance(w, DataTable)),
                      focusable[0] if focusable else None)
        if target is not None:
            target.focus()

    async def action_quit(self) -> None:
        if self.local_state == "stopping":
            return
        self.local_state = "stopping"
        self._show_header()
        self._stop_everything()

    @work(thread=True, group="stop", exit_on_error=False)
    def _stop_everything(self) -> None:
        if self.collector is not None:
            self.collector.stop(timeout=10)
        if self.demo is not None:
            self.demo.stop()
            self.demo = None
        self.post_message(msg.Stopped())

    @on(msg.Stopped)
    def _stopped(self) -> None:
        self.exit(0)

    def on_unmount(self) -> None:
        # Reached without `q` too (ctrl+c, a crash): never leave jobs or the demo behind.
        if self.collector is not None:
            self.collector.stop(timeout=5)
        if self.demo is not None:
            self.demo.stop()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            log.error("background task %s failed", event.worker.name,
                      exc_info=event.worker.error)
            self.push_screen(MessageScreen(f"{event.worker.name} failed",
                                           reason(event.worker.error), error=True))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for _, b in all_bindings():
            if b.id and b.id.startswith("app.") and b.action != "quit":
                yield SystemCommand(b.description, b.tooltip or b.description,
                                    partial(self.run_action, b.action))


def build_app(config: Config, store: Store, account: str | None = None,
              clock: Callable[[], float] = time.time, collect: bool = True) -> R2App:
    """The one way to make the app: the CLI and the tests both call this."""
    check_keymap(config.keymap, config.path)
    return R2App(config, store, account=account, clock=clock, collect=collect)


def reason(exc: BaseException) -> str:
    """One line for a failure, in the sources' words (imported late: botocore is heavy)."""
    from r2tui.sources.errors import describe_error

    return describe_error(exc)
