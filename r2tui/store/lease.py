"""The collector lease: one process per account and store runs the schedule.

One row per account names the holding process (its host, pid and a random id
drawn once per process), when it took the lease, its last heartbeat and when
the lease runs out. Taking and renewing are single conditional statements, a
compare-and-set no two processes can both win: an UPDATE whose WHERE names
the holder seen (or this process), an INSERT that does nothing when a row is
there already. The holder writes what it is doing (`activity`) at every
heartbeat; a viewer asks it to run now through `run_requested_at`.

Whoever takes a lease that ran out closes the job runs its dead holder left
open, as "abandoned" with the host and pid.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

from r2tui.store.db import Store
from r2tui.store.models import CollectorLease, JobRun

HOST = socket.gethostname()
_IDS: dict[int, str] = {}


@dataclass(frozen=True)
class Holder:
    """A process that may hold leases: every collector in one process is the same one."""

    host: str
    pid: int
    id: str

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}"


def me() -> Holder:
    """This process. Its id is drawn again in a forked child: a child is another process."""
    pid = os.getpid()
    if pid not in _IDS:
        _IDS[pid] = secrets.token_hex(8)
    return Holder(HOST, pid, _IDS[pid])


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


def acquire(
    store: Store,
    account: str,
    seconds: float,
    holder: Holder | None = None,
    activity: str | None = None,
) -> Taken | None:
    """Take or renew `account`'s lease for `seconds`; None while another live
    process holds it. Each attempt is one conditional statement: of two
    processes racing for the same lease, one wins."""
    holder = holder or me()
    store.bound()
    now = store.clock()
    expires = now + seconds
    beat: dict[object, object] = {
        CollectorLease.heartbeat_at: now,
        CollectorLease.expires_at: expires,
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
                expires_at=expires,
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
    if seen.live(now):
        return None
    # Expired: take it, only if it is still the lease seen (compare-and-set).
    took = (
        CollectorLease.update(
            {
                CollectorLease.host: holder.host,
                CollectorLease.pid: holder.pid,
                CollectorLease.holder: holder.id,
                CollectorLease.acquired_at: now,
                CollectorLease.heartbeat_at: now,
                CollectorLease.expires_at: expires,
                CollectorLease.activity: activity or "",
                CollectorLease.run_requested_at: seen.run_requested_at,
            }
        )
        .where(
            CollectorLease.account == account,
            CollectorLease.holder == seen.holder,
            CollectorLease.expires_at == seen.expires_at,
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
    """Close the runs of `dead`'s account its holder left open, as abandoned."""
    store.bound()
    return int(
        JobRun.update(
            finished_at=store.now(),
            ok=False,
            error=f"abandoned: {dead.name} stopped renewing its collector lease",
        )
        .where(
            JobRun.finished_at.is_null(),
            JobRun.account == dead.account,
            JobRun.host == dead.host,
            JobRun.pid == dead.pid,
        )
        .execute()
    )


def release(store: Store, account: str, holder: Holder | None = None) -> bool:
    """Give the lease up at once (a clean stop); True if this process held it."""
    holder = holder or me()
    store.bound()
    gone = (
        CollectorLease.delete()
        .where(CollectorLease.account == account, CollectorLease.holder == holder.id)
        .execute()
    )
    return bool(gone)


def request_run(store: Store, account: str) -> bool:
    """A viewer asks the holder to run now; False when no process holds the lease."""
    store.bound()
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
