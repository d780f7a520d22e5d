"""When each list request of one r2tui inventory went out and came back.

    python bench/trace_listing.py ENDPOINT BUCKET [--warm HINTS.json]

Runs `make_client` + `inventory_bucket` (default InventorySettings, cold unless
--warm names a file child_inventory.py wrote) against ENDPOINT, as
child_inventory.py does, and records every page and probe request (start and
end, from the listing's own Fetcher) and every new connection. Prints one line
per request and then how many requests were on their way in each 100 ms: where
a listing waits on its budget and where it runs wide. Put delay_line.py in
front of the server to see it behind a real link.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any

T0 = time.perf_counter()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("endpoint")
    ap.add_argument("bucket")
    ap.add_argument("--warm", help="hints JSON from child_inventory.py (objects, split_keys)")
    args = ap.parse_args()

    import urllib3.connection

    from r2tui.config import AccountConfig, InventorySettings, S3Settings, Secret
    from r2tui.observations import RequestTally
    from r2tui.sources.listing import fetch
    from r2tui.sources.listing.hints import Hints
    from r2tui.sources.s3 import inventory_bucket, make_client

    events: list[tuple[str, float, float]] = []
    lock = threading.Lock()

    def timed(kind_of: Any, original: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                with lock:
                    events.append((kind_of(*a, **k), start, time.perf_counter()))

        return wrapper

    # Only this script's own process is patched: the measured code is unchanged.
    fetch.Fetcher.fetch = timed(  # type: ignore[method-assign]
        lambda _self, _after, _token, prefix=None: "probe" if prefix is not None else "page",
        fetch.Fetcher.fetch,
    )
    urllib3.connection.HTTPConnection.connect = timed(  # type: ignore[method-assign]
        lambda _self: "connect", urllib3.connection.HTTPConnection.connect
    )

    hints = None
    if args.warm:
        with open(args.warm) as f:
            last = json.load(f)
        hints = Hints(last["objects"], tuple(last["split_keys"]), tuple(last.get("positions", ())))
    account = AccountConfig(
        name="bench",
        endpoint_url=args.endpoint,
        region="us-east-1",
        access_key_id=Secret("bench", "bench"),
        secret_access_key=Secret("bench", "bench"),
    )
    client = make_client(account, S3Settings(), RequestTally())
    started = time.perf_counter()
    inv = inventory_bucket(client, args.bucket, InventorySettings(), hints=hints)
    ended = time.perf_counter()
    print(
        f"start-up and client {started - T0:.3f} s; listing {ended - started:.3f} s; "
        f"{inv.objects:,} objects; {inv.list_requests} list requests"
    )
    print("kind      sent ms   back ms  took ms")
    for kind, a, b in sorted(events, key=lambda e: e[1]):
        print(
            f"{kind:<8}{(a - started) * 1000:>9.0f}{(b - started) * 1000:>10.0f}"
            f"{(b - a) * 1000:>9.0f}"
        )
    requests = [(a, b) for kind, a, b in events if kind != "connect"]
    print("requests on their way, each 100 ms:")
    t = started
    while t < ended:
        middle = t + 0.05
        n = sum(1 for a, b in requests if a <= middle < b)
        print(f"{(t - started) * 1000:>7.0f} ms {'#' * n} {n}")
        t += 0.1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
