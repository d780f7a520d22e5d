"""APScheduler wiring: the same jobs embedded in the TUI or headless.

A job runs at most once at a time whether the schedule or a user started it
(a per-job lock), missed runs coalesce into one, and a job whose last
success is older than its period runs as soon as the collector starts. The
scheduler only launches jobs; each runs on a daemon thread of its own.

On a shared store only the process holding the accounts' collector lease runs
the schedule (`heartbeat.py`): a collector that does not hold it schedules
nothing, beats, and takes the schedule up, planned afresh from the store, when
the lease comes to it. A slot is one due time of the holder's schedule. Every
run, whoever asked for it (the schedule, a follower, a viewer's "run now", a
user), starts only while the lease is held and runs under that holding
(store/fence.py): when the lease goes, its runs stop between pages, write
nothing past a takeover, and start no followers.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from r2tui.config import Schedule
from r2tui.config.triggers import trigger_for, zone_for  # as the config layer checks them
from r2tui.heartbeat import COLLECT_NOW, Heartbeat
from r2tui.jobs import JOBS, JobContext, JobResult, run_job
from r2tui.store import queries, writes
from r2tui.store.fence import Tenure

log = logging.getLogger(__name__)
MISFIRE_GRACE_SECONDS = 300
SIGNAL_POLL_SECONDS = 0.2  # how soon `collect` notices a signal another thread took


def is_due(schedule: Schedule, tz: str, last_success: float | None, now: float) -> bool:
    """True when the run after the last success should already have happened."""
    if last_success is None:
        return True
    if schedule.seconds is not None:
        return last_success + schedule.seconds <= now
    trigger = trigger_for(schedule, tz)
    # Strictly after: a run finishing within the second it was fired (stored as
    # whole seconds) must not count as missing that very fire time.
    last = datetime.fromtimestamp(last_success, UTC) + timedelta(microseconds=1)
    following = trigger.get_next_fire_time(None, last)
    return following is not None and following.timestamp() <= now


class Collector:
    """Owns the scheduler and the jobs' locks; reports each result to `on_result`."""

    def __init__(
        self,
        ctx: JobContext,
        on_result: Callable[[JobResult], None] | None = None,
        on_start: Callable[[str], None] | None = None,
        lease: bool = True,
        stop_seconds: float | None = None,
    ) -> None:
        """`lease`: run only while holding the collector lease (False: always, as
        `collect --force` or a test of the schedule alone may want).
        `stop_seconds`: how long stop() waits for running jobs (default: the
        config's [collector] stop_seconds)."""
        self.ctx = ctx
        self.on_result = on_result
        self.on_start = on_start
        self.scheduler: BaseScheduler | None = None
        self._locks = {name: threading.Lock() for name in JOBS}
        self._running: set[str] = set()
        self._succeeded: set[str] = set()  # jobs that succeeded in this process
        self.follow = False  # run JobSpec.after followers: only while scheduling
        # A Condition, not ctx.stop: stop() sets that event first, so waiting on it
        # would return at once and spin until the jobs end.
        self._state_lock = threading.Condition()
        self.paused = False
        self.stop_seconds = (
            ctx.config.collector.stop_seconds if stop_seconds is None else stop_seconds
        )
        self.heartbeat: Heartbeat | None = None
        if lease:
            self.heartbeat = Heartbeat(
                ctx.store,
                ctx.config.accounts,
                ctx.config.collector.lease_seconds,
                running=lambda: self.running_jobs,
                waits=ctx.waits,
                on_change=self._lease_changed,
                on_run_request=self._run_requested,
            )

    @property
    def too_new(self) -> str | None:
        """Why this collector stopped: a newer r2tui upgraded the store (else None)."""
        return self.heartbeat.too_new if self.heartbeat is not None else None

    @property
    def holding(self) -> bool:
        """Whether this collector runs the schedule: it holds the lease, or needs none."""
        return self.heartbeat is None or self.heartbeat.holding

    def _current(self) -> Tenure | None:
        return self.heartbeat.current() if self.heartbeat is not None else None

    @property
    def running_jobs(self) -> list[str]:
        with self._state_lock:
            return sorted(self._running)

    def scheduled_jobs(self) -> list[str]:
        return [n for n in self.ctx.config.schedules if JOBS[n].implemented]

    def launch(self, name: str, chain: bool = False) -> None:
        """Run a job on a daemon thread and return at once. Daemon, so a request
        stuck on a dead network can never keep the process from exiting once
        stop() has waited its time."""
        threading.Thread(
            target=self.run, args=(name, chain), name=f"job-{name}", daemon=True
        ).start()

    def run(self, name: str, chain: bool = False) -> JobResult | None:
        """Run a job now on this thread; None if it is already running, the
        collector is stopping (a run queued just before stop() must not start) or
        does not hold the lease. `chain`: its followers (JobSpec.after) run after
        this success too, not only after the first (a user's "collect now" wants
        fresh costs)."""
        if self.ctx.stop.is_set():
            return None
        tenure = None
        if self.heartbeat is not None:
            tenure = self.heartbeat.current()
            if tenure is None:
                return None
        lock = self._locks[name]
        if not lock.acquire(blocking=False):
            return None
        try:
            with self._state_lock:
                self._running.add(name)
            if self.on_start:
                self.on_start(name)
            result = run_job(name, self.ctx, tenure)
        finally:
            with self._state_lock:
                self._running.discard(name)
                self._state_lock.notify_all()
            lock.release()
            # Worker threads come and go; each must hand its store connection back.
            self.ctx.store.thread_done()
        if self.on_result:
            try:
                self.on_result(result)
            except Exception:
                log.exception("result callback failed for %s", name)
        still = tenure is None or (
            self.heartbeat is not None and self.heartbeat.current() is tenure
        )
        if result.ok and still and (self.follow or chain):
            # Counted while scheduling only: `collect --once` follows nothing.
            first = self.follow and name not in self._succeeded
            if self.follow:
                self._succeeded.add(name)
            if chain or first:
                for follower in self.scheduled_jobs():
                    if name in JOBS[follower].after:
                        # A start's first results cascade (collection → costs →
                        # reports); a user's "collect now" refreshes the costs only.
                        self.launch(follower, chain=first)
        return result

    def plan(self) -> dict[str, datetime | None]:
        """When each scheduled job first runs: now if it is due, else where its
        interval left off before a restart, else (None) when its trigger says.
        Reads the store, so the app calls it on a worker thread. Takes the lease
        first: without it, nothing is planned (the collector is a viewer)."""
        cfg = self.ctx.config
        if self.heartbeat is not None and not self.heartbeat.beat():
            self.ctx.store.thread_done()
            return {}
        try:
            writes.abandon_stale_runs(self.ctx.store)
        except Exception as exc:
            log.warning("cannot close stale runs: %s", exc)
        now = self.ctx.clock()
        first: dict[str, datetime | None] = {}
        for name in self.scheduled_jobs():
            schedule = cfg.schedules[name]
            last = self._last_success(name)
            if is_due(schedule, zone_for(name, cfg.timezone), last, now):
                first[name] = datetime.now(UTC)
            elif schedule.seconds is not None and last is not None:
                # Relative to the context's clock, which tests may fix.
                first[name] = datetime.now(UTC) + timedelta(seconds=last + schedule.seconds - now)
            else:
                first[name] = None
        self.ctx.store.thread_done()
        return first

    def _configure(
        self, scheduler: BaseScheduler, plan: dict[str, datetime | None] | None = None
    ) -> BaseScheduler:
        plan = self.plan() if plan is None else plan
        self._add_jobs(scheduler, plan)
        return scheduler

    def _add_jobs(self, scheduler: BaseScheduler, plan: dict[str, datetime | None]) -> None:
        if not self.holding:
            return
        cfg = self.ctx.config
        for name in self.scheduled_jobs():
            kwargs: dict[str, Any] = {}
            if plan.get(name) is not None:
                kwargs["next_run_time"] = plan[name]
            scheduler.add_job(
                self.launch,
                trigger_for(cfg.schedules[name], zone_for(name, cfg.timezone)),
                args=[name],
                id=name,
                name=name,
                replace_existing=True,
                **kwargs,
            )

    def _lease_changed(self, holding: bool) -> None:
        """Called by the heartbeat: schedule from a fresh plan when the lease came
        to this process (the last holder's runs count), stop scheduling when it went."""
        scheduler = self.scheduler
        if scheduler is None or self.ctx.stop.is_set():
            return
        if not holding:
            scheduler.remove_all_jobs()
            return
        self._add_jobs(scheduler, self.plan())

    def _run_requested(self) -> None:
        """A viewer asked through the store to collect now, as space does here."""
        if self.scheduler is None or self.ctx.stop.is_set():
            return
        for job in COLLECT_NOW:
            if job in self.scheduled_jobs() and job not in self.running_jobs:
                self.launch(job, chain=True)

    def _start_heartbeat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.start()

    def _last_success(self, name: str) -> float | None:
        try:
            return queries.last_success(
                self.ctx.store, name, [a.name for a in self.ctx.config.accounts]
            )
        except Exception as exc:
            log.warning("cannot read the last run of %s: %s", name, exc)
            return None

    @staticmethod
    def _defaults() -> dict[str, Any]:
        # misfire_grace_time must be an int: APScheduler rejects a float.
        return {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS}

    def start_embedded(self, plan: dict[str, datetime | None] | None = None) -> None:
        """Start on the running asyncio loop. Pass a `plan()` made on another
        thread to keep store reads off the loop."""
        scheduler = AsyncIOScheduler(job_defaults=self._defaults(), timezone=UTC)
        self.scheduler = self._configure(scheduler, plan)
        self.follow = True
        scheduler.start()
        self._start_heartbeat()

    def pause(self) -> None:
        self.paused = True
        if self.scheduler is not None:
            self.scheduler.pause()

    def resume(self) -> None:
        self.paused = False
        if self.scheduler is not None:
            self.scheduler.resume()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop scheduling, ask jobs to stop, wait for them (`timeout`, default
        `stop_seconds`); True if all ended."""
        self.ctx.stop.set()
        if self.heartbeat is not None:
            self.heartbeat.stop_runs()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        deadline = time.monotonic() + (self.stop_seconds if timeout is None else timeout)
        with self._state_lock:
            while self._running and (left := deadline - time.monotonic()) > 0:
                self._state_lock.wait(left)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        left = bool(self.running_jobs)
        if self.heartbeat is not None:
            # After the jobs: another process must not start them while they still
            # run. Runs left open keep the lease's row (run out now), so the next
            # holder closes them as abandoned.
            self.heartbeat.stop(runs_left=left)
        return not left

    def run_forever(self) -> None:
        """Headless: block until Ctrl-C or SIGTERM, then stop cleanly."""
        scheduler = BackgroundScheduler(job_defaults=self._defaults(), timezone=UTC)
        self.scheduler = self._configure(scheduler)
        self.follow = True
        received: list[int] = []

        def on_signal(signum: int, _frame: object) -> None:
            # Only a list append: a lock taken here (an Event, a thread start, a
            # log line) may be one this thread held when the signal came.
            received.append(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            scheduler.start()
            self._start_heartbeat()
            # In short sleeps, not one wait until the next job: the kernel may hand
            # the signal to a job's thread, and Python runs the handler only when
            # this thread next runs Python code (a collector stayed up after
            # SIGINT until its next job was due).
            while not received and self.too_new is None:
                time.sleep(SIGNAL_POLL_SECONDS)
            if received:
                log.info("signal %s: stopping", received[0])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()
