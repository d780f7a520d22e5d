"""The collector lease's compare-and-set (store/lease.py): renewing, taking an
expired lease, releasing, run requests, and many threads on separate
connections racing for one lease, of which exactly one wins each round."""

from __future__ import annotations

import threading

import pytest

from r2tui.heartbeat import Heartbeat
from r2tui.store import Store, lease, open_store
from r2tui.store.models import JobRun
from r2tui.waits import Waits
from tests.support.configs import account_for
from tests.support.store_data import ACC, NOW, run

A = lease.Holder("host-a", 101, "a")
B = lease.Holder("host-b", 202, "b")


def _at(store: Store, t: float) -> Store:
    store.clock = lambda: t
    return store


def test_take_renew_and_refuse(st: Store) -> None:
    taken = lease.acquire(_at(st, NOW), ACC, 10, holder=A)
    assert taken is not None and taken.took_from is None
    assert (taken.lease.name, taken.lease.expires_at) == ("host-a:101", NOW + 10)
    assert lease.acquire(_at(st, NOW + 5), ACC, 10, holder=B) is None  # live: refused
    renewed = lease.acquire(_at(st, NOW + 6), ACC, 10, holder=A, activity="inventory")
    assert renewed is not None and renewed.lease.expires_at == NOW + 16
    assert renewed.lease.acquired_at == NOW and renewed.lease.activity == "inventory"
    held = lease.read(st, ACC)
    assert held is not None and held.describe(NOW + 9) == "host-a:101, heartbeat 3s ago"


def test_an_expired_lease_is_taken_and_its_open_runs_abandoned(st: Store) -> None:
    lease.acquire(_at(st, NOW), ACC, 10, holder=A)
    # A's open run (host and pid as A's process wrote them) and a finished one.
    open_id = run(st, "inventory", NOW + 1)
    done_id = run(st, "check_alerts", NOW + 1, NOW + 2)
    JobRun.update(host=A.host, pid=A.pid).execute()
    taken = lease.acquire(_at(st, NOW + 11), ACC, 10, holder=B)
    assert taken is not None and taken.took_from is not None
    assert taken.took_from.name == "host-a:101" and taken.lease.holder == "b"
    closed = JobRun.get_by_id(open_id)
    assert closed.finished_at == NOW + 11 and closed.ok is False
    assert closed.error == "abandoned: host-a:101 stopped renewing its collector lease"
    assert JobRun.get_by_id(done_id).error is None
    assert lease.acquire(_at(st, NOW + 12), ACC, 10, holder=A) is None  # A lost it


def test_release_and_run_requests(st: Store) -> None:
    assert not lease.request_run(_at(st, NOW), ACC)  # nobody to ask
    lease.acquire(st, ACC, 10, holder=A)
    assert not lease.release(st, ACC, holder=B)
    assert lease.request_run(st, ACC)
    assert not lease.take_run_request(st, ACC, holder=B)  # only the holder claims it
    assert lease.take_run_request(st, ACC, holder=A)
    assert not lease.take_run_request(st, ACC, holder=A)  # once
    assert lease.release(st, ACC, holder=A)
    assert lease.read(st, ACC) is None
    assert lease.acquire(st, ACC, 10, holder=B) is not None  # free at once


@pytest.mark.parametrize("expired", [False, True], ids=["fresh", "expired"])
def test_one_winner_among_threads(st: Store, expired: bool) -> None:
    """Eight threads, each with its own connection, race for the lease: free, then
    (rounds 2..) expired; exactly one wins every round."""
    if expired:
        lease.acquire(_at(st, NOW - 100), ACC, 10, holder=lease.Holder("dead", 1, "dead"))
    st.clock = lambda: NOW
    holders = [lease.Holder(f"h{i}", i, f"id{i}") for i in range(8)]
    for round_ in range(3):
        won: list[str] = []
        gate = threading.Barrier(len(holders))

        def race(holder: lease.Holder, t: float, gate: threading.Barrier, won: list[str]) -> None:
            gate.wait()
            try:
                if lease.acquire(_at(st, t), ACC, 10, holder=holder) is not None:
                    won.append(holder.id)
            finally:
                st.thread_done()

        t = NOW + round_ * 20  # each round finds the last round's lease expired
        threads = [threading.Thread(target=race, args=(h, t, gate, won)) for h in holders]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=30)
        assert len(won) == 1, (round_, won)
        held = lease.read(st, ACC)
        assert held is not None and held.holder == won[0]


def test_holders_in_two_stores_on_one_file(sqlite_url: str) -> None:
    """Two opens of one SQLite file (as two processes): one holds, one is refused."""
    first = open_store(sqlite_url)
    try:
        assert lease.acquire(_at(first, NOW), ACC, 10, holder=A) is not None
    finally:
        first.close()
    second = open_store(sqlite_url)
    try:
        assert lease.acquire(_at(second, NOW + 1), ACC, 10, holder=B) is None
        assert lease.acquire(_at(second, NOW + 11), ACC, 10, holder=B) is not None
    finally:
        second.close()


def test_a_stopped_heartbeat_never_takes_the_lease_again(store: Store) -> None:
    """A late beat (a plan made on a worker as the app closes) after a clean stop
    must not put the released lease back for a whole period."""
    beat = Heartbeat(
        store,
        [account_for("http://127.0.0.1:9", name=ACC)],
        60,
        running=list,
        waits=Waits(),
        on_change=lambda _holding: None,
        on_run_request=lambda: None,
    )
    assert beat.beat()
    beat.stop()
    assert lease.read(store, ACC) is None
    assert not beat.beat()
    assert lease.read(store, ACC) is None
