"""Writes a locked store refused are written later exactly once, however many
job threads flush at once (each claims a record before writing it); a record
the store refuses again goes back to the front, in order.

Real parts: a SQLite store, threads. Nothing is mocked."""

from __future__ import annotations

import threading
import time
from collections import Counter

from r2tui.jobs.base import JobContext, defer, flush_deferred
from r2tui.store import Store, writes
from r2tui.store.writes import SampleRow
from tests.support.configs import account_for, make_config

THREADS = 6
RECORDS = 12


def _context(store: Store) -> JobContext:
    return JobContext(config=make_config((account_for("http://127.0.0.1:9"),)), store=store)


def test_each_deferred_record_is_written_once_by_concurrent_flushes(store: Store) -> None:
    ctx = _context(store)
    written: Counter[int] = Counter()

    def record(n: int) -> None:
        def write() -> None:
            written[n] += 1
            writes.add_samples(store, "acme", [SampleRow("monitor_cost_usd", float(n))], ts=n)
            time.sleep(0.005)  # long enough for the other threads to look meanwhile

        defer(ctx, write)

    for n in range(RECORDS):
        record(n)
    start = threading.Barrier(THREADS)

    def flush() -> None:
        start.wait()
        try:
            flush_deferred(ctx)
        finally:
            store.thread_done()

    threads = [threading.Thread(target=flush) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert written == Counter(range(RECORDS))
    assert ctx.deferred == []
    rows = store.db.execute_sql("SELECT ts FROM sample ORDER BY ts").fetchall()
    assert rows == [(n,) for n in range(RECORDS)]


def test_a_refused_record_goes_back_to_the_front(store: Store) -> None:
    ctx = _context(store)
    tries: list[str] = []
    refuse = True

    def first() -> None:
        tries.append("first")
        if refuse:
            raise RuntimeError("store: database is locked")

    def second() -> None:
        tries.append("second")

    defer(ctx, first)
    defer(ctx, second)
    flush_deferred(ctx)
    assert tries == ["first"] and ctx.deferred == [first, second]
    refuse = False
    flush_deferred(ctx)
    assert tries == ["first", "first", "second"] and ctx.deferred == []


def test_a_record_claimed_when_ctrl_c_comes_is_put_back(store: Store) -> None:
    ctx = _context(store)

    def interrupted() -> None:
        raise KeyboardInterrupt

    defer(ctx, interrupted)
    try:
        flush_deferred(ctx)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt was swallowed")
    assert ctx.deferred == [interrupted]
