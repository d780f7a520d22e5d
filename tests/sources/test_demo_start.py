"""The demo's start on a real SQLite store: one demo per store (decided on the
collector lease before any server starts), the same objects after a restart
(their seeding time is kept in the store), none dated in the future, and its
webhook receiver set up as the channel its alerts go to.

The demo shares moto's process-wide backend with the other tests, like the
s3_backend fixture: it resets it on start, and every demo here stops before
its test ends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from r2tui import runtime
from r2tui.config import Config
from r2tui.config.model import CollectorSettings
from r2tui.jobs import JobContext
from r2tui.scheduler import Collector
from r2tui.sources.demo import DemoAccount
from r2tui.sources.demo.history import ACCESS_BURST_BUCKET, DemoAnalytics
from r2tui.sources.demo.inbox import INBOX_CHANNEL
from r2tui.sources.demo.seed import seed
from r2tui.store import Store, lease, queries, state
from r2tui.store.models import JobRun
from r2tui.store.views import StorageView
from tests.support.configs import make_config

SCALE = 0.02  # some 250 objects: seeding and listing take a fraction of a second
DAY = 86400


@pytest.fixture(autouse=True)
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "DEMO", runtime.DemoOptions(scale=SCALE, traffic=False))


def demo_config(store_url: str) -> Config:
    return make_config((), store_url, demo=True, collector=CollectorSettings(lease_seconds=30))


class _Backend:
    """Stands in for moto's backend: what the demo seeds, key by key."""

    class _Key:
        contentsize = 0
        last_modified: datetime | None = None

    def __init__(self) -> None:
        self.buckets: dict[str, dict[str, _Backend._Key]] = {}

    def create_bucket(self, name: str, region_name: str) -> None:
        self.buckets[name] = {}

    def put_object(self, bucket: str, key: str, value: bytes, storage: str) -> Any:
        self.buckets[bucket][key] = k = self._Key()
        return k


# ---- dates --------------------------------------------------------------------------


@pytest.mark.parametrize("hour", [0, 1, 13, 23])
def test_no_seeded_object_is_dated_after_its_seeding(hour: int) -> None:
    """Whatever the hour the demo starts at: the night's backup WAL segments
    used to be dated up to 18 hours ahead, and "Newest" listed them first."""
    at = datetime(2026, 3, 14, hour, 30, tzinfo=UTC)
    backend = _Backend()
    counts = seed(backend, scale=0.2, now=at.timestamp())
    assert sum(counts.values()) > 2000
    naive_at = at.replace(tzinfo=None)  # moto keeps naive UTC
    newest = max(
        k.last_modified
        for keys in backend.buckets.values()
        for k in keys.values()
        if k.last_modified is not None
    )
    assert newest <= naive_at
    # Each earlier night's backup has its four WAL segments; tonight's only the
    # first, the others are not written yet.
    days = max(2, int(45 * 0.2))
    wal = [k for k in backend.buckets["app-backups"] if "/wal/" in k]
    assert len(wal) == 4 * (days - 1) + 1


# ---- restarts -----------------------------------------------------------------------


def _list_once(config: Config, store: Store) -> StorageView:
    out = Collector(JobContext(config=config, store=store), lease=False).run("inventory")
    assert out is not None and out.ok, out and out.errors
    return queries.storage_view(store, "demo")


def _served(demo: DemoAccount) -> dict[tuple[str, str], tuple[int, datetime, str]]:
    """Every object the demo's S3 server holds: (bucket, key) → size, date, class."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    return {
        (bucket, key.name): (key.contentsize, key.last_modified, key.storage_class)
        for bucket in demo.counts
        for key in backend.buckets[bucket].keys.values()
    }


def test_a_restart_finds_the_same_objects_and_none_in_the_future(
    store: Store, sqlite_url: str
) -> None:
    """The store was first used three days ago (its note says so): both starts
    seed the objects dated from then, so the second start serves exactly what
    the first did (no growth from re-seeding), nothing newer than then, and its
    listing stores the first's storage."""
    first_start = int(store.clock()) - 3 * DAY - 5 * 3600
    state.put(store, runtime.SEEDED_AT, first_start)
    config = demo_config(sqlite_url)
    served, views = [], []
    for _ in range(2):
        started = runtime.start_demo(config, store)
        assert started is not None
        demo_cfg, demo = started
        try:
            served.append(_served(demo))
            if not views:
                views.append(_list_once(demo_cfg, store))
        finally:
            demo.stop()
            runtime.release_demo(store)
    first, second = served
    assert len(first) > 200 and second == first
    naive = datetime.fromtimestamp(first_start, UTC).replace(tzinfo=None)  # as moto keeps it
    assert max(at for _, at, _ in second.values()) <= naive
    (listed,) = views
    assert listed.total_objects == len(second)
    assert listed.total_bytes == sum(size for size, _, _ in second.values())
    assert state.get(store, runtime.SEEDED_AT) == first_start


def test_the_first_start_keeps_its_seeding_time(store: Store) -> None:
    assert state.get(store, runtime.SEEDED_AT) is None
    at = runtime.demo_seeded_at(store)
    assert abs(at - store.clock()) < 5
    assert runtime.demo_seeded_at(store) == at == state.get(store, runtime.SEEDED_AT)


# ---- one demo per store -------------------------------------------------------------


def test_two_demos_on_one_store_run_one_demo(store: Store, sqlite_url: str) -> None:
    """Two starts race on one store, as two processes would: two holders, each on
    its own thread and connection (one process binds one store). Exactly one
    starts the demo's servers, the other starts nothing and views it; the store
    then holds one set of buckets, listed by the one demo."""
    one = other = store
    config = demo_config(sqlite_url)
    holders = [lease.Holder("host-a", 101, "a" * 16), lease.Holder("host-b", 202, "b" * 16)]
    gate = threading.Barrier(2)
    results: dict[int, tuple[Config, DemoAccount] | None] = {}
    errors: list[BaseException] = []

    def start(i: int, store: Store) -> None:
        gate.wait()
        try:
            results[i] = runtime.start_demo(config, store, holder=holders[i])
        except BaseException as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)
        finally:
            store.thread_done()

    threads = [threading.Thread(target=start, args=(i, s)) for i, s in enumerate((one, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(results) == 2
    winners = [i for i, r in results.items() if r is not None]
    assert len(winners) == 1
    winner = winners[0]
    loser = 1 - winner
    started = results[winner]
    assert started is not None
    demo_cfg, demo = started
    try:
        held = lease.read(one, "demo")
        assert held is not None and held.held_by(holders[winner])
        # The loser, asked again while the winner holds the demo, still starts nothing.
        assert runtime.start_demo(config, other, holder=holders[loser]) is None
        view = _list_once(demo_cfg, one)
    finally:
        demo.stop()
        runtime.release_demo(one, holders[winner])
    assert len(view.buckets) == 5
    assert {b.name: b.objects for b in view.buckets} == demo.counts
    assert JobRun.select().count() == 1  # one listing, by the one demo
    assert lease.read(one, "demo") is None  # given back: the next start may run it


def test_a_failed_start_gives_the_demo_back(
    store: Store, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    def broken(self: DemoAccount) -> None:
        raise OSError("no port left")

    monkeypatch.setattr(DemoAccount, "start", broken)
    with pytest.raises(OSError):
        runtime.start_demo(demo_config(sqlite_url), store)
    assert lease.read(store, "demo") is None


# ---- the channel ----------------------------------------------------------------------


def test_the_demo_notifies_its_own_receiver(store: Store, sqlite_url: str) -> None:
    """The demo's config has its webhook receiver as a channel, a default one, and
    the receiver takes what r2tui's webhook channel sends."""
    from r2tui.alerts.channels import deliver, trial_notice

    started = runtime.start_demo(demo_config(sqlite_url), store)
    assert started is not None
    config, demo = started
    try:
        channel = config.alerts.channels[INBOX_CHANNEL]
        assert config.alerts.default_channels == (INBOX_CHANNEL,)
        assert channel.type == "webhook" and channel.url is not None
        url = httpx.URL(channel.url.reveal())
        assert url.host == "127.0.0.1" and url.port
        assert channel.url.reveal() not in channel.describe()  # never shown
        deliver(channel, trial_notice(INBOX_CHANNEL, int(store.clock())))
        assert demo.inbox is not None
        (got,) = demo.inbox.received()
        assert (got.receiver, got.status, got.alerts) == (
            INBOX_CHANNEL,
            "firing",
            ("r2tui test",),
        )
        refused = httpx.post(str(url), content=b"not json", timeout=5)
        assert refused.status_code == 400 and len(demo.inbox.received()) == 1
    finally:
        demo.stop()
        runtime.release_demo(store)
    with pytest.raises(httpx.TransportError):
        httpx.post(str(url), json={"alerts": []}, timeout=2)  # stopped with the demo


def test_a_note_ahead_of_the_clock_dates_nothing_ahead(store: Store) -> None:
    """A store whose note is ahead of the clock (the clock was set back): the
    objects are dated from now, never from the note."""
    state.put(store, runtime.SEEDED_AT, int(store.clock()) + 2 * DAY)
    assert runtime.demo_seeded_at(store) <= store.clock()


# ---- the firing alert -------------------------------------------------------------------


@pytest.mark.parametrize(("minute", "hours_before"), [(2, (2, 1)), (30, (1,))])
def test_the_refused_burst_is_in_the_last_full_hour_r2tui_reads(
    minute: int, hours_before: tuple[int, ...]
) -> None:
    """r2tui reads the analytics a few minutes behind: a demo started in an hour's
    first minutes has the burst in the hour before the last too, so "Failed
    access" fires from the start whatever the minute."""
    start_hour = int(datetime(2026, 3, 14, 9, tzinfo=UTC).timestamp())
    started = start_hour + minute * 60
    history = DemoAnalytics(
        {ACCESS_BURST_BUCKET: 100},
        {ACCESS_BURST_BUCKET: 10**9},
        None,
        started,
        2026,
        clock=lambda: started + 60,
    )
    refused: dict[int, int] = {}
    for g in history.operations(start_hour - 4 * 3600, start_hour):
        if g.code in (401, 403):
            refused[g.hour] = refused.get(g.hour, 0) + g.requests
    assert {h for h, n in refused.items() if n} == {start_hour - k * 3600 for k in hours_before}
    assert all(n >= 40 for n in refused.values() if n)
