"""The embedded collector as the app drives it: the demo account, the scheduler,
job results, and a stop that never waits on a dead network.

The app owns one `EmbeddedCollector` and calls it; what its worker threads
learn comes back to the app as messages (`tui/messages.py`), which the app
hands back here by plain calls. It holds no widget and draws nothing: the app
shows its state in the header."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from r2tui.config import AccountConfig, Config
from r2tui.config.secrets import shown_host
from r2tui.heartbeat import COLLECT_NOW
from r2tui.store import Store
from r2tui.store.lease import Lease
from r2tui.tui import messages as msg
from r2tui.tui.failures import reason
from r2tui.tui.format import duration
from r2tui.tui.memory import freeze_long_lived
from r2tui.tui.widgets.header import waiting_text

if TYPE_CHECKING:
    from textual.app import App

    from r2tui.jobs import JobResult
    from r2tui.scheduler import Collector
    from r2tui.sources.demo import DemoAccount

STOP_WAIT_SECONDS = 5.0


class EmbeddedCollector:
    """The collector the TUI runs itself, and the demo account when there is one."""

    def __init__(
        self,
        app: App[Any],
        store: Store,
        clock: Callable[[], float],
        account_name: str,
        starting: bool,
    ) -> None:
        self.app = app  # where workers run and messages go
        self.store = store
        self.clock = clock
        # The account on screen. The collector collects every account of the config
        # whichever is shown: switching accounts changes only what `failures` reports.
        self.account_name = account_name
        self.collector: Collector | None = None
        self.demo: DemoAccount | None = None
        self.demo_config: Config | None = None  # the config the demo starts from
        self.viewing_demo = False  # another process runs the demo: this app views it
        self.state = "starting" if starting else "idle"  # or "stopping"
        self.running: set[str] = set()  # the jobs running now
        self.problems: dict[str, str] = {}  # "demo", "scheduler" → last failure: every account's
        # job → its last run's errors, by account (each account's, kept for a switch).
        self.job_errors: dict[str, tuple[tuple[str, str], ...]] = {}

    @property
    def stopping(self) -> bool:
        return self.state == "stopping"

    @property
    def failures(self) -> dict[str, str]:
        """What failed, for the account on screen: the demo and the scheduler (every
        account's), then each job whose last run failed for this account."""
        out = dict(self.problems)
        for job, errors in self.job_errors.items():
            mine = [e for account, e in errors if account == self.account_name]
            if mine:
                out[job] = f"{job}: {'; '.join(mine)}"
        return out

    # ---- starting -------------------------------------------------------------------------
    def start(self, config: Config) -> None:
        if config.demo:
            self.app.run_worker(
                lambda: self._start_demo(config),
                name="_start_demo",
                group="demo",
                thread=True,
                exclusive=True,
                exit_on_error=False,
            )
        else:
            self._plan(config)

    def _start_demo(self, config: Config) -> None:
        """Claim the demo (its collector lease) before starting a server: beside a
        live demo on this store the app views that one and starts none."""
        # Deferred for start-up time: the demo brings moto and boto3 with it.
        from r2tui.runtime import start_demo

        self.demo_config = config
        try:
            started = start_demo(config, self.store)
        except Exception as exc:
            self.app.post_message(msg.DemoFailed(reason(exc)))
            return
        finally:
            self.store.thread_done()  # this worker thread ends; give its connection back
        if started is None:
            self.app.post_message(msg.DemoElsewhere())
            return
        config, demo = started
        if self.stopping:  # `q` pressed while the demo was starting
            self._drop_demo(demo)
            return
        self.app.post_message(msg.DemoReady(config, demo))

    def demo_elsewhere(self) -> None:
        """Another process runs the demo: view it, until its lease runs out."""
        self.viewing_demo = True
        self.state = "idle"

    def view_or_take_demo(self, held: Lease | None, now: float) -> bool:
        """Called with each read's lease: once the demo this app views has stopped
        (its lease gone or run out), start the demo here; whether it starts."""
        if not self.viewing_demo or self.stopping or self.demo_config is None:
            return False
        if held is not None and held.live(now):
            return False
        self.viewing_demo = False
        self.state = "starting"
        self.start(self.demo_config)
        return True

    def _drop_demo(self, demo: DemoAccount) -> None:
        """Stop a demo the app will not use, and give its lease back."""
        from r2tui.runtime import release_demo  # as in _start_demo

        demo.stop()
        release_demo(self.store)
        self.store.thread_done()

    def demo_ready(self, config: Config, demo: DemoAccount) -> bool:
        """The demo account is up: plan the collector on its config. False when the
        app is stopping (the demo is stopped again, in the background)."""
        self.demo = demo
        if self.stopping:
            in_background(lambda: self._drop_demo(demo))
            return False
        self._plan(config)
        return True

    def demo_failed(self, why: str) -> None:
        self.state = "idle"
        self.problems["demo"] = f"demo account: {why}"

    def _plan(self, config: Config) -> None:
        self.app.run_worker(
            lambda: self._plan_collector(config),
            name="_plan_collector",
            group="plan",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _plan_collector(self, config: Config) -> None:
        """Build the collector off the loop: boto3 and APScheduler take about half a
        second to import, and the first run of each job depends on the store."""
        # Deferred for start-up time: these import boto3 and APScheduler.
        from r2tui.jobs import JobContext
        from r2tui.scheduler import Collector
        from r2tui.waits import Waits

        # Waits on the app's clock: the header's "waiting 12 s" counts on it.
        ctx = JobContext(config=config, store=self.store, clock=self.clock, waits=Waits(self.clock))
        post = self.app.post_message
        collector = Collector(
            ctx,
            on_result=lambda r: _drop(post(msg.JobFinished(r))),
            on_start=lambda name: _drop(post(msg.JobStarted(name))),
        )
        post(msg.CollectorPlanned(collector, collector.plan()))

    def planned(self, event: msg.CollectorPlanned) -> None:
        if self.stopping:
            return
        self.collector = event.collector
        freeze_long_lived()  # boto3's and APScheduler's modules are in now
        try:
            event.collector.start_embedded(event.plan)
        except Exception as exc:
            self.problems["scheduler"] = f"scheduler: {reason(exc)}"
        self.state = "idle"

    # ---- jobs -----------------------------------------------------------------------------
    def job_started(self, job: str) -> None:
        self.running.add(job)

    def job_finished(self, result: JobResult) -> None:
        self.running.discard(result.job)
        # Every account's, kept: `failures` reports only the shown account's.
        self.job_errors[result.job] = result.account_errors

    def collect_now(self, listing_pages: int) -> str:
        """Launch the probes and a full listing now, each unless it is running
        already; what was launched, for a notification. Needs `collector`."""
        assert self.collector is not None
        busy = [j for j in COLLECT_NOW if j in self.collector.running_jobs]
        todo = [j for j in COLLECT_NOW if j not in busy]
        note = f" ({', '.join(busy)} already running)" if busy else ""
        cost = (
            f"; the listing is about {listing_pages:,} Class A requests"
            if (listing_pages and "inventory" in todo)
            else ""
        )
        for job in todo:
            self.collector.launch(job, chain=True)  # then the costs, from what it brought
        return f"collecting now: {', '.join(todo) or 'nothing new'}{note}{cost}"

    def toggle_pause(self) -> bool:
        """Pause or resume the schedule; whether it is paused now. Needs `collector`."""
        assert self.collector is not None
        if self.collector.paused:
            self.collector.resume()
        else:
            self.collector.pause()
        return self.collector.paused

    @property
    def holding(self) -> bool:
        """Whether this app's collector holds the collector lease (runs the schedule)."""
        return self.collector is not None and self.collector.holding

    @property
    def paused(self) -> bool:
        return self.collector is not None and self.collector.paused

    # ---- what the header says ---------------------------------------------------------------
    def waiting(self, account: AccountConfig | None) -> str:
        """ "waiting 12 s for HOST" while a request of the shown account has been in
        flight a while; from memory (the jobs' Waits), never a store read."""
        if self.collector is None or account is None:
            return ""
        waits = self.collector.ctx.waits
        hosts = {shown_host(account.endpoint_url), shown_host(account.graphql_url)}
        return waiting_text(waits.open(), hosts, waits.now())

    def next_run(self) -> str:
        sched = self.collector.scheduler if self.collector else None
        if sched is None or not sched.running:
            return ""
        jobs = [(j.next_run_time.timestamp(), j.id) for j in sched.get_jobs() if j.next_run_time]
        if not jobs:
            return ""
        at, name = min(jobs)
        return f"{name} in {duration(at - time.time())}"

    # ---- stopping -------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the jobs and the demo on a plain thread, then post `Stopped`. A plain
        thread, not a worker: workers run on the loop's executor, which the
        interpreter joins at exit."""
        self.state = "stopping"
        in_background(self._stop_everything)

    def _stop_everything(self) -> None:
        """Ask jobs to stop and wait a little: a listing stops at its next page.
        A job stuck on a dead network is left behind on its daemon thread."""
        if self.collector is not None:
            self.collector.stop(timeout=STOP_WAIT_SECONDS)
        if self.demo is not None:
            demo, self.demo = self.demo, None
            # After the jobs: the heartbeat gave the lease back, unless the demo
            # stopped before its collector was planned.
            self._drop_demo(demo)
        self.app.post_message(msg.Stopped())

    def abandon(self) -> None:
        """The app is going without `q` (ctrl+c, a crash): stop everything, wait for nothing."""
        if self.collector is not None and not self.collector.ctx.stop.is_set():
            self.collector.stop(timeout=0)
        if self.demo is not None:
            demo, self.demo = self.demo, None
            in_background(demo.stop)


def in_background(fn: Callable[[], object]) -> None:
    threading.Thread(target=fn, daemon=True, name="r2tui-stop").start()


def _drop(_: object) -> None:
    """The collector's callbacks return nothing; post_message's answer is not needed."""
