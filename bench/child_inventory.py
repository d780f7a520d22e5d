"""One measured listing in a fresh interpreter; prints one JSON line.

    python child_inventory.py r2tui|r2tui-warm|floor ENDPOINT BUCKET [HINTS.json]

r2tui: its real code path, `make_client` (with the request tally the job
       passes) + `inventory_bucket` with default InventorySettings.
r2tui-warm: the same, starting from the cut points a cold run wrote to
       HINTS.json (what the job keeps in the store for the next inventory).
floor: a bare boto3 client and the list_objects_v2 paginator, counting
       objects and summing sizes, nothing else: what any boto3 program pays.

A fresh process per run, so CPU time (getrusage on RUSAGE_SELF) and peak RSS
belong to this one listing and nothing measured before it. Peak RSS is VmHWM
from /proc/self/status, not ru_maxrss: Linux carries the parent's RSS
high-water mark across fork+exec into the child's ru_maxrss (seen here: a parent
holding 300 MB made a child's ru_maxrss read 310 MB while its VmHWM read 9 MB).
VmHWM belongs to this process's own memory map, created at exec. ru_maxrss is
reported beside it for comparison.
"""

import time

T_TOP = time.perf_counter()  # first thing: imports below are part of the measured process

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

PAGE_SIZE = 1000  # InventorySettings().page_size; the floor asks for the same pages
KEY = "bench"  # rclone (no --auth-key) and moto accept any credentials


def _cpu(ru: resource.struct_rusage) -> float:
    return ru.ru_utime + ru.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # the kernel reports kB
    raise RuntimeError("no VmHWM in /proc/self/status: this benchmark needs Linux")


class Imported:
    """Marks taken after the imports and after the client, to split the wall time."""

    def __init__(self) -> None:
        self.at = time.perf_counter()
        self.rusage = resource.getrusage(resource.RUSAGE_SELF)
        self.rss_mb = peak_rss_mb()
        self.client_at = self.at  # set once the client exists


def _r2tui(
    endpoint: str, bucket: str, hints_path: str = "", warm: bool = False
) -> tuple[int, int, int, Imported]:
    """With `hints_path`: cold, write what the job stores for the next listing
    there; warm, start from it, as the second inventory of a bucket does."""
    from r2tui.config import AccountConfig, InventorySettings, S3Settings, Secret
    from r2tui.observations import RequestTally
    from r2tui.sources.listing.hints import Hints
    from r2tui.sources.s3 import inventory_bucket, make_client

    imported = Imported()
    hints = None
    if warm:
        with open(hints_path) as f:
            last = json.load(f)
        hints = Hints(last["objects"], tuple(last["split_keys"]), tuple(last.get("positions", ())))
    account = AccountConfig(
        name="bench",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id=Secret(KEY, "bench"),
        secret_access_key=Secret(KEY, "bench"),
    )
    client = make_client(account, S3Settings(), RequestTally())
    imported.client_at = time.perf_counter()
    inv = inventory_bucket(client, bucket, InventorySettings(), hints=hints)
    if hints_path and not warm:
        with open(hints_path, "w") as f:
            json.dump(
                {
                    "objects": inv.objects,
                    "split_keys": list(inv.split_keys),
                    "positions": list(inv.split_positions),
                },
                f,
            )
    return inv.objects, inv.bytes, inv.list_requests, imported


def _floor(endpoint: str, bucket: str) -> tuple[int, int, int, Imported]:
    import boto3
    from botocore.config import Config

    imported = Imported()
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=KEY,
        config=Config(s3={"addressing_style": "path"}),
    )
    imported.client_at = time.perf_counter()
    objects = total = pages = 0
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": PAGE_SIZE}):
        pages += 1
        for obj in page.get("Contents", ()):
            objects += 1
            total += obj["Size"]
    return objects, total, pages, imported


def main() -> int:
    mode, endpoint, bucket = sys.argv[1:4]
    hints_path = sys.argv[4] if len(sys.argv) > 4 else ""
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if mode == "floor":
        objects, total, pages, imported = _floor(endpoint, bucket)
    else:  # r2tui, or r2tui-warm
        objects, total, pages, imported = _r2tui(
            endpoint, bucket, hints_path, warm=mode == "r2tui-warm"
        )
    t_done = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    result: dict[str, Any] = {
        "mode": mode,
        "objects": objects,
        "bytes": total,
        "pages": pages,
        "startup_cpu_s": _cpu(ru0),  # interpreter start until main()
        "import_s": imported.at - t0,
        "import_cpu_s": _cpu(imported.rusage) - _cpu(ru0),
        "list_s": t_done - imported.at,  # client creation + every page + the fold
        "client_s": imported.client_at - imported.at,
        "list_cpu_s": _cpu(ru) - _cpu(imported.rusage),
        "process_s": t_done - T_TOP,
        "process_cpu_s": _cpu(ru),  # the whole process: startup, imports, listing
        "import_rss_mb": imported.rss_mb,  # peak RSS once the imports are done
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": ru.ru_maxrss / 1024,  # kB on Linux; includes the parent's mark
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
