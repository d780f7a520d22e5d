"""Benchmark: the dashboard snapshot and history charts on a store holding a year.

    python bench/metrics_bench.py                     # 50 buckets, 30 timed runs
    python bench/metrics_bench.py --buckets 10 --runs 10 --keep /tmp/r2tui-metrics
    python bench/metrics_bench.py --buckets 10 --runs 10 --keep /tmp/r2tui-metrics --reuse
    python bench/metrics_bench.py --buckets 1000 --probes every-run --keep /tmp/r2tui-1000

Prints figures; it is not a test and asserts nothing about speed. What it does:

1. Builds a SQLite store (a temp dir, or --keep) as r2tui would leave it after
   a year with the default retention: daily rollups for 365 days, hourly for
   90, raw samples for 14. Per bucket: Cloudflare's hourly analytics (every
   series of metrics.ANALYTICS_SERIES, and the account's totals), canary
   probes (four step latencies and probe_ok; `--probes budget`, the default:
   r2tui's default probe budget's rotation, 12 buckets a 5-minute run;
   `--probes every-run`: every bucket every 5 minutes, as with the probe
   budget raised to probe every bucket each run), a daily
   inventory (its samples and 14 kept inventories); for the account: the
   monitor's own spend every 5 minutes, 90 days of job events, 30 days of runs.
   Raw samples and old rollups go in with bulk inserts; the last 14 days' rollups
   come from r2tui's own `rollups.roll_up` (timed: the first roll-up), then
   `rollups.purge` (timed).
2. Times the steady state: four 15-minute steps, each adding that quarter's
   samples and running `roll_up`, as the `rollup` job would.
3. Times, --runs times each after one warm-up, the dashboard snapshot
   `r2tui.dashboard.read(store, account, now=..., analytics=True)` and the 30-day chart
   `history.series(store, account, "total_bytes", "*", "30d")`, for the account and for
   one bucket, plus a few other charts for reference. Prints median and p95 ms,
   the store's size on disk and the rows per table.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from r2tui import dashboard
from r2tui.config import Retention
from r2tui.costs.view import costs_view
from r2tui.metrics import ANALYTICS_COUNTERS, ANALYTICS_GAUGES
from r2tui.observations import BucketInventory, ObjectEntry, Tally
from r2tui.store import Store, open_store, queries, readings, rollups, writes
from r2tui.store import history as hist
from r2tui.store.models import MODELS

H, D = 3600, 86400
ACCOUNT = "bench"
PROBES = ("probe_put_ms", "probe_get_ms", "probe_head_ms", "probe_delete_ms", "probe_ok")
MONITOR = ("monitor_class_a_ops", "monitor_class_b_ops", "monitor_free_ops", "monitor_cost_usd")
INVENTORY = ("total_files", "total_bytes", "standard_bytes", "ia_bytes")
Row = tuple[int, str, str, str, float]  # ts, account, bucket, metric, value
Agg = tuple[str, str, str, int, int, float, float, float, float]  # account..ts, count..last


def noise(*keys: int) -> float:
    """A deterministic value in [0, 1): cheap enough for millions of samples."""
    x = 0
    for k in keys:
        x = (x * 1_000_003 + k * 2_654_435_761) % 4_294_967_296
    return x / 4_294_967_296


def diurnal(ts: int) -> float:
    return 1.0 + 0.6 * math.sin(2 * math.pi * ((ts % D) / D - 0.4))


def analytics(b: int, hour: int) -> dict[str, float]:
    req = (200 + 40 * b) * diurnal(hour) * (0.8 + 0.4 * noise(b, hour))
    objects = 10_000 * (b + 1) + hour // H % 100_000
    return {
        "requests": round(req),
        "class_a_requests": round(req * 0.2),
        "class_b_requests": round(req * 0.7),
        "upload_requests": round(req * 0.1),
        "download_requests": round(req * 0.6),
        "error_requests": round(req * 0.01),
        "denied_requests": round(req * 0.002),
        "stored_objects": objects,
        "stored_bytes": objects * 2_000_000.0,
        "pending_uploads": float(b % 3),
    }


def raw_rows(buckets: int, start: int, end: int) -> Iterator[Row]:
    """What the jobs store: hourly analytics, 5-minute probes and spend, a daily
    inventory at 03:00."""
    for hour in range(start - start % H, end, H):
        totals = dict.fromkeys(ANALYTICS_COUNTERS + ANALYTICS_GAUGES, 0.0)
        for b in range(buckets):
            name = f"bucket-{b:02d}"
            for metric, v in analytics(b, hour).items():
                totals[metric] += v
                yield hour, ACCOUNT, name, metric, v
            if PROBING["mode"] == "every-run":
                for ts in range(hour + b, hour + H, 300):
                    if start <= ts < end:
                        yield from probe_rows(b, ts)
            if hour % D == 3 * H:
                for metric, v in inventory(b, hour).items():
                    yield hour + 60 + b, ACCOUNT, name, metric, v
        if PROBING["mode"] == "budget":
            for ts, b in budget_probes(hour, hour + H, buckets):
                if start <= ts < end:
                    yield from probe_rows(b, ts)
        for metric, v in totals.items():
            yield hour, ACCOUNT, "*", metric, v
        for ts in range(hour, hour + H, 300):
            if start <= ts < end:
                for metric, v in zip(MONITOR, (1.0, 2.0, 1.0, 1.1e-5), strict=True):
                    yield ts, ACCOUNT, "*", metric, v


# How the store's probes were made: "every-run" probes every bucket every 5
# minutes (`[accounts.NAME.probe]` set to probe every bucket each run: at 1,000
# buckets, $45 a month); "budget" as r2tui does by default, the default budget
# of 400,000 requests a month (100,000 probes) spent in rotation: 12 buckets a
# 5-minute run, so each of 1,000 buckets about every 7 hours.
PROBING = {"mode": "every-run"}
BUDGET_PROBES_PER_RUN = math.ceil(100_000 / (30 * 288))


def probe_rows(b: int, ts: int) -> Iterator[Row]:
    name = f"bucket-{b:02d}"
    base = 40 + 3 * b + 30 * noise(b, ts)
    for i, metric in enumerate(PROBES[:4]):
        yield ts, ACCOUNT, name, metric, base * (1 + 0.3 * i)
    yield ts, ACCOUNT, name, "probe_ok", 1.0


def budget_probes(start: int, end: int, buckets: int) -> Iterator[tuple[int, int]]:
    """(ts, bucket) of the rotation's probes in [start, end): run r (every 300 s)
    probes buckets r*K .. r*K+K-1 (mod the count), each at its own second."""
    k = min(BUDGET_PROBES_PER_RUN, buckets)
    for run_ts in range(start - start % 300, end, 300):
        r = run_ts // 300
        for j in range(k):
            b = (r * k + j) % buckets
            if start <= run_ts + j < end:
                yield run_ts + j, b


def probe_counts(start: int, end: int, buckets: int) -> dict[int, int]:
    """Each bucket's probes in [start, end)."""
    if PROBING["mode"] == "every-run":
        return dict.fromkeys(range(buckets), (end - start) // 300)
    counts: dict[int, int] = {}
    for _, b in budget_probes(start, end, buckets):
        counts[b] = counts.get(b, 0) + 1
    return counts


def inventory(b: int, ts: int) -> dict[str, float]:
    objects = 10_000.0 * (b + 1) + ts // H % 100_000
    return {
        "total_files": objects,
        "total_bytes": objects * 2e6,
        "standard_bytes": objects * 1.8e6,
        "ia_bytes": objects * 2e5,
        "inventory_seconds": 2 + b / 10,
        "new_large_objects": float(b % 2),
    }


def rollup_rows(buckets: int, start: int, end: int, period: int) -> Iterator[Agg]:
    """Synthetic hourly or daily rows for the part whose raw samples are gone."""
    for p in range(start, end, period):
        n_hours = period // H
        probed = probe_counts(p, p + period, buckets)
        for b in range(-1, buckets):
            name = "*" if b < 0 else f"bucket-{b:02d}"
            a = analytics(max(b, 0), p + 15 * H)
            for metric, v in a.items():
                v = v * (buckets if b < 0 else 1)
                yield ACCOUNT, name, metric, p, n_hours, v * n_hours, v * 0.5, v * 1.5, v
            if b < 0:
                for metric in MONITOR:
                    yield ACCOUNT, name, metric, p, 12 * n_hours, 12.0 * n_hours, 1, 1, 1
                continue
            base = 40 + 3 * b + 30 * noise(b, p)
            n = probed.get(b, 0)
            for i, metric in enumerate(PROBES if n else ()):
                v = 1.0 if metric == "probe_ok" else base * (1 + 0.3 * i)
                yield ACCOUNT, name, metric, p, n, v * n, v * 0.7, v * 2, v
            if period == D or p % D == 3 * H:
                for metric, v in inventory(b, p).items():
                    yield ACCOUNT, name, metric, p, 1, v, v, v, v


def bulk(db: sqlite3.Connection, table: str, columns: str, rows: Iterator[tuple]) -> int:
    marks = ",".join("?" * len(columns.split(",")))
    n = 0
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", batch)
            n += len(batch)
            batch.clear()
    db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", batch)
    return n + len(batch)


# The three big tables: their indexes are dropped for the bulk insert and made
# again after it (one sort each, instead of millions of inserts into B-trees
# larger than the cache).
BIG_TABLES = ("sample", "sample_hourly", "sample_daily")


def build(path: Path, buckets: int, now: int) -> dict[str, float]:
    took: dict[str, float] = {}
    url = f"sqlite:///{path}"
    store = open_store(url)  # the schema, through r2tui's migrations
    store.close()
    t0 = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    # For the build only: no journal, no fsync, a large cache. r2tui opens the
    # store again afterwards with its own settings (WAL, synchronous=normal).
    db.execute("PRAGMA journal_mode=DELETE")
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
        db.execute(f"PRAGMA {pragma}")
    marks = ",".join("?" * len(BIG_TABLES))
    indexes = db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        BIG_TABLES,
    ).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    hour_now = now - now % H
    raw_from, hourly_from = hour_now - 14 * D, (now - now % D) - 90 * D
    daily_from = (now - now % D) - 364 * D
    db.execute("BEGIN")
    try:
        bulk(db, "sample", "ts,account,bucket,metric,value", raw_rows(buckets, raw_from, now))
        cols = "account,bucket,metric,ts,count,sum,min,max,last"
        bulk(db, "sample_hourly", cols, rollup_rows(buckets, hourly_from, raw_from, H))
        bulk(db, "sample_daily", cols, rollup_rows(buckets, daily_from, raw_from - raw_from % D, D))
        bulk(
            db,
            "event",
            "ts,account,bucket,kind,level,message,data",
            (
                (ts, ACCOUNT, None, "job", "info", "collect_metrics: probed 50 buckets", None)
                for ts in range(now - 90 * D, now, 300)
            ),
        )
        bulk(
            db,
            "job_run",
            "job,account,started_at,finished_at,ok,items,error,host,pid",
            (
                (job, ACCOUNT, ts, ts + 3, True, 50, None, "bench", 1)
                for job, step in (("collect_metrics", 300), ("rollup", 900), ("inventory", D))
                for ts in range(now - 30 * D, now, step)
            ),
        )
    finally:
        db.execute("COMMIT")
    took["bulk insert s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _, sql in indexes:
        db.execute(sql)
    # What r2tui's writes register as they go (the bulk insert went around them).
    db.execute(
        "INSERT OR IGNORE INTO series_key (account, metric, bucket) "
        "SELECT DISTINCT account, metric, bucket FROM sample"
    )
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    took["indexes s"] = time.perf_counter() - t0
    store = open_store(url)
    try:
        t0 = time.perf_counter()
        names = [f"bucket-{b:02d}" for b in range(buckets)]
        writes.sync_buckets(store, ACCOUNT, names, ts=now - 365 * D)
        for day in range(14, 0, -1):
            for b, name in enumerate(names):
                writes.save_inventory(store, ACCOUNT, fake_inventory(name, b, now - day * D))
        took["inventories s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        first = rollups.roll_up(store, now)
        took["first roll_up s (14 days of raw)"] = time.perf_counter() - t0
        took["first roll_up hours"] = first.hours
        t0 = time.perf_counter()
        rollups.purge(store, Retention(), now)
        took["purge s"] = time.perf_counter() - t0
    finally:
        store.close()
    return took


def fake_inventory(name: str, b: int, at: int) -> BucketInventory:
    objects = 10_000 * (b + 1)
    exts = {f".e{i}": Tally(objects // 20, objects * 100_000) for i in range(20)}
    largest = [ObjectEntry(f"big/{i}.bin", 10**9 - i, at - i * H, "STANDARD") for i in range(20)]
    return BucketInventory(
        bucket=name,
        started_at=at - 60,
        finished_at=at,
        objects=objects,
        bytes=objects * 2 * 10**6,
        by_extension=exts,
        by_storage_class={"STANDARD": Tally(objects, objects * 2 * 10**6)},
        largest=largest,
        newest=largest,
        new_large=[],
        new_large_count=0,
        list_requests=objects // 1000 + 1,
    )


def catch_up(path: Path, now: int) -> None:
    """A reused store opened by this r2tui: migrated if it needs it (the copy
    SQLite makes first is left beside it), then rolled up as the rollup job
    would next (after a migration that sends the watermark back, its longest run)."""
    t0 = time.perf_counter()
    store = open_store(f"sqlite:///{path}")
    try:
        opened = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = rollups.roll_up(store, now)
        print(
            f"  opened (migrated if needed) in {opened:.1f} s; roll_up: {result.hours} hours "
            f"in {time.perf_counter() - t0:.1f} s"
        )
    finally:
        store.close()


def steady(path: Path, buckets: int, now: int, steps: int) -> list[float]:
    """Quarter-hours of new samples, each followed by a roll-up: the job's cost."""
    store = open_store(f"sqlite:///{path}")
    out = []
    try:
        for k in range(1, steps + 1):
            lo, hi = now + (k - 1) * 900, now + k * 900
            rows = [
                (ts, b, m, v)
                for ts, _, b, m, v in raw_rows(buckets, lo, hi)
                if lo <= ts < hi and m in PROBES + MONITOR
            ]
            with store.db.atomic():
                for ts, bucket, metric, v in rows:
                    writes.add_samples(store, ACCOUNT, [writes.SampleRow(metric, v, bucket)], ts=ts)
            t0 = time.perf_counter()
            rollups.roll_up(store, hi)
            out.append((time.perf_counter() - t0) * 1000)
    finally:
        store.close()
    return out


def shown(bucket: str) -> str:
    return '"*"' if bucket == "*" else bucket


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU ms of each run: on a shared machine the CPU time says what a
    read costs, the wall time what it cost today."""
    fn()  # warm-up: the page cache and peewee's query compilation
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--buckets", type=int, default=50)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--keep", metavar="DIR", help="build the store here and leave it")
    ap.add_argument(
        "--probes",
        choices=("every-run", "budget"),
        default="budget",
        help="probes of every bucket every 5 minutes, or the default probe budget's rotation",
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: time the store an earlier --keep run built there (no build)",
    )
    args = ap.parse_args()
    PROBING["mode"] = args.probes
    if args.reuse and not args.keep:
        ap.error("--reuse needs --keep DIR: the folder of the store to time")
    folder = Path(args.keep or tempfile.mkdtemp(prefix="r2tui-metrics-bench-"))
    path, meta = folder / "bench.db", folder / "bench.json"
    print(
        f"r2tui metrics benchmark, {time.strftime('%Y-%m-%d %H:%M')}; python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs"
    )
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"1-minute load average before: {os.getloadavg()[0]:.2f} (the machine is shared)")
    if args.reuse:
        try:
            built = json.loads(meta.read_text())
        except (OSError, ValueError) as exc:
            ap.error(f"--reuse: no store built by an earlier --keep run in {folder}: {exc}")
        probing = built.get("probes", "every-run")
        if built["buckets"] != args.buckets or probing != args.probes or not path.is_file():
            ap.error(
                f"--reuse: {folder} holds a store of {built['buckets']} buckets probed "
                f"{probing}, not {args.buckets} probed {args.probes}: run with "
                f"--buckets {built['buckets']} --probes {probing}"
            )
        print(
            f"\nstore: {built['buckets']} buckets, built {built['built']} "
            f"in {built['seconds']:.0f} s (reused; its clock: {built['now']})"
        )
        catch_up(path, int(built["now"]))
        report(path, args.buckets, args.runs, int(built["now"]), costs=False)
        print(f"\n1-minute load average after: {os.getloadavg()[0]:.2f}")
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in (*folder.glob("bench.db*"), meta):
        leftover.unlink(missing_ok=True)
    now = int(time.time())
    try:
        t0 = time.perf_counter()
        took = build(path, args.buckets, now)
        seconds = time.perf_counter() - t0
        print(
            f"\nstore: {args.buckets} buckets, a year at default retention, probes "
            f"{args.probes}, built in {seconds:.1f} s"
        )
        for key, value in took.items():
            print(f"  {key:<36} {value:10.2f}")
        quarter = steady(path, args.buckets, now, 4)
        print(f"  incremental roll_up after 15 min, ms: {', '.join(f'{q:.0f}' for q in quarter)}")
        now += 4 * 900
        report(path, args.buckets, args.runs, now, costs=True)
        # What --reuse needs: the store's clock (its newest samples are from then).
        meta.write_text(
            json.dumps(
                {
                    "buckets": args.buckets,
                    "probes": args.probes,
                    "now": now,
                    "built": time.strftime("%Y-%m-%d %H:%M"),
                    "seconds": seconds,
                }
            )
        )
        print(f"\n1-minute load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def _costs(store: Store, now: int) -> str:
    """Run the calculate_costs job once, so the dashboard reads a month of costs;
    says how long the job took (or that this version has none)."""
    try:
        from r2tui.config import AccountConfig, Config
        from r2tui.jobs.base import JobContext
        from r2tui.jobs.costs import calculate_costs
    except ImportError:
        return " [no calculate_costs yet]"
    config = Config(
        accounts=(AccountConfig(name=ACCOUNT, endpoint_url="http://127.0.0.1:9"),),
        store_url=store.url,
        store_url_source="bench",
    )
    t = time.perf_counter()
    calculate_costs(
        JobContext(config=config, store=store, clock=lambda: float(now)), config.accounts[0]
    )
    print(f"\ncalculate_costs job once: {time.perf_counter() - t:.2f} s")
    # Its first run writes the month's days, sending the rollup back to the month's
    # start; the rollup job (every 15 minutes) brings it forward again.
    rollups.roll_up(store, now)
    return ""


def report(path: Path, buckets: int, runs: int, now: int, costs: bool) -> None:
    store = open_store(f"sqlite:///{path}")
    try:
        store.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        print(f"\non disk: {size / 1e6:,.1f} MB (file, WAL checkpointed)")
        for model in MODELS:
            print(f"  {model._meta.table_name:<20} {model.select().count():>12,} rows")
        # A reused store has had its costs job run when it was built.
        costed = _costs(store, now) if costs else ""
        dash_kw = (
            {"analytics": True}
            if "analytics" in inspect.signature(dashboard.read).parameters
            else {}
        )
        one = f"bucket-{buckets // 2:02d}"
        cases: list[tuple[str, Callable[[], object]]] = [
            (
                "dashboard(analytics=True)" if dash_kw else "dashboard() [no analytics kw yet]",
                lambda: dashboard.read(store, ACCOUNT, now=now, **dash_kw),
            ),
            (
                'series total_bytes "*" 30d',
                lambda: hist.series(store, ACCOUNT, "total_bytes", "*", "30d", now=now),
            ),
            (
                f"series total_bytes {one} 30d",
                lambda: hist.series(store, ACCOUNT, "total_bytes", one, "30d", now=now),
            ),
            ("  for reference:", lambda: None),
            ("costs_view (in the dashboard)" + costed, lambda: costs_view(store, ACCOUNT, now)),
            (
                "readings(REPORTED), every bucket (status --json)",
                lambda: readings.readings(store, ACCOUNT, list(queries.REPORTED), now),
            ),
            (
                f"sparkline x{len(queries.CARDS)}, one card at a time",
                lambda: [hist.sparkline(store, ACCOUNT, m, "*", now) for m, _ in queries.CARDS],
            ),
            (
                'series total_bytes "*" 1y',
                lambda: hist.series(store, ACCOUNT, "total_bytes", "*", "1y", now=now),
            ),
            (
                f"series p95_response_ms {one} 7d",
                lambda: hist.series(store, ACCOUNT, "p95_response_ms", one, "7d", now=now),
            ),
            ("  the response times' 30-day charts:", lambda: None),
            *(
                (
                    f"series {metric} {shown(bucket)} 30d",
                    lambda metric=metric, bucket=bucket: hist.series(
                        store, ACCOUNT, metric, bucket, "30d", now=now
                    ),
                )
                for metric in ("avg_response_ms", "p95_response_ms")
                for bucket in ("*", one)
            ),
        ]
        if hasattr(hist, "sparklines"):  # since issue 19: the cards' lines read together
            cases.insert(
                6,
                (
                    f"sparklines, the {len(queries.CARDS)} cards (in the dashboard)",
                    lambda: hist.sparklines(
                        store, ACCOUNT, [m for m, _ in queries.CARDS], "*", now
                    ),
                ),
            )
        print(
            f"\nquery timings over {runs} runs after a warm-up, ms    median      p95     max"
            "  CPU median"
        )
        for label, fn in cases:
            if label.startswith("  "):
                print(label)
                continue
            ms, cpu = timed(fn, runs)
            print(
                f"  {label:<44} {statistics.median(ms):8.1f} {p95(ms):8.1f} {max(ms):7.1f}"
                f" {statistics.median(cpu):11.1f}"
            )
        points = hist.series(store, ACCOUNT, "total_bytes", "*", "30d", now=now).points
        print(f"  (the 30-day chart has {len(points)} hourly points)")
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
