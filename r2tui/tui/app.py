"""The r2tui application: five panes over the store, the collector embedded.

The app composes three things: the main screen (the panes and what their keys
do), the embedded collector (`tui/collector.py`), and its own reads of the
store, which it shows on the main screen and announces to every other screen
with a `StoreChanged` message."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import Notify
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from r2tui import dashboard, pace
from r2tui.config import AccountConfig, Config
from r2tui.config.model import DEMO_QUOTA
from r2tui.literal import visible
from r2tui.metrics import ACCOUNT
from r2tui.store import Store, health, lease
from r2tui.store.health import ANALYTICS
from r2tui.store.migrations import StoreTooNew, check_version
from r2tui.store.views import Dashboard
from r2tui.tui import command_line, lists, palette
from r2tui.tui import messages as msg
from r2tui.tui.bindings import APP_BINDINGS, LIST_BINDINGS
from r2tui.tui.collector import EmbeddedCollector
from r2tui.tui.failures import reason
from r2tui.tui.keymap import all_bindings, bound_keymap, check_keymap
from r2tui.tui.memory import QuietCollections, freeze_long_lived
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.resources import style
from r2tui.tui.screens.accounts import AccountLine, AccountsScreen, Choice, read_lines
from r2tui.tui.screens.alert_history import AlertHistoryScreen
from r2tui.tui.screens.command_line import CommandLineScreen
from r2tui.tui.screens.deliveries import DeliveriesScreen, StoreDeliveries
from r2tui.tui.screens.help import HelpScreen
from r2tui.tui.screens.history import HistoryScreen
from r2tui.tui.screens.main import MainScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.widgets.card import clock_time
from r2tui.tui.widgets.header import HeaderState

log = logging.getLogger(__name__)

REFRESH_STEPS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
# Keys that act on the panes: off (and out of the footer) over another screen.
MAIN_SCREEN_ONLY = (
    "zoom",
    "history",
    "reports",
    "rules",
    "alert_history",
    "deliveries",
    "focus_pane",
    "accounts",
)
NOTICES_KEPT = 100
COLLECT_CHECK_SECONDS = 1.0  # how often the app looks whether a full collection may run
# What quits the app as `q` does (SIGHUP: where the platform has it).
QUIT_SIGNALS = tuple(
    sig for sig in (getattr(signal, n, None) for n in ("SIGTERM", "SIGHUP")) if sig is not None
)
SHORT_SCREEN = 40  # lines
# What space and p say in a viewer (`r2tui --viewer`, `r2tui serve`), which collects nothing.
VIEWER_REFRESH = "store re-read; this app only views it: `r2tui collect` collects"
VIEWER_PAUSE = "this app only views the store: it has no collection to pause"


class R2App(App[int]):
    # Every screen's styles from the start, not when the screen first opens: a
    # style file read then makes Textual parse every style again and restyle
    # every widget of the app (half the work of opening the Rules screen).
    CSS_PATH = [
        style(name)
        for name in (
            "app.tcss",
            "alerts.tcss",
            "accounts.tcss",
            "deliveries.tcss",
            "reports.tcss",
            "folders.tcss",
        )
    ]
    TITLE = "r2tui"
    BINDINGS = [*APP_BINDINGS, *LIST_BINDINGS]
    # Every screen below 40 lines has the class -short (the rule form's fields
    # scroll sooner); the main screen fits its own layout (MainScreen.fit).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_SCREEN, "-lines")]

    def __init__(
        self,
        config: Config,
        store: Store,
        account: str | None = None,
        clock: Callable[[], float] = time.time,
        collect: bool = True,
    ) -> None:
        super().__init__()
        self.config = config  # the demo account's replaces it once the demo has started
        self.store = store
        self.clock = clock
        self.collect = collect
        self.account_name = "demo" if config.demo else config.account(account).name
        # The keymap as bound: what the help and the Alerts pane say of the keys.
        self.keymap = bound_keymap(config.keymap)
        self.refresh_seconds = config.refresh_seconds
        self.embedded = EmbeddedCollector(
            self, store, clock, self.account_name, starting=config.demo and collect
        )
        self.main = MainScreen(self)
        self.dashboard: Dashboard | None = None
        self.store_failure: str | None = None
        self.lease: lease.Lease | None = None  # the shown account's collector lease
        self.first_paint_at: float | None = None
        self.metrics_bucket = ACCOUNT  # the Metrics pane's bucket filter, for the next read
        self.applied_read = 0  # the number of the store read the panes show
        self.notices: deque[str] = deque(maxlen=NOTICES_KEPT)  # notifications shown, newest last
        self._refresh_timer: Timer | None = None
        self._reads = itertools.count(1)
        self._signals: list[int] = []  # those this app handles (QUIT_SIGNALS)
        self.collections = QuietCollections()  # full collections while no one scrolls

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        pace.UI.attach(asyncio.get_running_loop())  # jobs here give way when it runs late
        self.collections.start()
        self.set_interval(COLLECT_CHECK_SECONDS, self.collections.tick)
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self._show_header()
        self._refresh_timer = self.set_interval(self.refresh_seconds, self.refresh_data)
        self.set_interval(1.0, self._show_header)
        self.call_after_refresh(self._after_first_paint)
        # Killed politely (SIGTERM) or its terminal closed (SIGHUP): quit as `q`
        # does, so the collector lease is released and the next start collects at
        # once instead of viewing a dead holder until the lease runs out.
        loop = asyncio.get_running_loop()
        for sig in QUIT_SIGNALS:
            # Not in the main thread, or not on this platform: the default then.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._signalled, sig)
                self._signals.append(sig)

    def _after_first_paint(self) -> None:
        self.first_paint_at = time.perf_counter()
        freeze_long_lived()
        self.refresh_data()
        if self.collect:
            self.embedded.start(self.config)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.collections.input()
        await super().on_event(event)

    def _signalled(self, signum: int) -> None:
        log.info("signal %s: quitting", signum)
        self.call_next(self.action_quit)

    def on_unmount(self) -> None:
        self.collections.stop()  # first: Python's rule back whatever fails below
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        self._signals.clear()
        pace.UI.detach(loop)
        # Reached without `q` too (ctrl+c, a crash): stop everything, wait for nothing.
        self.embedded.abandon()

    @on(Notify)
    def _noted(self, event: Notify) -> None:
        """Keep what was notified; Textual shows it and drops it as it times out."""
        self.notices.append(event.notification.message)

    # ---- reading the store --------------------------------------------------------------
    def refresh_data(self) -> None:
        """Re-read the store on a worker; each read is numbered so that a slow one
        finishing late never overwrites a newer one."""
        account = self._account_config()
        if account is None and self.config.demo:
            # A viewer of the demo store never starts the demo: its quota and
            # analytics are known all the same (as `r2tui status --demo` knows them).
            quota: int | None = DEMO_QUOTA
            analytics = True
        else:
            quota = account.quota_bytes if account else None
            analytics = account is not None and account.has_analytics
        # The account goes with its own quota, analytics and bucket: a switch while
        # this read runs must not mix the two accounts' settings.
        self._read_store(
            next(self._reads), self.account_name, quota, analytics, self.metrics_bucket
        )

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _read_store(
        self, seq: int, account: str, quota: int | None, analytics: bool, bucket: str
    ) -> None:
        t0 = time.perf_counter()
        try:
            # A newer r2tui may have upgraded the store since it was opened: say so
            # rather than read tables this r2tui does not know.
            check_version(self.store.db)
            dash = dashboard.read(
                self.store,
                account,
                quota,
                now=self.clock(),
                analytics=analytics,
                metrics_bucket=bucket,
                tz=self.config.timezone,
                prices=self.config.pricing,
                alert_windows=self.config.alerts.maintenance,
                max_per_hour=self.config.alerts.max_per_hour,
            )
            held = lease.read(self.store, account)
        except StoreTooNew as exc:
            self.post_message(msg.StoreFailed(str(exc)))
            return
        except Exception as exc:  # a locked or unreachable store: say so and keep going
            self.post_message(msg.StoreFailed(reason(exc)))
            return
        finally:
            self.store.thread_done()  # this worker thread ends; give its connection back
        self.post_message(msg.SnapshotReady(dash, (time.perf_counter() - t0) * 1000, seq, held))

    def _account_config(self, name: str | None = None) -> AccountConfig | None:
        """The config of `name` (default: the account chosen to show)."""
        if not self.config.accounts:
            return None  # the demo account is still starting
        if self.config.demo:
            return self.config.account(None)
        try:
            return self.config.account(name or self.account_name)
        except KeyError:
            return None

    @on(msg.SnapshotReady)
    def _apply(self, event: msg.SnapshotReady) -> None:
        # A read that ends while the app closes: its panes' widgets may be gone already.
        if event.seq < self.applied_read or not self.is_running:
            return
        if event.dashboard.account != self.account_name:
            return  # read before a switch of account: the panes show the chosen one only
        first = self.dashboard is None
        self.applied_read = event.seq
        self.dashboard = event.dashboard
        self.lease = event.lease
        self.store_failure = None
        # A demo viewer whose demo stopped starts the demo here.
        self.embedded.view_or_take_demo(event.lease, self.store.clock())
        self.main.show(event.dashboard, self.clock(), self.keymap, self.config.schedules)
        # A screen over the panes that shows live state (the Rules screen) reads again too.
        for screen in self.screen_stack:
            screen.post_message(msg.StoreChanged())
        self._show_header()
        if first:  # the panes' render caches, made by this first paint, live on
            self.call_after_refresh(freeze_long_lived)

    @on(MetricsPane.BucketChosen)
    def _metrics_bucket(self, event: MetricsPane.BucketChosen) -> None:
        self.metrics_bucket = event.bucket
        self.refresh_data()  # at once, not at the next tick

    @on(msg.ReadStore)
    def _read_again(self, event: msg.ReadStore) -> None:
        self.refresh_data()

    @on(msg.StoreFailed)
    def _store_failed(self, event: msg.StoreFailed) -> None:
        self.store_failure = f"store: {event.reason}"
        self._show_header()

    # ---- the embedded collector's news --------------------------------------------------
    def on_demo_ready(self, event: msg.DemoReady) -> None:
        if self.embedded.demo_ready(event.config, event.demo):
            self.config = event.config
            self.refresh_data()  # the quota and endpoint are known only now

    def on_demo_elsewhere(self, event: msg.DemoElsewhere) -> None:
        self.embedded.demo_elsewhere()
        self.refresh_data()  # the lease of the process that runs it, at once
        self._show_header()

    def on_demo_failed(self, event: msg.DemoFailed) -> None:
        self.embedded.demo_failed(event.reason)
        self._show_header()

    def on_collector_planned(self, event: msg.CollectorPlanned) -> None:
        self.embedded.planned(event)
        self._show_header()

    def on_job_started(self, event: msg.JobStarted) -> None:
        self.embedded.job_started(event.job)
        self._show_header()

    def on_job_finished(self, event: msg.JobFinished) -> None:
        self.embedded.job_finished(event.result)
        self.refresh_data()

    def on_stopped(self) -> None:
        self.exit(0)

    # ---- the header ---------------------------------------------------------------------
    def header_state(self) -> HeaderState:
        now = self.clock()
        dash = self.dashboard
        embedded = self.embedded
        stored = dash.collector if dash else None
        running = sorted(embedded.running) or (
            stored.detail.split(", ") if stored and stored.state == "running" else []
        )
        # The shown account's sources first: "token refused", not a job's last words.
        sources = self._source_failures(now)
        failure = self.store_failure or sources or next(iter(embedded.failures.values()), None)
        shown = self.shown_account
        account = self._account_config(shown)
        elsewhere = self._held_elsewhere()
        if embedded.state in ("starting", "stopping"):
            state = embedded.state
            detail = "demo account" if state == "starting" else "waiting for jobs to end"
        elif elsewhere is not None:
            # A viewer: another process collects, and says what it does through the store.
            if not elsewhere.live(now):
                state = "expired"
                detail = f"lease of {elsewhere.describe(now)}"
            elif elsewhere.activity:
                state, detail = "running", f"{elsewhere.describe(now)}: {elsewhere.activity}"
            elif failure:
                state, detail = "failing", f"{elsewhere.describe(now)}: {failure}"
            else:
                state, detail = "idle", elsewhere.describe(now)
        elif embedded.paused:
            state, detail = "paused", "p resumes"
        elif running:
            state, detail = "running", ", ".join(running)
            waiting = embedded.waiting(account)
            if waiting:
                detail = f"{waiting} ({detail})"
        elif failure:
            state, detail = "failing", failure
        elif stored is not None:
            state, detail = stored.state, stored.detail
        else:
            state, detail = "idle", ""
        # Host, port and path: never a password or a token the URL holds.
        endpoint = account.endpoint_url.shown.split("://", 1)[-1] if account else ""
        return HeaderState(
            account=shown,
            endpoint=endpoint,
            demo=self.config.demo,
            state=state,
            detail=detail,
            data_at=dash.data_at if dash else None,
            now=now,
            refresh_seconds=self.refresh_seconds,
            next_run=embedded.next_run(),
        )

    @property
    def shown_account(self) -> str:
        """The account whose figures the panes show: the one chosen, once its first
        read has come back (until then, the account shown before)."""
        return self.dashboard.account if self.dashboard is not None else self.account_name

    def _held_elsewhere(self) -> lease.Lease | None:
        """The lease of the process that collects the shown account, when it is not
        this one (this app views); None when this app collects it or nobody does."""
        held = self.lease
        if held is None or held.held_by(lease.me()):
            return None
        if self.collect and self.embedded.holding:
            return None
        return held

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

    def _show_header(self) -> None:
        self.main.show_header(self.header_state())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            log.error("background task %s failed", event.worker.name, exc_info=event.worker.error)
            self.push_screen(
                MessageScreen(
                    f"{event.worker.name} failed", visible(reason(event.worker.error)), error=True
                )
            )

    # ---- the account shown ----------------------------------------------------------------
    def account_names(self) -> list[str]:
        """The accounts that can be shown, in the config's order."""
        if self.config.demo or not self.config.accounts:
            return [self.account_name]  # the demo has one account, maybe still starting
        return [a.name for a in self.config.accounts]

    def switch_account(self, name: str) -> bool:
        """Show `name`'s figures: the store is read again for it; every collector
        (this app's, which collects every account of the config, and any other
        process's) keeps running as it was. An unknown name is refused with a
        notification naming the accounts there are; False then."""
        names = self.account_names()
        if name not in names:
            self.notify(
                visible(f"unknown account {name!r}; the accounts are: {', '.join(names)}"),
                title="Switch account",
                severity="error",
                markup=False,
            )
            return False
        if name == self.account_name:
            return True
        self.account_name = name
        self.embedded.account_name = name  # its failures: the shown account's
        self.lease = None
        # A bucket of the account shown before means nothing here: all buckets.
        self.metrics_bucket = ACCOUNT
        for metrics in self.main.query(MetricsPane):
            metrics.choose_bucket(ACCOUNT)
        self.refresh_data()
        self.notify(visible(f"showing account {name}"), markup=False)
        return True

    def action_accounts(self) -> None:
        """The account picker over the panes (a modal: escape closes it)."""
        if self.screen is self.main:
            self.push_screen(
                AccountsScreen(self._account_lines, self.shown_account), self._account_chosen
            )

    def _account_chosen(self, name: str | None) -> None:
        if name is not None:
            self.switch_account(name)

    def _account_lines(self) -> list[AccountLine]:
        """The picker's read; on its worker thread."""
        if self.config.demo or not self.config.accounts:
            choices = [Choice(self.account_name)]
        else:
            choices = [Choice(a.name, a.has_analytics) for a in self.config.accounts]
        try:
            return read_lines(self.store, choices, self.clock(), self.config.alerts.maintenance)
        finally:
            self.store.thread_done()  # this worker thread ends; give its connection back

    # ---- keys for every screen ----------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that only act on the panes are off (and out of the footer) over
        another screen, except the key that closes the screen it opened; j/k/g/G
        only where the focus has a list (elsewhere the key goes on, as typed)."""
        if action in lists.ACTIONS:
            return lists.move(self.focused, action) is not None
        return self._allowed_on(self.screen, action)

    def _allowed_on(self, screen: Screen[object], action: str) -> bool:
        if action in MAIN_SCREEN_ONLY and screen is not self.main:
            closes = {
                "history": HistoryScreen,
                "alert_history": AlertHistoryScreen,
                "deliveries": DeliveriesScreen,
            }.get(action)
            return closes is not None and isinstance(screen, closes)
        return True

    # j/k/g/G: the focused table's or list's next, previous, first or last row.
    def action_list_down(self) -> None:
        self._list_move("list_down")

    def action_list_up(self) -> None:
        self._list_move("list_up")

    def action_list_first(self) -> None:
        self._list_move("list_first")

    def action_list_last(self) -> None:
        self._list_move("list_last")

    def _list_move(self, action: str) -> None:
        move = lists.move(self.focused, action)
        if move is not None:
            move()

    # ---- the command line (:) -----------------------------------------------------------
    def action_command_line(self) -> None:
        if isinstance(self.screen, CommandLineScreen):
            return
        ctx = self.line_context(self.screen)
        self.push_screen(
            CommandLineScreen(
                lambda line: command_line.resolve(line, ctx),
                lambda line: command_line.complete(line, ctx),
            ),
            self._run_line,
        )

    def line_context(self, under: Screen[object]) -> command_line.LineContext:
        """What a command line opened over `under` can reach."""
        main = self.main
        switch = getattr(self, "switch_account", None)  # an r2tui that can switch has it
        return command_line.LineContext(
            commands=palette.named(self, under),
            allowed=lambda action: self._allowed_on(under, action),
            chart=main.open_history if under is main else None,
            buckets=main.query_one(MetricsPane).buckets,
            accounts=[a.name for a in self.config.accounts],
            account=self.account_name,
            switch_account=switch if callable(switch) else None,
            quit=lambda: self.run_action("quit"),
        )

    def _run_line(self, run: Callable[[], object] | None) -> None:
        if run is not None:
            self.call_later(run)

    def action_help(self) -> None:
        rows = []
        for where, b in all_bindings():
            keys = self.keymap.get(b.id or "", b.key)
            shown = ", ".join(self.get_key_display(Binding(k.strip(), "")) for k in keys.split(","))
            desc = b.description + (f": {b.tooltip}" if b.tooltip else "")
            rows.append((shown, desc, where, b.id or ""))
        rows.append(("ctrl+p", "Command palette: every action by name", "everywhere", "-"))
        self.push_screen(HelpScreen(rows))

    async def action_quit(self) -> None:
        if self.embedded.stopping:
            return
        self.embedded.stop()  # posts Stopped once the jobs and the demo have stopped
        self._show_header()

    def action_refresh_now(self) -> None:
        if not self.collect:  # a viewer: another process collects
            self.refresh_data()
            if self.config.read_only:  # it may not even ask, through the store
                self.notify(VIEWER_REFRESH)
            else:
                self._ask_holder(self.account_name)
            return
        if self.embedded.viewing_demo:  # another process runs the demo: ask it
            self._ask_holder(self.account_name)
            return
        if self.embedded.collector is None:
            self.notify("the collector is still starting", severity="warning")
            return
        if not self.embedded.holding:  # another process collects: ask it through the store
            self._ask_holder(self.account_name)
            return
        dash = self.dashboard
        pages = sum(b.list_requests for b in dash.storage.buckets) if dash else 0
        self.notify(self.embedded.collect_now(pages))

    @work(thread=True, group="ask", exit_on_error=False)
    def _ask_holder(self, account: str) -> None:
        try:
            asked = lease.request_run(self.store, account)
            held = lease.read(self.store, account)
        except Exception as exc:
            why = visible(reason(exc))
            self.call_from_thread(self.notify, f"cannot ask: {why}", severity="error", markup=False)
            return
        finally:
            self.store.thread_done()
        if asked and held is not None:
            note = f"asked the collector {held.name} to collect now"
            self.call_from_thread(self.notify, visible(note), markup=False)
        elif not self.collect:
            self.call_from_thread(self.notify, VIEWER_REFRESH)
        else:
            self.call_from_thread(self.notify, "no collector to ask", severity="warning")

    def action_toggle_pause(self) -> None:
        if not self.collect or self.embedded.viewing_demo:
            self.notify(VIEWER_PAUSE, severity="warning")
            return
        if self.embedded.collector is None:
            self.notify("the collector is still starting", severity="warning")
            return
        paused = self.embedded.toggle_pause()
        self.notify("collection paused: p resumes" if paused else "collection resumed")
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

    # ---- keys for the panes: bound here (every footer shows them), done by the main screen
    def action_zoom(self) -> None:
        self.main.zoom()

    def action_focus_pane(self, name: str) -> None:
        self.main.focus_pane(name)

    def action_history(self) -> None:
        """`h` opens the chart over the panes, and closes it again."""
        if isinstance(self.screen, HistoryScreen):
            self.screen.dismiss(None)
        elif self.screen is self.main:  # not over help or a message
            self.main.open_history()

    def action_alert_history(self) -> None:
        """`A` opens the alert history over the panes, and closes it again."""
        if isinstance(self.screen, AlertHistoryScreen):
            self.screen.dismiss(None)
        elif self.screen is self.main:
            self.main.open_alert_history()

    def action_deliveries(self) -> None:
        """`D` opens the notifications sent over the panes, and closes them again."""
        if isinstance(self.screen, DeliveriesScreen):
            self.screen.dismiss(None)
        elif self.screen is self.main:
            self.push_screen(DeliveriesScreen(StoreDeliveries(self.store), demo=self.config.demo))

    def action_rules(self) -> None:
        if self.screen is self.main:  # not over help, history or a message
            self.main.open_rules()

    def action_reports(self) -> None:
        if self.screen is self.main:
            self.main.open_reports()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from self.palette_commands(screen)

    def palette_commands(self, screen: Screen[object] | None = None) -> Iterable[SystemCommand]:
        return palette.commands(self, screen)


def build_app(
    config: Config,
    store: Store,
    account: str | None = None,
    clock: Callable[[], float] = time.time,
    collect: bool = True,
) -> R2App:
    """The one way to make the app: the CLI and the tests both call this. A
    read-only app collects nothing: it is a viewer, whatever else it is asked."""
    check_keymap(config.keymap, config.path)
    collect = collect and not config.read_only
    return R2App(config, store, account=account, clock=clock, collect=collect)
