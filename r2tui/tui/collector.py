"""The embedded collector's life in the app: the demo account, the scheduler,
job results, and a quit that never waits on a dead network."""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import TYPE_CHECKING, Any

from textual import work

from r2tui import pace
from r2tui.config import Config
from r2tui.tui import messages as msg

if TYPE_CHECKING:
    from r2tui.scheduler import Collector


def freeze_long_lived() -> None:
    """Move what exists now (modules, widgets, botocore's models) out of the
    garbage collector's reach. A full collection otherwise walks all of it
    again and again while an inventory allocates pages: a pause of 150 ms on
    the UI thread, measured during a 1,000,000-object listing. (No collection
    first: that would be the very pause this avoids.)"""
    gc.freeze()


STOP_WAIT_SECONDS = 5.0


class CollectorHost:
    """Mixed into the app: owns the collector and the demo account."""

    collector: Collector | None
    demo: Any
    local_state: str
    local_running: set[str]
    failures: dict[str, str]  # source ("demo", "scheduler", a job) → its last failure
    config: Config
    account_name: str  # the account on screen

    if TYPE_CHECKING:  # provided by the app; declared here for the type checker only

        def _show_header(self) -> None: ...
        def refresh_data(self) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def exit(self, result: Any = None) -> None: ...

    @property
    def stopping(self) -> bool:
        return self.local_state == "stopping"

    def start_collecting(self) -> None:
        if self.config.demo:
            self._start_demo()
        else:
            self._plan_collector(self.config)

    @work(thread=True, exclusive=True, group="demo", exit_on_error=False)
    def _start_demo(self) -> None:
        from r2tui.runtime import with_demo_account

        try:
            config, demo = with_demo_account(self.config)
        except Exception as exc:
            self.post_message(msg.DemoFailed(reason(exc)))
            return
        if self.stopping:  # `q` pressed while the demo was starting
            demo.stop()
            return
        self.post_message(msg.DemoReady(config, demo))

    def on_demo_ready(self, event: msg.DemoReady) -> None:
        self.demo = event.demo
        if self.stopping:
            _in_background(event.demo.stop)
            return
        self.config = event.config
        self._plan_collector(event.config)
        self.refresh_data()  # the quota and endpoint are known only now

    def on_demo_failed(self, event: msg.DemoFailed) -> None:
        self.local_state = "idle"
        self.failures["demo"] = f"demo account: {event.reason}"
        self._show_header()

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _plan_collector(self, config: Config) -> None:
        """Build the collector off the loop: boto3 and APScheduler take about half a
        second to import, and the first run of each job depends on the store."""
        from r2tui.jobs import JobContext
        from r2tui.scheduler import Collector
        from r2tui.waits import Waits

        clock = self.clock  # type: ignore[attr-defined]
        # Waits on the app's clock: the header's "waiting 12 s" counts on it.
        ctx = JobContext(
            config=config,
            store=self.store,  # type: ignore[attr-defined]
            clock=clock,
            waits=Waits(clock),
        )
        collector = Collector(
            ctx,
            on_result=lambda r: self.post_message(msg.JobFinished(r)),
            on_start=lambda name: self.post_message(msg.JobStarted(name)),
        )
        self.post_message(msg.CollectorPlanned(collector, collector.plan()))

    def on_collector_planned(self, event: msg.CollectorPlanned) -> None:
        if self.stopping:
            return
        self.collector = event.collector
        freeze_long_lived()  # boto3's and APScheduler's modules are in now
        try:
            event.collector.start_embedded(event.plan)
        except Exception as exc:
            self.failures["scheduler"] = f"scheduler: {reason(exc)}"
        self.local_state = "idle"
        self._show_header()

    def on_job_started(self, event: msg.JobStarted) -> None:
        self.local_running.add(event.job)
        self._show_header()

    def on_job_finished(self, event: msg.JobFinished) -> None:
        result = event.result
        self.local_running.discard(result.job)
        # Only the shown account's: another account's failure is not this one's news.
        mine = result.errors_for(self.account_name)
        if mine:
            self.failures[result.job] = f"{result.job}: {'; '.join(mine)}"
        else:
            self.failures.pop(result.job, None)
        self.refresh_data()

    async def action_quit(self) -> None:
        if self.stopping:
            return
        self.local_state = "stopping"
        self._show_header()
        # A plain thread, not a worker: workers run on the loop's executor, which
        # the interpreter joins at exit.
        _in_background(self._stop_everything)

    def _stop_everything(self) -> None:
        """Ask jobs to stop and wait a little: a listing stops at its next page.
        A job stuck on a dead network is left behind on its daemon thread."""
        if self.collector is not None:
            self.collector.stop(timeout=STOP_WAIT_SECONDS)
        if self.demo is not None:
            self.demo.stop()
            self.demo = None
        self.post_message(msg.Stopped())

    def on_stopped(self) -> None:
        self.exit(0)

    def on_unmount(self) -> None:
        pace.UI.detach(asyncio.get_running_loop())
        # Reached without `q` too (ctrl+c, a crash): stop everything, wait for nothing.
        if self.collector is not None and not self.collector.ctx.stop.is_set():
            self.collector.stop(timeout=0)
        if self.demo is not None:
            demo, self.demo = self.demo, None
            _in_background(demo.stop)


def _in_background(fn: Any) -> None:
    threading.Thread(target=fn, daemon=True, name="r2tui-stop").start()


def reason(exc: BaseException) -> str:
    """One line for a failure, in the sources' words (imported late: botocore is heavy)."""
    from r2tui.sources.errors import describe_error

    return describe_error(exc)
