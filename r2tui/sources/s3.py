"""R2 through its S3 API with boto3: bucket lists, streamed inventories, probes."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config as BotoConfig

from r2tui.config import AccountConfig, InventorySettings, S3Settings
from r2tui.config.model import MAX_LIST_CONCURRENCY
from r2tui.config.secrets import shown_host
from r2tui.observations import BucketInventory, ProbeResult, ProbeStep, RequestTally
from r2tui.pricing import operation_class
from r2tui.sources.errors import FAILING, Cancelled, describe_error, failure_kind
from r2tui.sources.listing.buckets import BucketTask
from r2tui.sources.listing.buckets import list_buckets as listing_buckets
from r2tui.sources.listing.fetch import can_fetch
from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints, SplitKey
from r2tui.sources.listing.parallel import list_ranges
from r2tui.waits import Waits

PROBE_BODY = b"r2tui canary\n"
_LOADER = botocore.loaders.create_loader()
_LOADER_LOCK = threading.Lock()


def make_client(
    account: AccountConfig, settings: S3Settings, tally: RequestTally | None = None
) -> Any:
    """A boto3 S3 client for the account; every HTTP attempt it sends is tallied."""
    core = botocore.session.get_session()
    # One model loader for every client: the S3 model is a large JSON file, and a
    # fresh session parses it again in one C call that holds the interpreter
    # lock for tens of milliseconds (a stall for the TUI on every job run).
    core.register_component("data_loader", _LOADER)
    with _LOADER_LOCK:
        session = boto3.session.Session(botocore_session=core, profile_name=account.profile)
        # Each boto3 session appends its data folder to the loader's search path:
        # keep one of each, or the shared loader's path grows with every job run.
        _LOADER.search_paths[:] = list(dict.fromkeys(_LOADER.search_paths))
    kwargs: dict[str, Any] = {}
    if account.access_key_id and account.secret_access_key:
        kwargs["aws_access_key_id"] = account.access_key_id.reveal()
        kwargs["aws_secret_access_key"] = account.secret_access_key.reveal()
    client = session.client(
        "s3",
        endpoint_url=account.endpoint_url.reveal(),  # whole: errors name its host only
        region_name=account.region,
        config=BotoConfig(
            signature_version="s3v4",
            # total_max_attempts counts the first try; botocore's max_attempts would not.
            retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            # boto3 1.36+ sends aws-chunked CRC32 checksums by default; R2 rejects them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": "path"},
            # Inventories list key ranges concurrently (InventorySettings.concurrency).
            max_pool_connections=MAX_LIST_CONCURRENCY,
        ),
        **kwargs,
    )
    if tally is not None:
        lock = threading.Lock()

        def count(event_name: str, response_dict: dict[str, Any] | None = None, **_: Any) -> None:
            operation = event_name.rsplit(".", 1)[-1]
            status = response_dict.get("status_code") if response_dict else None
            with lock:
                tally.add(operation, operation_class(operation), billed=_billed(status))

        # response-received fires once per HTTP attempt, retries included, with the
        # status when an answer came back: that decides whether R2 bills the attempt.
        client.meta.events.register("response-received.s3", count)
    return client


def report_waits(client: Any, waits: Waits) -> None:
    """Tell `waits` of every HTTP attempt `client` sends while it is in flight, by
    the endpoint's host and port and the operation: what the header shows as
    "waiting 12 s for HOST" while an endpoint does not answer.

    botocore's public events: `before-send` fires just before each attempt leaves,
    `response-received` after it, answered or failed, on the same thread (retries
    of one call run one after the other there). A client without botocore's events
    (a test double) is left alone."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is None:
        return
    host = shown_host(client.meta.endpoint_url) or "the endpoint"
    local = threading.local()

    def begin(event_name: str, **_: Any) -> None:
        tickets = local.__dict__.setdefault("tickets", [])
        tickets.append(waits.begin(host, event_name.rsplit(".", 1)[-1]))

    def end(**_: Any) -> None:
        tickets = local.__dict__.get("tickets")
        if tickets:  # an attempt announced without a before-send has no ticket
            waits.end(tickets.pop())

    events.register("before-send.s3", begin)
    events.register("response-received.s3", end)


def _billed(status: int | None) -> bool:
    """R2 bills every answered request except authentication and authorization
    failures; an attempt that never got an answer never reached it."""
    return status is not None and status not in (401, 403)


@dataclasses.dataclass(frozen=True)
class FailedStep(ProbeStep):
    """A step that failed, with the kind of its failure (errors.failure_kind): the
    jobs record it as the S3 source's state."""

    kind: str = FAILING


def step_kind(step: ProbeStep) -> str:
    return step.kind if isinstance(step, FailedStep) else FAILING


def list_buckets(client: Any) -> list[str]:
    """Every bucket of the account, sorted, over as many requests as it takes.

    R2 answers at most 1,000 buckets a request and says whether more follow in
    the headers `cf-is-truncated` and `cf-next-continuation-token` (its
    ListBuckets extension; the XML carries IsTruncated and
    NextContinuationToken, which botocore does not read, and ContinuationToken
    is the token the request sent). AWS S3 answers the next token as
    ContinuationToken. Both take it back as the `continuation-token` parameter."""
    names: list[str] = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        answer = client.list_buckets(**({"ContinuationToken": token} if token else {}))
        names += [b["Name"] for b in answer.get("Buckets", [])]
        token = _next_bucket_token(answer, token)
        if token is None:
            return sorted(set(names))
        if token in seen:
            raise ValueError("the endpoint answered a bucket list's continuation token twice")
        seen.add(token)


def _next_bucket_token(answer: dict[str, Any], sent: str | None) -> str | None:
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    truncated = headers.get("cf-is-truncated")
    if truncated is not None:  # R2
        following = headers.get("cf-next-continuation-token")
        return following or None if truncated.lower() == "true" else None
    following = answer.get("ContinuationToken")  # AWS: the next page's token
    return following if following and following != sent else None


def inventory_bucket(
    client: Any,
    bucket: str,
    settings: InventorySettings,
    since: float | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
    hints: Hints | None = None,
    pinned_prefixes: Iterable[str] = (),
) -> BucketInventory:
    """List every object of `bucket` and fold it; raises on failure so that
    nothing partial is ever kept. Key ranges are listed concurrently (up to
    settings.concurrency) with our own page parser (sources.listing); `hints`
    from the last inventory let the ranges start at once. `pinned_prefixes`
    get their exact totals even when not among the kept (`PrefixTally`)."""
    pinned = tuple(pinned_prefixes)

    make_fold = _fold_maker(bucket, settings, since, pinned)
    started = clock()
    cuts: list[SplitKey] = []
    if can_fetch(client):
        fold, pages, cuts = list_ranges(
            client,
            bucket,
            make_fold,
            page_size=settings.page_size,
            concurrency=settings.concurrency,
            stop=stop,
            hints=hints,
        )
    else:
        fold, pages = _paginated(client, bucket, make_fold(), settings.page_size, stop)
    return _with_cuts(fold.result(started, clock(), pages), cuts)


@dataclasses.dataclass(frozen=True)
class BucketWork:
    """One bucket to inventory, with what its last inventory left: when that
    listing started (uploads since then are new) and where to cut it."""

    bucket: str
    since: float | None = None
    hints: Hints | None = None
    pinned: tuple[str, ...] = ()  # prefixes whose exact totals it must keep (PrefixTally)


def inventory_buckets(
    client: Any,
    work: Iterable[BucketWork],
    settings: InventorySettings,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
    on_turn: Callable[[bool], None] | None = None,
) -> Generator[tuple[str, BucketInventory | Exception], None, None]:
    """Each bucket's inventory, or the error that ended its listing, as each
    finishes: the buckets are listed at once, with at most settings.concurrency
    list requests on their way for all of them (listing.buckets). `work` is read
    as buckets start, in this thread. Raises Cancelled on `stop`; a bucket is
    never handed back in part. `on_turn(waiting)`: see listing.buckets.list_buckets
    (here also before each bucket, waiting, when buckets are listed one by one)."""
    if not can_fetch(client):
        for w in work:
            if on_turn is not None:
                on_turn(True)
            try:
                yield (
                    w.bucket,
                    inventory_bucket(
                        client, w.bucket, settings, w.since, stop, clock, pinned_prefixes=w.pinned
                    ),
                )
            except Cancelled:
                raise
            except Exception as exc:
                yield w.bucket, exc
        return
    tasks = (
        BucketTask(w.bucket, _fold_maker(w.bucket, settings, w.since, w.pinned), w.hints)
        for w in work
    )
    listing = listing_buckets(
        client,
        tasks,
        page_size=settings.page_size,
        concurrency=settings.concurrency,
        stop=stop,
        clock=clock,
        on_turn=on_turn,
    )
    with contextlib.closing(listing):
        for listed in listing:
            if listed.error is not None or listed.fold is None:
                yield listed.bucket, listed.error or AssertionError("no fold")
                continue
            inv = listed.fold.result(listed.started, listed.finished, listed.requests)
            yield listed.bucket, _with_cuts(inv, listed.split_keys)


def _with_cuts(inv: BucketInventory, cuts: list[SplitKey]) -> BucketInventory:
    return dataclasses.replace(
        inv,
        split_keys=tuple(c.key for c in cuts),
        split_positions=tuple(c.position for c in cuts),
    )


def _fold_maker(
    bucket: str, settings: InventorySettings, since: float | None, pinned: tuple[str, ...] = ()
) -> Callable[[], InventoryFold]:
    def make_fold() -> InventoryFold:
        return InventoryFold(
            bucket,
            top_n=settings.top_n,
            newest_n=settings.newest_n,
            large_object_bytes=settings.large_object_bytes,
            max_extensions=settings.max_extensions,
            since=since,
            prefix_depth=settings.prefix_depth,
            prefix_entries=settings.prefix_entries,
            pinned_prefixes=pinned,
        )

    return make_fold


def _paginated(
    client: Any, bucket: str, fold: InventoryFold, page_size: int, stop: threading.Event | None
) -> tuple[InventoryFold, int]:
    """boto3's own paginator, for a client that is not botocore's (a test double)."""
    pages = 0
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": page_size}):
        pages += 1
        for obj in page.get("Contents", ()):
            fold.add(
                obj["Key"],
                obj["Size"],
                obj["LastModified"].timestamp(),
                obj.get("StorageClass") or "STANDARD",
            )
        if stop is not None and stop.is_set():
            raise Cancelled()
    return fold, pages


def probe_bucket(
    client: Any, bucket: str, prefix: str, clock: Callable[[], float] = time.time
) -> ProbeResult:
    """PUT, GET, HEAD and DELETE a tiny object; latency and outcome per step.
    Failures are recorded with their reason, never raised."""
    key = f"{prefix}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    at = clock()
    steps: list[ProbeStep] = []
    endpoint = client.meta.endpoint_url

    def step(operation: str, call: Callable[[], Any]) -> bool:
        t0 = time.perf_counter()
        try:
            call()
        except Exception as exc:  # a probe reports every failure, whatever its kind
            ms = (time.perf_counter() - t0) * 1000
            steps.append(
                FailedStep(
                    operation, False, ms, describe_error(exc, endpoint, bucket), failure_kind(exc)
                )
            )
            return False
        steps.append(ProbeStep(operation, True, (time.perf_counter() - t0) * 1000))
        return True

    def get() -> None:
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        if body != PROBE_BODY:
            raise ValueError(f"read back {len(body)} bytes that differ from what was written")

    if step("PutObject", lambda: client.put_object(Bucket=bucket, Key=key, Body=PROBE_BODY)):
        step("GetObject", get)
        step("HeadObject", lambda: client.head_object(Bucket=bucket, Key=key))
        step("DeleteObject", lambda: client.delete_object(Bucket=bucket, Key=key))
    return ProbeResult(bucket=bucket, at=at, steps=steps)


def check_endpoint(client: Any, bucket: str | None) -> ProbeStep:
    """The cheapest request that proves the endpoint and the credentials work:
    HeadBucket (Class B) on a known bucket, else ListBuckets (Class A)."""
    operation = "HeadBucket" if bucket else "ListBuckets"
    t0 = time.perf_counter()
    try:
        if bucket:
            client.head_bucket(Bucket=bucket)
        else:
            client.list_buckets()
    except Exception as exc:  # the check reports every failure, whatever its kind
        return FailedStep(
            operation,
            False,
            (time.perf_counter() - t0) * 1000,
            describe_error(exc, client.meta.endpoint_url, bucket),
            failure_kind(exc),
        )
    return ProbeStep(operation, True, (time.perf_counter() - t0) * 1000)
