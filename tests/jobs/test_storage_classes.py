"""Storage classes, measured bytes and sampling, from the analytics fold through
the store to the catalog, `status --json`, the bill and a report.

A mixed bucket (`media`: Standard and Infrequent Access rows every hour) must
count the sum of its classes everywhere; the bill takes IA storage, IA requests
and IA retrieval from what the analytics measured, and says so; a store without
per-class series (written before they were asked) is estimated from the
listings as before, and says that; a figure built on sampled rows is marked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playhouse.db_url import connect

from r2tui import dashboard
from r2tui.config import Config, Secret
from r2tui.costs.bill import Usage, bill
from r2tui.costs.levels import class_levels
from r2tui.costs.usage import BucketUsage
from r2tui.costs.view import costs_view
from r2tui.jobs.analytics import collect_analytics, fold_operations, fold_storage
from r2tui.jobs.base import JobContext
from r2tui.jobs.costs import calculate_costs
from r2tui.metrics import ACCOUNT, ANALYTICS_SERIES, DAY, HOUR
from r2tui.observations import INFREQUENT_ACCESS as IA
from r2tui.observations import STANDARD as STD
from r2tui.observations import BucketInventory, Tally
from r2tui.observations import OperationGroup as Op
from r2tui.observations import StorageSnapshot as Snap
from r2tui.reports.build import build
from r2tui.reports.render import render
from r2tui.sources.analytics import forget_learned
from r2tui.status import NAMES, dashboard_doc
from r2tui.store import Store, open_store, readings, state, writes
from r2tui.store.migrations import migrate
from r2tui.store.models import Event, Sample
from r2tui.store.writes import SampleRow
from tests.support.configs import account_for, make_config
from tests.support.graphql_peer import ACCOUNT as PEER_ACCOUNT
from tests.support.graphql_peer import TOKEN, GraphQLPeer
from tests.support.peers import closed_port

ACC = "acme"
GB = 1_000_000_000
NOV1 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
NOW = NOV1 + 10 * DAY + 12 * HOUR  # 11 November 2026, 12:00 UTC
H = NOW - 2 * HOUR  # 10:00, a complete hour


def config() -> Config:
    return make_config((account_for("http://127.0.0.1:9", name=ACC),))


# ---- the fold ---------------------------------------------------------------------------
MIXED = [
    Snap(H, "media", 300, 2, 100 * GB, 1_000, STD),
    Snap(H, "media", 100, 1, 50 * GB, 500, IA),
    Snap(H, "site", 7, 0, 700, 0, STD),
]


def rows_at(rows: list[tuple[int, str, str, float]], bucket: str, ts: int = H) -> dict[str, float]:
    return {m: v for t, b, m, v in rows if b == bucket and t == ts}


def test_a_mixed_bucket_stores_the_sum_of_its_classes() -> None:
    rows = fold_storage(MIXED, H, H + HOUR, {})
    assert rows_at(rows, "media") == {
        "stored_objects": 400,
        "stored_bytes": 150 * GB + 1_500,
        "pending_uploads": 3,
        "stored_standard_objects": 300,
        "stored_standard_bytes": 100 * GB + 1_000,
        "stored_ia_objects": 100,
        "stored_ia_bytes": 50 * GB + 500,
    }
    # A bucket with one class: the other is a measured zero.
    assert rows_at(rows, "site")["stored_ia_bytes"] == 0
    assert rows_at(rows, "site")["stored_standard_objects"] == 7
    assert rows_at(rows, ACCOUNT) == {
        "stored_objects": 407,
        "stored_bytes": 150 * GB + 2_200,
        "pending_uploads": 3,
        "stored_standard_objects": 307,
        "stored_standard_bytes": 100 * GB + 1_700,
        "stored_ia_objects": 100,
        "stored_ia_bytes": 50 * GB + 500,
    }


def test_without_classes_no_per_class_gauge_and_no_partial_account_sum() -> None:
    """The API refused storageClass (rows say ""), or a bucket's level was stored
    before classes were asked: its totals stand, no class is made up, and the
    account's per-class sums are left out rather than understated."""
    rows = fold_storage(
        [Snap(H, "media", 400, 0, 150 * GB, 0)],
        H,
        H + HOUR,
        {"site": (H - HOUR, (7.0, 700.0, 0.0, 7.0, 700.0, 0.0, 0.0))},
    )
    assert rows_at(rows, "media") == {
        "stored_objects": 400,
        "stored_bytes": 150 * GB,
        "pending_uploads": 0,
    }
    assert rows_at(rows, ACCOUNT) == {
        "stored_objects": 407,
        "stored_bytes": 150 * GB + 700,
        "pending_uploads": 0,
    }


TRAFFIC = [
    # media, 10:00: Standard and IA reads and writes with byte sums, counted whole.
    Op(H, "media", "GetObject", "success", 200, 1_000, STD, 4 * GB, 4 * GB),
    Op(H, "media", "GetObject", "success", 200, 200, IA, 3 * GB, 3 * GB),
    Op(H, "media", "GetObject", "userError", 404, 5, IA, 1_000, 0),
    Op(H, "media", "PutObject", "success", 200, 50, STD, 0, 2 * GB),
    Op(H, "media", "PutObject", "success", 200, 10, IA, 0, GB),
    Op(H, "media", "ListObjectsV2", "success", 200, 3, STD, 9_000, 0),
    # site, 10:00: sampled one in ten (Cloudflare scaled the sums up already).
    Op(H, "site", "GetObject", "success", 200, 5_000, STD, GB, GB, 10.0),
    # media, 11:00: only IA reads.
    Op(H + HOUR, "media", "GetObject", "success", 200, 7, IA, 0, 0),
]


def test_operations_count_ia_requests_bytes_and_sampling() -> None:
    rows = fold_operations(TRAFFIC, H, H + 2 * HOUR, ["media", "site"])
    media = rows_at(rows, "media")
    assert media["class_b_requests"] == 1_205 and media["ia_class_b_requests"] == 205
    assert media["class_a_requests"] == 63 and media["ia_class_a_requests"] == 10
    assert media["classified_requests"] == 1_268 == media["requests"]
    assert media["download_bytes"] == 7 * GB  # successful GETs, both classes
    assert media["ia_retrieval_bytes"] == 3 * GB  # successful GETs of IA objects
    assert media["upload_bytes"] == 3 * GB
    assert media["response_bytes"] == 7 * GB + 10_000
    assert media["measured_bytes_requests"] == 1_268 and media["sampled_requests"] == 0
    site = rows_at(rows, "site")
    assert site["sampled_requests"] == 5_000 and site["download_bytes"] == GB
    assert rows_at(rows, ACCOUNT)["sampled_requests"] == 5_000
    # 11:00: a quiet bucket's zero bytes are measured.
    assert rows_at(rows, "media", H + HOUR)["ia_class_b_requests"] == 7
    assert rows_at(rows, "site", H + HOUR)["download_bytes"] == 0


def test_without_classes_no_ia_counter_at_all() -> None:
    """The API refused storageClass: no IA counter is stored (a 0 would claim no
    IA reads), while the bytes, still summed, are."""
    unclassed = [replace(g, storage_class="") for g in TRAFFIC]
    rows = fold_operations(unclassed, H, H + 2 * HOUR, ["media", "site"])
    stored = {m for _, _, m, _ in rows}
    assert not stored & {"ia_class_a_requests", "ia_class_b_requests", "ia_retrieval_bytes"}
    assert rows_at(rows, "media")["classified_requests"] == 0
    assert rows_at(rows, "media")["download_bytes"] == 7 * GB
    # A quiet window (no row at all) is still a measured zero.
    quiet = fold_operations([], H, H + HOUR, ["media"])
    assert rows_at(quiet, "media")["ia_class_b_requests"] == 0


def test_without_byte_sums_no_byte_figure_at_all() -> None:
    """The API refused responseBytes: the rows say None. No byte counter of that sum
    is stored for the window, not even a quiet hour's zero (it measured nothing);
    the object sizes, still given, are."""
    unsummed = [replace(g, response_bytes=None) for g in TRAFFIC]
    rows = fold_operations(unsummed, H, H + 2 * HOUR, ["media", "site"])
    stored = {m for _, _, m, _ in rows}
    assert not stored & {"download_bytes", "response_bytes", "ia_retrieval_bytes"}
    assert rows_at(rows, "media")["upload_bytes"] == 3 * GB
    assert rows_at(rows, "media")["measured_bytes_requests"] == 0
    assert rows_at(rows, "media")["download_requests"] == 1_200  # requests still counted


# ---- the store, the catalog and status --json --------------------------------------------
def store_window(store: Store) -> None:
    """What the analytics job writes for the day so far: the fold's rows."""
    start, end = NOV1 + 10 * DAY, NOW
    rows = fold_operations(TRAFFIC, start, end, ["media", "site"]) + fold_storage(
        MIXED, start, end, {}
    )
    writes.replace_series(store, ACC, ANALYTICS_SERIES, start, end, rows)


def listed(store: Store, bucket: str, classes: dict[str, tuple[int, int]], at: int) -> None:
    """A listing with its samples, as the inventory job writes them."""
    tallies = {k: Tally(*v) for k, v in classes.items()}
    objects = sum(t.objects for t in tallies.values())
    size = sum(t.bytes for t in tallies.values())
    std, ia = tallies.get("STANDARD", Tally(0, 0)), tallies.get("STANDARD_IA", Tally(0, 0))
    writes.save_inventory(
        store,
        ACC,
        BucketInventory(
            bucket=bucket,
            started_at=at - 60,
            finished_at=at,
            objects=objects,
            bytes=size,
            by_extension={},
            by_storage_class=tallies,
            largest=[],
            newest=[],
            new_large=[],
            new_large_count=0,
            list_requests=1,
        ),
        [
            SampleRow("total_files", objects, bucket),
            SampleRow("total_bytes", size, bucket),
            SampleRow("standard_bytes", std.bytes, bucket),
            SampleRow("ia_bytes", ia.bytes, bucket),
            SampleRow("standard_objects", std.objects, bucket),
            SampleRow("ia_objects", ia.objects, bucket),
        ],
    )


def metrics(store: Store, now: int = NOW) -> dict:  # type: ignore[type-arg]
    """`status --json`'s metrics, with every metric the document reports read."""
    d = dashboard.read(store, ACC, now=now, analytics=True)
    assert d.metrics is not None
    d = replace(
        d, metrics=replace(d.metrics, values=readings.readings(store, ACC, list(NAMES), now))
    )
    return dashboard_doc(d)["metrics"]


def test_status_totals_are_the_sums_over_classes_and_say_their_source(st: Store) -> None:
    # An older listing of media (it found the same objects) and a listing-only bucket.
    listed(st, "media", {"STANDARD": (290, 99 * GB), "STANDARD_IA": (90, 49 * GB)}, H - DAY)
    listed(st, "archive", {"STANDARD_IA": (12, 5 * GB)}, H - HOUR)
    store_window(st)
    doc = metrics(st)
    media = doc["buckets"]["media"]
    assert media["total_files"] == 400 == media["standard_objects"] + media["ia_objects"]
    assert media["total_bytes"] == 150 * GB + 1_500 == media["standard_bytes"] + media["ia_bytes"]
    assert media["ia_bytes"] == 50 * GB + 500 and media["ia_objects"] == 100
    assert media["sources"] == dict.fromkeys(
        (
            "total_files",
            "total_bytes",
            "standard_bytes",
            "ia_bytes",
            "standard_objects",
            "ia_objects",
        ),
        "analytics",
    )
    archive = doc["buckets"]["archive"]
    assert archive["total_files"] == 12 == archive["ia_objects"]
    assert archive["standard_bytes"] == 0 and archive["ia_bytes"] == 5 * GB
    assert set(archive["sources"].values()) == {"listing"}
    # The account: analytics' sums over buckets and classes (archive's listing is older).
    assert doc["total_files"] == 407 == doc["standard_objects"] + doc["ia_objects"]
    assert doc["total_bytes"] == doc["standard_bytes"] + doc["ia_bytes"]
    assert doc["sources"]["ia_bytes"] == "analytics"
    # Bytes moved today, per bucket and for the account.
    assert media["downloaded_bytes_today"] == 7 * GB and media["uploaded_bytes_today"] == 3 * GB
    assert media["ia_retrieval_bytes_today"] == 3 * GB
    assert doc["downloaded_bytes_today"] == 8 * GB


def test_a_sampled_hour_marks_the_figures_built_on_it(store: Store) -> None:
    store_window(store)
    doc = metrics(store, H + HOUR + 600)  # 11:10: the last full hour is 10:00
    site, media = doc["buckets"]["site"], doc["buckets"]["media"]
    assert site["requests_per_hour"] == 5_000
    assert {"requests_per_hour", "class_b_ops", "downloads_today", "downloaded_bytes_today"} <= set(
        site["sampled"]
    )
    assert "total_files" not in site["sampled"]  # storage snapshots are not sampled
    assert media["sampled"] == []
    assert "requests_per_hour" in doc["sampled"]  # the account holds site's sample
    reading = readings.reading(store, ACC, "requests_per_hour", "site", H + HOUR + 600)
    assert (
        reading.sampled
        and not readings.reading(store, ACC, "requests_per_hour", "media", H + HOUR + 600).sampled
    )


# ---- the bill -----------------------------------------------------------------------------
# media, every day of November so far: 100 GB Standard and 50 GB IA; a day's
# requests in one hour: 1,000 Class A (400 IA), 10,000 Class B (3,000 IA), 5,000
# GETs reading 2 GB from IA.
DAYS = 11


def month(
    store: Store, classes: bool = True, classified_from: int = 0, summed: bool = True
) -> None:
    """The samples as the analytics job stores them, for media and (the same
    figures) the account, which the bill leaves out and reports read."""
    for day in range(DAYS):
        t = NOV1 + day * DAY
        measured = classes and day >= classified_from
        for where in ("media", ACCOUNT):
            writes.add_samples(
                store,
                ACC,
                [SampleRow("stored_bytes", 150 * GB, where)]
                + (
                    [
                        SampleRow("stored_standard_bytes", 100 * GB, where),
                        SampleRow("stored_ia_bytes", 50 * GB, where),
                    ]
                    if measured
                    else []
                ),
                ts=t + 30 * 60,
            )
            writes.add_samples(
                store,
                ACC,
                [
                    SampleRow("class_a_requests", 1_000, where),
                    SampleRow("class_b_requests", 10_000, where),
                    SampleRow("download_requests", 5_000, where),
                ]
                + (
                    [
                        SampleRow("classified_requests", 11_000, where),
                        SampleRow("ia_class_a_requests", 400, where),
                        SampleRow("ia_class_b_requests", 3_000, where),
                    ]
                    if measured
                    else []
                )
                + ([SampleRow("ia_retrieval_bytes", 2 * GB, where)] if measured and summed else []),
                ts=t + HOUR,
            )
    # The last listing: a third of the bytes and of the objects in IA; 0.5 GB an object.
    listed(store, "media", {"STANDARD": (200, 100 * GB), "STANDARD_IA": (100, 50 * GB)}, NOV1 + 60)


def calculate(store: Store) -> None:
    cfg = config()
    out = calculate_costs(
        JobContext(config=cfg, store=store, clock=lambda: float(NOW)), cfg.accounts[0]
    )
    assert not out.errors


def test_measured_classes_bill_each_class_from_the_analytics(st: Store) -> None:
    month(st)
    calculate(st)
    view = costs_view(st, ACC, NOW)
    lines = {x.item: x for x in view.lines}
    # Storage: 11 days of 100 GB Standard and 50 GB IA, a GB-month being 30 GB-days.
    assert lines["standard_storage"].usage == pytest.approx(1_100 / 30)
    assert lines["ia_storage"].usage == pytest.approx(550 / 30)
    # Requests as counted per class; retrieval the IA bytes read.
    assert lines["standard_class_a"].usage == 6_600 and lines["ia_class_a"].usage == 4_400
    assert lines["standard_class_b"].usage == 77_000 and lines["ia_class_b"].usage == 33_000
    assert lines["ia_retrieval"].usage == pytest.approx(22.0)
    expected = bill(
        Usage(
            standard_gb_month=Decimal(1_100) / 30,
            ia_gb_month=Decimal(550) / 30,
            standard_class_a=6_600,
            standard_class_b=77_000,
            ia_class_a=4_400,
            ia_class_b=33_000,
            ia_retrieval_gb=Decimal(22),
        )
    )
    assert view.month_to_date_usd == pytest.approx(float(expected.total), abs=1e-6)
    # The bill is the sum of its class lines, and the one bucket holds all of it.
    assert view.month_to_date_usd == pytest.approx(sum(x.usd for x in view.lines), abs=1e-6)
    assert view.buckets[0].month_to_date_usd == pytest.approx(view.month_to_date_usd, abs=0.01)
    assert {x.basis for x in view.lines} == {"measured"}
    assert view.buckets[0].basis == dict.fromkeys(("storage", "requests", "retrieval"), "measured")
    costs = dashboard_doc(dashboard.read(st, ACC, now=NOW))["costs"]
    assert {x["item"]: x["basis"] for x in costs["lines"]}["ia_class_a"] == "measured"
    assert costs["lines"][0]["reason"] == "per-class bytes from Cloudflare's analytics"
    assert costs["buckets"]["media"]["basis"]["retrieval"] == "measured"


def test_a_store_without_per_class_series_is_estimated_from_the_listing(st: Store) -> None:
    """As stores written before this change: the listing's IA shares, as before."""
    month(st, classes=False)
    calculate(st)
    view = costs_view(st, ACC, NOW)
    lines = {x.item: x for x in view.lines}
    # A third of 150 GB, of the requests, and of the GETs reading 0.5 GB each.
    assert lines["ia_storage"].usage == pytest.approx(550 / 30)
    assert lines["ia_class_a"].usage == pytest.approx(11_000 / 3, rel=1e-9)
    assert lines["ia_retrieval"].usage == pytest.approx(55_000 / 3 * 0.5, rel=1e-9)
    assert {x.basis for x in view.lines} == {"estimated"}
    assert lines["ia_class_b"].reason == "split by the last listing's IA share of objects"
    assert lines["ia_retrieval"].reason.startswith("GETs x the last listing's IA share")
    assert set(view.buckets[0].basis.values()) == {"estimated"}


def test_classes_without_byte_sums_estimate_the_retrieval_whole(st: Store) -> None:
    """The API said the classes but refused the byte sums: requests are measured,
    the IA retrieval estimated whole (not "partly")."""
    month(st, summed=False)
    calculate(st)
    view = costs_view(st, ACC, NOW)
    lines = {x.item: x for x in view.lines}
    assert lines["ia_class_a"].basis == "measured"
    assert lines["ia_retrieval"].basis == "estimated"
    assert not lines["ia_retrieval"].reason.startswith("partly")
    assert view.buckets[0].basis["retrieval"] == "estimated"


def test_without_request_counts_no_bucket_says_requests_measured(st: Store) -> None:
    listed(st, "media", {"STANDARD": (200, 100 * GB), "STANDARD_IA": (100, 50 * GB)}, NOV1 + 60)
    calculate(st)
    view = costs_view(st, ACC, NOW)
    assert not view.requests_known
    basis = view.buckets[0].basis
    assert basis["requests"] == basis["retrieval"] == "estimated"
    costs = dashboard_doc(dashboard.read(st, ACC, now=NOW))["costs"]
    assert costs["buckets"]["media"]["basis"]["requests"] == "estimated"


def test_a_month_measured_from_midway_is_partly_estimated(st: Store) -> None:
    month(st, classified_from=6)
    calculate(st)
    view = costs_view(st, ACC, NOW)
    assert {x.basis for x in view.lines} == {"estimated"}
    assert all(x.reason.startswith("partly") for x in view.lines)
    # The measured days' IA requests (5 x 400) and the estimated days' share (6 x 1,000 / 3).
    ia_a = {x.item: x.usage for x in view.lines}["ia_class_a"]
    assert ia_a == pytest.approx(5 * 400 + 6 * 1_000 / 3, rel=1e-9)


def test_a_report_says_the_classes_and_the_basis(st: Store) -> None:
    month(st)
    calculate(st)
    report = build(st, ACC, "daily", NOW - NOW % DAY, NOW)  # today, as of the cost run
    n = report.numbers
    assert n.bytes.value == 150 * GB
    assert n.standard_bytes.value == 100 * GB and n.ia_bytes.value == 50 * GB
    assert [(b.kind, b.basis) for b in report.costs.basis] == [
        ("storage", "measured"),
        ("requests", "measured"),
        ("retrieval", "measured"),
    ]
    md = render(report, "md")
    assert "Infrequent Access" in md and "Retrieval: measured, bytes read from IA" in md
    csv = render(report, "csv")
    assert "costs,basis_requests,,measured" in csv and "numbers,ia_bytes,,50000000000" in csv


# ---- end to end: the analytics job against the loopback GraphQL peer ----------------------
def peer_config(peer: GraphQLPeer) -> Config:
    return make_config(
        (
            account_for(
                f"http://127.0.0.1:{closed_port()}",
                name=ACC,
                api_token=Secret(TOKEN, "test"),
                account_id=PEER_ACCOUNT,
                graphql_url=peer.url,
            ),
        )
    )


def collect(peer: GraphQLPeer, store: Store, now: int = NOW) -> None:
    cfg = peer_config(peer)
    out = collect_analytics(
        JobContext(config=cfg, store=store, clock=lambda: float(now), analytics_backoff=0.001),
        cfg.accounts[0],
    )
    assert out.errors == []


def test_collect_stores_classes_and_bytes_and_the_bill_counts_them(store: Store) -> None:
    with GraphQLPeer(TRAFFIC, MIXED) as peer:
        collect(peer, store)
    doc = metrics(store)
    media = doc["buckets"]["media"]
    assert media["total_files"] == 400 == media["standard_objects"] + media["ia_objects"]
    assert media["total_bytes"] == 150 * GB + 1_500 == media["standard_bytes"] + media["ia_bytes"]
    assert media["ia_retrieval_bytes_today"] == 3 * GB
    assert media["downloaded_bytes_today"] == 7 * GB
    assert doc["buckets"]["site"]["sampled"] != [] and media["sampled"] == []
    calculate(store)
    lines = {x.item: x for x in costs_view(store, ACC, NOW).lines}
    # Today's requests, as counted per class: IA Class B 205 at 10:00 and 7 at 11:00,
    # IA Class A 10; 3 GB read from IA.
    assert lines["ia_class_b"].usage == 212 and lines["ia_class_a"].usage == 10
    assert lines["ia_retrieval"].usage == pytest.approx(3.0)
    assert {x.basis for x in lines.values()} == {"measured"}


def test_a_field_the_api_refuses_is_said_once_and_classes_come_from_the_listing(
    store: Store,
) -> None:
    listed(store, "media", {"STANDARD": (300, 100 * GB), "STANDARD_IA": (100, 50 * GB)}, H + 1)
    with GraphQLPeer(TRAFFIC, MIXED, unknown_fields={"storageClass", "responseBytes"}) as peer:
        collect(peer, store)
        forget_learned()  # as a new process would: it meets the refusals again
        collect(peer, store, NOW + 60)
    said = [e.message for e in Event.select().where(Event.kind == "analytics")]
    # Once each, though two processes met them: storageClass on both datasets, responseBytes.
    assert len(said) == len(set(said)) == 3
    assert sum("storageClass" in line for line in said) == 2
    media = metrics(store, NOW + 60)["buckets"]["media"]
    assert media["downloaded_bytes_today"] is None  # not measured, not 0
    assert media["uploaded_bytes_today"] == 3 * GB  # responseObjectSize still given
    # Without the class a bucket-hour's level is one class's (the larger): the
    # per-class figures are the listing's, and say so.
    assert media["sources"]["ia_bytes"] == "listing" and media["ia_bytes"] == 50 * GB


def test_an_old_store_is_queried_again_and_its_window_replaced(sqlite_url: str) -> None:
    """A store written before storage classes were asked (schema 5): a mixed bucket's
    hour holds the larger class only and the watermark says the day is done. After the
    migration the next run queries the 31 days again and stores the sums."""
    db = connect(sqlite_url)
    migrate(db, target=5)
    db.execute_sql(
        "INSERT INTO sample (ts, account, bucket, metric, value) "
        f"VALUES ({H}, '{ACC}', 'media', 'stored_bytes', {100 * GB + 1_000})"
    )
    db.execute_sql(f"INSERT INTO store_state (key, value) VALUES ('analytics_to:{ACC}', {NOW})")
    db.close()
    store = open_store(sqlite_url)
    try:
        with GraphQLPeer(TRAFFIC, MIXED) as peer:
            collect(peer, store)
            queried = len(peer.requests)
        assert queried >= 2 * 31  # both datasets, a day at a time, from 31 days back
        values = [
            s.value
            for s in Sample.select().where(
                Sample.bucket == "media", Sample.metric == "stored_bytes", Sample.ts == H
            )
        ]
        assert values == [150 * GB + 1_500]
    finally:
        store.close()


def test_a_bucket_hour_that_fills_a_page_alone_is_said_once(store: Store) -> None:
    with GraphQLPeer(TRAFFIC, MIXED, page_limit=3) as peer:
        collect(peer, store)
        first = [e.message for e in Event.select().where(Event.kind == "analytics")]
        # Another process queries the same windows again (the store was not told how
        # far it got): the same partial answers, and nothing said twice.
        state.put(store, state.analytics_key(ACC), 0)
        forget_learned()
        collect(peer, store)
    said = [e for e in Event.select().where(Event.kind == "analytics")]
    assert [e.message for e in said] == first and len(first) >= 1
    assert all(
        e.level == "warning" and "bucket media alone fills a page" in e.message for e in said
    )


def test_bytes_of_a_class_neither_standard_nor_ia_are_billed_as_standard() -> None:
    """Analytics named a third class (kept as data): its bytes are in the day's
    total but in neither class's peak; the bill charges them as Standard rather
    than leave them out."""
    u = BucketUsage(peak_bytes={NOV1: 1000.0}, class_peaks={NOV1: (100.0, 50.0)})
    (level,) = class_levels(u, range(NOV1, NOV1 + DAY, DAY))
    assert (level.total, level.classes) == (1000.0, (950.0, 50.0))
    # Class peaks of different hours may sum above the day's peak total: kept.
    u = BucketUsage(peak_bytes={NOV1: 100.0}, class_peaks={NOV1: (80.0, 40.0)})
    (level,) = class_levels(u, range(NOV1, NOV1 + DAY, DAY))
    assert (level.total, level.classes) == (120.0, (80.0, 40.0))
