"""The streamed inventory against moto's S3 server over HTTP: a bucket of more
than 10,000 objects listed page by page, every number checked against the seed,
and every HTTP attempt tallied by R2 operation class."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from r2tui.config import InventorySettings, S3Settings
from r2tui.observations import BucketInventory, RequestTally
from r2tui.sources import s3
from r2tui.sources.errors import Cancelled
from r2tui.sources.listing.fold import extension_of
from tests.support.configs import account_for
from tests.support.listing_peers import CountingProxy
from tests.support.peers import Obj, closed_port, error_server, random_objects, seed_bucket

BIG = "inv-big"
N_OBJECTS = 10_050  # not a multiple of the page size: the last page is partial
PAGE = 1000
SETTINGS = InventorySettings(
    top_n=25, newest_n=15, large_object_bytes=20_000_000, max_extensions=500, page_size=PAGE
)
FAST = S3Settings(connect_timeout=2, read_timeout=10, max_attempts=1)


def _backend():  # type: ignore[no-untyped-def]
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    return s3_backends[DEFAULT_ACCOUNT_ID]["aws"]


@dataclass
class Listed:
    seed: list[Obj]
    since: float
    buckets: list[str]
    inventory: BucketInventory
    tally: RequestTally
    pages_seen: int  # list requests counted by a proxy between the client and moto


@pytest.fixture(scope="module")
def listed(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Listed]:
    """Seed once and list once for the whole module: moto needs ~0.3 s per page."""
    httpx.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    backend = _backend()
    now = int(time.time())
    seed = seed_bucket(backend, BIG, random_objects(random.Random(11), N_OBJECTS, now))
    seed_bucket(backend, "inv-empty", [])
    seed_bucket(backend, "inv-small", [Obj("x.txt", 3, now)])
    no_aws = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as mp:
        # The autouse isolation is per test; this module-wide listing needs its own.
        mp.setenv("AWS_CONFIG_FILE", str(no_aws))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(no_aws))
        tally = RequestTally()
        with CountingProxy(moto_endpoint) as proxy:
            client = s3.make_client(account_for(proxy.endpoint), FAST, tally)
            since = float(now - 30 * 86400)
            buckets = s3.list_buckets(client)
            inv = s3.inventory_bucket(client, BIG, SETTINGS, since=since)
    yield Listed(seed, since, buckets, inv, tally, proxy.counts.pages)
    httpx.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()


def _entries(inv_list: list) -> list[tuple]:
    return [(e.key, e.size, int(e.last_modified), e.storage_class) for e in inv_list]


def test_bucket_list(listed: Listed) -> None:
    assert listed.buckets == sorted([BIG, "inv-empty", "inv-small"])


def test_object_count_and_bytes(listed: Listed) -> None:
    assert len(listed.seed) >= 10_000
    assert listed.inventory.bucket == BIG
    assert listed.inventory.objects == len(listed.seed)
    assert listed.inventory.bytes == sum(o.size for o in listed.seed)


def test_by_extension(listed: Listed) -> None:
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in listed.seed:
        expected[extension_of(o.key)][0] += 1
        expected[extension_of(o.key)][1] += o.size
    got = {k: [v.objects, v.bytes] for k, v in listed.inventory.by_extension.items()}
    assert got == expected
    assert {"jpg", "tar.gz", "json.gz", "(none)"} <= set(got)  # "JPG" folded into "jpg"
    assert not listed.inventory.other_extensions


def test_by_storage_class(listed: Listed) -> None:
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in listed.seed:
        expected[o.storage_class][0] += 1
        expected[o.storage_class][1] += o.size
    got = {k: [v.objects, v.bytes] for k, v in listed.inventory.by_storage_class.items()}
    assert got == expected
    assert set(got) == {"STANDARD", "STANDARD_IA"}


def test_largest_and_newest(listed: Listed) -> None:
    as_tuples = [(o.key, o.size, o.mtime, o.storage_class) for o in listed.seed]
    by_size = sorted(as_tuples, key=lambda o: (o[1], o[0]), reverse=True)
    by_time = sorted(as_tuples, key=lambda o: (o[2], o[0]), reverse=True)
    assert _entries(listed.inventory.largest) == by_size[: SETTINGS.top_n]
    assert _entries(listed.inventory.newest) == by_time[: SETTINGS.newest_n]


def test_new_large_only_after_since_and_above_threshold(listed: Listed) -> None:
    expected = [
        o for o in listed.seed if o.mtime > listed.since and o.size >= SETTINGS.large_object_bytes
    ]
    older_large = [
        o for o in listed.seed if o.mtime <= listed.since and o.size >= SETTINGS.large_object_bytes
    ]
    assert expected and older_large  # the seed has both sides of the line
    inv = listed.inventory
    assert inv.new_large_count == len(expected)
    keep = sorted(expected, key=lambda o: (o.size, o.key), reverse=True)[:100]
    assert [e.key for e in inv.new_large] == [o.key for o in keep]
    assert all(
        e.last_modified > listed.since and e.size >= SETTINGS.large_object_bytes
        for e in inv.new_large
    )


def test_one_list_request_per_page(listed: Listed) -> None:
    pages = math.ceil(len(listed.seed) / PAGE)
    assert listed.inventory.list_requests == pages == listed.pages_seen
    assert listed.inventory.started_at <= listed.inventory.finished_at


def test_request_tally_counts_every_attempt_by_class(listed: Listed) -> None:
    pages = math.ceil(len(listed.seed) / PAGE)
    assert listed.tally.by_operation == {"ListBuckets": 1, "ListObjectsV2": pages}
    # ListBuckets and every list page are Class A.
    assert (listed.tally.class_a, listed.tally.class_b, listed.tally.free) == (1 + pages, 0, 0)
    assert listed.tally.unbilled == 0


# ---- small buckets, function-scoped ---------------------------------------------------


def _client(endpoint: str, tally: RequestTally | None = None, **s3_kw: object):  # type: ignore[no-untyped-def]
    settings = S3Settings(**{"connect_timeout": 2, "read_timeout": 10, "max_attempts": 1, **s3_kw})  # type: ignore[arg-type]
    return s3.make_client(account_for(endpoint), settings, tally)


def test_empty_bucket_costs_one_page(s3_backend, moto_endpoint: str) -> None:  # type: ignore[no-untyped-def]
    seed_bucket(s3_backend, "empty", [])
    tally = RequestTally()
    inv = s3.inventory_bucket(_client(moto_endpoint, tally), "empty", SETTINGS)
    assert (inv.objects, inv.bytes, inv.list_requests) == (0, 0, 1)
    assert (inv.largest, inv.newest, inv.by_extension) == ([], [], {})
    assert tally.by_operation == {"ListObjectsV2": 1} and tally.class_a == 1


def test_small_pages(s3_backend, moto_endpoint: str) -> None:  # type: ignore[no-untyped-def]
    objs = seed_bucket(
        s3_backend, "paged", [Obj(f"k{i:02d}.bin", i, 1_700_000_000 + i) for i in range(25)]
    )
    settings = InventorySettings(page_size=10, top_n=3, newest_n=2)
    inv = s3.inventory_bucket(_client(moto_endpoint), "paged", settings)
    assert inv.list_requests == 3
    assert inv.objects == 25 and inv.bytes == sum(o.size for o in objs)
    assert [e.key for e in inv.largest] == ["k24.bin", "k23.bin", "k22.bin"]
    assert [e.key for e in inv.newest] == ["k24.bin", "k23.bin"]


def test_stop_event_cancels_between_pages(s3_backend, moto_endpoint: str) -> None:  # type: ignore[no-untyped-def]
    seed_bucket(s3_backend, "long", [Obj(f"k{i:03d}", 1, 1) for i in range(50)])
    stop = threading.Event()
    tally = RequestTally()
    # The stop comes while the first page is on its way.
    with (
        CountingProxy(moto_endpoint, on_page=lambda n, _: stop.set()) as proxy,
        pytest.raises(Cancelled),
    ):
        s3.inventory_bucket(
            _client(proxy.endpoint, tally), "long", InventorySettings(page_size=10), stop=stop
        )
    assert tally.by_operation == {"ListObjectsV2": 1}  # stopped after the first page
    with pytest.raises(Cancelled):  # stopped before: not one request
        s3.inventory_bucket(
            _client(moto_endpoint, tally), "long", InventorySettings(page_size=10), stop=stop
        )
    assert tally.by_operation == {"ListObjectsV2": 1}


def test_retries_are_each_tallied(tmp_path: Path) -> None:
    """A 500 is retried; every attempt reached the server, and R2 bills each."""
    with error_server(500, "InternalError", "We encountered an internal error") as peer:
        tally = RequestTally()
        with pytest.raises(ClientError):
            s3.list_buckets(_client(peer.endpoint, tally, max_attempts=2))
        assert len(peer.requests) == 2  # max_attempts counts the first try
        assert tally.by_operation == {"ListBuckets": 2}
        assert (tally.class_a, tally.unbilled) == (2, 0)


def test_refused_and_unanswered_attempts_are_not_billed() -> None:
    """R2 bills neither a 403 nor a request that never reached it; both are counted."""
    with error_server(403) as peer:
        tally = RequestTally()
        with pytest.raises(ClientError):
            s3.list_buckets(_client(peer.endpoint, tally))
        assert len(peer.requests) == 1
        assert tally.by_operation == {"ListBuckets": 1}
        assert (tally.class_a, tally.total, tally.unbilled, tally.attempts) == (0, 0, 1, 1)
    tally = RequestTally()
    with pytest.raises(EndpointConnectionError):
        s3.list_buckets(_client(f"http://127.0.0.1:{closed_port()}", tally))
    assert tally.by_operation == {"ListBuckets": 1}
    assert (tally.total, tally.unbilled) == (0, 1)


def test_clients_share_one_model_loader_without_growing_it(moto_endpoint: str) -> None:
    """make_client reuses botocore's model loader (the S3 model is parsed once);
    making a client again and again must not lengthen the loader's search path."""
    first = _client(moto_endpoint)
    paths = list(s3._LOADER.search_paths)
    for _ in range(5):
        client = _client(moto_endpoint)
    assert s3._LOADER.search_paths == paths
    # botocore's private `_loader`: no public attribute says which loader a client uses.
    assert client._loader is first._loader is s3._LOADER
    assert s3.list_buckets(client) == s3.list_buckets(first)
