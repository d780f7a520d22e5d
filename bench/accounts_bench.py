"""Benchmark: the inventory job over a whole account of many buckets, listed one
request at a time and with the default concurrency, behind an 80 ms link.

    python bench/accounts_bench.py                          # 1,000 buckets, rclone
    python bench/accounts_bench.py --server gen --buckets 100 --objects 100000 \\
        --concurrency 16                                    # 10,000,000 objects

Prints figures; it checks only that every run stored, for every bucket, the
objects and bytes the generator made. What it does:

1. Builds the account. With `--server rclone` (the default): BUCKETS buckets of
   sparse files (bench_data.py's way) whose object counts are drawn from a
   seeded lognormal (median 100, a few of tens of thousands: most buckets are
   one page, some many), keys from bench_keys.py, served by `rclone serve s3`
   with signatures checked. With `--server gen`: gen_server.py, which makes
   OBJECTS objects in each bucket from a seeded generator and checks
   signatures too (10,000,000 sparse files would not fit this disk's inodes).
2. Fills a SQLite store with one run of the real job (run_job("inventory"), as
   `r2tui collect --once --job inventory` runs it) at the default concurrency:
   the cold run, reported too. Every later run starts warm from the store, as
   the daily inventory does.
3. For each round, runs the job once per --concurrency value, alternately, each
   in a fresh process (child_account.py) behind its own delay_line.py (40 ms
   each way, requests counted there): job wall time, process wall, CPU, peak
   RSS (VmHWM), requests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_keys import GENERATOR_VERSION, generate
from bench_servers import RCLONE_HINT, Server, clean_env, find_rclone, start_rclone
from inventory_bench import run_child, versions
from listing_bench import ONE_WAY_MS, DelayLine

HERE = Path(__file__).resolve().parent
LAYOUT_VERSION = 1  # bumped when the account's layout changes: --data is rebuilt
SERVERS = {"rclone": "rclone serve s3 over sparse files", "gen": "gen_server.py (seeded generator)"}
DEFAULT_CONCURRENCY = 16  # InventorySettings().concurrency (the parent imports no r2tui)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---- the account --------------------------------------------------------------------------


def bucket_sizes(buckets: int, seed: int = 19) -> list[int]:
    """Objects per bucket: lognormal, median 100, at most 50,000."""
    rnd = random.Random(seed)
    return [min(50_000, int(rnd.lognormvariate(math.log(100), 1.6))) for _ in range(buckets)]


def rclone_account(folder: Path, buckets: int) -> dict[str, Any]:
    """Sparse files for `buckets` buckets under folder/root (reused when its
    manifest matches); the manifest holds each bucket's objects and bytes."""
    wanted = {"layout": LAYOUT_VERSION, "generator": GENERATOR_VERSION, "buckets": buckets}
    manifest_path = folder / "manifest.json"
    try:
        old = json.loads(manifest_path.read_text())
        if all(old.get(k) == v for k, v in wanted.items()):
            log(f"data: reusing {buckets:,} buckets in {folder}")
            return dict(old)
    except (OSError, ValueError):
        if folder.exists() and any(folder.iterdir()):
            raise SystemExit(
                f"{folder} is not empty and holds no manifest.json of this script"
            ) from None
    root = folder / "root"
    if root.exists():
        shutil.rmtree(root)
    sizes = bucket_sizes(buckets)
    t0 = time.perf_counter()
    stream = generate(sum(sizes))
    totals: dict[str, list[int]] = {}
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    for b, n in enumerate(sizes):
        name = f"acct-{b:04d}"
        base = root / name
        base.mkdir(parents=True)
        made: set[str] = set()
        count = size = 0
        for _ in range(n):
            obj = next(stream)
            sub, leaf = obj.key.rsplit("/", 1)
            path = os.path.join(base, sub)
            if path not in made:
                os.makedirs(path, exist_ok=True)
                made.add(path)
            fd = os.open(os.path.join(path, leaf), flags, 0o644)
            try:
                os.ftruncate(fd, obj.size)
                os.utime(fd, (obj.mtime, obj.mtime))
            finally:
                os.close(fd)
            count, size = count + 1, size + obj.size
        totals[name] = [count, size]
    manifest = {**wanted, "buckets_totals": totals}
    manifest_path.write_text(json.dumps(manifest) + "\n")
    log(f"data: {buckets:,} buckets, {sum(sizes):,} objects in {time.perf_counter() - t0:.0f} s")
    return manifest


def gen_account(folder: Path, buckets: int, objects: int) -> dict[str, Any]:
    """gen_server.py's totals for the account (computed once, then read back)."""
    import gen_server

    path = folder / f"gen-{buckets}x{objects}.json"
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        pass
    t0 = time.perf_counter()
    totals = {
        gen_server.bucket_name(b): list(gen_server.totals(b, objects)) for b in range(buckets)
    }
    manifest = {"buckets_totals": totals}
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest) + "\n")
    log(f"data: totals of {buckets * objects:,} objects in {time.perf_counter() - t0:.0f} s")
    return manifest


def start_gen(buckets: int, objects: int, workdir: Path) -> Server:
    log_path = workdir / "gen.log"
    with open(log_path, "wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "gen_server.py"),
                "--buckets",
                str(buckets),
                "--objects",
                str(objects),
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            env=clean_env(),
            start_new_session=True,
        )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().split()
    server = Server("gen_server.py", "", proc, log_path)
    if line[:1] != ["READY"]:
        server.stop()
        raise RuntimeError(f"gen_server.py did not start: {line}")
    server.endpoint = f"http://127.0.0.1:{line[1]}"
    return server


# ---- runs ---------------------------------------------------------------------------------


def cpu_of(pid: int) -> float:
    """CPU seconds a live process has used (utime + stime from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    label: str
    concurrency: int
    job_s: float
    process_s: float
    job_cpu_s: float
    process_cpu_s: float
    peak_rss_mb: float
    requests: int | None  # at the delay line (None on loopback)
    class_a: int
    server_cpu_s: float  # what the local server spent meanwhile (R2's would not be ours)
    line_cpu_s: float  # what the delay line spent


def one_run(
    label: str,
    server: Server,
    store_url: str,
    concurrency: int,
    link: str,
    workdir: Path,
    manifest: dict[str, Any],
) -> Run:
    line = DelayLine(server.endpoint) if link == "80ms" else None
    server_cpu = cpu_of(server.process.pid)
    line_cpu = 0.0
    try:
        endpoint = line.endpoint if line else server.endpoint
        child = run_child(
            [str(HERE / "child_account.py"), endpoint, store_url, str(concurrency)],
            clean_env(),
            workdir,
        )
        server_cpu = cpu_of(server.process.pid) - server_cpu
        line_cpu = cpu_of(line.proc.pid) if line else 0.0
    finally:
        counted = line.stop() if line else None
    f = child.figures
    if not f["ok"]:
        raise RuntimeError(f"{label}: the job failed: {f['error']}")
    expected = manifest["buckets_totals"]
    if f["buckets"] != expected:
        wrong = [b for b in expected if f["buckets"].get(b) != expected[b]]
        raise RuntimeError(f"{label}: stored totals differ for {len(wrong)} buckets: {wrong[:5]}")
    run = Run(
        label,
        concurrency,
        f["job_s"],
        child.wall_s,
        f["job_cpu_s"],
        child.cpu_s,
        f["peak_rss_mb"],
        counted["requests"] if counted else None,
        f["class_a"],
        server_cpu,
        line_cpu,
    )
    log(
        f"{label:<22} concurrency {concurrency:>2}: job {run.job_s:7.2f} s, CPU "
        f"{run.job_cpu_s:6.2f} s (server {run.server_cpu_s:.2f} s, delay line "
        f"{run.line_cpu_s:.2f} s), RSS {run.peak_rss_mb:5.1f} MB, requests {run.requests} "
        f"(Class A counted by the job: {run.class_a})"
    )
    return run


def report(runs: list[Run], objects: int, buckets: int) -> list[str]:
    lines = [
        f"  {'run':<24}{'conc.':>6}{'job s':>9}{'process s':>11}{'job CPU s':>11}"
        f"{'CPU/1k obj':>11}{'requests':>10}{'RSS MB':>8}{'server CPU s':>14}{'line CPU s':>12}"
    ]
    for r in runs:
        req = f"{r.requests:,}" if r.requests is not None else f"{r.class_a:,}*"
        lines.append(
            f"  {r.label:<24}{r.concurrency:>6}{r.job_s:>9.2f}{r.process_s:>11.2f}"
            f"{r.job_cpu_s:>11.2f}{r.job_cpu_s / objects * 1000:>11.4f}{req:>10}"
            f"{r.peak_rss_mb:>8.1f}{r.server_cpu_s:>14.2f}{r.line_cpu_s:>12.2f}"
        )
    by_c: dict[int, list[Run]] = {}
    for r in runs:
        if r.label.startswith("round"):
            by_c.setdefault(r.concurrency, []).append(r)
    if 1 in by_c and len(by_c) > 1:
        base = statistics.median(r.job_s for r in by_c[1])
        base_req = statistics.median((r.requests or r.class_a) for r in by_c[1])
        for c, rows in sorted(by_c.items()):
            if c == 1:
                continue
            wall = statistics.median(r.job_s for r in rows)
            req = statistics.median((r.requests or r.class_a) for r in rows)
            lines.append(
                f"  concurrency {c} against 1 (medians): wall {wall / base:.3f}x, "
                f"requests {req / base_req:.3f}x"
            )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--server", choices=("rclone", "gen"), default="rclone")
    ap.add_argument("--buckets", type=int, default=1000)
    ap.add_argument("--objects", type=int, default=100_000, help="gen: objects per bucket")
    ap.add_argument(
        "--concurrency",
        default=f"1,{DEFAULT_CONCURRENCY}",
        help="[inventory] concurrency of each run of a round, in order (default: 1,16)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="rounds")
    ap.add_argument("--link", choices=("80ms", "loopback"), default="80ms")
    ap.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "r2tui-bench-accounts",
        help="where the account's sparse files are kept between runs",
    )
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    rclone = find_rclone() if args.server == "rclone" else None
    if args.server == "rclone" and rclone is None:
        log(f"rclone not found; install it with:\n  {RCLONE_HINT}")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="r2tui-accounts-"))
    server = None
    try:
        if args.server == "rclone":
            assert rclone is not None
            folder = args.data / f"{args.buckets}"
            manifest = rclone_account(folder, args.buckets)
            server = start_rclone(rclone, folder / "root", workdir)
        else:
            manifest = gen_account(args.data, args.buckets, args.objects)
            server = start_gen(args.buckets, args.objects, workdir)
        totals = manifest["buckets_totals"]
        objects = sum(n for n, _ in totals.values())
        store_url = f"sqlite:///{workdir / 'store.db'}"
        runs = [
            one_run(
                "cold (fills the store)",
                server,
                store_url,
                DEFAULT_CONCURRENCY,
                args.link,
                workdir,
                manifest,
            )
        ]
        for i in range(args.repeat):
            for c in concurrencies:
                label = f"round {i + 1}/{args.repeat}"
                runs.append(one_run(label, server, store_url, c, args.link, workdir, manifest))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    sizes = sorted(n for n, _ in totals.values())
    pages = sum(max(1, math.ceil(n / 1000)) for n in sizes)
    lines = [
        f"r2tui accounts benchmark, {time.strftime('%Y-%m-%d %H:%M')}",
        versions("rclone", rclone)
        if args.server == "rclone"
        else re.sub(r"moto [^;,]*", "gen_server.py", versions("gen", None)),
        f"command: {sys.executable} {' '.join(sys.argv)}",
        f"server: {SERVERS[args.server]}, signatures checked; link: "
        + (
            f"delay_line.py, {ONE_WAY_MS:.0f} ms each way, requests counted there"
            if args.link == "80ms"
            else "loopback (* requests: the job's own Class A count)"
        ),
        f"account: {len(sizes):,} buckets, {objects:,} objects, {pages:,} pages of 1,000 "
        f"listed one after another; objects per bucket: median {statistics.median(sizes):,.0f}, "
        f"largest {sizes[-1]:,}, {sum(1 for n in sizes if n <= 1000):,} buckets of one page",
        "each run: the real inventory job in a fresh process (child_account.py), SQLite store; "
        "job s and CPU around run_job, process s spawn to exit, RSS = VmHWM",
        "",
        *report(runs, objects, len(sizes)),
        "",
        f"1-minute load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        f"(a shared machine: other work runs beside this); whole run "
        f"{time.perf_counter() - started:.0f} s",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
