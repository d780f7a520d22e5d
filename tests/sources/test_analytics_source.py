"""The analytics client against a loopback GraphQL peer over real HTTP: parsing,
windows, paging, retries, refusals and malformed answers. Nothing is mocked;
waits go through a recording `sleep` so retries cost no time."""

from __future__ import annotations

import itertools
import random

import pytest

from r2tui.sources import graphql_queries as gq
from r2tui.sources.analytics import (
    AnalyticsAuthError,
    AnalyticsError,
    AnalyticsRateLimited,
    AnalyticsUnavailable,
    AnalyticsUnknownAccount,
)
from tests.support.graphql_peer import (
    ACCOUNT,
    T0,
    TOKEN,
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

OPS = gq.OPERATIONS_DATASET
STORE = gq.STORAGE_DATASET


# ---- parsing and windows -------------------------------------------------------------


def test_operations_parsed_exactly(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = ops_rows(5, per_hour=3)
    with client_for(peer, sleeps) as client:
        got = client.operations(T0, T0 + 5 * H)
        assert client.queries_sent == 1
    assert got == sorted(peer.operations, key=lambda r: r.hour)
    assert {g.bucket for g in got} == {"media", "eu_media", "logs"}  # jurisdiction kept
    [seen] = peer.requests
    assert seen.body["query"] == gq.OPERATIONS_QUERY
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.variables == {
        "accountTag": ACCOUNT,
        "start": "2026-11-29T00:00:00Z",
        "end": "2026-11-29T05:00:00Z",
        "limit": gq.PAGE_LIMIT,
    }
    assert sleeps == []


def test_storage_parsed_exactly(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.storage = storage_rows(4)
    peer.operations = ops_rows(4)  # must not leak into the storage answer
    with client_for(peer, sleeps) as client:
        got = client.storage(T0, T0 + 4 * H)
    assert got == peer.storage
    assert got[-1].payload_bytes == 4_000_000_029  # above 2**31: no truncation anywhere
    [seen] = peer.requests
    assert seen.body["query"] == gq.STORAGE_QUERY
    assert seen.dataset == STORE


def test_window_is_rfc3339_and_half_open(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = ops_rows(8, per_hour=1, start=T0 - 2 * H)
    start, end = T0, T0 + 3 * H
    with client_for(peer, sleeps) as client:
        got = client.operations(start, end)
    assert [g.hour for g in got] == [T0, T0 + H, T0 + 2 * H]  # start kept, end excluded
    assert peer.requests[0].variables["start"] == "2026-11-29T00:00:00Z"
    assert peer.requests[0].variables["end"] == "2026-11-29T03:00:00Z"


def test_rows_come_back_in_time_order(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    groups = ops_rows(3, per_hour=2)
    shuffled = [groups[4], groups[0], groups[5], groups[2], groups[1], groups[3]]
    peer.push(200, answer(OPS, [operation_row(g) for g in shuffled]))
    with client_for(peer, sleeps) as client:
        got = client.operations(T0, T0 + 3 * H)
    # By hour; within an hour the API's order stands.
    assert got == [groups[0], groups[1], groups[2], groups[3], groups[4], groups[5]]


def test_empty_window_sends_nothing(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    with client_for(peer, sleeps) as client:
        assert client.operations(T0, T0) == []
        assert client.queries_sent == 0
    assert peer.requests == []


def test_long_window_is_cut_into_chunks(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = ops_rows(72, per_hour=1)
    with client_for(peer, sleeps, max_window=86400) as client:
        got = client.operations(T0, T0 + 72 * H)
        assert client.queries_sent == 3
    assert got == peer.operations
    assert [s.window for s in peer.requests] == [
        (T0, T0 + 24 * H),
        (T0 + 24 * H, T0 + 48 * H),
        (T0 + 48 * H, T0 + 72 * H),
    ]


def test_chunks_of_an_unaligned_window_cut_on_hours(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    # An hour cut between two queries would come back as two half rows.
    start, end = T0 + 1800, T0 + 30 * H + 900
    with client_for(peer, sleeps, max_window=10 * H) as client:
        client.operations(start, end)
    windows = [s.window for s in peer.requests]
    assert windows[0][0] == start and windows[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    assert all(hi - lo <= 10 * H for lo, hi in windows)
    assert all(hi % H == 0 for _, hi in windows[:-1])


def test_full_page_splits_the_window(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = ops_rows(24, per_hour=2)  # 48 rows, pages of 3
    with client_for(peer, sleeps, page_limit=3) as client:
        got = client.operations(T0, T0 + 24 * H)
        assert client.queries_sent == len(peer.requests)
    assert got == peer.operations  # everything, once, in time order
    assert len(peer.requests) > 8
    assert all(s.variables["limit"] == 3 for s in peer.requests)
    assert all(lo % H == 0 and hi % H == 0 for lo, hi in (s.window for s in peer.requests))


# ---- retries -------------------------------------------------------------------------


def test_429_then_success_backs_off_with_full_jitter(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.storage = storage_rows(2)
    peer.push(429, {"errors": [{"message": "rate limited"}]})
    peer.push(429)
    with client_for(peer, sleeps, rng=random.Random(42), backoff=1.5) as client:
        assert client.storage(T0, T0 + 2 * H) == peer.storage
        assert client.queries_sent == 3
    expect = random.Random(42)
    assert sleeps == [expect.uniform(0, 1.5), expect.uniform(0, 3.0)]
    assert len(peer.requests) == 3


def test_jitter_stays_within_the_exponential_bound(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    for _ in range(8):
        peer.push(503)
    with (
        client_for(peer, sleeps, rng=random.Random(), max_attempts=8, backoff=2.0) as client,
        pytest.raises(AnalyticsUnavailable),
    ):
        client.operations(T0, T0 + H)
    assert len(sleeps) == 7
    for i, s in enumerate(sleeps):
        assert 0 <= s <= min(60.0, 2.0 * 2**i)
    assert len(set(sleeps)) == 7  # jittered, not a fixed ladder


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), ("3600", 60.0), ("0", 0.0)])
def test_retry_after_is_honoured_and_capped(
    peer: GraphQLPeer, sleeps: Sleeps, header: str, expected: float
) -> None:
    peer.push(429, b"", {"Retry-After": header})
    with client_for(peer, sleeps) as client:
        assert client.operations(T0, T0 + H) == []
    assert sleeps == [expected]


def test_429_every_time_gives_up_with_reason(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    for _ in range(3):
        peer.push(429)
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsRateLimited) as err:
        client.operations(T0, T0 + H)
    assert err.value.reason == (
        "Cloudflare analytics rate-limited the token (HTTP 429) 3 times; "
        "backing off until the next run"
    )
    assert len(peer.requests) == 3 and len(sleeps) == 2


def test_5xx_exhausted_names_the_status(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    for status in (500, 503, 502):
        peer.push(status, b"<html>bad gateway</html>", {"Content-Type": "text/html"})
    peer.push(200, answer(OPS, []))  # never reached
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsUnavailable) as err:
        client.operations(T0, T0 + H)
    assert err.value.reason == "Cloudflare analytics answered HTTP 502 3 times; will retry next run"
    assert len(peer.requests) == 3


def test_other_4xx_is_not_retried(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.push(400, errors_answer("query too complex", code="complexity"))
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsError) as err:
        client.operations(T0, T0 + H)
    assert err.value.reason == "Cloudflare analytics answered HTTP 400: query too complex"
    assert len(peer.requests) == 1 and sleeps == []


# ---- refusals ------------------------------------------------------------------------


def test_wrong_token_is_refused_at_once() -> None:
    sleeps = Sleeps()
    with (
        GraphQLPeer(token="the-right-one") as peer,
        client_for(peer, sleeps) as client,
        pytest.raises(AnalyticsAuthError) as err,
    ):
        client.operations(T0, T0 + H)
    assert len(peer.requests) == 1 and sleeps == []
    assert "HTTP 403" in err.value.reason
    assert '"Account Analytics: Read"' in err.value.reason
    assert ACCOUNT in err.value.reason


def test_401_is_an_auth_error(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.push(401, {"success": False, "errors": [{"code": 10001, "message": "Unauthorized"}]})
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsAuthError) as err:
        client.storage(T0, T0 + H)
    assert "HTTP 401" in err.value.reason and "Account Analytics: Read" in err.value.reason
    assert len(peer.requests) == 1


def test_errors_answer_for_a_refused_token() -> None:
    with (
        GraphQLPeer(token="the-right-one", refuse="errors") as peer,
        client_for(peer, Sleeps()) as client,
        pytest.raises(AnalyticsAuthError) as err,
    ):
        client.operations(T0, T0 + H)
    assert err.value.reason.startswith("Cloudflare analytics: not authorized for that account")
    assert "Account Analytics: Read" in err.value.reason
    assert len(peer.requests) == 1


def test_errors_beside_data_keep_nothing(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    rows = [operation_row(g) for g in ops_rows(2)]
    partial = answer(OPS, rows, errors=[{"message": "dataset timed out", "path": ["viewer"]}])
    peer.push(200, partial)
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsError) as err:
        client.operations(T0, T0 + 2 * H)
    assert type(err.value) is AnalyticsError
    assert err.value.reason == "Cloudflare analytics: dataset timed out"


def test_rate_limit_in_errors_is_not_retried(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.push(200, errors_answer("rate limiter budget depleted", code="rate_limited"))
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsRateLimited):
        client.operations(T0, T0 + H)
    assert len(peer.requests) == 1 and sleeps == []


def test_unknown_account_names_the_id(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    with (
        client_for(peer, sleeps, account_id="ffff0000") as client,
        pytest.raises(AnalyticsUnknownAccount) as err,
    ):
        client.storage(T0, T0 + H)
    assert "ffff0000" in err.value.reason and "wrong" in err.value.reason
    assert peer.requests[0].variables["accountTag"] == "ffff0000"
