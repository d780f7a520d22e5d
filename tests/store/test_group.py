"""Group commit (store/group.py): writes share a transaction until `commit()`,
`most` writes or `seconds`; each write stays all or nothing; what was written
before an error or a stop ends the block stays written. On SQLite and
PostgreSQL; what another connection sees is read from another thread."""

from __future__ import annotations

import pytest

from r2tui.store import Store
from r2tui.store.group import GroupCommit
from r2tui.store.models import Event
from r2tui.store.writes import EventRow, add_events
from tests.support.committed import committed_rows


def _committed(store: Store) -> int:
    return committed_rows(store, Event)


def _write(store: Store, n: int) -> None:
    add_events(store, "test", [EventRow("test", "info", f"event {n}")], ts=1_760_000_000 + n)


class Ticks:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_writes_are_committed_together_before_a_wait(st: Store) -> None:
    clock = Ticks()
    with GroupCommit(st, most=100, seconds=1.0, clock=clock) as group:
        for n in range(3):
            with group.write():
                _write(st, n)
        assert _committed(st) == 0  # one transaction, still open
        group.turn(False)  # a turn of the listing, not waiting, the group young
        assert _committed(st) == 0
        group.turn(True)  # as the listing does before it waits
        assert _committed(st) == 3 and group.commits == 1
        group.turn(True)  # nothing open: nothing to do
        assert group.commits == 1
        with group.write():
            _write(st, 3)
        clock.t = 1.0  # the next write comes a second after the group opened
        with group.write():
            _write(st, 4)
        assert _committed(st) == 5 and group.commits == 2
    assert group.commits == 2


def test_a_busy_listing_commits_a_group_once_it_is_old(st: Store) -> None:
    """Pages all in already (no wait) for a while after the last write: the group
    goes at a turn once `seconds` have passed, not at the next write."""
    clock = Ticks()
    with GroupCommit(st, seconds=0.5, clock=clock) as group:
        with group.write():
            _write(st, 0)
        clock.t = 0.4
        group.turn(False)
        assert _committed(st) == 0
        clock.t = 0.5
        group.turn(False)
        assert _committed(st) == 1 and group.commits == 1


def test_a_group_is_committed_after_most_writes_and_at_the_end(st: Store) -> None:
    with GroupCommit(st, most=2, clock=Ticks()) as group:
        for n in range(5):
            with group.write():
                _write(st, n)
        assert _committed(st) == 4 and group.commits == 2
    assert _committed(st) == 5 and group.commits == 3


def test_a_failed_write_leaves_nothing_and_the_others_stand(st: Store) -> None:
    with GroupCommit(st, clock=Ticks()) as group:
        with group.write():
            _write(st, 0)
        with pytest.raises(RuntimeError), group.write():
            _write(st, 1)
            raise RuntimeError("the second write fails half way")
        with group.write():
            _write(st, 2)
    assert sorted(e.message for e in Event.select()) == ["event 0", "event 2"]


def test_what_was_written_before_the_block_fails_stays_written(st: Store) -> None:
    """A stop (Cancelled) or an error between writes: the writes before it are
    committed, not rolled back with the group."""
    with pytest.raises(KeyboardInterrupt), GroupCommit(st, clock=Ticks()) as group:
        for n in range(2):
            with group.write():
                _write(st, n)
        raise KeyboardInterrupt
    assert _committed(st) == 2
