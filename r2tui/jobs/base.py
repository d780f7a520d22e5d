"""What every job shares: its context, its outcome, and how failures and the
monitor's own spend are recorded."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peewee import PeeweeException

from r2tui.config import AccountConfig, Config, S3Settings
from r2tui.config.secrets import SecretUrl, scrub
from r2tui.observations import RequestTally
from r2tui.pricing import request_cost_usd
from r2tui.sources import s3
from r2tui.sources.analytics_answer import (
    AnalyticsAuthError,
    AnalyticsError,
    AnalyticsRateLimited,
    AnalyticsUnavailable,
)
from r2tui.sources.errors import describe_error
from r2tui.store import Store, writes
from r2tui.store.health import SourceReport, SourceState
from r2tui.store.writes import SampleRow
from r2tui.waits import Waits

log = logging.getLogger("r2tui.jobs")
ClientFactory = Callable[[AccountConfig, S3Settings, RequestTally], Any]
# Records a locked or full store refused, written (with their own times) before the
# next run; capped, so a store that never recovers cannot grow memory.
DEFERRED_MAX = 100


def _store_clock() -> float:
    """JobContext's default clock: stands for "the store's", which it becomes
    when the context is made (a default cannot name another field)."""
    raise AssertionError("JobContext.__post_init__ replaces this clock")


@dataclass
class JobContext:
    config: Config
    store: Store
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = _store_clock  # the store's clock unless one is given
    client_factory: ClientFactory = s3.make_client
    # Writes a locked or full store refused, retried before the next run.
    deferred: list[Callable[[], object]] = field(default_factory=list)  # results unused
    deferred_lock: threading.Lock = field(default_factory=threading.Lock)
    last_purge: float = 0.0
    analytics_backoff: float = 1.0  # first retry delay (s) after a 429 or 5xx
    # Requests in flight by host: the header's "waiting 40 s for HOST".
    waits: Waits = field(default_factory=Waits)

    def __post_init__(self) -> None:
        if self.clock is _store_clock:
            self.clock = self.store.clock


@dataclass
class Outcome:
    items: int = 0
    summary: str = ""
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False  # stopped on request: neither a success nor a failure
    # What the run saw of each source (store.health): the runner records it with the
    # run's close. A source the run did not touch is absent, not "ok".
    sources: dict[str, SourceReport] = field(default_factory=dict)

    def source_ok(self, source: str) -> None:
        self.sources[source] = SourceReport(SourceState.OK)

    def source_failed(self, source: str, kind: str | SourceState, reason: str) -> None:
        """`kind`: a SourceState or its value ("refused", "down", "missing",
        "failing", as sources.errors.failure_kind says); `reason` is one line free of
        secrets (describe_error, AnalyticsError.reason). A later failure of the same
        run does not hide the first."""
        if source not in self.sources or self.sources[source].state is SourceState.OK:
            self.sources[source] = SourceReport(SourceState(kind), reason)

    def merge(self, other: Outcome) -> Outcome:
        """Both runs' items, summaries, errors and sources (other's win)."""
        return Outcome(
            items=self.items + other.items,
            summary="; ".join(s for s in (self.summary, other.summary) if s),
            errors=self.errors + other.errors,
            sources={**self.sources, **other.sources},
        )


@dataclass(frozen=True)
class JobResult:
    job: str
    ok: bool
    items: int
    started_at: float
    finished_at: float
    summary: str
    errors: tuple[str, ...] = ()
    # The same errors by account, unprefixed: a view shows only its account's.
    account_errors: tuple[tuple[str, str], ...] = ()

    def errors_for(self, account: str) -> list[str]:
        return [e for a, e in self.account_errors if a == account]

    @property
    def error(self) -> str | None:
        return "; ".join(self.errors) if self.errors else None


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: Callable[[JobContext, AccountConfig], Outcome] | None
    description: str
    # Jobs whose first success in a process also runs this one: at start-up every
    # due job starts at once, and costs computed beside the first collection would
    # miss what it brings until the next scheduled run.
    after: tuple[str, ...] = ()

    @property
    def implemented(self) -> bool:
        return self.run is not None


def s3_client(ctx: JobContext, account: AccountConfig, tally: RequestTally) -> Any:
    """The account's S3 client, its requests tallied and reported to ctx.waits while
    they are in flight."""
    client = ctx.client_factory(account, ctx.config.s3, tally)
    s3.report_waits(client, ctx.waits)
    return client


def analytics_kind(exc: AnalyticsError) -> SourceState:
    """The analytics source's state for a failed query: a refused token (or one
    that cannot see the account) is refused, an endpoint that never answered or
    kept refusing for load is down, anything else (a malformed answer) failing."""
    if isinstance(exc, AnalyticsAuthError):
        return SourceState.REFUSED
    if isinstance(exc, AnalyticsUnavailable | AnalyticsRateLimited):
        return SourceState.DOWN
    return SourceState.FAILING


_ROLLBACK_FAILED = ("cannot rollback", "no such savepoint")


def is_store_error(exc: BaseException) -> bool:
    return isinstance(exc, PeeweeException | sqlite3.Error)


def reason_for(exc: BaseException, endpoint: str | SecretUrl = "") -> str:
    """One line for a failure: the store's own words for a store error, else the
    source's; never a credential (a URL a library quotes is shown without its
    userinfo and query)."""
    if is_store_error(exc):
        # SQLite rolls back by itself on SQLITE_FULL, then peewee's own rollback
        # fails with "cannot rollback" (of a savepoint: "no such savepoint"): the
        # first error in the chain is the reason.
        root: BaseException | None = exc
        while root is not None and any(m in str(root) for m in _ROLLBACK_FAILED):
            root = root.__context__
        return f"store: {scrub(str(root or exc))}"
    return describe_error(exc, endpoint)


def defer(ctx: JobContext, write: Callable[[], object]) -> None:
    with ctx.deferred_lock:
        ctx.deferred.append(write)
        del ctx.deferred[:-DEFERRED_MAX]


def flush_deferred(ctx: JobContext) -> None:
    """Write what the store refused earlier; stops at the first refusal.

    Each record is claimed (taken off the list under the lock) before it is
    written, so however many job threads flush at once, each writes it once; a
    refused one goes back to the front, in its place. The writes run outside the
    lock so a slow store never holds other jobs up."""
    while True:
        with ctx.deferred_lock:
            if not ctx.deferred:
                return
            write = ctx.deferred.pop(0)
        try:
            with ctx.store.write():
                write()
        except BaseException as exc:
            # Back in its place whatever stopped it (Ctrl-C too): a claimed record
            # is never lost.
            with ctx.deferred_lock:
                ctx.deferred.insert(0, write)
                del ctx.deferred[:-DEFERRED_MAX]  # as defer() caps it: the oldest go
                left = len(ctx.deferred)
            if not isinstance(exc, Exception):
                raise
            log.warning("the store still refuses %d deferred records: %s", left, reason_for(exc))
            return


def record_spend(ctx: JobContext, account: AccountConfig, tally: RequestTally) -> None:
    """Store what the monitor's own requests cost. Called on the way out of a job,
    failed or not, so it must not raise over the job's own error: a store that
    refuses it gets it later."""
    if tally.total == 0:
        return
    rows = [
        SampleRow("monitor_class_a_ops", tally.class_a),
        SampleRow("monitor_class_b_ops", tally.class_b),
        SampleRow("monitor_free_ops", tally.free),
        SampleRow("monitor_cost_usd", request_cost_usd(tally.class_a, tally.class_b)),
    ]
    ts = ctx.clock()
    try:
        writes.add_samples(ctx.store, account.name, rows, ts=ts)
    except Exception as exc:
        log.warning("cannot record the monitor's spend now: %s", reason_for(exc))
        defer(ctx, lambda: writes.add_samples(ctx.store, account.name, rows, ts=ts))


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
