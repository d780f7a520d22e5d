"""The analytics client as the real API answers: storage classes, byte sums and
sampled figures; refusals of the optional fields; no row limit (full pages read
on, busy hours split by bucket, a lone bucket's full hour kept as partial);
the query budget; and an endpoint that never answers. Over real HTTP against
the loopback GraphQL peer, which answers through r2tui.sources.graphql_answer
as the demo does."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from r2tui.observations import INFREQUENT_ACCESS, STANDARD, OperationGroup, StorageSnapshot
from r2tui.sources import graphql_queries as gq
from r2tui.sources.analytics import (
    WAIT_BUDGET,
    WAIT_QUERY,
    AnalyticsError,
    AnalyticsMalformed,
    AnalyticsUnavailable,
    forget_learned,
)
from r2tui.sources.errors import Cancelled
from r2tui.sources.query_budget import QUERIES_PER_WINDOW, WINDOW, QueryBudget, budget_for
from r2tui.waits import Waits
from tests.support.graphql_peer import (
    T0,
    GraphQLPeer,
    H,
    Sleeps,
    answer,
    client_for,
    errors_answer,
    operation_row,
    ops_rows,
    storage_rows,
)
from tests.support.peers import SilentServer

OPS = gq.OPERATIONS_DATASET
STORE = gq.STORAGE_DATASET
DAY = 24 * H


@pytest.fixture(autouse=True)
def _fresh_endpoints() -> Iterator[None]:
    """What an endpoint refused is remembered for the process: not from test to test."""
    forget_learned()
    yield
    forget_learned()


class Clock:
    """A fake clock; `sleep` moves it on, so waits cost no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def op(hour: int, bucket: str, requests: int = 1, **kw: Any) -> OperationGroup:
    return OperationGroup(hour, bucket, "GetObject", "success", 200, requests, **kw)


# ---- classes, bytes, sampling ----------------------------------------------------------


def test_a_mixed_bucket_has_a_row_per_class(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.storage = [
        StorageSnapshot(T0, "media", 900, 1, 7_000_000_000, 90_000, STANDARD),
        StorageSnapshot(T0, "media", 300, 0, 40_000_000_000, 30_000, INFREQUENT_ACCESS),
        StorageSnapshot(T0, "logs", 5, 0, 10, 0, "ArchiveSomeday"),  # a class yet unknown
    ]
    with client_for(peer, sleeps) as client:
        got = client.storage(T0, T0 + H)
    assert got == peer.storage  # both classes, unknown ones kept as given
    assert sum(s.payload_bytes for s in got if s.bucket == "media") == 47_000_000_000


def test_byte_sums_and_sampled_rows_are_parsed(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = ops_rows(5, per_hour=3)
    with client_for(peer, sleeps) as client:
        got = client.operations(T0, T0 + 5 * H)
    assert got == peer.operations
    put = [g for g in got if g.action == "PutObject"]
    assert put and all(g.response_bytes == 0 and g.object_bytes for g in put)
    assert max(g.object_bytes or 0 for g in got) > 2**32
    assert {g.sample_interval for g in got} == {1.0, 10.0}
    assert {g.storage_class for g in got} == {STANDARD, INFREQUENT_ACCESS}


def test_a_sampled_answer_keeps_its_interval_and_estimates(
    peer: GraphQLPeer, sleeps: Sleeps
) -> None:
    """Cloudflare reports a sampled figure already scaled up: 5,000 sampled at one in
    ten come as 50,000, with sampleInterval 10 (a float in JSON; 1 may come as 1)."""
    row = operation_row(
        op(
            T0,
            "media",
            50_000,
            storage_class=STANDARD,
            response_bytes=7,
            object_bytes=7,
            sample_interval=10.0,
        )
    )
    whole = operation_row(
        op(T0, "logs", 3, storage_class=STANDARD, response_bytes=0, object_bytes=0)
    )
    whole["avg"]["sampleInterval"] = 1  # an integer: still a number
    peer.push(200, answer(OPS, [row, whole]))
    with client_for(peer, sleeps) as client:
        got = client.operations(T0, T0 + H)
    assert [(g.bucket, g.requests, g.sample_interval) for g in got] == [
        ("media", 50_000, 10.0),
        ("logs", 3, 1.0),
    ]
    assert isinstance(got[1].sample_interval, float)


def test_a_null_storage_class_is_no_class(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    """A row about no object (ListObjects, a bucket-level operation) may have no
    class: read as unknown, not as a malformed answer failing the whole read."""
    row = operation_row(ops_rows(1, per_hour=1)[0])
    row["dimensions"]["storageClass"] = None
    peer.push(200, answer(OPS, [row]))
    with client_for(peer, sleeps) as client:
        (got,) = client.operations(T0, T0 + H)
    assert got.storage_class == ""


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("avg.sampleInterval", 0.5, "[0].avg.sampleInterval is 0.5, not a number >= 1"),
        ("avg.sampleInterval", "10", "[0].avg.sampleInterval is a string, not a number"),
        ("avg.sampleInterval", True, "[0].avg.sampleInterval is a boolean, not a number"),
        ("avg.sampleInterval", float("nan"), "[0].avg.sampleInterval is nan, not a number >= 1"),
        ("avg", None, "[0].avg is null, not an object"),
        ("sum.responseBytes", -1, "[0].sum.responseBytes is negative (-1)"),
        ("sum.responseObjectSize", 1.5, "[0].sum.responseObjectSize is a number, not an integer"),
        ("dimensions.storageClass", 7, "[0].dimensions.storageClass is an integer, not a string"),
    ],
)
def test_a_bad_new_field_names_its_path(
    peer: GraphQLPeer, sleeps: Sleeps, path: str, value: Any, reason: str
) -> None:
    row = operation_row(ops_rows(1, per_hour=1)[0])
    *parents, last = path.split(".")
    target = row
    for key in parents:
        target = target[key]
    target[last] = value
    peer.push(200, answer(OPS, [row]))
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsMalformed) as err:
        client.operations(T0, T0 + H)
    assert f"{OPS}{reason}" in err.value.reason


# ---- refusals of the optional fields -----------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "field", "words"),
    [
        (STORE, "storageClass", "storage classes come from listings"),
        (OPS, "storageClass", "Infrequent Access requests are estimated from listings"),
        (OPS, "responseBytes", "bytes sent are not measured"),
        (
            OPS,
            "responseObjectSize",
            "object sizes are not measured: Infrequent Access retrieval is estimated",
        ),
        (OPS, "sampleInterval", "figures are taken as not sampled"),
    ],
)
def test_a_refused_field_is_left_out_once_and_said(
    peer: GraphQLPeer, sleeps: Sleeps, dataset: str, field: str, words: str
) -> None:
    peer.operations = ops_rows(3, per_hour=1)
    peer.storage = storage_rows(3)
    peer.unknown_fields = {field}
    fetch = "operations" if dataset == OPS else "storage"
    with client_for(peer, sleeps) as client:
        got = getattr(client, fetch)(T0, T0 + 3 * H)
        assert client.queries_sent == 2  # the refused query, then the one without the field
        assert client.refused == {dataset: {field}}
        assert client.notes == [
            f"Cloudflare analytics does not offer {field} on {dataset}: {words}"
        ]
    first, second = peer.requests
    assert field in first.body["query"] and field not in second.body["query"]
    assert len(got) == len(peer.operations if dataset == OPS else peer.storage) and sleeps == []
    defaults = {
        "storageClass": ("storage_class", ""),
        "responseBytes": ("response_bytes", None),
        "responseObjectSize": ("object_bytes", None),
        "sampleInterval": ("sample_interval", 1.0),
    }
    attr, default = defaults[field]
    assert {getattr(r, attr) for r in got} == {default}
    # The other fields are still asked and measured.
    if dataset == OPS and field != "responseObjectSize":
        assert all(g.object_bytes for g in got)

    # A later client of the same endpoint (the next job run) does not ask again.
    with client_for(peer, sleeps) as later:
        assert getattr(later, fetch)(T0, T0 + 3 * H) == got
        assert later.queries_sent == 1 and later.refused == {dataset: {field}}
        assert later.notes == []  # said once, by the client that found it
    assert field not in peer.requests[-1].body["query"]


def test_without_the_class_a_mixed_bucket_is_merged_as_cloudflare_does(
    peer: GraphQLPeer, sleeps: Sleeps
) -> None:
    """Asked without storageClass, the API groups the classes together: sums add,
    max takes each field's larger value. The rows say so with class ""."""
    peer.unknown_fields = {"storageClass"}
    peer.storage = [
        StorageSnapshot(T0, "media", 900, 1, 7_000, 90, STANDARD),
        StorageSnapshot(T0, "media", 300, 0, 40_000, 30, INFREQUENT_ACCESS),
    ]
    peer.operations = [
        op(
            T0,
            "media",
            90,
            storage_class=STANDARD,
            response_bytes=900,
            object_bytes=900,
            sample_interval=1.0,
        ),
        op(
            T0,
            "media",
            10,
            storage_class=INFREQUENT_ACCESS,
            response_bytes=100,
            object_bytes=100,
            sample_interval=10.0,
        ),
    ]
    with client_for(peer, sleeps) as client:
        [snap] = client.storage(T0, T0 + H)
        [group] = client.operations(T0, T0 + H)
    assert (
        snap.objects,
        snap.pending_uploads,
        snap.payload_bytes,
        snap.metadata_bytes,
        snap.storage_class,
    ) == (900, 1, 40_000, 90, "")
    assert (group.requests, group.response_bytes, group.object_bytes, group.storage_class) == (
        100,
        1000,
        1000,
        "",
    )
    # 90 requests counted one by one and 10 estimated from one: 91 sampled events.
    assert group.sample_interval == pytest.approx(100 / 91)


def test_a_refusal_in_an_errors_answer_is_recognised(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = ops_rows(2, per_hour=1)
    peer.push(
        200,
        errors_answer(
            'Cannot query field "responseObjectSize" on type "R2OperationsAdaptiveGroupsSum".',
            code="GRAPHQL_VALIDATION",
        ),
    )
    with client_for(peer, sleeps) as client:
        got = client.operations(T0, T0 + 2 * H)
        assert client.refused == {OPS: {"responseObjectSize"}} and len(client.notes) == 1
    assert [g.object_bytes for g in got] == [None, None]
    assert [g.response_bytes for g in got] == [g.response_bytes for g in peer.operations]


def test_a_refused_required_field_fails_with_the_message(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.unknown_fields = {"requests"}
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsError) as err:
        client.operations(T0, T0 + H)
    assert err.value.reason == 'Cloudflare analytics answered HTTP 400: unknown field "requests"'
    assert len(peer.requests) == 1 and client.refused == {}


def test_a_smaller_page_size_is_learned_from_the_refusal(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.page_limit = 4
    peer.operations = ops_rows(6, per_hour=2)
    with client_for(peer, sleeps) as client:
        got = client.operations(T0, T0 + 6 * H)
    assert got == peer.operations
    assert [s.variables["limit"] for s in peer.requests][:2] == [gq.PAGE_LIMIT, 4]
    assert len(peer.requests) > 3  # 12 rows, 4 a page: read on from full pages
    with client_for(peer, sleeps) as later:  # remembered for the endpoint
        later.operations(T0, T0 + H)
    assert peer.requests[-1].variables["limit"] == 4


# ---- no row limit ------------------------------------------------------------------------


def busy_hour(buckets: int, per_bucket: int = 1, hour: int = T0) -> list[OperationGroup]:
    # Distinct codes: rows of one bucket differ in a dimension asked, so none merge.
    return [
        OperationGroup(
            hour,
            f"b{i:03d}",
            ("GetObject", "PutObject", "HeadObject")[j % 3],
            "success",
            200 + j,
            1 + i + 1000 * j,
            STANDARD,
            0,
            0,
        )
        for i in range(buckets)
        for j in range(per_bucket)
    ]


def test_a_full_hour_is_split_by_bucket(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = busy_hour(12, per_bucket=2) + ops_rows(3, per_hour=1, start=T0 + H)
    with client_for(peer, sleeps, page_limit=5) as client:
        got = client.operations(T0, T0 + 4 * H)
        assert client.partial == []
    assert Counter(got) == Counter(peer.operations)  # every row, once
    cuts = [s.buckets for s in peer.requests if s.buckets]
    assert cuts and all(len(names) <= 12 for _, names in cuts)
    # Batches named with bucketName_in never overlap within the hour.
    ins = [set(names) for op_, names in cuts if op_ == "in"]
    assert all(not (a & b) or a <= b or b <= a for a, b in itertools.combinations(ins, 2))


def test_buckets_not_named_are_asked_for_until_none_is_left(
    peer: GraphQLPeer, sleeps: Sleeps
) -> None:
    """The caller names a few buckets; the rest come from bucketName_notin answers,
    whose full pages bring new names, each round leaving more out."""
    peer.operations = busy_hour(30)
    with client_for(peer, sleeps, page_limit=4) as client:
        got = client.operations(T0, T0 + H, buckets=["b000", "b001", "zz-empty"])
        assert client.partial == []
    assert Counter(got) == Counter(peer.operations)
    notins = [
        names for s in peer.requests if s.buckets for op_, names in [s.buckets] if op_ == "notin"
    ]
    assert len(notins) >= 3
    assert all(set(a) < set(b) for a, b in itertools.pairwise(notins))  # progress every round
    assert "zz-empty" in notins[0]


def test_one_bucket_still_full_is_kept_as_partial(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = busy_hour(1, per_bucket=7) + busy_hour(3, hour=T0 + H)
    with client_for(peer, sleeps, page_limit=5) as client:
        got = client.operations(T0, T0 + 2 * H, buckets=["b000"])
        assert client.partial == [
            f"{OPS}: bucket b000 alone fills a page of 5 rows in the hour from "
            "2026-11-29T00:00:00Z; only those rows are counted"
        ]
    assert len([g for g in got if g.hour == T0]) == 5  # kept, not failed
    assert [g for g in got if g.hour == T0 + H] == peer.operations[7:]


def test_a_partial_names_its_rows_hour_whatever_the_window(
    peer: GraphQLPeer, sleeps: Sleeps
) -> None:
    """The job says a partial bucket-hour once, by its text: a window starting hours
    earlier (with nothing before the full hour) must name the same hour."""
    peer.operations = busy_hour(1, per_bucket=7, hour=T0 + 3 * H)
    with client_for(peer, sleeps, page_limit=5) as client:
        client.operations(T0, T0 + 4 * H, buckets=["b000"])
        assert client.partial == [
            f"{OPS}: bucket b000 alone fills a page of 5 rows in the hour from "
            "2026-11-29T03:00:00Z; only those rows are counted"
        ]


def test_a_full_page_out_of_order_is_malformed(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    rows = [operation_row(g) for g in ops_rows(3, per_hour=1)]
    peer.push(200, answer(OPS, [rows[2], rows[0], rows[1]]))
    with (
        client_for(peer, sleeps, page_limit=3) as client,
        pytest.raises(AnalyticsMalformed, match="not ordered by datetimeHour"),
    ):
        client.operations(T0, T0 + 3 * H)


def test_a_full_page_outside_the_window_is_malformed(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    # Reading on from such a page would not move on (or would count other hours).
    early = [operation_row(g) for g in ops_rows(2, per_hour=1, start=T0 - 5 * H)]
    peer.push(200, answer(OPS, early))
    with (
        client_for(peer, sleeps, page_limit=2) as client,
        pytest.raises(AnalyticsMalformed, match="holds hours outside 2026-11-29T00:00:00Z"),
    ):
        client.operations(T0, T0 + 3 * H)
    assert len(peer.requests) == 1


def test_an_endpoint_ignoring_notin_cannot_loop(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    a, b = (operation_row(op(T0, name)) for name in ("a", "b"))
    peer.push(200, answer(OPS, [a, b]))  # the hour, full
    peer.push(200, answer(OPS, [a]))  # bucketName_in [a]
    peer.push(200, answer(OPS, [b]))  # bucketName_in [b]
    peer.push(200, answer(OPS, [a, b]))  # bucketName_notin [a, b]: answered anyway
    with (
        client_for(peer, sleeps, page_limit=2) as client,
        pytest.raises(AnalyticsMalformed, match="bucketName_notin left out"),
    ):
        client.operations(T0, T0 + H)
    assert len(peer.requests) == 4


# ---- the query budget --------------------------------------------------------------------


def test_a_month_of_a_thousand_buckets_keeps_to_the_budget() -> None:
    """A 31-day backfill of 1,000 buckets a day at a time, 50 rows a page: busy
    hours hold a row of every bucket, so they are split by bucket. No 300 s window
    holds more than 250 queries, every row arrives once, and it completes."""
    clock = Clock()
    names = [f"bucket-{i:04d}" for i in range(1000)]
    hours = 31 * 24
    busy = {3 * 24 + 5, 10 * 24 + 14, 17 * 24, 24 * 24 + 23}
    ops = [
        op(
            T0 + (i * 37 % hours) * H,
            name,
            i + 1,
            storage_class=STANDARD,
            response_bytes=i,
            object_bytes=i,
        )
        for i, name in enumerate(names)
    ]
    ops += [
        op(T0 + h * H, name, 7, storage_class=INFREQUENT_ACCESS, response_bytes=1, object_bytes=1)
        for h in busy
        for name in names
    ]
    snaps = [
        StorageSnapshot(T0 + (i * 53 % hours) * H, name, i, 0, i, 0, STANDARD)
        for i, name in enumerate(names)
    ]
    snaps += [
        StorageSnapshot(T0 + h * H, name, 1, 0, 2, 0, INFREQUENT_ACCESS)
        for h in sorted(busy)[:2]
        for name in names
    ]
    got_ops: list[OperationGroup] = []
    got_snaps: list[StorageSnapshot] = []
    with (
        GraphQLPeer(ops, snaps, page_limit=50, clock=clock) as peer,
        client_for(peer, clock.sleep, page_limit=50, budget=QueryBudget(clock=clock)) as c,
    ):
        for day in range(31):
            lo = T0 + day * DAY
            # Half the days with the account's bucket names, half without.
            hint = names if day % 2 else ()
            got_ops += c.operations(lo, lo + DAY, buckets=hint)
            got_snaps += c.storage(lo, lo + DAY, buckets=hint)
        assert c.partial == [] and c.notes == []
        sent = c.queries_sent
    assert Counter(got_ops) == Counter(ops) and Counter(got_snaps) == Counter(snaps)
    times = [s.at for s in peer.requests]
    assert len(times) == sent > QUERIES_PER_WINDOW  # the budget had to wait
    assert all(b - a >= WINDOW for a, b in zip(times, times[QUERIES_PER_WINDOW:], strict=False))
    assert clock.sleeps and clock.now >= WINDOW * (sent // QUERIES_PER_WINDOW)
    assert max(clock.sleeps) <= WINDOW


def test_a_budget_wait_is_said_and_a_stop_ends_it(peer: GraphQLPeer) -> None:
    clock, waits, stop = Clock(), Waits(), threading.Event()
    seen: list[tuple[str, str] | None] = []

    def sleep(seconds: float) -> None:
        w = waits.longest()
        seen.append((w.host, w.what) if w else None)
        assert seconds == pytest.approx(WINDOW)
        stop.set()  # the app quits meanwhile

    budget = QueryBudget(limit=1, clock=clock)
    with (
        client_for(peer, sleep, budget=budget, stop=stop, waits=waits, max_window=H) as client,
        pytest.raises(Cancelled),
    ):
        client.operations(T0, T0 + 2 * H)  # two queries; the budget holds one
    # Host and port, as the header names the account's GraphQL endpoint.
    assert seen == [(f"127.0.0.1:{peer.port}", WAIT_BUDGET)]
    assert len(peer.requests) == 1 and waits.longest() is None


def test_the_budget_is_per_token_and_holds_no_token() -> None:
    from r2tui.sources import query_budget

    a = budget_for("token-a-5ecret")
    assert budget_for("token-a-5ecret") is a and budget_for("token-b") is not a
    assert budget_for("token-a-5ecret", "127.0.0.1:8787") is not a  # the demo's is its own
    held = repr(query_budget._budgets) + repr(vars(a))
    assert "5ecret" not in held and "token-a" not in held
    clock = Clock()
    budget = QueryBudget(limit=3, window=10, clock=clock)
    assert [budget.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert budget.take() == 10.0 and budget.spent() == 3
    clock.now = 10.0  # the first three leave the window
    assert budget.take() == 0.0 and budget.spent() == 1


# ---- an endpoint that never answers ------------------------------------------------------


def test_a_hung_endpoint_is_shown_while_waited_on_and_given_up(sleeps: Sleeps) -> None:
    waits = Waits()
    shown: list[tuple[str, str]] = []
    failure: list[BaseException] = []
    with (
        SilentServer() as silent,
        client_for(
            silent.endpoint + "/client/v4/graphql", sleeps, waits=waits, timeout=0.3, max_attempts=2
        ) as client,
    ):

        def query() -> None:
            try:
                client.operations(T0, T0 + H)
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=query, daemon=True)
        worker.start()
        while worker.is_alive() and not shown:
            if (w := waits.longest()) is not None:
                shown.append((w.host, w.what))
            worker.join(0.01)
        worker.join(10)
    assert shown == [(silent.endpoint.removeprefix("http://"), WAIT_QUERY)]
    [exc] = failure
    assert isinstance(exc, AnalyticsUnavailable)
    assert exc.reason == (
        "Cloudflare analytics timed out waiting for 127.0.0.1 to answer "
        "2 times; will retry next run"
    )
    assert waits.longest() is None and len(sleeps) == 1
