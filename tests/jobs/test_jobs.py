"""The jobs end to end: moto over HTTP in, a SQLite store out. Every expected
number comes from what the test seeded."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import pytest

from r2tui.config import ProbeSettings, Retention
from r2tui.config.model import DEFAULT_SCHEDULES
from r2tui.jobs import JOBS, JobContext, JobResult, run_job
from r2tui.pricing import request_cost_usd
from r2tui.store import Store, probed, queries
from r2tui.store.models import Bucket, Event, Inventory, InventoryBreakdown, JobRun, Sample
from tests.support.configs import account_for, make_config
from tests.support.listing_peers import CountingProxy
from tests.support.peers import Obj, closed_port, delete_bucket, random_objects, seed_bucket

T0 = 1_760_000_000  # the jobs' clock; seeded objects are older
GB = 10**9


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _ctx(
    store: Store,
    endpoint: str,
    clock: Clock | None = None,
    config_kw: dict | None = None,
    **account_kw: Any,
) -> JobContext:
    config = make_config((account_for(endpoint, **account_kw),), **(config_kw or {}))
    return JobContext(config=config, store=store, clock=clock or Clock())


def _samples(metric: str, bucket: str = "*") -> list[float]:
    return [
        s.value
        for s in Sample.select()
        .where(Sample.metric == metric, Sample.bucket == bucket)
        .order_by(Sample.ts, Sample.id)
    ]


def _events(kind: str | None = None) -> list[Event]:
    q = Event.select().order_by(Event.ts, Event.id)
    return list(q.where(Event.kind == kind) if kind else q)


def _seed_three(backend: Any) -> dict[str, list[Obj]]:
    rng = random.Random(5)
    return {
        "alpha": seed_bucket(backend, "alpha", random_objects(rng, 40, T0 - 10)),
        "beta": seed_bucket(backend, "beta", random_objects(rng, 25, T0 - 10, ia_share=0.6)),
        "gamma": seed_bucket(backend, "gamma", []),
    }


def test_first_inventory_writes_everything(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    seeded = _seed_three(s3_backend)
    result = run_job("inventory", _ctx(store, moto_endpoint))
    total = sum(len(v) for v in seeded.values())
    class_a = 1 + len(seeded)  # ListBuckets, then one page per (small) bucket

    assert isinstance(result, JobResult) and result.ok and result.error is None
    assert result.items == total
    assert result.summary == f"3 of 3 buckets listed, {total:,} objects, {class_a} Class A requests"

    for name, objs in seeded.items():
        inv = Inventory.get(Inventory.bucket == name)
        assert (inv.objects, inv.bytes, inv.list_requests) == (
            len(objs),
            sum(o.size for o in objs),
            1,
        )
        classes = {
            r.key: (r.objects, r.bytes)
            for r in InventoryBreakdown.select().where(
                InventoryBreakdown.inventory == inv, InventoryBreakdown.dimension == "storage_class"
            )
        }
        expected = {
            c: (
                sum(1 for o in objs if o.storage_class == c),
                sum(o.size for o in objs if o.storage_class == c),
            )
            for c in {o.storage_class for o in objs}
        }
        assert classes == expected
        assert _samples("total_files", name) == [len(objs)]
        assert _samples("total_bytes", name) == [sum(o.size for o in objs)]
        assert _samples("ia_bytes", name) == [
            sum(o.size for o in objs if o.storage_class == "STANDARD_IA")
        ]
        assert _samples("ia_objects", name) == [
            sum(1 for o in objs if o.storage_class == "STANDARD_IA")
        ]
        assert _samples("standard_objects", name) == [
            sum(1 for o in objs if o.storage_class == "STANDARD")
        ]
        assert _samples("new_large_objects", name) == [0]  # a first inventory has no "since"
    everything = [o for objs in seeded.values() for o in objs]
    assert _samples("total_files") == [total]
    assert _samples("total_bytes") == [sum(o.size for o in everything)]
    assert _samples("standard_bytes") == [
        sum(o.size for o in everything if o.storage_class == "STANDARD")
    ]
    assert (
        _samples("ia_objects")
        == [sum(1 for o in everything if o.storage_class == "STANDARD_IA")]
        != [0]
    )
    assert _samples("monitor_class_a_ops") == [class_a]
    assert _samples("monitor_class_b_ops") == [0]
    assert _samples("monitor_cost_usd") == [pytest.approx(request_cost_usd(class_a, 0))]

    assert [e.message for e in _events("bucket")] == ["found 3 buckets: alpha, beta, gamma"]
    job_events = _events("job")
    assert [(e.level, e.message) for e in job_events] == [("info", f"inventory: {result.summary}")]
    assert json.loads(job_events[0].data) == {"job": "inventory", "items": total}
    runs = list(JobRun.select())
    assert [
        (r.job, r.account, r.ok, r.items, r.error, r.started_at, r.finished_at) for r in runs
    ] == [("inventory", "test", True, total, None, T0, T0)]
    assert {b.name for b in Bucket.select()} == set(seeded)


def test_later_inventory_reports_new_vanished_and_large(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    _seed_three(s3_backend)
    clock = Clock()
    ctx = _ctx(store, moto_endpoint, clock)
    assert run_job("inventory", ctx).ok
    before = len(_events())

    seed_bucket(s3_backend, "delta", [Obj("d.txt", 1, T0 + 5)])
    delete_bucket(s3_backend, "gamma")
    big = [Obj(f"uploads/big-{i:02d}.iso", (i + 2) * GB, T0 + 50) for i in range(12)]
    for o in big:
        fake = s3_backend.put_object("alpha", o.key, b"")
        fake.contentsize = o.size
        fake.last_modified = _naive(o.mtime)
    old_big = s3_backend.put_object("beta", "old.iso", b"")
    old_big.contentsize, old_big.last_modified = 50 * GB, _naive(T0 - 1000)  # not new
    clock.t = T0 + 100
    result = run_job("inventory", ctx)
    assert result.ok, result.error

    new = [(e.kind, e.level, e.bucket, e.message) for e in _events()[before:]]
    assert ("bucket", "warning", "delta", "new bucket delta") in new
    assert (
        "bucket",
        "warning",
        "gamma",
        "bucket gamma vanished (deleted or no longer visible)",
    ) in new
    uploads = [m for kind, _, _, m in new if kind == "upload"]
    # The ten largest by name and size, then one line for the rest.
    expected = sorted(big, key=lambda o: o.size, reverse=True)
    assert uploads[:10] == [
        f"large upload alpha/{o.key} ({o.size / GB:.1f} GB)" for o in expected[:10]
    ]
    assert uploads[10:] == ["2 more uploads above 1.0 GB in alpha"]
    assert _samples("new_large_objects", "alpha") == [0, 12]
    assert _samples("new_large_objects", "beta") == [0, 0]
    assert Bucket.get(Bucket.name == "gamma").vanished_at == T0 + 100
    # Account totals now leave the vanished bucket out and count the new one.
    alpha = (
        Inventory.select().where(Inventory.bucket == "alpha").order_by(Inventory.id.desc()).first()
    )
    beta = (
        Inventory.select().where(Inventory.bucket == "beta").order_by(Inventory.id.desc()).first()
    )
    assert _samples("total_files")[-1] == alpha.objects + beta.objects + 1


def _naive(ts: int):  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta

    return datetime(1970, 1, 1) + timedelta(seconds=ts)


def test_include_and_exclude_globs(s3_backend: Any, moto_endpoint: str, store: Store) -> None:
    for name in ("logs-2026", "logs-tmp", "media", "backup"):
        seed_bucket(s3_backend, name, [Obj(f"{name}.txt", len(name), T0 - 1)])
    ctx = _ctx(store, moto_endpoint, include=("logs-*", "media"), exclude=("*-tmp",))
    result = run_job("inventory", ctx)
    assert result.ok and result.items == 2
    assert sorted(i.bucket for i in Inventory.select()) == ["logs-2026", "media"]
    assert sorted(b.name for b in Bucket.select()) == ["logs-2026", "media"]
    assert [e.message for e in _events("bucket")] == [
        "found 2 buckets: logs-2026, media (2 excluded by config)"
    ]
    assert _samples("total_bytes") == [len("logs-2026") + len("media")]

    narrower = dataclasses.replace(
        ctx.config,
        accounts=(dataclasses.replace(ctx.config.accounts[0], exclude=("*-tmp", "media")),),
    )
    assert run_job("inventory", dataclasses.replace(ctx, config=narrower)).ok
    assert "bucket media vanished (excluded by config)" in [e.message for e in _events("bucket")]


def test_spend_is_recorded_when_the_inventory_fails(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    _seed_three(s3_backend)

    def vanish(_: int, path: str) -> None:  # before beta's first page is answered
        if path.strip("/") == "beta":
            delete_bucket(s3_backend, "beta")

    with CountingProxy(moto_endpoint, on_page=vanish) as proxy:
        result = run_job("inventory", _ctx(store, proxy.endpoint))
    assert not result.ok
    assert result.error == "bucket beta: no such bucket (deleted while r2tui was listing it?)"
    assert result.summary.startswith("2 of 3 buckets listed")
    # The 404 page was answered, so billed: ListBuckets + three list attempts.
    assert _samples("monitor_class_a_ops") == [4]
    run = JobRun.get()
    assert (run.ok, run.error) == (False, result.error)
    assert sorted(i.bucket for i in Inventory.select()) == ["alpha", "gamma"]
    assert [e.message for e in _events("job") if e.level == "error"] == [
        f"inventory failed: {result.error}"
    ]


def test_collect_metrics_with_probes_off_checks_the_endpoint(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    """Without probes, one cheap request per run proves the endpoint answers:
    ListBuckets (Class A) before any inventory, HeadBucket (Class B) after."""
    _seed_three(s3_backend)
    ctx = _ctx(store, moto_endpoint)
    result = run_job("collect_metrics", ctx)
    assert result.ok and result.items == 1
    assert result.summary.startswith("endpoint answered ListBuckets in ")
    assert _samples("endpoint_ok") == [1.0]
    assert _samples("monitor_class_a_ops") == [1] and _samples("monitor_class_b_ops") == [0]
    assert run_job("inventory", ctx).ok
    result = run_job("collect_metrics", ctx)
    assert result.summary.startswith("endpoint answered HeadBucket in ")
    assert _samples("monitor_class_b_ops")[-1] == 1
    assert [(r.job, r.ok) for r in JobRun.select().order_by(JobRun.id)] == [
        ("collect_metrics", True),
        ("inventory", True),
        ("collect_metrics", True),
    ]
    assert queries.endpoint_check(store, "test") is not None


def test_endpoint_check_failure_and_recovery_are_events(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    _seed_three(s3_backend)
    down = _ctx(store, "http://127.0.0.1:9")
    for _ in range(2):
        result = run_job("collect_metrics", down)
        assert not result.ok
        assert result.error == "cannot reach 127.0.0.1:9: connection failed"
    up = _ctx(store, moto_endpoint)
    assert run_job("collect_metrics", up).ok
    probe_events = [(e.level, e.message) for e in _events("probe")]
    # One event when it starts failing, one when it recovers: not one per run.
    assert probe_events == [
        ("error", "endpoint check failed: cannot reach 127.0.0.1:9: connection failed"),
        ("info", "endpoint answers again"),
    ]
    assert _samples("endpoint_ok") == [0.0, 0.0, 1.0]


def test_collect_metrics_with_probes_on(s3_backend: Any, moto_endpoint: str, store: Store) -> None:
    for name in ("p-one", "p-two", "other"):
        seed_bucket(s3_backend, name, [Obj("keep", 1, T0 - 1)])
    ctx = _ctx(store, moto_endpoint, probe=ProbeSettings(enabled=True, buckets=("p-*",)))
    result = run_job("collect_metrics", ctx)
    assert result.ok and result.items == 2
    assert result.summary == "probed 2 buckets"
    for bucket in ("p-one", "p-two"):
        assert _samples("probe_ok", bucket) == [1.0]
        for step in ("put", "get", "head", "delete"):
            (ms,) = _samples(f"probe_{step}_ms", bucket)
            assert ms > 0
    assert _samples("probe_ok", "other") == []
    # Before any inventory the bucket list comes from one ListBuckets (Class A).
    assert _samples("monitor_class_a_ops") == [1 + 2]
    assert _samples("monitor_class_b_ops") == [2 * 2]
    assert _samples("monitor_free_ops") == [2]
    for name in ("p-one", "p-two", "other"):
        assert list(s3_backend.get_bucket(name).keys) == ["keep"]  # canaries cleaned up
    assert _events("probe") == []


def test_probe_failure_then_recovery(s3_backend: Any, moto_endpoint: str, store: Store) -> None:
    seed_bucket(s3_backend, "p-one", [])
    clock = Clock()
    ctx = _ctx(store, moto_endpoint, clock, probe=ProbeSettings(enabled=True))
    assert run_job("inventory", ctx).ok  # the store now knows the bucket
    assert run_job("collect_metrics", ctx).ok

    delete_bucket(s3_backend, "p-one")
    for step in (1, 2):  # failing twice raises one event, not two
        clock.t = T0 + step
        result = run_job("collect_metrics", ctx)
        assert not result.ok
        assert result.error is not None and result.error.startswith(
            "PutObject: bucket p-one: PutObject failed: NoSuchBucket"
        )
    failed = [e for e in _events("probe")]
    assert [(e.level, e.bucket) for e in failed] == [("error", "p-one")]
    assert failed[0].message == f"probe failed: {result.error}"
    # How it failed, for the probe budget (a refused probe is no new error).
    assert json.loads(failed[0].data) == {"failure": "failing"}
    assert probed.erroring(store, "test", T0) == {"p-one"}
    assert _samples("probe_ok", "p-one") == [1.0, 0.0, 0.0]

    seed_bucket(s3_backend, "p-one", [])
    clock.t = T0 + 3
    assert run_job("collect_metrics", ctx).ok
    assert [e.message for e in _events("probe")][-1] == "probe of p-one recovered"
    assert _samples("probe_ok", "p-one")[-1] == 1.0


def test_every_job_is_built_and_scheduled() -> None:
    # check_alerts was the last placeholder: a new one must come with its own test.
    assert [n for n, spec in JOBS.items() if not spec.implemented] == []
    assert set(JOBS) == set(DEFAULT_SCHEDULES)


@pytest.mark.parametrize("name", ["inventory", "collect_metrics"])
def test_a_job_never_raises(name: str, store: Store) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    ctx = _ctx(store, "http://127.0.0.1:9", probe=ProbeSettings(enabled=True))
    ctx.client_factory = broken
    result = run_job(name, ctx)
    assert not result.ok and result.error == "RuntimeError: boom"
    run = JobRun.get()
    assert (run.job, run.ok, run.error) == (name, False, "RuntimeError: boom")
    assert [(e.level, e.message) for e in _events("job")] == [
        ("error", f"{name} failed: RuntimeError: boom")
    ]


def test_each_account_runs_and_fails_on_its_own(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    seed_bucket(s3_backend, "solo", [Obj("a.bin", 10, T0 - 1), Obj("b.bin", 20, T0 - 1)])
    down = closed_port()
    config = make_config(
        (
            account_for(moto_endpoint, name="one"),
            account_for(f"http://127.0.0.1:{down}", name="two"),
        )
    )
    result = run_job("inventory", JobContext(config=config, store=store, clock=Clock()))
    assert not result.ok and result.items == 2
    assert result.errors == (f"two: cannot reach 127.0.0.1:{down}: connection failed",)
    assert result.summary.startswith("one: 1 of 1 buckets listed, 2 objects")
    runs = {r.account: (r.ok, r.items) for r in JobRun.select()}
    assert runs == {"one": (True, 2), "two": (False, 0)}
    assert [
        s.value
        for s in Sample.select().where(
            Sample.account == "one", Sample.metric == "total_bytes", Sample.bucket == "*"
        )
    ] == [30]


def test_old_inventories_are_dropped(s3_backend: Any, moto_endpoint: str, store: Store) -> None:
    seed_bucket(s3_backend, "alpha", [Obj("x.jpg", 1, T0 - 1), Obj("y.png", 2, T0 - 1)])
    clock = Clock()
    ctx = _ctx(store, moto_endpoint, clock, config_kw={"retention": Retention(inventories_kept=2)})
    for i in range(3):
        clock.t = T0 + 10 * i
        assert run_job("inventory", ctx).ok
    assert [e.message for e in _events("bucket")] == ["found 1 bucket: alpha"]
    kept = list(Inventory.select().order_by(Inventory.started_at))
    assert [i.started_at for i in kept] == [T0 + 10, T0 + 20]
    assert {b.inventory_id for b in InventoryBreakdown.select()} == {i.id for i in kept}


def test_a_stop_request_cancels_and_closes_the_run(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    _seed_three(s3_backend)
    ctx = _ctx(store, moto_endpoint)
    ctx.stop.set()
    result = run_job("inventory", ctx)
    assert not result.ok and result.error == "cancelled: r2tui was stopping"
    run = JobRun.get()
    # Neither success nor failure: a quit mid-listing must not make the collector "failing".
    assert (run.ok, run.error) == (None, "cancelled: r2tui was stopping")
    assert run.finished_at is not None
    assert Inventory.select().count() == 0
    assert queries.collector(store, "test").state == "idle"
    assert queries.activity(store, "test")[0].message == "inventory cancelled: r2tui was stopping"


def test_an_upload_seen_during_the_previous_listing_is_reported_once(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    """`since` is the previous listing's start: an object written while that
    listing ran is newer than both listings' starts, yet was already reported."""
    seed_bucket(s3_backend, "alpha", [Obj("small", 10, T0 - 100)])
    clock = Clock(T0)
    ctx = _ctx(store, moto_endpoint, clock)
    assert run_job("inventory", ctx).ok  # the first listing: no "since" yet
    # Written at T0 + 15, while the second listing (started T0 + 10) was running.
    seed_bucket(s3_backend, "alpha", [Obj("big.iso", 3 * GB, T0 + 15)])
    clock.t = T0 + 10
    assert run_job("inventory", ctx).ok
    clock.t = T0 + 20
    assert run_job("inventory", ctx).ok
    uploads = [e.message for e in _events("upload")]
    assert uploads == ["large upload alpha/big.iso (3.0 GB)"]
    assert _samples("new_large_objects", "alpha") == [0, 1, 0]


def _refuse_events(store: Store, refuse: bool) -> None:
    """The store refuses every new event (a real trigger), or no longer does."""
    if refuse:
        store.db.execute_sql(
            "CREATE TRIGGER refuse_events BEFORE INSERT ON event "
            "BEGIN SELECT RAISE(ABORT, 'events refused'); END"
        )
    else:
        store.db.execute_sql("DROP TRIGGER refuse_events")


def test_an_endpoint_failure_whose_event_is_refused_is_said_at_the_next_run(
    store: Store,
) -> None:
    """The check's sample and its event are one write: when the event cannot be
    saved, neither is the sample, and the next run still sees a change to say."""
    down = _ctx(store, f"http://127.0.0.1:{closed_port()}")
    _refuse_events(store, True)
    result = run_job("collect_metrics", down)
    assert not result.ok and "events refused" in (result.error or "")
    assert _samples("endpoint_ok") == []
    _refuse_events(store, False)
    assert not run_job("collect_metrics", down).ok
    assert [(e.level, e.message.split(":")[0]) for e in _events("probe")] == [
        ("error", "endpoint check failed")
    ]
    assert _samples("endpoint_ok") == [0.0]


def test_buckets_whose_events_are_refused_are_found_again_at_the_next_run(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    """The buckets' changes and their events are one write: when the events
    cannot be saved, the buckets are not either, and the next run says them."""
    _seed_three(s3_backend)
    ctx = _ctx(store, moto_endpoint)
    _refuse_events(store, True)
    assert not run_job("inventory", ctx).ok
    assert list(Bucket.select()) == []
    _refuse_events(store, False)
    assert run_job("inventory", ctx).ok
    assert [e.message for e in _events("bucket")] == ["found 3 buckets: alpha, beta, gamma"]
