"""What another connection sees of a store: only what was committed; and work
that runs while another connection's write is in flight."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import TypeVar

from r2tui.store import Store
from r2tui.store.models import BaseModel

T = TypeVar("T")


def committed_rows(store: Store, model: type[BaseModel]) -> int:
    """The rows of `model` a connection of another thread sees (peewee gives each
    thread its own): the committed ones."""
    seen: list[int] = []

    def read() -> None:
        try:
            seen.append(model.select().count())
        finally:
            store.thread_done()

    t = threading.Thread(target=read)
    t.start()
    t.join()
    return seen[0]


def behind_a_write(
    store: Store,
    path: str,
    write: Callable[[sqlite3.Connection], object],
    work: Callable[[], T],
) -> T:
    """`work()` in a thread of this process, started while another connection
    (another process, as far as SQLite knows) holds a write transaction doing
    `write`, which commits once `work` has opened its first transaction. What
    `work` read before that transaction is from before the other's write; what
    it reads inside one that waits for the write lock is from after."""
    other = sqlite3.connect(path, isolation_level=None, timeout=10)
    began = threading.Event()
    out: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        conn = store.db.connection()
        conn.set_trace_callback(lambda sql: began.set() if sql.startswith("BEGIN") else None)
        try:
            out.append(work())
        except BaseException as exc:  # handed to the test's thread
            failed.append(exc)
            began.set()
        finally:
            conn.set_trace_callback(None)
            store.thread_done()

    try:
        other.execute("BEGIN IMMEDIATE")
        write(other)
        t = threading.Thread(target=run)
        t.start()
        assert began.wait(10), "work never began a transaction"
        other.execute("COMMIT")
        t.join(30)
    finally:
        other.close()
    if failed:
        raise failed[0]
    return out[0]
