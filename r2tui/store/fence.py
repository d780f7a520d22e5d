"""Fencing a lease holder's writes: a run writes only under the lease it started under.

A lease is held from a take to its loss. One such holding is named by a
`Fence`: the holder's id and the time its take was stamped (`acquired_at`, on
the database's clock), which renewals keep and a new take changes. A process
that stalls past its lease (a locked store, SIGSTOP, a partition) may resume
after another process took the lease over and closed its runs as abandoned;
what it was running must then write nothing more. So a job run starts, and
records its end, only in a write transaction that finds its fence still in the
lease row (`holds`). A taker's UPDATE of that row waits for such a transaction
(SQLite has one writer at a time; PostgreSQL's read takes the row FOR SHARE), so
a run is either closed by its holder before the takeover or abandoned by the
taker after it, never both.

A `Tenure` is what this process holds from a take to its loss: its accounts'
fences, and the event that stops its runs between pages when it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from r2tui.store.db import Store
from r2tui.store.models import CollectorLease


@dataclass(frozen=True)
class Fence:
    account: str
    holder: str  # the holding process's random id
    acquired_at: float  # when its take was stamped: the holding's generation


def holds(store: Store, fence: Fence) -> bool:
    """Whether the lease row is still `fence`'s holding. Call it inside the write
    transaction whose writes it fences: the row stays so until it ends."""
    store.bound()
    query = CollectorLease.select(CollectorLease.account).where(
        CollectorLease.account == fence.account,
        CollectorLease.holder == fence.holder,
        CollectorLease.acquired_at == fence.acquired_at,
    )
    if not store.is_sqlite:
        query = query.for_update("FOR SHARE")  # type: ignore[arg-type]  # peewee takes the clause
    return query.first() is not None


class Tenure:
    """This process's holding of its accounts' leases, from a take to its end."""

    def __init__(self, fences: Mapping[str, Fence]) -> None:
        self.fences = dict(fences)
        # Set when the holding ends: its runs stop between pages (as on ctx.stop).
        self.stop = threading.Event()
        self.lost = False  # it ended because the lease went, not because the collector stops
        # It ended because a newer r2tui upgraded the store: its runs write nothing more.
        self.frozen = False

    @property
    def ended(self) -> bool:
        return self.stop.is_set()

    def end(self, lost: bool, frozen: bool = False) -> None:
        self.lost = self.lost or lost
        self.frozen = self.frozen or frozen
        self.stop.set()
