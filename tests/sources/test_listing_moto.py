"""The concurrent inventory over HTTP, against moto's S3 server behind a proxy
that counts every request: on each layout the result equals a sequential
listing by boto3's own paginator, within 1.1x its requests."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from r2tui import pace
from r2tui.config import InventorySettings, S3Settings
from r2tui.observations import BucketInventory, RequestTally
from r2tui.sources import s3
from r2tui.sources.errors import describe_error
from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints
from tests.support.configs import account_for
from tests.support.listing_peers import LAYOUTS, CountingProxy
from tests.support.peers import Obj, seed_bucket
from tests.support.prefixes import check_prefixes

N = 800
PAGE = 20  # 40 pages: room for the listing to be cut, quick on moto
SETTINGS = InventorySettings(
    page_size=PAGE,
    top_n=N,
    newest_n=30,
    max_extensions=500,
    large_object_bytes=50_000,
    concurrency=8,
    prefix_entries=40,  # fewer than most layouts have: the cap holds across ranges
)
FAST = S3Settings(connect_timeout=2, read_timeout=20, max_attempts=3)
DELAY = 0.004  # per list request at the proxy: a short round trip, so requests overlap


def _objects(keys: list[str], seed: int = 1) -> list[Obj]:
    rng = random.Random(seed)
    return [
        Obj(
            k,
            rng.choice((0, 7, 7, rng.randrange(100_000))),
            1_700_000_000 + rng.randrange(10**6),
            rng.choice(("STANDARD", "STANDARD_IA")),
        )
        for k in keys
    ]


def _fold() -> InventoryFold:
    return InventoryFold(
        "bkt",
        top_n=SETTINGS.top_n,
        newest_n=SETTINGS.newest_n,
        large_object_bytes=SETTINGS.large_object_bytes,
        max_extensions=SETTINGS.max_extensions,
        prefix_entries=SETTINGS.prefix_entries,
    )


def _paginated(client: Any) -> BucketInventory:
    """A sequential listing by boto3's own paginator, folded one object at a time."""
    fold, pages = s3._paginated(client, "bkt", _fold(), PAGE, None)
    return fold.result(0, 0, pages)


def _in_key_order(objects: list[Obj]) -> BucketInventory:
    """What a sequential listing of the seed yields: its objects in key order."""
    fold = _fold()
    for o in sorted(objects, key=lambda o: o.key):
        fold.add(o.key, o.size, float(o.mtime), o.storage_class)
    return fold.result(0, 0, 0)


def _same(got: BucketInventory, want: BucketInventory) -> None:
    fields = (
        "objects",
        "bytes",
        "by_extension",
        "by_storage_class",
        "largest",
        "newest",
        "new_large",
        "new_large_count",
        "other_extensions",
        "prefixes",
        "root_files",
        "prefixes_dropped",
    )
    for name in fields:
        assert getattr(got, name) == getattr(want, name), name


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[CountingProxy]:
    with CountingProxy(moto_endpoint, delay=DELAY) as peer:
        yield peer


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_layout_equals_a_sequential_listing(
    layout: str, s3_backend: Any, proxy: CountingProxy
) -> None:
    keys = LAYOUTS[layout](N)
    objects = seed_bucket(s3_backend, "bkt", _objects(keys))
    tally = RequestTally()
    client = s3.make_client(account_for(proxy.endpoint), FAST, tally)
    inv = s3.inventory_bucket(client, "bkt", SETTINGS)
    pages = math.ceil(N / PAGE)
    requests = proxy.counts.pages + proxy.counts.probes
    assert requests <= 1.1 * pages, f"{requests} requests for {pages} pages"
    assert inv.list_requests == requests == tally.by_operation["ListObjectsV2"]
    assert proxy.most_in_flight >= 2, "the listing never ran two requests at once"
    _same(inv, _in_key_order(objects))
    check_prefixes(inv, [(o.key, o.size) for o in objects], 3, SETTINGS.prefix_entries)
    assert sorted(e.key for e in inv.largest) == keys  # top_n = N: every key, once
    # Page ends: at most one cut point a page, ascending.
    assert 30 <= len(inv.split_keys) <= 63 and list(inv.split_keys) == sorted(inv.split_keys)


def test_equal_to_boto3s_own_paginator(s3_backend: Any, proxy: CountingProxy) -> None:
    """The page reader and boto3 read the same answers alike (awkward keys too)."""
    objects = seed_bucket(s3_backend, "bkt", _objects(LAYOUTS["awkward"](N)))
    client = s3.make_client(account_for(proxy.endpoint), FAST)
    inv = s3.inventory_bucket(client, "bkt", SETTINGS)
    _same(inv, _paginated(client))
    _same(inv, _in_key_order(objects))


def test_the_next_listing_starts_from_the_last_cut_points(
    s3_backend: Any, proxy: CountingProxy
) -> None:
    keys = LAYOUTS["deep"](N)
    seed_bucket(s3_backend, "bkt", _objects(keys))
    client = s3.make_client(account_for(proxy.endpoint), FAST)
    first = s3.inventory_bucket(client, "bkt", SETTINGS)
    before = proxy.counts.pages + proxy.counts.probes
    proxy.starts.clear()
    second = s3.inventory_bucket(
        client, "bkt", SETTINGS, hints=Hints(first.objects, first.split_keys)
    )
    spent = proxy.counts.pages + proxy.counts.probes - before
    _same(second, first)
    assert spent <= 1.1 * math.ceil(N / PAGE)
    # Ranges from the start, at the last listing's cut points, not earned page by page:
    # the two requests sent before any page came back are the first page and one
    # starting at a cut point (in either order: they leave on two threads).
    opening = sorted(proxy.starts[:2])
    assert opening[0] == "" and opening[1] in set(first.split_keys)


def test_an_empty_bucket_costs_one_request(s3_backend: Any, proxy: CountingProxy) -> None:
    seed_bucket(s3_backend, "empty", [])
    inv = s3.inventory_bucket(s3.make_client(account_for(proxy.endpoint), FAST), "empty", SETTINGS)
    assert (inv.objects, inv.list_requests, proxy.counts.pages) == (0, 1, 1)
    assert inv.split_keys == ()


def test_a_bucket_changing_during_the_listing(s3_backend: Any, moto_endpoint: str) -> None:
    """Objects added or deleted while the listing runs may or may not be counted,
    as with any listing; every object there throughout is counted exactly once."""
    keys = LAYOUTS["flat"](N)
    seed_bucket(s3_backend, "bkt", _objects(keys))
    rng = random.Random(9)
    doomed = set(rng.sample(keys, 150))
    added = [f"obj-{rng.randrange(N * 2):08d}x" for _ in range(150)]
    done = threading.Event()

    def churn(page: int, _path: str) -> None:
        if page == 12 and not done.is_set():
            done.set()
            for key in doomed:
                s3_backend.delete_object("bkt", key)
            seed_bucket(s3_backend, "bkt", _objects(added, seed=2))

    every = dataclasses.replace(SETTINGS, top_n=10 * N)  # the largest list: every key
    with CountingProxy(moto_endpoint, on_page=churn, delay=DELAY) as proxy:
        inv = s3.inventory_bucket(s3.make_client(account_for(proxy.endpoint), FAST), "bkt", every)
    assert done.is_set()
    listed = [e.key for e in inv.largest]
    assert len(listed) == len(set(listed)) == inv.objects  # nothing twice
    stayed = set(keys) - doomed
    assert stayed <= set(listed)  # nothing there throughout is missed
    assert set(listed) <= stayed | doomed | set(added)


def test_throttling_is_retried_and_counted(s3_backend: Any, moto_endpoint: str) -> None:
    keys = LAYOUTS["hex"](N)
    seed_bucket(s3_backend, "bkt", _objects(keys))
    tally = RequestTally()
    with CountingProxy(moto_endpoint, faults=[(503, "SlowDown"), (500, "InternalError")]) as proxy:
        client = s3.make_client(account_for(proxy.endpoint), FAST, tally)
        inv = s3.inventory_bucket(client, "bkt", SETTINGS)
    assert inv.objects == N
    # Both refused attempts reached R2 and are billed; each is in the tally.
    assert tally.by_operation["ListObjectsV2"] == inv.list_requests + 2
    assert tally.class_a == tally.by_operation["ListObjectsV2"]


def test_a_refused_listing_fails_with_a_clear_reason(s3_backend: Any, moto_endpoint: str) -> None:
    seed_bucket(s3_backend, "bkt", _objects(LAYOUTS["flat"](100)))
    tally = RequestTally()
    with CountingProxy(moto_endpoint, faults=[(403, "AccessDenied")]) as proxy:
        client = s3.make_client(account_for(proxy.endpoint), FAST, tally)
        with pytest.raises(ClientError) as caught:
            s3.inventory_bucket(client, "bkt", SETTINGS)
    reason = describe_error(caught.value, proxy.endpoint, "bkt")
    assert "access denied" in reason and "bucket bkt" in reason
    assert (tally.unbilled, tally.class_a) == (1, 0)  # R2 does not bill a 403


def test_no_such_bucket(s3_backend: Any, proxy: CountingProxy) -> None:
    with pytest.raises(ClientError) as caught:
        s3.inventory_bucket(s3.make_client(account_for(proxy.endpoint), FAST), "nope", SETTINGS)
    assert caught.value.response["Error"]["Code"] == "NoSuchBucket"
    assert "no such bucket" in describe_error(caught.value, proxy.endpoint, "nope")


def test_sequential_when_concurrency_is_one(s3_backend: Any, proxy: CountingProxy) -> None:
    keys = LAYOUTS["skewed"](N)
    seed_bucket(s3_backend, "bkt", _objects(keys))
    client = s3.make_client(account_for(proxy.endpoint), FAST)
    one = InventorySettings(page_size=PAGE, top_n=5, concurrency=1)
    inv = s3.inventory_bucket(client, "bkt", one)
    assert inv.list_requests == proxy.counts.pages == math.ceil(N / PAGE)
    assert proxy.most_in_flight == 1 and proxy.counts.probes == 0


def test_the_listing_gives_way_while_the_ui_runs_late(
    s3_backend: Any, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a UI loop that never answers (a layout that never ends, say) every
    step between pages sleeps pace.PAUSE_S, and the listing is still exact."""
    objects = seed_bucket(s3_backend, "bkt", _objects(LAYOUTS["flat"](N)))
    stuck = asyncio.new_event_loop()  # never run: a question to it is never answered
    pulse = pace.Pulse()
    pulse.attach(stuck)
    monkeypatch.setattr(pace, "UI", pulse)
    pauses: list[float] = []
    monkeypatch.setattr(
        pace,
        "time",
        types.SimpleNamespace(
            monotonic=time.monotonic, sleep=lambda s: (pauses.append(s), time.sleep(s))
        ),
    )
    try:
        client = s3.make_client(account_for(proxy.endpoint), FAST)
        inv = s3.inventory_bucket(client, "bkt", SETTINGS)
    finally:
        stuck.close()
    _same(inv, _in_key_order(objects))
    pages = proxy.counts.pages
    assert len(pauses) == 2 * pages  # two steps between pages, each gives way
    late = [s for s in pauses if s == pace.PAUSE_S]
    assert len(late) >= len(pauses) - 3, pauses  # once the question is overdue, every step
