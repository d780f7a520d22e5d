"""The analytics client when answers go wrong: malformed answers, no answer at
all, cancellation, and a token that never shows; over real HTTP against the
loopback GraphQL peer, as in test_analytics_source."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from r2tui.config.model import Secret
from r2tui.sources import graphql_queries as gq
from r2tui.sources.analytics import (
    AnalyticsClient,
    AnalyticsError,
    AnalyticsMalformed,
    AnalyticsUnavailable,
)
from r2tui.sources.errors import Cancelled
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
    storage_row,
    storage_rows,
)
from tests.support.peers import SilentServer, closed_port

OPS = gq.OPERATIONS_DATASET
STORE = gq.STORAGE_DATASET


# ---- malformed answers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "the answer is a list, not an object"),
        (b'{"data": null, "errors": null}', "answer.data is null, not an object"),
        (
            b'{"data": {"viewer": {"accounts": {}}}}',
            "data.viewer.accounts is an object, not a list",
        ),
        (
            b'{"data": {"viewer": {"accounts": [{}]}}}',
            "data.viewer.accounts[0].r2OperationsAdaptiveGroups missing",
        ),
    ],
)
def test_malformed_answers(peer: GraphQLPeer, sleeps: Sleeps, body: bytes, reason: str) -> None:
    peer.push(200, body)
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsMalformed) as err:
        client.operations(T0, T0 + H)
    assert err.value.reason.startswith("malformed answer from Cloudflare analytics: ")
    assert reason in err.value.reason
    assert len(peer.requests) == 1


def _break(row: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        row = row[key]
    if value is KeyError:
        del row[last]
    else:
        row[last] = value


@pytest.mark.parametrize(
    ("dataset", "path", "value", "reason"),
    [
        (OPS, "sum.requests", KeyError, "r2OperationsAdaptiveGroups[3].sum.requests missing"),
        (OPS, "sum.requests", "12", "[3].sum.requests is a string, not an integer"),
        (OPS, "sum.requests", True, "[3].sum.requests is a boolean, not an integer"),
        (OPS, "dimensions.datetimeHour", "yesterday", "[3].dimensions.datetimeHour is not an RFC"),
        (OPS, "dimensions.datetimeHour", "2026-11-29T04:30:00Z", "is not on the hour"),
        (OPS, "dimensions.actionType", None, "[3].dimensions.actionType is null, not a string"),
        (OPS, "dimensions", KeyError, "r2OperationsAdaptiveGroups[3].dimensions missing"),
        (STORE, "max.payloadSize", KeyError, "r2StorageAdaptiveGroups[3].max.payloadSize missing"),
        (STORE, "max.objectCount", -1, "[3].max.objectCount is negative"),
        (
            STORE,
            "dimensions.bucketName",
            7,
            "[3].dimensions.bucketName is an integer, not a string",
        ),
    ],
)
def test_a_bad_row_names_its_path(
    peer: GraphQLPeer, sleeps: Sleeps, dataset: str, path: str, value: Any, reason: str
) -> None:
    if dataset == OPS:
        rows = [operation_row(g) for g in ops_rows(3)]
    else:
        rows = [storage_row(s) for s in storage_rows(3)]
    _break(rows[3], path, value)
    peer.push(200, answer(dataset, rows))
    with client_for(peer, sleeps) as client, pytest.raises(AnalyticsMalformed) as err:
        (client.operations if dataset == OPS else client.storage)(T0, T0 + 3 * H)
    assert reason in err.value.reason


def test_a_bad_later_page_fails_the_whole_query(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    peer.operations = ops_rows(48, per_hour=1)
    bad = [operation_row(g) for g in ops_rows(1, per_hour=1, start=T0 + 24 * H)]
    del bad[0]["sum"]
    peer.push(200, answer(OPS, [operation_row(g) for g in peer.operations[:24]]))
    peer.push(200, answer(OPS, bad))
    with (
        client_for(peer, sleeps, max_window=86400) as client,
        pytest.raises(AnalyticsMalformed, match=r"\[0\]\.sum missing"),
    ):
        client.operations(T0, T0 + 48 * H)
    assert len(peer.requests) == 2


# ---- no answer, cancellation ---------------------------------------------------------


def test_connection_refused(sleeps: Sleeps) -> None:
    url = f"http://127.0.0.1:{closed_port()}/client/v4/graphql"
    with (
        client_for(url, sleeps, max_attempts=3) as client,
        pytest.raises(AnalyticsUnavailable) as err,
    ):
        client.operations(T0, T0 + H)
    assert err.value.reason.startswith("Cloudflare analytics could not connect to 127.0.0.1 (")
    assert "Errno" not in err.value.reason
    assert err.value.reason.endswith("3 times; will retry next run")
    assert len(sleeps) == 2 and client.queries_sent == 3


def test_bad_url_is_not_retried(sleeps: Sleeps) -> None:
    with (
        client_for("ftp://127.0.0.1/graphql", sleeps) as client,
        pytest.raises(AnalyticsError) as err,
    ):
        client.operations(T0, T0 + H)
    assert err.value.reason.startswith("cannot query Cloudflare analytics at ftp://127.0.0.1/")
    assert client.queries_sent == 1 and sleeps == []


def test_read_timeout(sleeps: Sleeps) -> None:
    with (
        SilentServer() as silent,
        client_for(silent.endpoint, sleeps, max_attempts=1, timeout=0.3) as client,
        pytest.raises(AnalyticsUnavailable) as err,
    ):
        client.operations(T0, T0 + H)
    assert err.value.reason == (
        "Cloudflare analytics timed out waiting for 127.0.0.1 to answer once; will retry next run"
    )


def test_stop_during_backoff_cancels(peer: GraphQLPeer) -> None:
    stop = threading.Event()
    peer.push(503)

    def sleep(seconds: float) -> None:
        stop.set()  # the app quits while the job waits

    with client_for(peer, sleep, stop=stop) as client, pytest.raises(Cancelled):
        client.operations(T0, T0 + H)
    assert len(peer.requests) == 1


class WatchedStop(threading.Event):
    """A stop event that tells when someone starts waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_real_backoff_wait_is_interrupted(peer: GraphQLPeer) -> None:
    stop = WatchedStop()
    peer.push(429, b"", {"Retry-After": "30"})
    stopped_at: list[float] = []

    def stop_once_waiting() -> None:
        # Once the client is in its 30 s wait after the 429, not on a timer: set
        # any earlier, the stop would be seen before the wait and test nothing.
        assert stop.waiting.wait(30), "the client never waited"
        stopped_at.append(time.monotonic())
        stop.set()

    stopper = threading.Thread(target=stop_once_waiting, daemon=True)
    stopper.start()
    with (
        AnalyticsClient(peer.url, Secret(TOKEN, "test"), ACCOUNT, stop=stop) as client,
        pytest.raises(Cancelled),
    ):
        client.operations(T0, T0 + H)
    stopper.join(5)
    assert time.monotonic() - stopped_at[0] < 5
    assert len(peer.requests) == 1


def test_stop_already_set_sends_nothing(peer: GraphQLPeer, sleeps: Sleeps) -> None:
    stop = threading.Event()
    stop.set()
    with client_for(peer, sleeps, stop=stop) as client, pytest.raises(Cancelled):
        client.storage(T0, T0 + H)
    assert peer.requests == []


# ---- the token stays secret ----------------------------------------------------------


def _failures(peer: GraphQLPeer) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "refused", {"push": (403, {"errors": [{"message": f"bad token {TOKEN}"}]})}
    yield "errors", {"push": (200, errors_answer(f"token {TOKEN} not authorized"))}
    yield "other", {"push": (200, errors_answer(f"weird {TOKEN}", code="x"))}
    yield "4xx", {"push": (400, {"errors": [{"message": f"echo {TOKEN}"}]})}
    yield "malformed", {"push": (200, b"{" + TOKEN.encode())}
    yield "unknown account", {"account_id": "nope"}
    yield "429", {"push": (429, TOKEN), "max_attempts": 1}
    yield "refused port", {"url": f"http://127.0.0.1:{closed_port()}/", "max_attempts": 1}


def test_token_never_shows(peer: GraphQLPeer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    peer.operations = ops_rows(2)
    for name, case in _failures(peer):
        if "push" in case:
            peer.push(*case.pop("push"))
        with client_for(case.pop("url", peer), Sleeps(), **case) as client:
            texts.append(repr(client))
            with pytest.raises(AnalyticsError) as err:
                client.operations(T0, T0 + 2 * H)
        exc = err.value
        texts += [str(exc), repr(exc), exc.reason, *traceback.format_exception(exc)]
        assert "\n" not in exc.reason, name
    with client_for(peer, Sleeps()) as client:  # and a successful run's debug logs
        assert len(client.operations(T0, T0 + 2 * H)) == 4
    texts += [caplog.text, *(repr(r.args) for r in caplog.records)]
    assert any("analytics" in r.name for r in caplog.records)  # the logs were captured
    assert not [t for t in texts if TOKEN in t]
