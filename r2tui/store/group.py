"""Group commit: many small writes share one transaction, committed before the
writer waits for anything.

The inventory job saves a thousand buckets a run, most of them one page, and on
SQLite a commit (writing the pages each save dirtied to the WAL, checkpointing
now and then) cost a tenth of the job's thread. Saves made one after another
share a transaction instead; each stays a savepoint of it (`Store.write()`
nested), so a failed one leaves no trace and the others stand. The transaction
is committed when the writer is about to wait (`turn(True)`, which the listing
calls before it blocks on the network), once it has been open `seconds` (at a
write or a turn of the listing, so a listing busy with pages that are all in
already holds the lock no longer), after `most` writes, and when the block
ends, whatever ends it: a writer never holds the store's write lock across a
wait, and what was saved before a stop or an error stays saved.

One exception, SQLite's: on a full disk, an I/O error or no memory it rolls
the whole transaction back by itself, so the writes of the group before the
failing one go too. The writer fails with that error (the inventory job
reports it) and those buckets are listed again at its next run.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from types import TracebackType

from r2tui.store.db import Store


class GroupCommit:
    """`with GroupCommit(store) as group:` then `with group.write(): ...` for each
    write; `group.turn(waiting)` between them."""

    def __init__(
        self,
        store: Store,
        most: int = 100,
        seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.most = most
        self.seconds = seconds
        self.clock = clock
        self.commits = 0  # transactions committed, for the curious (and the tests)
        self._open: contextlib.ExitStack | None = None
        self._writes = 0
        self._since = 0.0

    def __enter__(self) -> GroupCommit:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # What was written stays written, whatever ended the block: a stop or one
        # bucket's failure is no reason to drop the buckets saved before it. If the
        # commit itself fails, the transaction is rolled back (peewee) and the
        # block's own exception, if any, is the one that goes on.
        if exc is None:
            self.commit()
            return
        with contextlib.suppress(Exception):
            self.commit()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write, all or nothing, in the shared transaction (opened if none is)."""
        if self._open is None:
            stack = contextlib.ExitStack()
            stack.enter_context(self.store.write())
            self._open, self._writes, self._since = stack, 0, self.clock()
        with self.store.write():  # a savepoint of the shared transaction
            yield
        self._writes += 1
        if self._writes >= self.most:
            self.commit()
        else:
            self.turn(False)

    def turn(self, waiting: bool) -> None:
        """Commit if the writer is about to wait, or the transaction has been open
        `seconds`."""
        if self._open is not None and (waiting or self.clock() - self._since >= self.seconds):
            self.commit()

    def commit(self) -> None:
        """Commit what was written so far; nothing when no transaction is open."""
        stack, self._open = self._open, None
        if stack is not None:
            stack.close()
            self.commits += 1
