"""The analytics half of collect_metrics against a local HTTP server answering
the GraphQL endpoint as Cloudflare does (tests/support/graphql_peer.py): every metric
computed exactly, windows replaced and never double counted, faults that store
nothing, and a token that never reaches a log or the store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest

from r2tui.config import Config, Secret
from r2tui.jobs.analytics import RETENTION, collect_analytics, fold_storage
from r2tui.jobs.base import JobContext
from r2tui.jobs.runner import run_job
from r2tui.metrics import ACCOUNT, ANALYTICS_SERIES
from r2tui.observations import OperationGroup as Op
from r2tui.observations import StorageSnapshot as Snap
from r2tui.sources.graphql_queries import OPERATIONS_DATASET
from r2tui.store import Store, readings, state
from r2tui.store.models import Event, JobRun, Sample
from tests.support.configs import account_for, make_config
from tests.support.graphql_peer import ACCOUNT as ACCOUNT_ID
from tests.support.graphql_peer import TOKEN, GraphQLPeer, answer, errors_answer, operation_row
from tests.support.peers import closed_port

ACC = "test"
NOW = 1773501600  # 2026-03-14 15:20 UTC
H = NOW - NOW % 3600  # 15:00
DAY = 86400

TRAFFIC = [
    # 14:00, the last complete hour
    Op(H - 3600, "media", "PutObject", "success", 200, 40),
    Op(H - 3600, "media", "PutObject", "internalError", 500, 2),
    Op(H - 3600, "media", "CompleteMultipartUpload", "success", 200, 3),
    Op(H - 3600, "media", "CopyObject", "success", 200, 1),
    Op(H - 3600, "media", "GetObject", "success", 200, 500),
    Op(H - 3600, "media", "GetObject", "userError", 404, 15),
    Op(H - 3600, "media", "HeadObject", "success", 200, 60),
    Op(H - 3600, "media", "DeleteObject", "success", 204, 5),
    Op(H - 3600, "site", "GetObject", "userError", 403, 12),
    Op(H - 3600, "site", "ListObjectsV2", "userError", 401, 2),
    Op(H - 3600, "site", "GetObject", "success", 200, 86),
    # 15:00, in progress
    Op(H, "media", "PutObject", "success", 200, 7),
    Op(H, "media", "GetObject", "success", 200, 20),
    # 00:00 today, and yesterday 23:00 (not today)
    Op(H - 15 * 3600, "media", "PutObject", "success", 200, 100),
    Op(H - 16 * 3600, "media", "PutObject", "success", 200, 1000),
]
STORAGE = [
    Snap(H - 3600, "media", 4000, 2, 300_000_000_000, 4_000_000),
    Snap(H - 3600, "site", 92, 0, 3_500_000, 30_000),
    Snap(H, "media", 4010, 1, 300_100_000_000, 4_010_000),
]


@pytest.fixture
def peer() -> Iterator[GraphQLPeer]:
    with GraphQLPeer(TRAFFIC, STORAGE) as p:
        yield p


def config_for(peer: GraphQLPeer, token: str = TOKEN) -> Config:
    acct = account_for(
        f"http://127.0.0.1:{closed_port()}",
        api_token=Secret(token, "test"),
        account_id=ACCOUNT_ID,
        graphql_url=peer.url,
    )
    return make_config((acct,))


def context(config: Config, store: Store, now: int = NOW) -> JobContext:
    return JobContext(config=config, store=store, clock=lambda: float(now), analytics_backoff=0.001)


def collect(peer: GraphQLPeer, store: Store, now: int = NOW, token: str = TOKEN):  # type: ignore[no-untyped-def]
    cfg = config_for(peer, token)
    return collect_analytics(context(cfg, store, now), cfg.accounts[0])


def value(store: Store, metric: str, bucket: str = ACCOUNT) -> float | None:
    return readings.reading(store, ACC, metric, bucket, NOW).value


def analytics_rows() -> list[tuple]:
    return list(
        Sample.select(Sample.ts, Sample.bucket, Sample.metric, Sample.value)
        .where(Sample.metric.in_(ANALYTICS_SERIES))
        .order_by(Sample.ts, Sample.bucket, Sample.metric)
        .tuples()
    )


def test_every_metric_is_computed_exactly(peer: GraphQLPeer, store: Store) -> None:
    out = collect(peer, store)
    assert out.errors == []
    # Uploads today: PutObject 100 (00:00) + 40 + CompleteMultipartUpload 3 + CopyObject 1
    # (14:00) + 7 (15:00); the failed PUTs and yesterday's 1,000 are not uploads today.
    assert value(store, "uploads_today") == 100 + 40 + 3 + 1 + 7
    assert value(store, "uploads_today", "media") == 151
    assert value(store, "downloads_today") == 500 + 86 + 20  # successful GetObject only
    # The last complete hour, 14:00. Class A, as billed: Put 42 + Complete 3 + Copy 1; the
    # 2 Lists refused with 401 are not billed.
    assert value(store, "class_a_ops") == 46
    # Class B: Get 500 + 15 + 86 + Head 60; the 12 GETs refused with 403 are not billed.
    assert value(store, "class_b_ops") == 661
    assert value(store, "requests_per_hour") == 48 + 673 + 5  # every request, and 5 free DELETEs
    # Errors: 2 (500) + 15 (404) + 12 (403) + 2 (401) = 31 of 726.
    assert value(store, "error_rate_pct") == pytest.approx(100 * 31 / 726)
    assert value(store, "error_rate_pct", "site") == pytest.approx(100 * 14 / 100)
    assert value(store, "failed_access") == 14 and value(store, "failed_access", "site") == 14
    assert value(store, "failed_access", "media") == 0
    # Storage: each bucket's newest snapshot; the account sums media at 15:00 with site
    # carried from 14:00. Bytes are payload + metadata.
    assert value(store, "total_files", "media") == 4010
    assert value(store, "total_files") == 4010 + 92
    assert value(store, "total_bytes") == 300_100_000_000 + 4_010_000 + 3_500_000 + 30_000
    assert value(store, "pending_uploads") == 1
    # Trends: 14:00 against 13:00, when nothing happened, and every hour of the window
    # has an account row, so "no requests" is a stored zero, not a gap.
    assert readings.reading(store, ACC, "requests_per_hour", ACCOUNT, NOW).previous == 0


def test_querying_an_overlapping_window_again_never_double_counts(
    peer: GraphQLPeer, store: Store
) -> None:
    collect(peer, store)
    first = analytics_rows()
    collect(peer, store, now=NOW + 600)  # re-queries the last hours
    assert analytics_rows() == first
    # A late row for 14:00 arrives: the re-query replaces that hour, it does not add.
    peer.operations.append(Op(H - 3600, "media", "GetObject", "success", 200, 9))
    collect(peer, store, now=NOW + 900)
    assert value(store, "downloads_today") == 500 + 86 + 20 + 9
    assert len(analytics_rows()) == len(first)


def test_first_run_backfills_31_days_a_day_at_a_time(peer: GraphQLPeer, store: Store) -> None:
    out = collect(peer, store)
    windows = sorted({r.window for r in peer.requests})
    assert windows[0][0] == (NOW - RETENTION) - (NOW - RETENTION) % 3600 + 3600
    assert all(hi - lo <= DAY for lo, hi in windows)
    assert windows[-1][1] <= NOW - 60 and windows[-1][1] >= NOW - 600  # a few minutes ago
    assert all(lo == prev_hi for (lo, _), (_, prev_hi) in zip(windows[1:], windows, strict=False))
    assert state.get(store, state.analytics_key(ACC)) == windows[-1][1]
    assert "backfilled" in out.summary
    # Every hour of the 31 days has its account row: the charts have no false gaps.
    hours = Sample.select().where(Sample.metric == "requests", Sample.bucket == ACCOUNT).count()
    assert hours == (windows[-1][1] - windows[0][0] + 3599) // 3600


def test_later_runs_query_from_a_few_hours_before_the_last_end(
    peer: GraphQLPeer, store: Store
) -> None:
    collect(peer, store)
    end = state.get(store, state.analytics_key(ACC))
    assert end is not None
    peer.requests.clear()
    collect(peer, store, now=NOW + 2 * DAY)  # after a two-day gap
    starts = sorted(r.window[0] for r in peer.requests)
    assert starts[0] == end - end % 3600 - 3 * 3600


@pytest.mark.parametrize(
    ("status", "body", "needle"),
    [
        (429, b"{}", "429"),
        (503, b"upstream down", "503"),
        (200, errors_answer("quota exceeded for this zone", code="limit"), "quota exceeded"),
        (200, b"{not json", "malformed"),
        (200, "missing", "requests"),
    ],
)
def test_faults_store_nothing_and_name_the_reason(
    peer: GraphQLPeer, store: Store, status: int, body: object, needle: str
) -> None:
    if body == "missing":
        row = operation_row(TRAFFIC[0])
        del row["sum"]["requests"]
        body = answer(OPERATIONS_DATASET, [row])
    for _ in range(6):  # more than the client's attempts: every retry fails too
        peer.push(status, body)  # type: ignore[arg-type]
    cfg = config_for(peer)
    ctx = context(cfg, store)
    result = run_job("collect_metrics", ctx)
    assert not result.ok
    assert needle in (result.error or "")
    assert analytics_rows() == []
    assert state.get(store, state.analytics_key(ACC)) is None
    event = Event.select().where(Event.kind == "job").order_by(Event.id.desc()).first()
    assert event.level == "error" and needle in event.message


def test_a_refused_token_says_which_permission_it_needs(peer: GraphQLPeer, store: Store) -> None:
    out = collect(peer, store, token="wrong-token-value")
    assert analytics_rows() == []
    assert "Account Analytics: Read" in out.errors[0]
    assert len(peer.requests) == 1  # refused at once, not retried


def test_the_token_never_reaches_logs_or_the_store(
    peer: GraphQLPeer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = config_for(peer)
    run_job("collect_metrics", context(cfg, store))
    peer.push(200, b"{not json")
    run_job("collect_metrics", context(cfg, store, NOW + 600))
    assert peer.requests and peer.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in caplog.text
    dump = [str(row) for model in (Sample, Event, JobRun) for row in model.select().tuples()]
    assert not any(TOKEN in line for line in dump)


def test_bursts_become_events_once(peer: GraphQLPeer, store: Store) -> None:
    peer.operations.append(Op(H - 5 * 3600, "media", "GetObject", "internalError", 500, 30))
    peer.operations.append(Op(H - 5 * 3600, "media", "GetObject", "success", 200, 70))
    collect(peer, store)
    collect(peer, store, now=NOW + 600)
    events = {(e.kind, e.bucket): e for e in Event.select()}
    # site's 14 failures are all refusals: a failed-access burst, not also an error burst.
    assert set(events) == {("access", "site"), ("errors", "media")}
    assert "14 requests refused" in events[("access", "site")].message
    assert events[("access", "site")].ts == H  # dated at the end of its hour
    assert "30 of 100 requests failed (30.0 %)" in events[("errors", "media")].message
    assert Event.select().count() == 2  # the second run reported nothing again


def test_no_token_means_no_analytics_request(store: Store) -> None:
    with GraphQLPeer(TRAFFIC, STORAGE) as p:
        acct = account_for(f"http://127.0.0.1:{closed_port()}", graphql_url=p.url)
        run_job("collect_metrics", context(make_config((acct,)), store))
        assert p.requests == []
    assert analytics_rows() == []


def test_only_watched_buckets_are_stored_and_summed(peer: GraphQLPeer, store: Store) -> None:
    peer.operations.append(Op(H - 3600, "secret-backups", "PutObject", "success", 200, 999))
    peer.storage.append(Snap(H - 3600, "secret-backups", 5000, 0, 10**12, 0))
    peer.operations.append(Op(H - 3600, "eu_media", "GetObject", "success", 200, 77))
    cfg = config_for(peer)
    acct = replace(cfg.accounts[0], exclude=("secret-*",))
    collect_analytics(context(cfg, store), acct)
    stored = {b for (b,) in Sample.select(Sample.bucket).distinct().tuples()}
    assert stored == {ACCOUNT, "media", "site"}  # not the excluded one, not eu_media
    assert value(store, "total_files") == 4010 + 92
    assert value(store, "uploads_today") == 151  # media's, as before: the 999 are not watched


def test_a_jurisdiction_account_reads_its_own_buckets_by_their_s3_names(
    peer: GraphQLPeer, store: Store
) -> None:
    peer.operations[:] = [
        Op(H - 3600, "eu_media", "GetObject", "success", 200, 77),
        Op(H - 3600, "media", "GetObject", "success", 200, 5),
    ]
    peer.storage[:] = [Snap(H - 3600, "eu_media", 12, 0, 1200, 0)]
    cfg = config_for(peer)
    acct = replace(cfg.accounts[0], jurisdiction="eu")
    collect_analytics(context(cfg, store), acct)
    assert value(store, "downloads_today") == 77 and value(store, "downloads_today", "media") == 77
    assert value(store, "total_files", "media") == 12


def test_a_quiet_bucket_has_zeros_not_gaps(peer: GraphQLPeer, store: Store) -> None:
    peer.storage.append(Snap(H - 3600, "archive", 7, 0, 700, 0))  # stored, never requested
    collect(peer, store)
    assert value(store, "total_files", "archive") == 7
    for metric in ("uploads_today", "class_a_ops", "failed_access", "requests_per_hour"):
        assert value(store, metric, "archive") == 0, metric
    assert value(store, "error_rate_pct", "archive") is None  # no requests: no rate


def test_the_account_total_drops_a_bucket_not_seen_for_a_day() -> None:
    unclassed = (None, None, None, None)  # stored before storage classes were asked
    before = {
        "old": (H - 2 * DAY, (50.0, 5000.0, 0.0, *unclassed)),
        "recent": (H - 7200, (1.0, 100.0, 0.0, *unclassed)),
    }
    rows = fold_storage([Snap(H, "media", 10, 1, 1000, 10)], H, H + 600, before)
    account = {metric: v for ts, b, metric, v in rows if b == ACCOUNT and ts == H}
    # media 10 + recent 1; "old" was last seen two days ago and no longer counts.
    assert account == {"stored_objects": 11, "stored_bytes": 1110, "pending_uploads": 1}


def test_a_token_with_a_line_break_is_refused_without_being_shown(
    peer: GraphQLPeer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    out = collect(peer, store, token=TOKEN + "\r")
    assert peer.requests == []  # never sent
    assert "line breaks" in out.errors[0] and TOKEN not in out.errors[0]
    assert TOKEN not in caplog.text


def test_a_bucket_name_no_store_can_hold_is_kept_as_its_escape(
    peer: GraphQLPeer, store: Store
) -> None:
    # JSON can spell a lone surrogate; SQLite takes only valid UTF-8. Such a name
    # must not fail the whole read (it failed every run, losing every bucket).
    peer.operations.append(Op(H - 3600, "bad\ud800half", "GetObject", "success", 200, 9))
    out = collect(peer, store)
    assert out.errors == []
    assert value(store, "downloads_today", "bad\\ud800half") == 9
    assert value(store, "downloads_today") == 500 + 86 + 20 + 9
