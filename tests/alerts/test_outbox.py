"""The durable outbox against a real HTTP receiver on loopback: retries with
backoff, dead letters, claims two deliverers cannot both win, and crashes
(SIGKILL mid-send and before any send) that lose nothing. Time is passed as
`now`; nothing here sleeps to wait for a backoff or a lease."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from r2tui.alerts import outbox
from r2tui.alerts.notice import Notice
from r2tui.alerts.outbox import DeliveryReport, backoff_delay, deliver_due, enqueue
from r2tui.config.alert_model import AlertSettings, ChannelConfig
from r2tui.store import Store
from r2tui.store.db import db_now
from r2tui.store.models import Event, Notification
from tests.support.outbox_child import hook, http_sender, make_notice, settings_for
from tests.support.peers import closed_port
from tests.support.receivers import NoticeReceiver

T0 = 1_700_000_000
CHILD = Path(__file__).parents[1] / "support" / "outbox_child.py"


@pytest.fixture
def receiver() -> Iterator[NoticeReceiver]:
    with NoticeReceiver() as r:
        yield r


def row(row_id: int) -> Notification:
    return Notification.get_by_id(row_id)


def db_clock(store: Store) -> float:
    """Now on the database's clock, which claims are stamped and judged by."""
    return float(store.db.execute_sql("SELECT " + db_now(store).sql).fetchone()[0])


def put(
    *notices: Notice, now: int = T0, state: str = "pending", store: Store | None = None
) -> list[int]:
    """Enqueue as the engine does: inside a write transaction of its own."""
    assert store is not None
    with store.write():
        return enqueue(store, notices, now=now, rule="High error rate", state=state)


def alert_events() -> list[Event]:
    return list(Event.select().where(Event.kind == "notify").order_by(Event.id))


# ---- enqueue ----------------------------------------------------------------------------


def test_enqueue_writes_rows_in_the_callers_transaction(st: Store) -> None:
    n = make_notice("g1", now=T0)
    (rid,) = put(n, store=st)
    r = row(rid)
    assert (r.channel, r.kind, r.status, r.group_key, r.rule, r.state) == (
        "hook",
        "alert",
        "firing",
        "g1",
        "High error rate",
        "pending",
    )
    assert (r.created_at, r.next_attempt_at, r.attempts, r.claimed_until) == (T0, T0, 0, None)
    assert Notice.from_json(r.body) == n

    class Boom(Exception):
        pass

    # The engine's alert state and its outbox rows commit together or not at all.
    with pytest.raises(Boom), st.write():
        enqueue(st, [make_notice("g2")], now=T0)
        raise Boom
    assert [r.group_key for r in Notification.select()] == ["g1"]
    with pytest.raises(ValueError, match="pending or held"):
        enqueue(st, [make_notice("g3")], now=T0, state="sent")


# ---- retries, backoff and dead letters -----------------------------------------------------


def test_receiver_down_then_up_delivers_exactly_once(st: Store) -> None:
    port = closed_port()
    settings = settings_for(hook(f"http://127.0.0.1:{port}/hook"))
    (rid,) = put(make_notice("g1"), store=st)

    down = deliver_due(st, settings, http_sender, now=T0)
    assert (down.sent, down.retried, down.dead) == (0, 1, 0)
    assert "ConnectError" in down.errors[0]
    r = row(rid)
    assert r.state == "pending" and r.attempts == 1 and r.claimed_until is None
    assert "ConnectError" in r.last_error
    # First backoff: 30 s with equal jitter, so between 15 and 30 s from now.
    assert T0 + 15 <= r.next_attempt_at <= T0 + 30
    due = r.next_attempt_at

    with NoticeReceiver(port) as rec:
        early = deliver_due(st, settings, http_sender, now=due - 1)
        assert early == DeliveryReport() and rec.keys == []
        up = deliver_due(st, settings, http_sender, now=due)
        assert (up.sent, up.retried, up.dead, up.errors) == (1, 0, 0, [])
        assert rec.keys == ["g1"]
        r = row(rid)
        assert (r.state, r.sent_at, r.attempts, r.claimed_until) == ("sent", due, 2, None)
        for later in (due, due + 10_000):
            assert deliver_due(st, settings, http_sender, now=later) == DeliveryReport()
            assert (
                deliver_due(st, settings, http_sender, now=later, ignore_backoff=True)
                == DeliveryReport()
            )
        assert rec.keys == ["g1"]


def test_backoff_grows_is_capped_then_dead_letters_with_an_event(
    st: Store, receiver: NoticeReceiver
) -> None:
    receiver.status = 503
    settings = settings_for(
        hook(receiver.url), max_attempts=5, backoff_seconds=10, backoff_max_seconds=25
    )
    (rid,) = put(make_notice("g1", account="prod"), store=st)
    now = T0
    for attempt, cap in ((1, 10), (2, 20), (3, 25), (4, 25)):
        rep = deliver_due(st, settings, http_sender, now=now)
        assert (rep.sent, rep.retried, rep.dead) == (0, 1, 0)
        r = row(rid)
        assert r.attempts == attempt and r.last_error == "HTTP 503 from the receiver"
        assert now + cap / 2 <= r.next_attempt_at <= now + cap, attempt
        assert alert_events() == []
        now = r.next_attempt_at
    rep = deliver_due(st, settings, http_sender, now=now)
    assert (rep.sent, rep.retried, rep.dead) == (0, 0, 1)
    r = row(rid)
    assert (r.state, r.attempts, r.claimed_until) == ("dead", 5, None)
    assert len(receiver.keys) == 5
    (ev,) = alert_events()
    assert (ev.account, ev.level, ev.ts) == ("prod", "error", now)
    assert "hook" in ev.message and "HTTP 503" in ev.message and "5 attempt" in ev.message
    assert json.loads(ev.data)["notification"] == rid
    # Dead stays dead: nothing more is sent, whatever the time.
    assert (
        deliver_due(st, settings, http_sender, now=now + 10**6, ignore_backoff=True)
        == DeliveryReport()
    )
    assert len(receiver.keys) == 5


class Edge:
    """A stand-in for random.uniform returning one end of its range."""

    def __init__(self, high: bool) -> None:
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


def test_backoff_delay_doubles_caps_and_jitters_within_bounds() -> None:
    s = AlertSettings(backoff_seconds=30, backoff_max_seconds=3600)
    assert [backoff_delay(a, s, Edge(True)) for a in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert [backoff_delay(a, s, Edge(False)) for a in range(1, 4)] == [15, 30, 60]
    assert backoff_delay(10_000, s, Edge(True)) == 3600  # no float overflow
    rng = random.Random(7)
    for attempts in range(1, 12):
        cap = min(3600, 30 * 2 ** (attempts - 1))
        delays = [backoff_delay(attempts, s, rng) for _ in range(200)]
        assert all(cap / 2 <= d <= cap for d in delays)
        assert len(set(delays)) > 150  # spread, not one value


def test_a_non_retryable_error_dead_letters_at_once(st: Store, receiver: NoticeReceiver) -> None:
    receiver.status = 400
    settings = settings_for(hook(receiver.url))
    (rid,) = put(make_notice("g1"), store=st)
    rep = deliver_due(st, settings, http_sender, now=T0)
    assert (rep.sent, rep.retried, rep.dead) == (0, 0, 1)
    r = row(rid)
    assert (r.state, r.attempts, r.last_error) == ("dead", 1, "HTTP 400 from the receiver")
    (ev,) = alert_events()
    assert "not retryable" in ev.message and ev.account == "acct"


def test_any_other_exception_is_retryable_and_its_message_capped(st: Store) -> None:
    def broken(channel: ChannelConfig, notice: Notice) -> None:
        raise RuntimeError("x" * 5000)

    (rid,) = put(make_notice("g1"), store=st)
    rep = deliver_due(st, settings_for(hook("http://unused")), broken, now=T0)
    assert (rep.retried, rep.dead) == (1, 0)
    assert row(rid).last_error == "x" * 500


def test_a_retry_after_stretches_the_backoff_up_to_its_cap(st: Store) -> None:
    class Throttled(Exception):
        retryable = True

        def __init__(self, retry_after: float) -> None:
            super().__init__("HTTP 429 from the receiver")
            self.retry_after = retry_after

    settings = settings_for(hook("http://unused"), backoff_seconds=10, backoff_max_seconds=600)
    for retry_after, low, high in ((120, 120, 120), (10**6, 600, 600), (1, 5, 10)):

        def throttled(channel: ChannelConfig, notice: Notice, ra: float = retry_after) -> None:
            raise Throttled(ra)

        (rid,) = put(make_notice(f"g{retry_after}"), store=st)
        assert deliver_due(st, settings, throttled, now=T0).retried == 1
        assert T0 + low <= row(rid).next_attempt_at <= T0 + high, retry_after
        Notification.delete().where(Notification.id == rid).execute()


def test_an_unknown_channel_dead_letters_and_retry_revives_it(
    st: Store, receiver: NoticeReceiver
) -> None:
    (rid,) = put(make_notice("g1", channel="gone", account="prod"), store=st)
    settings = settings_for(hook(receiver.url), hook(receiver.url, name="b-hook"))
    rep = deliver_due(st, settings, http_sender, now=T0)
    assert rep.dead == 1 and receiver.keys == []
    r = row(rid)
    assert r.state == "dead"
    assert r.last_error == "channel gone is not configured (configured: b-hook, hook)"
    (ev,) = alert_events()
    assert ev.account == "prod" and "gone" in ev.message

    assert outbox.retry(st, [rid, 999_999], now=T0 + 5) == 1
    r = row(rid)
    assert (r.state, r.attempts, r.next_attempt_at) == ("pending", 0, T0 + 5)
    assert outbox.retry(st, [rid]) == 0  # only dead rows move
    rep = deliver_due(st, settings_for(hook(receiver.url, name="gone")), http_sender, now=T0 + 5)
    assert rep.sent == 1 and receiver.keys == ["g1"] and row(rid).state == "sent"


def test_a_failing_channel_never_stops_the_others(st: Store, receiver: NoticeReceiver) -> None:
    down = hook(f"http://127.0.0.1:{closed_port()}/hook", name="down")
    settings = settings_for(down, hook(receiver.url))
    ids = put(
        make_notice("a", channel="down"),
        make_notice("b"),
        make_notice("c", channel="down"),
        make_notice("d"),
        store=st,
    )
    rep = deliver_due(st, settings, http_sender, now=T0)
    assert (rep.sent, rep.retried, rep.dead, len(rep.errors)) == (2, 2, 0, 2)
    assert receiver.keys == ["b", "d"]
    assert [row(i).state for i in ids] == ["pending", "sent", "pending", "sent"]


def test_held_rows_are_not_delivered(st: Store, receiver: NoticeReceiver) -> None:
    put(make_notice("held"), state="held", store=st)
    assert outbox.flush(st, settings_for(hook(receiver.url)), http_sender) == DeliveryReport()
    assert receiver.keys == []


# ---- leases and claims -------------------------------------------------------------------


def test_a_claim_is_a_lease_and_the_send_runs_outside_any_transaction(
    st: Store, receiver: NoticeReceiver
) -> None:
    settings = settings_for(hook(receiver.url, timeout=7))
    (rid,) = put(make_notice("g1"), store=st)
    seen: list[tuple[int, bool]] = []

    def watching(channel: ChannelConfig, notice: Notice) -> None:
        seen.append((row(rid).claimed_until, st.db.in_transaction()))
        http_sender(channel, notice)

    before = db_clock(st)
    assert deliver_due(st, settings, watching, now=T0 + 0.5).sent == 1
    # Default lease: the channel's timeout twice plus 30 s from the claim, on the
    # database's clock (whatever the sender's says), rounded up.
    [(claimed, in_transaction)] = seen
    assert not in_transaction and before + 7 * 2 + 30 <= claimed <= db_clock(st) + 7 * 2 + 32

    # A row another process holds (a live lease) is left alone until it expires,
    # whatever time the sender's own clock gives.
    (other,) = put(make_notice("g2"), store=st)
    Notification.update(claimed_until=int(db_clock(st)) + 100, attempts=1).where(
        Notification.id == other
    ).execute()
    for now in (T0, T0 + 100, T0 + 10**6):
        assert (
            deliver_due(st, settings, http_sender, now=now, ignore_backoff=True) == DeliveryReport()
        )
    Notification.update(claimed_until=int(db_clock(st)) - 1).where(
        Notification.id == other
    ).execute()
    assert deliver_due(st, settings, http_sender, now=T0, lease_seconds=5).sent == 1
    assert receiver.keys == ["g1", "g2"] and row(other).attempts == 2


def test_senders_whose_clocks_disagree_by_more_than_a_claim_never_both_send(
    st: Store, receiver: NoticeReceiver
) -> None:
    """A claim is stamped and judged on the database's clock: a sender an hour
    behind claims a row, and while it sends, one an hour ahead (two hours apart,
    far beyond a claim's length) finds the claim live and leaves the row alone."""
    settings = settings_for(hook(receiver.url))
    (rid,) = put(make_notice("g1"), store=st)
    inner: list[DeliveryReport] = []

    def behind_sends(channel: ChannelConfig, notice: Notice) -> None:
        if not inner:
            ahead = time.time() + 3600
            inner.append(deliver_due(st, settings, http_sender, now=ahead, ignore_backoff=True))
        http_sender(channel, notice)

    assert deliver_due(st, settings, behind_sends, now=time.time() - 3600).sent == 1
    assert inner == [DeliveryReport()]
    assert receiver.keys == ["g1"] and row(rid).attempts == 1


def test_a_second_deliverer_during_a_send_skips_the_claimed_row(
    st: Store, receiver: NoticeReceiver
) -> None:
    """Deterministic interleaving: while the first deliverer is inside its first
    send, a second one (another thread, its own connection) runs over the same
    rows. The first then finds the rest already taken and sends nothing twice."""
    settings = settings_for(hook(receiver.url))
    ids = put(*(make_notice(f"g{i}") for i in range(5)), store=st)
    inner: list[DeliveryReport] = []

    def other_deliverer() -> None:
        try:
            inner.append(deliver_due(st, settings, http_sender, now=T0))
        finally:
            st.db.close()

    def first_send_runs_the_other(channel: ChannelConfig, notice: Notice) -> None:
        if not inner:
            t = threading.Thread(target=other_deliverer)
            t.start()
            t.join(30)
        http_sender(channel, notice)

    outer = deliver_due(st, settings, first_send_runs_the_other, now=T0)
    assert outer.sent == 1 and inner[0].sent == 4
    assert sorted(receiver.keys) == [f"g{i}" for i in range(5)]
    assert Counter(receiver.keys).most_common(1)[0][1] == 1
    assert {row(i).state for i in ids} == {"sent"}


def test_racing_deliverers_send_every_row_exactly_once(st: Store, receiver: NoticeReceiver) -> None:
    settings = settings_for(hook(receiver.url))
    keys = [f"g{i}" for i in range(60)]
    put(*(make_notice(k) for k in keys), store=st)
    racers = 4
    gate = threading.Barrier(racers)
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []

    def race() -> None:
        try:
            gate.wait()
            reports.append(deliver_due(st, settings, http_sender, now=T0))
        except BaseException as exc:
            errors.append(exc)
        finally:
            st.db.close()  # this thread's own connection

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.sent for r in reports) == 60 and all(not r.errors for r in reports)
    assert sorted(receiver.keys) == sorted(keys)
    assert Counter(receiver.keys).most_common(1)[0][1] == 1
    assert outbox.counts(st)["sent"] == 60


# ---- flush and the listing ---------------------------------------------------------------


def test_flush_ignores_backoff_and_tries_each_row_once(st: Store, receiver: NoticeReceiver) -> None:
    settings = settings_for(hook(receiver.url), max_attempts=8)
    put(*(make_notice(f"g{i}") for i in range(110)), store=st)  # more than one batch
    receiver.status = 500
    rep = outbox.flush(st, settings, http_sender)
    # Each row once, not max_attempts times in a row against a failing receiver.
    assert (rep.sent, rep.retried, len(receiver.keys)) == (0, 110, 110)
    receiver.status = 200
    rep = outbox.flush(st, settings, http_sender)  # the backoff lies in the future
    assert (rep.sent, rep.retried) == (110, 0)
    assert Counter(receiver.keys).most_common(1)[0][1] == 2
    assert outbox.counts(st) == {"pending": 0, "sent": 110, "dead": 0, "held": 0, "summarised": 0}


def test_pending_view_and_counts(st: Store, receiver: NoticeReceiver) -> None:
    settings = settings_for(hook(receiver.url))
    (sent_id,) = put(make_notice("sent"), now=T0, store=st)
    deliver_due(st, settings, http_sender, now=T0)
    (dead_id,) = put(make_notice("dead", channel="gone"), now=T0 + 1, store=st)
    deliver_due(st, settings, http_sender, now=T0 + 1)
    (pend_id,) = put(make_notice("pend"), now=T0 + 2, store=st)
    put(make_notice("held"), now=T0 + 3, state="held", store=st)
    Notification.insert(
        created_at=T0 + 4,
        channel="hook",
        kind="alert",
        group_key="bad",
        status="firing",
        body="{not json",
        state="pending",
        next_attempt_at=T0 + 4,
    ).execute()
    view = outbox.pending_view(st)
    assert [(v.state, v.channel) for v in view] == [
        ("pending", "hook"),
        ("pending", "hook"),
        ("dead", "gone"),
    ]
    bad, pend, dead = view
    assert bad.subject == "(unreadable notice)"
    assert pend.id == pend_id and pend.subject == "[FIRING:1] High error rate (bucket=media)"
    assert (dead.id, dead.attempts, dead.created_at) == (dead_id, 1, T0 + 1)
    assert "not configured" in (dead.last_error or "")
    assert sent_id not in {v.id for v in view}
    assert len(outbox.pending_view(st, limit=1)) == 1
    assert outbox.counts(st) == {"pending": 2, "sent": 1, "dead": 1, "held": 1, "summarised": 0}
    # An unreadable row can never be sent: dead at once, the others unaffected.
    rep = deliver_due(st, settings, http_sender, now=T0 + 10)
    assert (rep.sent, rep.dead) == (1, 1) and "unreadable notice" in rep.errors[0]


# ---- crashes: SIGKILL mid-send and before any send ----------------------------------------


def _child(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )  # type: ignore[call-overload]


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)  # reaps it and closes the pipes


def test_killed_mid_send_the_next_deliverer_sends_after_the_lease(
    store: Store, sqlite_url: str, receiver: NoticeReceiver
) -> None:
    receiver.hang = True
    (rid,) = put(make_notice("g1"), now=T0, store=store)
    proc = _child("deliver", sqlite_url, receiver.url, "60")
    try:
        assert receiver.got.wait(30), proc.stderr.read() if proc.poll() is not None else ""
    finally:
        _kill(proc)
    assert proc.returncode == -signal.SIGKILL
    r = row(rid)
    assert r.state == "pending" and r.attempts == 1 and r.claimed_until is not None
    receiver.hang = False
    receiver.release.set()

    # Same channel settings as the child; its lease (60 * 2 + 30 s) still holds.
    settings = settings_for(hook(receiver.url, timeout=60))
    assert deliver_due(store, settings, http_sender) == DeliveryReport()
    assert receiver.keys == ["g1"]
    # Its lease runs out (on the database's clock, which every sender reads):
    # the claim is moved to where that clock will be then.
    Notification.update(claimed_until=int(db_clock(store)) - 1).where(
        Notification.id == rid
    ).execute()
    rep = deliver_due(store, settings, http_sender)
    assert rep.sent == 1
    assert receiver.keys == ["g1", "g1"]  # at least once, at most twice
    r = row(rid)
    assert (r.state, r.attempts, r.claimed_until) == ("sent", 2, None)


def test_killed_after_enqueue_the_next_process_delivers(
    store: Store, sqlite_url: str, receiver: NoticeReceiver
) -> None:
    proc = _child("enqueue", sqlite_url, receiver.url)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
    finally:
        _kill(proc)
    assert line.startswith("enqueued "), line
    rid = int(line.split()[1])
    assert row(rid).state == "pending" and receiver.keys == []

    done = subprocess.run(
        [sys.executable, str(CHILD), "deliver", sqlite_url, receiver.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] == 1
    assert receiver.keys == ["from-child"]
    assert row(rid).state == "sent"
