"""The collector's heartbeat: it takes and renews the collector lease of every
account it collects (store/lease.py), and while it holds them writes what the
collector is doing for viewers and picks up their requests to run now.

A process holds its accounts together or not at all: it runs the schedule only
with every account's lease, and lets go of those it got when one is held
elsewhere. It beats every third of the lease period, so a holder that stops
beating loses the lease within one period and another process takes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from r2tui.config import AccountConfig
from r2tui.config.secrets import shown_host
from r2tui.store import Store, lease
from r2tui.store.migrations import StoreTooNew, check_version
from r2tui.waits import Waits, waiting_text

log = logging.getLogger(__name__)
# What a viewer's "run now" (space) runs, as space does in the holder.
COLLECT_NOW = ("collect_metrics", "inventory")


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
    ) -> None:
        self.store = store
        self.accounts = sorted(accounts, key=lambda a: a.name)
        self.seconds = seconds
        self.running = running
        self.waits = waits
        self.on_change = on_change
        self.on_run_request = on_run_request
        self.holding = False
        # Why this process must stop collecting: a newer r2tui upgraded the store.
        self.too_new: str | None = None
        self._valid_until = 0.0  # monotonic: until when the last renewal holds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one beat at a time

    @property
    def interval(self) -> float:
        return self.seconds / 3

    def beat(self) -> bool:
        """One attempt at every account's lease; whether this process holds them all."""
        with self._lock:
            was = self.holding
            if self._stop.is_set():  # stopped (and released): never take it again
                return False
            if self.too_new is None:
                self.too_new = self._too_new()
            if self.too_new is not None:
                # Write nothing more to a store this r2tui no longer knows: the
                # lease runs out, and a process of the newer r2tui takes over.
                self.holding = False
                if was:
                    self.on_change(False)
                return False
            try:
                now_holding = self._take_all()
                if now_holding:
                    self._valid_until = time.monotonic() + self.seconds
            except Exception as exc:
                # A locked or unreachable store: what was held stays held until it
                # would have run out (nobody else can have taken it before).
                log.warning("cannot renew the collector lease: %s", exc)
                now_holding = was and time.monotonic() < self._valid_until
            self.holding = now_holding
        if now_holding != was:
            log.info("collector lease %s", "taken" if now_holding else "lost")
            self.on_change(now_holding)
        if now_holding:
            self._claim_requests()
        return now_holding

    def _too_new(self) -> str | None:
        """Why the store is beyond this r2tui, or None (a failed read is not a reason)."""
        try:
            check_version(self.store.db)
        except StoreTooNew as exc:
            log.error("stopped collecting: %s", exc)
            return str(exc)
        except Exception:  # a locked or unreachable store: the lease code says it
            return None
        return None

    def _take_all(self) -> bool:
        got: list[str] = []
        for account in self.accounts:
            try:
                taken = lease.acquire(
                    self.store, account.name, self.seconds, activity=self._activity(account)
                )
            except Exception:
                taken = None
                self._release(got)
                raise
            if taken is None:
                self._release(got)  # all or nothing: never sit on part of them
                return False
            if taken.took_from is not None:
                log.warning(
                    "took over the collector lease of %s from %s",
                    account.name,
                    taken.took_from.name,
                )
            got.append(account.name)
        return True

    def _release(self, names: list[str]) -> None:
        for name in names:
            try:
                lease.release(self.store, name)
            except Exception as exc:  # it runs out by itself
                log.warning("cannot give the collector lease of %s back: %s", name, exc)

    def _activity(self, account: AccountConfig) -> str:
        hosts = {shown_host(account.endpoint_url), shown_host(account.graphql_url)}
        waiting = waiting_text(self.waits.open(), hosts, self.waits.now())
        return activity_text(self.running(), waiting)

    def _claim_requests(self) -> None:
        try:
            asked = [lease.take_run_request(self.store, a.name) for a in self.accounts]
        except Exception as exc:
            log.warning("cannot read requests to run now: %s", exc)
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

    def stop(self) -> None:
        """Stop beating and give up the leases at once (a clean stop)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._lock:
            held, self.holding = self.holding, False
        if not held:
            return
        try:
            for account in self.accounts:
                lease.release(self.store, account.name)
        except Exception as exc:
            log.warning("cannot release the collector lease: %s", exc)
