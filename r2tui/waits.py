"""Requests the collector is waiting on right now, by host: what the header
shows as "waiting 40 s for HOST" while an endpoint does not answer, instead of
only "running" for as long as the timeouts and retries last.

Sources call `begin` before a request leaves and `end` when it is answered or
has failed; readers ask for `longest`. Thread-safe: jobs run on several
threads. Hosts are shown as given, so callers pass a host (and port) only,
never a URL that could carry credentials.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# What a client waits on when no host is slow: its own pacing within the API's
# query limits. The header says so instead of naming the endpoint.
QUERY_BUDGET = "Cloudflare's query budget"
# A request in flight this long is named: "waiting 12 s for HOST".
WAIT_SHOWN_SECONDS = 3.0


@dataclass(frozen=True)
class Wait:
    host: str
    since: float  # clock time the request left
    what: str = ""  # e.g. "ListObjectsV2 media", "analytics query"

    def seconds(self, now: float) -> float:
        return max(0.0, now - self.since)


class Waits:
    """The requests in flight, each under a ticket from `begin`."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[int, Wait] = {}
        self._tickets = itertools.count(1)

    def begin(self, host: str, what: str = "") -> int:
        with self._lock:
            ticket = next(self._tickets)
            self._open[ticket] = Wait(host, self._clock(), what)
            return ticket

    def end(self, ticket: int) -> None:
        with self._lock:
            self._open.pop(ticket, None)

    @contextmanager
    def waiting(self, host: str, what: str = "") -> Iterator[None]:
        ticket = self.begin(host, what)
        try:
            yield
        finally:
            self.end(ticket)

    def open(self) -> list[Wait]:
        """Every request in flight, the longest waited on first."""
        with self._lock:
            return sorted(self._open.values(), key=lambda w: w.since)

    def longest(self) -> Wait | None:
        """The request waited on longest, if any is in flight."""
        with self._lock:
            return min(self._open.values(), key=lambda w: w.since, default=None)

    def now(self) -> float:
        return self._clock()


def waiting_text(waits: Iterable[Wait], hosts: set[str], now: float) -> str:
    """ "waiting 12 s for HOST" for the longest wait on one of `hosts` (the shown
    account's endpoints: another account's wait must not show, nor hide it) once
    it has lasted a while; the query budget is named as such, not as a slow host."""
    wait = next((w for w in waits if w.host in hosts), None)
    if wait is None or wait.seconds(now) < WAIT_SHOWN_SECONDS:
        return ""
    seconds = wait.seconds(now)
    if wait.what == QUERY_BUDGET:  # not a hung endpoint: our own pacing
        return f"waiting {seconds:.0f} s for {QUERY_BUDGET}"
    return f"waiting {seconds:.0f} s for {wait.host}"
