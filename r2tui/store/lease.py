"""The collector lease: one process per account and store runs the schedule.

One row per account names the holding process (its host, pid and random id,
store/holder.py), when it took the lease, its last heartbeat and when the lease
runs out. Taking and renewing are single conditional statements, a
compare-and-set no two processes can both win: an UPDATE whose WHERE names the
holder seen (or this process), an INSERT that does nothing when a row is there
already. Their times come from the database's clock, not the process's: a
holder and a taker on two machines whose clocks disagree still agree on when a
lease runs out. On PostgreSQL each attempt is one transaction with a statement
and lock timeout, so a heartbeat never hangs on a locked row.

The holder writes what it is doing (`activity`) at every heartbeat; a viewer
asks it to run now through `run_requested_at`. Whoever takes a lease that ran
out closes the job runs its holder left open, as "abandoned" with the host and
pid. What the holder was still running writes nothing more (store/fence.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from peewee import SQL

from r2tui.store.db import Store, db_now
from r2tui.store.fence import Fence
from r2tui.store.holder import HOST, Holder, me
from r2tui.store.migrations import check_version
from r2tui.store.models import CollectorLease, JobRun

__all__ = [
    "HOST",
    "Holder",
    "Lease",
    "Taken",
    "abandon_runs_of",
    "acquire",
    "expire",
    "me",
    "read",
    "read_all",
    "release",
    "request_run",
    "take_run_request",
]

# How long giving a lease up may wait on PostgreSQL: a stop must not hang on it
# (a lease not given up runs out by itself).
GIVE_UP_SECONDS = 5.0


@dataclass(frozen=True)
class Lease:
    account: str
    host: str
    pid: int
    holder: str
    acquired_at: float
    heartbeat_at: float
    expires_at: float
    activity: str
    run_requested_at: float | None

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}"

    @property
    def fence(self) -> Fence:
        """This holding's generation: what the runs started under it write by."""
        return Fence(self.account, self.holder, self.acquired_at)

    def live(self, now: float) -> bool:
        return self.expires_at > now

    def held_by(self, holder: Holder) -> bool:
        return self.holder == holder.id

    def describe(self, now: float) -> str:
        """ "host:pid, heartbeat 3s ago" """
        return f"{self.name}, heartbeat {max(0, int(now - self.heartbeat_at))}s ago"


@dataclass(frozen=True)
class Taken:
    """A lease this process holds now; `took_from` is the holder whose expired
    lease it took (None when it renewed its own or the account had none)."""

    lease: Lease
    took_from: Lease | None = None


def read(store: Store, account: str) -> Lease | None:
    store.bound()
    row: CollectorLease | None = CollectorLease.get_or_none(CollectorLease.account == account)
    return None if row is None else _lease(row)


def read_all(store: Store) -> list[Lease]:
    store.bound()
    return [_lease(r) for r in CollectorLease.select().order_by(CollectorLease.account)]


def _lease(row: CollectorLease) -> Lease:
    return Lease(
        account=row.account,
        host=row.host,
        pid=row.pid,
        holder=row.holder,
        acquired_at=row.acquired_at,
        heartbeat_at=row.heartbeat_at,
        expires_at=row.expires_at,
        activity=row.activity or "",
        run_requested_at=row.run_requested_at,
    )


def _db_now(store: Store) -> SQL:
    """Now on the database's clock (`db.db_now`): every process judges a lease
    by this one clock."""
    return db_now(store)


@contextlib.contextmanager
def _bounded(store: Store, seconds: float) -> Iterator[None]:
    """One transaction whose statements give up after `seconds` on PostgreSQL (a
    row locked by a stuck session, a server that stopped answering). SQLite's
    busy timeout bounds its waits already."""
    if store.is_sqlite:
        yield
        return
    ms = max(1, int(seconds * 1000))
    with store.atomic():
        store.db.execute_sql(f"SET LOCAL statement_timeout = {ms}")
        store.db.execute_sql(f"SET LOCAL lock_timeout = {ms}")
        yield


def acquire(
    store: Store,
    account: str,
    seconds: float,
    holder: Holder | None = None,
    activity: str | None = None,
    timeout: float | None = None,
) -> Taken | None:
    """Take or renew `account`'s lease for `seconds`; None while another live
    process holds it. Each attempt is one conditional statement: of two
    processes racing for the same lease, one wins. `timeout`: how long its
    statements may wait on PostgreSQL (default: a third of `seconds`, at least 1 s)."""
    holder = holder or me()
    store.bound()
    with _bounded(store, timeout if timeout is not None else max(1.0, seconds / 3)):
        return _acquire(store, account, seconds, holder, activity)


def _acquire(
    store: Store, account: str, seconds: float, holder: Holder, activity: str | None
) -> Taken | None:
    now = _db_now(store)
    beat: dict[object, object] = {
        CollectorLease.heartbeat_at: now,
        CollectorLease.expires_at: now + seconds,
    }
    if activity is not None:
        beat[CollectorLease.activity] = activity
    # Renew: this process holds it.
    renewed = (
        CollectorLease.update(beat)
        .where(CollectorLease.account == account, CollectorLease.holder == holder.id)
        .execute()
    )
    if renewed:
        return Taken(_must_read(store, account))
    seen = read(store, account)
    if seen is None:
        inserted = (
            CollectorLease.insert(
                account=account,
                host=holder.host,
                pid=holder.pid,
                holder=holder.id,
                acquired_at=now,
                heartbeat_at=now,
                expires_at=now + seconds,
                activity=activity or "",
            )
            .on_conflict_ignore()
            .execute()
        )
        # The row id on SQLite, a row count or None elsewhere: whether it went in
        # is read back, not guessed from what the driver returns.
        del inserted
        got = read(store, account)
        return Taken(got) if got is not None and got.held_by(holder) else None
    # Take it only if it ran out by the database's clock and is still the lease
    # seen (compare-and-set): a renewal meanwhile moved expires_at past now. The
    # take and the closing of the runs left open are one transaction (on SQLite
    # too, where each statement would commit by itself): nobody sees the lease
    # taken with its last holder's runs still open, and a failure closing them
    # leaves the lease as it was.
    with store.atomic():
        return _take(store, account, seconds, holder, activity, seen, now)


def _take(
    store: Store,
    account: str,
    seconds: float,
    holder: Holder,
    activity: str | None,
    seen: Lease,
    now: SQL,
) -> Taken | None:
    took = (
        CollectorLease.update(
            {
                CollectorLease.host: holder.host,
                CollectorLease.pid: holder.pid,
                CollectorLease.holder: holder.id,
                CollectorLease.acquired_at: now,
                CollectorLease.heartbeat_at: now,
                CollectorLease.expires_at: now + seconds,
                CollectorLease.activity: activity or "",
                # run_requested_at is left as the row holds it: a viewer's
                # "run now" written since `seen` was read carries over.
            }
        )
        .where(
            CollectorLease.account == account,
            CollectorLease.holder == seen.holder,
            CollectorLease.expires_at <= now,
        )
        .execute()
    )
    if not took:
        return None
    abandon_runs_of(store, seen)
    return Taken(_must_read(store, account), took_from=seen)


def _must_read(store: Store, account: str) -> Lease:
    got = read(store, account)
    assert got is not None, "a lease just written is there"
    return got


def abandon_runs_of(store: Store, dead: Lease) -> int:
    """Close the runs of `dead`'s account its holder left open, as abandoned. Runs
    are matched by the holder's id (an older r2tui's runs, which have none, by
    host and pid)."""
    store.bound()
    by_id = JobRun.holder == dead.holder
    by_process = (JobRun.holder == "") & (JobRun.host == dead.host) & (JobRun.pid == dead.pid)
    return int(
        JobRun.update(
            finished_at=store.now(),
            ok=False,
            error=f"abandoned: {dead.name} stopped renewing its collector lease",
        )
        .where(JobRun.finished_at.is_null(), JobRun.account == dead.account, by_id | by_process)
        .execute()
    )


def release(store: Store, account: str, holder: Holder | None = None) -> bool:
    """Give the lease up at once (a clean stop, no run left open); True if this
    process held it."""
    holder = holder or me()
    store.bound()
    with _bounded(store, GIVE_UP_SECONDS):
        gone = (
            CollectorLease.delete()
            .where(CollectorLease.account == account, CollectorLease.holder == holder.id)
            .execute()
        )
    return bool(gone)


def expire(store: Store, account: str, holder: Holder | None = None) -> bool:
    """Let the lease run out now and keep its row (a stop that leaves runs open):
    the next holder takes it as a lease that ran out, closing those runs as
    abandoned. True if this process held it."""
    holder = holder or me()
    store.bound()
    with _bounded(store, GIVE_UP_SECONDS):
        ended = (
            CollectorLease.update({CollectorLease.expires_at: _db_now(store)})
            .where(CollectorLease.account == account, CollectorLease.holder == holder.id)
            .execute()
        )
    return bool(ended)


def request_run(store: Store, account: str) -> bool:
    """A viewer asks the holder to run now; False when no process holds the lease.
    Raises StoreTooNew for a store a newer r2tui upgraded: it writes nothing there."""
    store.bound()
    check_version(store.db)
    asked = (
        CollectorLease.update(run_requested_at=store.clock())
        .where(CollectorLease.account == account)
        .execute()
    )
    return bool(asked)


def take_run_request(store: Store, account: str, holder: Holder | None = None) -> bool:
    """The holder claims a viewer's request to run now: True once per request."""
    holder = holder or me()
    store.bound()
    claimed = (
        CollectorLease.update(run_requested_at=None)
        .where(
            CollectorLease.account == account,
            CollectorLease.holder == holder.id,
            CollectorLease.run_requested_at.is_null(False),
        )
        .execute()
    )
    return bool(claimed)
