"""The collector's heartbeat: it takes and renews the collector lease of every
account it collects (store/lease.py), and while it holds them writes what the
collector is doing for viewers and picks up their requests to run now.

A process holds its accounts together or not at all: it runs the schedule only
with every account's lease, and lets go of those it got when one is held
elsewhere. It beats every third of the lease period, so a holder that stops
beating loses the lease within one period and another process takes it.

`holding` is true only until the last renewal would run out, counted from
before that renewal's statement on a clock that keeps counting through a
laptop's suspend: a renewal that hangs (a locked store, a partition) ends the
holding by itself, and no process believes it holds a lease the store already
gave away. Each holding is a `Tenure` (store/fence.py), whose runs stop and
write nothing more once it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from r2tui.config import AccountConfig
from r2tui.config.secrets import shown_host
from r2tui.jobs import reason_for
from r2tui.literal import visible
from r2tui.store import Store, lease
from r2tui.store.fence import Fence, Tenure
from r2tui.store.migrations import StoreTooNew, check_version
from r2tui.waits import Waits, waiting_text

log = logging.getLogger(__name__)
# What a viewer's "run now" (space) runs, as space does in the holder.
COLLECT_NOW = ("collect_metrics", "inventory")


def boot_clock() -> float:
    """Seconds on a clock that counts through a suspend (Linux's CLOCK_BOOTTIME;
    elsewhere the monotonic clock, which may stop while suspended)."""
    try:
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    except (AttributeError, OSError):
        return time.monotonic()


def activity_text(running: Sequence[str], waiting: str) -> str:
    """What a holder writes for its viewers: its running jobs, and what they wait on."""
    jobs = ", ".join(sorted(running))
    if waiting and jobs:
        return f"{waiting} ({jobs})"
    return jobs


class Heartbeat:
    """Beats for one collector: `on_change(True)` when it came to hold every
    account's lease, `on_change(False)` when it lost one; `on_run_request` when a
    viewer asked to run now."""

    def __init__(
        self,
        store: Store,
        accounts: Sequence[AccountConfig],
        seconds: float,
        running: Callable[[], list[str]],
        waits: Waits,
        on_change: Callable[[bool], None],
        on_run_request: Callable[[], None],
        clock: Callable[[], float] = boot_clock,
    ) -> None:
        self.store = store
        self.accounts = sorted(accounts, key=lambda a: a.name)
        self.seconds = seconds
        self.running = running
        self.waits = waits
        self.on_change = on_change
        self.on_run_request = on_run_request
        self.clock = clock  # counts the lease's time here: never the wall clock
        self.tenure: Tenure | None = None  # the last holding (ended once it is gone)
        # Why this process must stop collecting: a newer r2tui upgraded the store.
        self.too_new: str | None = None
        # Why the last beat could not reach the store (None when it could).
        self.error: str | None = None
        self._held = False  # the last beat took or renewed every lease
        self._valid_until = 0.0  # on `clock`: when the last renewal runs out at the latest
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one beat at a time

    @property
    def interval(self) -> float:
        return self.seconds / 3

    @property
    def holding(self) -> bool:
        """Whether this process holds every account's lease now: the last beat took
        them, and they have not run out since, whatever a hung renewal is doing."""
        return self._held and self.clock() < self._valid_until

    def current(self) -> Tenure | None:
        """The holding a run starts under now; None while not holding."""
        tenure = self.tenure
        if tenure is None or tenure.ended or not self.holding:
            return None
        return tenure

    def beat(self) -> bool:
        """One attempt at every account's lease; whether this process holds them all."""
        with self._lock:
            was = self._held
            if self._stop.is_set():  # stopped (and released): never take it again
                return False
            if self.too_new is None:
                self.too_new = self._too_new()
            if self.too_new is not None:
                # Write nothing more to a store this r2tui no longer knows: the
                # lease runs out, and a process of the newer r2tui takes over.
                self._held = False
                if self.tenure is not None:
                    self.tenure.end(lost=True, frozen=True)
                gained, dropped = False, was
            else:
                gained, dropped = self._renew(was)
        if dropped:
            log.info("collector lease lost")
            self.on_change(False)
        if gained:
            log.info("collector lease taken")
            self.on_change(True)
        held = self.holding
        if held:
            self._claim_requests()
        return held

    def _renew(self, was: bool) -> tuple[bool, bool]:
        """Take or renew every lease; whether the holding was gained, and dropped."""
        started = self.clock()  # before the statements: the store's expiry is later
        fences: dict[str, Fence] | None
        try:
            fences = self._take_all()
            self.error = None
        except Exception as exc:
            # A locked or unreachable store: what was held stays held until it
            # would have run out (nobody else can have taken it before).
            self.error = reason_for(exc)
            log.warning("cannot renew the collector lease: %s", visible(self.error))
            keep = was and self.tenure is not None and self.clock() < self._valid_until
            fences = self.tenure.fences if keep and self.tenure is not None else None
        else:
            if fences is not None:
                self._valid_until = started + self.seconds
        old = self.tenure
        same = fences is not None and old is not None and not old.ended and old.fences == fences
        if old is not None and not old.ended and not same:
            old.end(lost=True)  # its runs stop and write nothing past a takeover
        if fences is not None and not same:
            self.tenure = Tenure(fences)
        self._held = fences is not None
        return fences is not None and not same, was and not same

    def _too_new(self) -> str | None:
        """Why the store is beyond this r2tui, or None (a failed read is not a reason)."""
        try:
            check_version(self.store.db)
        except StoreTooNew as exc:
            log.error("stopped collecting: %s", visible(exc))
            return str(exc)
        except Exception:  # a locked or unreachable store: the lease code says it
            return None
        return None

    def _take_all(self) -> dict[str, Fence] | None:
        got: dict[str, Fence] = {}
        for account in self.accounts:
            try:
                taken = lease.acquire(
                    self.store,
                    account.name,
                    self.seconds,
                    activity=self._activity(account),
                    timeout=max(1.0, self.interval),
                )
            except Exception:
                self._release(list(got))
                raise
            if taken is None:
                self._release(list(got))  # all or nothing: never sit on part of them
                return None
            if taken.took_from is not None:
                log.warning(
                    "took over the collector lease of %s from %s",
                    visible(account.name),
                    visible(taken.took_from.name),
                )
            got[account.name] = taken.lease.fence
        return got

    def _release(self, names: list[str]) -> None:
        for name in names:
            try:
                lease.release(self.store, name)
            except Exception as exc:  # it runs out by itself
                log.warning(
                    "cannot give the collector lease of %s back: %s",
                    visible(name),
                    visible(reason_for(exc)),
                )

    def _activity(self, account: AccountConfig) -> str:
        hosts = {shown_host(account.endpoint_url), shown_host(account.graphql_url)}
        waiting = waiting_text(self.waits.open(), hosts, self.waits.now())
        return activity_text(self.running(), waiting)

    def _claim_requests(self) -> None:
        try:
            asked = [lease.take_run_request(self.store, a.name) for a in self.accounts]
        except Exception as exc:
            log.warning("cannot read requests to run now: %s", visible(reason_for(exc)))
            return
        if any(asked):
            self.on_run_request()

    def start(self) -> None:
        """Beat on a daemon thread until `stop`."""
        self._thread = threading.Thread(target=self._loop, name="r2tui-heartbeat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.beat()
                if self.too_new is not None:
                    return
        finally:
            self.store.thread_done()

    def stop_runs(self) -> None:
        """The collector stops: the runs of this holding stop between pages."""
        tenure = self.tenure
        if tenure is not None:
            tenure.end(lost=False)

    def stop(self, runs_left: bool = False) -> None:
        """Stop beating and give the leases up. `runs_left`: some runs did not end
        in time; the leases then run out now but stay, so the next holder takes
        them as run out and closes those runs as abandoned."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._lock:
            held, self._held = self._held, False
            if self.tenure is not None:
                self.tenure.end(lost=False)
        if not held:
            return
        try:
            for account in self.accounts:
                if runs_left:
                    lease.expire(self.store, account.name)
                else:
                    lease.release(self.store, account.name)
        except Exception as exc:
            log.warning("cannot give the collector lease up: %s", visible(reason_for(exc)))
