"""The demo account's GraphQL analytics endpoint, over real HTTP with httpx:
Cloudflare's answer shapes for r2tui's two queries (storage classes, byte sums,
sampled rows), a deterministic 31-day history with its scripted bursts, live
traffic merged in, the refusals, and its small page that the client reads on
from.

The demo shares moto's process-wide backend with the other tests, like the
s3_backend fixture: it resets it on start, and every demo here stops before
its fixture ends."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from r2tui.observations import INFREQUENT_ACCESS, STANDARD
from r2tui.pricing import is_known_action
from r2tui.sources.analytics import AnalyticsClient, forget_learned
from r2tui.sources.demo import DEMO_ACCOUNT_ID, DEMO_API_TOKEN, DemoAccount
from r2tui.sources.demo.analytics import DEMO_PAGE_LIMIT, DemoGraphQLServer
from r2tui.sources.demo.history import (
    ACCESS_BURST_BUCKET,
    ACCESS_BURST_OFFSET,
    ERROR_BURST_BUCKET,
    ERROR_BURST_OFFSET,
    SAMPLED_BUCKET,
    SAMPLED_HOURS,
    SETTLING,
    DemoAnalytics,
    action_status,
    class_totals,
)
from r2tui.sources.demo.traffic import TrafficGenerator
from r2tui.sources.graphql_queries import (
    OPERATIONS_DATASET,
    OPERATIONS_QUERY,
    STORAGE_DATASET,
    STORAGE_QUERY,
)
from r2tui.sources.query_budget import QueryBudget

HOUR, DAY = 3600, 86400
CHUNK = 4 * HOUR  # at most ~300 operation rows: within the demo's page
SCALE = 0.05  # a few hundred objects: seeding takes a fraction of a second
HOUR_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:00:00Z$")
BUCKETS = ["app-backups", "logs-archive", "media-assets", "static-site", "user-uploads"]


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoAccount]:
    d = DemoAccount(scale=SCALE, traffic=False)
    d.start()
    try:
        yield d
    finally:
        d.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def ask(
    http: httpx.Client,
    demo: DemoAccount,
    query: str,
    start: float,
    end: float,
    limit: int = DEMO_PAGE_LIMIT,
    account: str = DEMO_ACCOUNT_ID,
    token: str | None = DEMO_API_TOKEN,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    variables = {"accountTag": account, "start": iso(start), "end": iso(end), "limit": limit}
    return http.post(
        demo.account().graphql_url.reveal(),
        headers=headers,
        json={"query": query, "variables": variables},
    )


def page(
    http: httpx.Client, demo: DemoAccount, query: str, start: float, end: float, **kw: Any
) -> list[dict[str, Any]]:
    resp = ask(http, demo, query, start, end, **kw)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert set(doc) == {"data", "errors"} and doc["errors"] is None
    (account,) = doc["data"]["viewer"]["accounts"]
    dataset = OPERATIONS_DATASET if query is OPERATIONS_QUERY else STORAGE_DATASET
    assert list(account) == [dataset]
    result: list[dict[str, Any]] = account[dataset]
    return result


def rows(
    http: httpx.Client, demo: DemoAccount, query: str, start: float, end: float
) -> list[dict[str, Any]]:
    """Every row of the window, asked a few hours at a time: no page comes back full."""
    out: list[dict[str, Any]] = []
    lo = start
    while lo < end:
        hi = min(end, (lo // HOUR + 1) * HOUR + CHUNK - HOUR)
        got = page(http, demo, query, lo, hi)
        assert len(got) < DEMO_PAGE_LIMIT
        out += got
        lo = hi
    return out


def start_hour(demo: DemoAccount) -> int:
    assert demo.analytics is not None
    return demo.analytics.start_hour


def mixed_buckets(demo: DemoAccount) -> set[str]:
    """The buckets holding Infrequent Access objects too, as seeded."""
    assert demo.analytics is not None
    return {b for b, (objects, _) in demo.analytics.ia_shares.items() if objects}


def per_hour(found: list[dict[str, Any]], bucket: str) -> dict[int, Counter[int]]:
    """hour -> responseStatusCode -> requests, for one bucket."""
    out: dict[int, Counter[int]] = {}
    for r in found:
        d = r["dimensions"]
        if d["bucketName"] == bucket:
            out.setdefault(epoch(d["datetimeHour"]), Counter())[d["responseStatusCode"]] += r[
                "sum"
            ]["requests"]
    return out


# ---- the account and the answers' shapes ----------------------------------------------


def test_the_demo_account_points_at_its_own_endpoint(demo: DemoAccount) -> None:
    acc = demo.account()
    assert acc.api_token is not None and acc.api_token.reveal() == "demo-analytics-token"
    assert "demo-analytics-token" not in repr(acc)
    assert acc.account_id == DEMO_ACCOUNT_ID
    assert re.match(r"^http://127\.0\.0\.1:\d+/client/v4/graphql$", acc.graphql_url.reveal())


def test_operations_rows_are_shaped_like_cloudflares(
    demo: DemoAccount, http: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    start = start_hour(demo) - 3 * HOUR
    found = rows(http, demo, OPERATIONS_QUERY, start, start + 3 * HOUR)
    assert found
    hours = [epoch(r["dimensions"]["datetimeHour"]) for r in found]
    assert hours == sorted(hours)  # orderBy datetimeHour_ASC
    assert set(hours) == {start, start + HOUR, start + 2 * HOUR}  # half-open: not the end hour
    for r in found:
        assert set(r) == {"sum", "avg", "dimensions"}
        assert set(r["sum"]) == {"requests", "responseBytes", "responseObjectSize"}
        assert set(r["avg"]) == {"sampleInterval"}
        d = r["dimensions"]
        assert set(d) == {
            "bucketName",
            "actionType",
            "actionStatus",
            "responseStatusCode",
            "datetimeHour",
            "storageClass",
        }
        assert HOUR_RE.match(d["datetimeHour"])
        assert d["bucketName"] in BUCKETS and is_known_action(d["actionType"])
        assert d["storageClass"] in (STANDARD, INFREQUENT_ACCESS)
        assert isinstance(r["sum"]["requests"], int) and r["sum"]["requests"] > 0
        assert all(isinstance(v, int) and v >= 0 for v in r["sum"].values())
        assert isinstance(r["avg"]["sampleInterval"], float)
        assert d["actionStatus"] == action_status(d["responseStatusCode"])
    actions = {r["dimensions"]["actionType"] for r in found}
    assert {
        "GetObject",
        "PutObject",
        "HeadObject",
        "ListObjectsV2",
        "DeleteObject",
        "CopyObject",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
    } <= actions
    assert capfd.readouterr().err == ""  # the TUI owns the terminal: no access log


def test_storage_rows_are_shaped_like_cloudflares(demo: DemoAccount, http: httpx.Client) -> None:
    start = start_hour(demo) - 2 * HOUR
    found = rows(http, demo, STORAGE_QUERY, start, start + 2 * HOUR)
    # One row per class a bucket holds something in: the seeded buckets with old
    # objects hold both.
    mixed = mixed_buckets(demo)
    assert {"logs-archive", "media-assets"} <= mixed
    assert [
        (
            r["dimensions"]["datetimeHour"],
            r["dimensions"]["bucketName"],
            r["dimensions"]["storageClass"],
        )
        for r in found
    ] == [
        (iso(h), b, c)
        for h in (start, start + HOUR)
        for b in BUCKETS
        for c in ((STANDARD, INFREQUENT_ACCESS) if b in mixed else (STANDARD,))
    ]
    for r in found:
        assert set(r) == {"max", "dimensions"}
        m = r["max"]
        assert set(m) == {"objectCount", "uploadCount", "payloadSize", "metadataSize"}
        assert all(isinstance(v, int) and v >= 0 for v in m.values())
        # A few hundred bytes of metadata per object.
        assert 100 * m["objectCount"] <= m["metadataSize"] <= 1000 * m["objectCount"]
    # An hour before the start the buckets hold (almost) what was seeded, over both classes.
    last = Counter[str]()
    for r in found:
        if r["dimensions"]["datetimeHour"] == iso(start + HOUR):
            last[r["dimensions"]["bucketName"]] += r["max"]["objectCount"]
    for bucket, count in demo.counts.items():
        assert 0.97 * count <= last[bucket] <= count


def test_storage_grows_over_the_month_up_to_the_seeded_totals(
    demo: DemoAccount, http: httpx.Client
) -> None:
    now = time.time()
    found = page(http, demo, STORAGE_QUERY, now - 30 * DAY, now + HOUR, limit=DEMO_PAGE_LIMIT)
    assert len(found) == DEMO_PAGE_LIMIT  # a month is more than a page: ask a day at a time
    found = [
        r
        for d in range(31)
        for r in page(
            http,
            demo,
            STORAGE_QUERY,
            now - 30 * DAY + d * DAY,
            min(now + HOUR, now - 29 * DAY + d * DAY),
        )
    ]
    logs: dict[str, Counter[str]] = {}
    for r in found:
        if r["dimensions"]["bucketName"] == "logs-archive":
            summed = logs.setdefault(r["dimensions"]["datetimeHour"], Counter())
            summed.update({k: r["max"][k] for k in ("objectCount", "payloadSize")})
    hours = [logs[h] for h in sorted(logs)]
    assert len(hours) >= 30 * 24
    assert hours[0]["objectCount"] < 0.9 * hours[-1]["objectCount"]
    assert hours[0]["payloadSize"] < 0.9 * hours[-1]["payloadSize"]
    assert hours[-1]["objectCount"] == demo.counts["logs-archive"]  # now: the backend's own
    assert any(r["max"]["uploadCount"] > 0 for r in found)  # some multipart uploads pending


# ---- history -------------------------------------------------------------------------


def test_the_same_window_gives_the_same_rows(demo: DemoAccount, http: httpx.Client) -> None:
    start = start_hour(demo) - 3 * DAY
    for query in (OPERATIONS_QUERY, STORAGE_QUERY):
        first = rows(http, demo, query, start, start + 12 * HOUR)
        assert first and rows(http, demo, query, start, start + 12 * HOUR) == first
    # Seeded per hour, not per process: a fresh model says the same.
    assert demo.analytics is not None
    a = demo.analytics
    fresh = DemoAnalytics(a.counts, a.sizes, None, a.started_at, a.seed, backend=a.backend)
    assert fresh.operations(start, start + 12 * HOUR) == a.operations(start, start + 12 * HOUR)
    assert fresh.storage(start, start + 12 * HOUR) == a.storage(start, start + 12 * HOUR)


def test_thirty_days_of_history_and_nothing_older_than_31(
    demo: DemoAccount, http: httpx.Client
) -> None:
    now = time.time()
    old = now - 30 * DAY
    ops = rows(http, demo, OPERATIONS_QUERY, old, old + 6 * HOUR)
    storage = rows(http, demo, STORAGE_QUERY, old, old + 6 * HOUR)
    assert {(r["dimensions"]["datetimeHour"], r["dimensions"]["bucketName"]) for r in ops} == {
        (r["dimensions"]["datetimeHour"], r["dimensions"]["bucketName"]) for r in storage
    }
    assert len(storage) == 6 * (len(BUCKETS) + len(mixed_buckets(demo)))
    for query in (OPERATIONS_QUERY, STORAGE_QUERY):
        assert rows(http, demo, query, now - 40 * DAY, now - 31 * DAY - 1) == []
        edge = rows(http, demo, query, now - 32 * DAY, now - 30 * DAY)
        assert edge and min(epoch(r["dimensions"]["datetimeHour"]) for r in edge) >= now - 31 * DAY
        assert rows(http, demo, query, now + 2 * HOUR, now + DAY) == []  # no future either


def test_daytime_is_busier_than_the_night(demo: DemoAccount, http: httpx.Client) -> None:
    now = time.time()
    found = rows(http, demo, OPERATIONS_QUERY, now - 8 * DAY, now - DAY)
    by_hour: Counter[int] = Counter()
    for r in found:
        by_hour[datetime.fromisoformat(r["dimensions"]["datetimeHour"]).hour] += r["sum"][
            "requests"
        ]
    assert by_hour[15] > 2 * by_hour[3]
    total = sum(r["sum"]["requests"] for r in found)
    failed = sum(
        r["sum"]["requests"] for r in found if r["dimensions"]["actionStatus"] != "success"
    )
    assert 0.005 < failed / total < 0.025  # the usual 1-2 %


def test_the_scripted_bursts_show_in_the_last_day(demo: DemoAccount, http: httpx.Client) -> None:
    now = time.time()
    found = rows(http, demo, OPERATIONS_QUERY, now - DAY, now)
    error_hour = start_hour(demo) - ERROR_BURST_OFFSET
    assert demo.analytics is not None
    # The hour before the start; in an hour's first minutes the one before that too,
    # which r2tui (reading a little behind) still takes for the last full hour.
    access_hours = demo.analytics.access_burst_hours
    early = demo.analytics.started_at - start_hour(demo) < SETTLING
    before = start_hour(demo) - ACCESS_BURST_OFFSET
    assert access_hours == ((before - HOUR, before) if early else (before,))

    media = per_hour(found, ERROR_BURST_BUCKET)
    rate = {
        h: sum(n for c, n in codes.items() if c >= 500) / sum(codes.values())
        for h, codes in media.items()
    }
    assert rate[error_hour] > 0.20
    assert max(r for h, r in rate.items() if h != error_hour) < 0.05

    refused = {
        h: codes[401] + codes[403] for h, codes in per_hour(found, ACCESS_BURST_BUCKET).items()
    }
    assert all(40 <= refused[h] <= 80 for h in access_hours)
    # Nothing refused elsewhere.
    assert sum(refused.values()) == sum(refused[h] for h in access_hours)
    burst = [r for r in found if r["dimensions"]["responseStatusCode"] in (401, 403)]
    assert all(r["dimensions"]["actionStatus"] == "userError" for r in burst)
    assert all(r["dimensions"]["bucketName"] == ACCESS_BURST_BUCKET for r in burst)


# ---- classes, bytes, sampling -----------------------------------------------------------


def test_storage_classes_match_the_seeded_objects(demo: DemoAccount, http: httpx.Client) -> None:
    """The current hour's storage is the backend's, class by class: what a listing
    of the same buckets counts as STANDARD and STANDARD_IA."""
    assert demo.analytics is not None and demo.analytics.backend is not None
    seeded = class_totals(demo.analytics.backend, BUCKETS)
    now = time.time()
    found = page(http, demo, STORAGE_QUERY, now - now % HOUR, now + HOUR)
    got = {
        (r["dimensions"]["bucketName"], r["dimensions"]["storageClass"]): (
            r["max"]["objectCount"],
            r["max"]["payloadSize"],
        )
        for r in found
    }
    assert got == {(b, c): t[:2] for b, per in seeded.items() for c, t in per.items()}
    assert got[("logs-archive", INFREQUENT_ACCESS)][1] > 0


def test_operations_carry_classes_and_byte_sums(demo: DemoAccount, http: httpx.Client) -> None:
    start = start_hour(demo) - DAY
    found = rows(http, demo, OPERATIONS_QUERY, start, start + DAY)
    by: dict[tuple[str, str, int, str], Counter[str]] = {}
    for r in found:
        d = r["dimensions"]
        key = (d["bucketName"], d["actionType"], d["responseStatusCode"], d["storageClass"])
        by.setdefault(key, Counter()).update(r["sum"])
    # Reads of old objects are Infrequent Access reads, with the bytes they retrieved.
    ia_get = by[("logs-archive", "GetObject", 200, INFREQUENT_ACCESS)]
    assert ia_get["requests"] > 0 and ia_get["responseObjectSize"] > ia_get["requests"] * 10**5
    assert not any(k[3] == INFREQUENT_ACCESS for k in by if k[0] == "static-site")
    # Writes are Standard; a PutObject sends no body but concerns the object uploaded.
    assert not any(k[3] == INFREQUENT_ACCESS for k in by if k[1] == "PutObject")
    put = by[("user-uploads", "PutObject", 200, STANDARD)]
    assert put["responseBytes"] == 0 and put["responseObjectSize"] > 0
    # A whole GET sends the object; a range read less; a refused one nothing.
    get = by[("media-assets", "GetObject", 200, STANDARD)]
    assert get["responseBytes"] == get["responseObjectSize"] > 0
    ranged = by[("media-assets", "GetObject", 206, STANDARD)]
    assert 0 < ranged["responseBytes"] < ranged["responseObjectSize"]
    missing = by[("media-assets", "GetObject", 404, STANDARD)]
    assert (
        missing["requests"] > 0 and missing["responseBytes"] == missing["responseObjectSize"] == 0
    )


def test_the_busiest_hours_are_sampled(demo: DemoAccount, http: httpx.Client) -> None:
    start = start_hour(demo) - 2 * DAY
    found = rows(http, demo, OPERATIONS_QUERY, start, start + 2 * DAY)
    sampled = [r for r in found if r["avg"]["sampleInterval"] != 1.0]
    assert sampled and all(r["avg"]["sampleInterval"] == 10.0 for r in sampled)
    for r in sampled:
        d = r["dimensions"]
        assert (d["bucketName"], d["actionType"], d["responseStatusCode"]) == (
            SAMPLED_BUCKET,
            "GetObject",
            200,
        )
        assert datetime.fromisoformat(d["datetimeHour"]).hour in SAMPLED_HOURS
        assert r["sum"]["requests"] % 10 == 0  # an estimate, scaled up from the sample


def test_the_client_reads_on_past_the_small_page(demo: DemoAccount) -> None:
    """A day of the demo's operations does not fit its page: the client learns the
    page size from the refusal of its own, goes on from each full page's last hour
    and gets every row once."""
    assert demo.analytics is not None
    acc = demo.account()
    assert acc.api_token is not None and acc.account_id is not None
    start = start_hour(demo) - 2 * DAY
    try:
        with AnalyticsClient(
            acc.graphql_url, acc.api_token, acc.account_id, budget=QueryBudget()
        ) as client:
            got = client.operations(start, start + DAY)
            assert 4 <= client.queries_sent <= 10
            assert client.partial == [] and client.notes == [] and client.refused == {}
    finally:
        forget_learned()  # the page size learned: not for a later endpoint on this port
    expected = demo.analytics.operations(start, start + DAY)
    assert len(expected) > 2 * DEMO_PAGE_LIMIT
    assert sorted(got, key=repr) == sorted(expected, key=repr)


# ---- live traffic ----------------------------------------------------------------------


def test_live_requests_land_in_the_current_hour(
    monkeypatch: pytest.MonkeyPatch, http: httpx.Client
) -> None:
    """Drives TrafficGenerator.step() by hand (its thread stopped), so the
    requests are known; the clock is frozen so the background share of the
    current hour cannot grow between the two queries."""
    d = DemoAccount(scale=SCALE, traffic=True)
    d.start()
    try:
        assert d.traffic is not None and d.analytics is not None
        d.traffic.stop()
        frozen = time.time() + 120  # later than every step below, whatever the hour
        monkeypatch.setattr(d.analytics, "clock", lambda: frozen)
        window = time.time() - 2 * HOUR, frozen + HOUR

        def tally() -> Counter[tuple[str, str, str, int]]:
            out: Counter[tuple[str, str, str, int]] = Counter()
            for r in rows(http, d, OPERATIONS_QUERY, *window):
                dim = r["dimensions"]
                out[
                    (
                        dim["datetimeHour"],
                        dim["bucketName"],
                        dim["actionType"],
                        dim["responseStatusCode"],
                    )
                ] += r["sum"]["requests"]
            return out

        before, already = tally(), len(d.traffic.log)
        for _ in range(40):
            d.traffic.step()
        after = tally()
        made = Counter(
            (iso(r.ts // HOUR * HOUR), r.bucket, r.action, r.status)
            for r in list(d.traffic.log)[already:]
            if r.bucket in d.counts
        )
        assert sum(made.values()) >= 30  # at most the rare no-such-bucket listing is left out
        assert after - before == made and before - after == Counter()

        # Storage for the current hour comes from the backend: the uploads count.
        monkeypatch.setattr(d.analytics, "clock", time.time)
        d.analytics.backend_ttl = 0.0
        now = time.time()
        now_rows = rows(http, d, STORAGE_QUERY, now - now % HOUR, now)
        objects = Counter[str]()
        for r in now_rows:  # over both classes
            objects[r["dimensions"]["bucketName"]] += r["max"]["objectCount"]
        puts = Counter(
            r.bucket for r in d.traffic.log if r.action == "PutObject" and r.status < 300
        )
        deletes = Counter(r.bucket for r in d.traffic.log if r.action == "DeleteObject")
        for bucket, count in d.counts.items():
            assert objects[bucket] == count + puts[bucket] - deletes[bucket]
    finally:
        d.stop()


# ---- refusals --------------------------------------------------------------------------


def test_a_wrong_or_missing_token_is_refused_with_403(
    demo: DemoAccount, http: httpx.Client
) -> None:
    start = start_hour(demo) - HOUR
    for token in ("not-the-token", None):
        resp = ask(http, demo, OPERATIONS_QUERY, start, start + HOUR, token=token)
        assert resp.status_code == 403
        doc = resp.json()
        assert doc["data"] is None and doc["errors"] and doc["errors"][0]["message"]


def test_an_unknown_account_has_no_accounts(demo: DemoAccount, http: httpx.Client) -> None:
    start = start_hour(demo) - HOUR
    for query in (OPERATIONS_QUERY, STORAGE_QUERY):
        resp = ask(http, demo, query, start, start + HOUR, account="0" * 32)
        assert resp.status_code == 200
        assert resp.json() == {"data": {"viewer": {"accounts": []}}, "errors": None}


def test_limit_truncates_the_ordered_rows(demo: DemoAccount, http: httpx.Client) -> None:
    start = start_hour(demo) - 3 * HOUR
    for query in (OPERATIONS_QUERY, STORAGE_QUERY):
        full = page(http, demo, query, start, start + 3 * HOUR)
        assert 7 < len(full) < DEMO_PAGE_LIMIT
        assert page(http, demo, query, start, start + 3 * HOUR, limit=7) == full[:7]


def test_bad_requests_get_an_errors_array(
    demo: DemoAccount, http: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    url = demo.account().graphql_url.reveal()
    auth = {"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    resp = http.post(url, headers=auth, content=b"{not json")
    assert resp.status_code == 400 and resp.json()["errors"][0]["message"]
    resp = http.post(url, headers=auth, json=["a list"])
    assert resp.status_code == 400 and resp.json()["errors"]
    start = start_hour(demo) - HOUR
    window = {"accountTag": DEMO_ACCOUNT_ID, "start": iso(start), "end": iso(start + HOUR)}
    unknown = OPERATIONS_QUERY.replace("responseBytes", "responseBodies")
    # Cloudflare's words and status for a query it cannot run (its errors page).
    bad = [
        ({"query": "{ viewer { zones { httpRequests1hGroups { count } } } }"}, "one of"),
        (
            {"query": OPERATIONS_QUERY, "variables": {**window, "start": "yesterday", "limit": 5}},
            "start",
        ),
        (
            {"query": OPERATIONS_QUERY, "variables": {**window, "limit": DEMO_PAGE_LIMIT + 1}},
            f"limit must be positive number and not greater than {DEMO_PAGE_LIMIT}",
        ),
        ({"query": unknown, "variables": {**window, "limit": 5}}, 'unknown field "responseBodies"'),
    ]
    for body, words in bad:
        resp = http.post(url, headers=auth, json=body)
        assert resp.status_code == 400
        doc = resp.json()
        assert doc["data"] is None and words in doc["errors"][0]["message"]
    assert http.post(url.replace("/graphql", "/nope"), headers=auth, json={}).status_code == 404
    assert capfd.readouterr().err == ""


# ---- lifecycle -------------------------------------------------------------------------


def test_stop_closes_the_endpoint_and_takes_analytics_off(http: httpx.Client) -> None:
    d = DemoAccount(scale=SCALE, traffic=False)
    d.start()
    url = d.account().graphql_url.reveal()
    d.stop()
    with pytest.raises(httpx.ConnectError):
        http.post(url, json={})
    acc = d.account()
    assert acc.api_token is None and acc.account_id is None  # never the token to Cloudflare


def test_a_half_started_demo_stops_its_graphql_server(
    monkeypatch: pytest.MonkeyPatch, http: httpx.Client
) -> None:
    started: list[DemoGraphQLServer] = []
    original = DemoGraphQLServer.start

    def spy(self: DemoGraphQLServer) -> None:
        original(self)
        started.append(self)

    def broken(self: TrafficGenerator) -> None:
        raise RuntimeError("traffic would not start")

    monkeypatch.setattr(DemoGraphQLServer, "start", spy)
    monkeypatch.setattr(TrafficGenerator, "start", broken)
    d = DemoAccount(scale=SCALE, traffic=True)
    with pytest.raises(RuntimeError, match="traffic would not start"):
        d.start()
    (server,) = started
    assert d.graphql is None and d.server is None
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
