"""The collector lease's compare-and-set (store/lease.py): renewing, taking a
lease that ran out, releasing, letting it run out with runs left open, run
requests, fences, and many threads on separate connections racing for one
lease, of which exactly one wins each round. A lease's times are the
database's: a process whose clock is off neither takes a live lease nor loses
its own early."""

from __future__ import annotations

import threading
import time

import pytest

from r2tui.heartbeat import Heartbeat
from r2tui.store import Store, lease, open_store
from r2tui.store.fence import holds
from r2tui.store.migrations import StoreTooNew
from r2tui.store.models import JobRun
from r2tui.waits import Waits
from tests.support.configs import account_for
from tests.support.leases import run_out
from tests.support.store_data import ACC, NOW, run

A = lease.Holder("host-a", 101, "a")
B = lease.Holder("host-b", 202, "b")
HOUR = 3600.0


def _skewed(store: Store, by: float) -> Store:
    """This process's clock off by `by` seconds (another machine's, say)."""
    store.clock = lambda: time.time() + by
    return store


def test_take_renew_and_refuse(st: Store) -> None:
    taken = lease.acquire(st, ACC, 10, holder=A)
    assert taken is not None and taken.took_from is None
    got = taken.lease
    assert got.name == "host-a:101" and got.expires_at - got.heartbeat_at == pytest.approx(10)
    assert abs(got.heartbeat_at - time.time()) < 60  # the database's clock: this machine's
    assert lease.acquire(st, ACC, 10, holder=B) is None  # live: refused
    renewed = lease.acquire(st, ACC, 20, holder=A, activity="inventory")
    assert renewed is not None and renewed.lease.acquired_at == got.acquired_at
    assert renewed.lease.expires_at - renewed.lease.heartbeat_at == pytest.approx(20)
    assert renewed.lease.activity == "inventory" and renewed.lease.fence == got.fence
    held = lease.read(st, ACC)
    assert held is not None
    assert held.describe(held.heartbeat_at + 3.5) == "host-a:101, heartbeat 3s ago"


@pytest.mark.parametrize("skew", [HOUR, -HOUR], ids=["taker-ahead", "holder-behind"])
def test_a_skewed_clock_neither_takes_a_live_lease_nor_shortens_one(st: Store, skew: float) -> None:
    """Two machines an hour apart: expiry is judged by the database's clock, so
    the taker ahead (or the holder behind) changes nothing."""
    _skewed(st, skew if skew < 0 else 0)
    assert lease.acquire(st, ACC, 60, holder=A) is not None
    _skewed(st, skew if skew > 0 else 0)
    assert lease.acquire(st, ACC, 60, holder=B) is None
    held = lease.read(st, ACC)
    assert held is not None and held.holder == "a"


def test_a_lease_that_ran_out_is_taken_and_its_holders_runs_abandoned(st: Store) -> None:
    lease.acquire(st, ACC, 10, holder=A)
    # A's open run, one finished, one an older r2tui opened (no holder id: matched
    # by host and pid), and one of a process that only shares A's host and pid (a
    # container restarted as the same pid): that one is not A's.
    open_id = run(st, "inventory", NOW + 1)
    done_id = run(st, "check_alerts", NOW + 1, NOW + 2)
    legacy_id = run(st, "rollup", NOW + 1)
    other_id = run(st, "collect_metrics", NOW + 1)
    JobRun.update(host=A.host, pid=A.pid, holder=A.id).execute()
    JobRun.update(holder="").where(JobRun.id == legacy_id).execute()
    JobRun.update(holder="restarted").where(JobRun.id == other_id).execute()
    run_out(st, ACC)
    st.clock = lambda: NOW + 11
    taken = lease.acquire(st, ACC, 10, holder=B)
    assert taken is not None and taken.took_from is not None
    assert taken.took_from.name == "host-a:101" and taken.lease.holder == "b"
    assert taken.lease.acquired_at > taken.took_from.acquired_at
    for rid in (open_id, legacy_id):
        closed = JobRun.get_by_id(rid)
        assert closed.finished_at == NOW + 11 and closed.ok is False
        assert closed.error == "abandoned: host-a:101 stopped renewing its collector lease"
    assert JobRun.get_by_id(done_id).error is None
    assert JobRun.get_by_id(other_id).finished_at is None
    assert lease.acquire(st, ACC, 10, holder=A) is None  # A lost it


def _refuse_closing_runs(st: Store) -> None:
    """The store refuses any change to a job run (a real trigger in the database)."""
    if st.is_sqlite:
        st.db.execute_sql(
            "CREATE TRIGGER refuse BEFORE UPDATE ON job_run "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        return
    st.db.execute_sql(
        "CREATE FUNCTION refuse() RETURNS trigger AS "
        "$$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
    )
    st.db.execute_sql(
        "CREATE TRIGGER refuse BEFORE UPDATE ON job_run FOR EACH ROW EXECUTE FUNCTION refuse()"
    )


def test_a_takeover_and_the_closing_of_its_runs_are_one(st: Store) -> None:
    """Nobody sees a lease taken with its last holder's runs still open: when
    they cannot be closed, the lease stays as it was (its holder, its expiry)."""
    lease.acquire(st, ACC, 10, holder=A)
    open_id = run(st, "inventory", NOW + 1)
    JobRun.update(host=A.host, pid=A.pid, holder=A.id).execute()
    run_out(st, ACC)
    before = lease.read(st, ACC)
    _refuse_closing_runs(st)
    with pytest.raises(Exception, match="refused"):
        lease.acquire(st, ACC, 10, holder=B)
    assert lease.read(st, ACC) == before
    assert JobRun.get_by_id(open_id).finished_at is None


def test_a_run_request_made_as_the_lease_is_taken_carries_over(
    st: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A viewer's "run now" written between the taker's look at the lease and its
    take is not overwritten by what the taker saw."""
    lease.acquire(st, ACC, 10, holder=A)
    run_out(st, ACC)
    looks = 0
    read = lease.read

    def a_viewer_asks_right_after_the_look(store: Store, account: str) -> lease.Lease | None:
        nonlocal looks
        seen = read(store, account)
        looks += 1
        if looks == 1:
            assert seen is not None and seen.run_requested_at is None
            assert lease.request_run(store, account)
        return seen

    monkeypatch.setattr(lease, "read", a_viewer_asks_right_after_the_look)
    taken = lease.acquire(st, ACC, 10, holder=B)
    assert taken is not None and taken.took_from is not None
    assert lease.take_run_request(st, ACC, holder=B)


def test_expire_keeps_the_row_so_the_next_holder_closes_the_runs(st: Store) -> None:
    """A stop whose jobs hung: the lease runs out at once, but its row (and so
    who held it) stays, and the next holder abandons the runs left open."""
    lease.acquire(st, ACC, 60, holder=A)
    left = run(st, "inventory", NOW)
    JobRun.update(host=A.host, pid=A.pid, holder=A.id).execute()
    assert not lease.expire(st, ACC, holder=B)  # only the holder's own
    assert lease.expire(st, ACC, holder=A)
    held = lease.read(st, ACC)
    assert held is not None and held.holder == "a"
    taken = lease.acquire(st, ACC, 60, holder=B)
    assert taken is not None and taken.took_from is not None and taken.took_from.holder == "a"
    assert JobRun.get_by_id(left).error == (
        "abandoned: host-a:101 stopped renewing its collector lease"
    )


def test_a_fence_holds_until_another_process_takes_the_lease(st: Store) -> None:
    taken = lease.acquire(st, ACC, 10, holder=A)
    assert taken is not None
    fence = taken.lease.fence
    with st.write():
        assert holds(st, fence)
    lease.acquire(st, ACC, 10, holder=A)  # renewed: the same holding
    run_out(st, ACC)  # ran out, nobody took it: still A's
    with st.write():
        assert holds(st, fence)
    assert lease.acquire(st, ACC, 10, holder=B) is not None
    with st.write():
        assert not holds(st, fence)
    run_out(st, ACC)
    again = lease.acquire(st, ACC, 10, holder=A)
    assert again is not None and again.lease.fence != fence  # a new holding
    with st.write():
        assert not holds(st, fence) and holds(st, again.lease.fence)


def test_release_and_run_requests(st: Store) -> None:
    assert not lease.request_run(st, ACC)  # nobody to ask
    lease.acquire(st, ACC, 10, holder=A)
    assert not lease.release(st, ACC, holder=B)
    assert lease.request_run(st, ACC)
    assert not lease.take_run_request(st, ACC, holder=B)  # only the holder claims it
    assert lease.take_run_request(st, ACC, holder=A)
    assert not lease.take_run_request(st, ACC, holder=A)  # once
    assert lease.release(st, ACC, holder=A)
    assert lease.read(st, ACC) is None
    assert lease.acquire(st, ACC, 10, holder=B) is not None  # free at once


def test_a_viewer_writes_no_request_to_a_store_a_newer_r2tui_upgraded(store: Store) -> None:
    lease.acquire(store, ACC, 60, holder=A)
    store.db.execute_sql(
        "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'x', 0)"
    )
    with pytest.raises(StoreTooNew, match="schema version 99"):
        lease.request_run(store, ACC)
    held = lease.read(store, ACC)
    assert held is not None and held.run_requested_at is None


@pytest.mark.parametrize("expired", [False, True], ids=["fresh", "expired"])
def test_one_winner_among_threads(st: Store, expired: bool) -> None:
    """Eight threads, each with its own connection, race for the lease: free, then
    (rounds 2..) run out; exactly one wins every round."""
    if expired:
        lease.acquire(st, ACC, 10, holder=lease.Holder("dead", 1, "dead"))
        run_out(st, ACC)
    holders = [lease.Holder(f"h{i}", i, f"id{i}") for i in range(8)]
    for round_ in range(3):
        won: list[str] = []
        gate = threading.Barrier(len(holders))

        def race(holder: lease.Holder, gate: threading.Barrier, won: list[str]) -> None:
            gate.wait()
            try:
                if lease.acquire(st, ACC, 10, holder=holder) is not None:
                    won.append(holder.id)
            finally:
                st.thread_done()

        threads = [threading.Thread(target=race, args=(h, gate, won)) for h in holders]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=30)
        assert len(won) == 1, (round_, won)
        held = lease.read(st, ACC)
        assert held is not None and held.holder == won[0]
        run_out(st, ACC)  # the next round finds this round's lease run out


def test_holders_in_two_stores_on_one_file(sqlite_url: str) -> None:
    """Two opens of one SQLite file (as two processes): one holds, one is refused."""
    first = open_store(sqlite_url)
    try:
        assert lease.acquire(first, ACC, 10, holder=A) is not None
    finally:
        first.close()
    second = open_store(sqlite_url)
    try:
        assert lease.acquire(second, ACC, 10, holder=B) is None
        run_out(second, ACC)
        assert lease.acquire(second, ACC, 10, holder=B) is not None
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
