"""The inventory of an account of many buckets: listed at once within one budget
of concurrent requests ([inventory] concurrency), against moto over HTTP through
a proxy that counts the list requests on their way at the server. The same
inventories as one bucket after another; one bucket's failure loses no other;
a stop saves no bucket in part; a bucket list of several pages is followed; the
next request goes out before a finished bucket is saved."""

from __future__ import annotations

import dataclasses
import random
import threading
from typing import Any

from r2tui.config import InventorySettings, S3Settings
from r2tui.jobs import JobContext, JobResult, run_job
from r2tui.sources import s3
from r2tui.store import Store, queries, writes
from r2tui.store.models import Inventory
from tests.support.committed import committed_rows
from tests.support.configs import account_for, make_config
from tests.support.listing_peers import CountingProxy
from tests.support.peers import Obj, random_objects, seed_bucket

T0 = 1_760_000_000
PAGE = 5  # small pages: a few dozen keys make a bucket of several pages
# bucket -> objects: many one-page buckets, a few of several pages, one empty.
SIZES = {f"b{i:02d}": n for i, n in enumerate([3, 1, 0, 2, 31, 5, 12, 2, 7, 21])}


class Clock:
    def __init__(self) -> None:
        self.t = float(T0)

    def __call__(self) -> float:
        return self.t


def _seed(backend: Any) -> dict[str, list[Obj]]:
    rng = random.Random(19)
    return {b: seed_bucket(backend, b, random_objects(rng, n, T0 - 60)) for b, n in SIZES.items()}


def _ctx(store: Store, endpoint: str, concurrency: int) -> JobContext:
    config = make_config(
        (account_for(endpoint),),
        inventory=InventorySettings(page_size=PAGE, concurrency=concurrency, top_n=5),
    )
    return JobContext(config=config, store=store, clock=Clock())


def _view(store: Store) -> dict[str, tuple[Any, ...]]:
    """What the store shows of each bucket's latest inventory."""
    return {
        b.name: (b.objects, b.bytes, b.by_extension, b.by_storage_class, b.largest, b.newest)
        for b in queries.storage_view(store, "test").buckets
    }


def test_listed_at_once_as_one_after_another_within_the_bound(
    s3_backend: Any, moto_endpoint: str, st: Store
) -> None:
    seeded = _seed(s3_backend)
    # The first four pages are held at the server until all four are there: four
    # buckets' first requests at once, whatever the machine's load.
    together = threading.Barrier(4, timeout=10)

    def hold(n: int, _: str) -> None:
        if n <= 4:
            together.wait()

    # A round trip of 5 ms at the proxy: requests overlap as on a real link.
    with CountingProxy(moto_endpoint, on_page=hold, delay=0.005) as proxy:
        cold = run_job("inventory", _ctx(st, proxy.endpoint, concurrency=4))
        at_once = _view(st)
        # The next run starts the big buckets' ranges at once, from the cut points.
        warm = run_job("inventory", _ctx(st, proxy.endpoint, concurrency=4))
        warm_view = _view(st)
    assert cold.ok and warm.ok, (cold.errors, warm.errors)
    assert not together.broken  # four at once: the bound was reached...
    assert proxy.most_in_flight <= 4  # ...and never passed, ranges and buckets together
    # Every request the threads sent is tallied once: ListBuckets, then the pages.
    sent = proxy.counts.pages + proxy.counts.probes + proxy.counts.bucket_lists
    assert _class_a(cold) + _class_a(warm) == sent
    # One request at a time: one bucket after another, one page after another.
    alone = run_job("inventory", _ctx(st, moto_endpoint, concurrency=1))
    assert alone.ok and alone.items == cold.items == warm.items == sum(SIZES.values())
    assert at_once == warm_view == _view(st)
    for bucket, objs in seeded.items():
        assert at_once[bucket][:2] == (len(objs), sum(o.size for o in objs))


def _class_a(result: JobResult) -> int:
    return int(result.summary.rsplit(", ", 1)[1].split()[0].replace(",", ""))


def test_a_failing_bucket_loses_no_other(s3_backend: Any, moto_endpoint: str, store: Store) -> None:
    seeded = _seed(s3_backend)
    # b04 (7 pages) fails on its third page while the others are on their way.
    with CountingProxy(moto_endpoint, delay=0.01, fail_after={"b04": 2}) as proxy:
        result = run_job("inventory", _ctx(store, proxy.endpoint, concurrency=4))
    assert not result.ok and len(result.errors) == 1
    assert "b04" in result.errors[0] and "InternalError" in result.errors[0]
    saved = {i.bucket: i.objects for i in Inventory.select()}
    assert saved == {b: len(objs) for b, objs in seeded.items() if b != "b04"}
    assert result.summary.startswith(f"{len(SIZES) - 1} of {len(SIZES)} buckets listed")


def test_a_stop_mid_way_saves_no_bucket_in_part(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    seeded = _seed(s3_backend)
    ctx = _ctx(store, moto_endpoint, concurrency=3)
    stop = threading.Event()
    ctx = dataclasses.replace(ctx, stop=stop)
    started: list[str] = []

    def on_page(n: int, path: str) -> None:
        started.append(path.strip("/"))
        if path.strip("/") == "b06" and "b06" not in started[:-1]:
            stop.set()  # the stop comes with b06's first page on its way

    with CountingProxy(moto_endpoint, on_page=on_page) as proxy:
        ctx.config = make_config(
            (account_for(proxy.endpoint),),
            inventory=InventorySettings(page_size=PAGE, concurrency=3),
        )
        result = run_job("inventory", ctx)
    assert result.summary == "cancelled"
    saved = {i.bucket: i.objects for i in Inventory.select()}
    assert saved and "b06" not in saved and "b09" not in saved  # on its way; never started
    assert all(saved[b] == len(seeded[b]) for b in saved)  # every saved one whole


def test_a_bucket_list_of_several_pages_is_followed(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    seeded = _seed(s3_backend)
    with CountingProxy(moto_endpoint, bucket_page=4) as proxy:  # as R2 pages it
        result = run_job("inventory", _ctx(store, proxy.endpoint, concurrency=4))
        assert proxy.counts.bucket_lists == 3  # 10 buckets, 4 a page
    assert result.ok, result.errors
    assert sorted(queries.bucket_names(store, "test")) == sorted(seeded)
    assert result.items == sum(SIZES.values())
    # As AWS pages it: the next token in the body, no header.
    with CountingProxy(moto_endpoint, bucket_page=3, bucket_style="aws") as proxy:
        client = s3.make_client(account_for(proxy.endpoint), S3Settings(max_attempts=1))
        assert s3.list_buckets(client) == sorted(seeded)
        assert proxy.counts.bucket_lists == 4


def test_the_next_request_is_on_its_way_while_a_finished_bucket_is_saved(
    s3_backend: Any, moto_endpoint: str, store: Store, monkeypatch: Any
) -> None:
    """One request at a time: while the job saves a bucket whose last page came
    back, the next bucket's first page is already asked for (the slot its last
    page freed goes out before the save), so saves do not add to the round trips."""
    _seed(s3_backend)
    seen = threading.Condition()
    pages = [0]

    def on_page(n: int, _: str) -> None:
        with seen:
            pages[0] = n
            seen.notify_all()

    saved_pages = [0]
    asked_during_save: list[bool] = []
    real_save = writes.save_inventory

    def save(st: Store, account: str, inv: Any, *args: Any, **kwargs: Any) -> int:
        saved_pages[0] += inv.list_requests
        if len(asked_during_save) < len(SIZES) - 1:  # the last bucket has no next
            with seen:
                asked_during_save.append(
                    seen.wait_for(lambda: pages[0] > saved_pages[0], timeout=5)
                )
        return real_save(st, account, inv, *args, **kwargs)

    monkeypatch.setattr(writes, "save_inventory", save)
    with CountingProxy(moto_endpoint, on_page=on_page) as proxy:
        result = run_job("inventory", _ctx(store, proxy.endpoint, concurrency=1))
    assert result.ok, result.errors
    assert proxy.most_in_flight == 1
    assert asked_during_save == [True] * (len(SIZES) - 1)


def _committed(store: Store) -> int:
    return committed_rows(store, Inventory)


def test_the_saves_are_committed_before_the_listing_waits(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    """The buckets' saves share transactions (store.group), committed before the
    listing waits for an answer, so the job never holds the store's write lock
    across a round trip. One request at a time: when a bucket's first page is
    asked for, every bucket but the last one finished (saved while that request
    is on its way) is committed."""
    _seed(s3_backend)
    started: list[str] = []
    committed: list[tuple[int, int]] = []  # (buckets finished before, committed then)

    def on_page(n: int, path: str) -> None:
        bucket = path.strip("/")
        if bucket not in started:
            committed.append((len(started), _committed(store)))
            started.append(bucket)

    with CountingProxy(moto_endpoint, on_page=on_page) as proxy:
        result = run_job("inventory", _ctx(store, proxy.endpoint, concurrency=1))
    assert result.ok, result.errors
    assert len(committed) == len(SIZES)
    assert all(seen >= finished - 1 for finished, seen in committed), committed
    assert _committed(store) == len(SIZES)


def test_the_series_registry_is_written_again_only_for_prefixes_it_may_have_lost(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    """A bucket's prefix series are in the registry (series_key) from its first
    inventory; the next one, within the raw samples' retention (whose samples
    keep them from being pruned), does not write them there again. An older
    last inventory may have lost them to the purge: then they are written."""
    _seed(s3_backend)
    ctx = _ctx(store, moto_endpoint, concurrency=4)
    assert run_job("inventory", ctx).ok
    prefix_keys = {
        b for (b,) in store.rows("SELECT bucket FROM series_key WHERE bucket LIKE '%/%'")
    }
    assert "b04/a/" in prefix_keys and "b04/d/e/f/" in prefix_keys
    written: list[str] = []
    store.db.connection().set_trace_callback(written.append)
    try:
        assert isinstance(ctx.clock, Clock)
        ctx.clock.t += 3600
        assert run_job("inventory", ctx).ok
        again = [sql for sql in written if "series_key" in sql and "/" in sql]
        assert again == []
        # As if the purge had pruned one, and the last inventory were as old as
        # the retention: it is written again.
        store.db.execute_sql("DELETE FROM series_key WHERE bucket = 'b04/a/'")
        ctx.clock.t += ctx.config.retention.samples_days * 86400
        assert run_job("inventory", ctx).ok
    finally:
        store.db.connection().set_trace_callback(None)
    assert "b04/a/" in {b for (b,) in store.rows("SELECT bucket FROM series_key")}
