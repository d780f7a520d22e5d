"""List one bucket over several key ranges at once and fold every page.

Threads only wait on the network: they sign, send and read. Every page is
parsed and folded here, in the calling thread, one at a time; so one thread
at most is busy in Python, the TUI's event loop gets the interpreter lock
between pages (and waits less for it when it runs late: pace.py), and memory
holds at most one page per request slot. When pages queue up faster than they
are folded, no range is cut: more requests would only wait longer.

One bucket is the case of many (buckets.py) with a single task.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from r2tui.sources.listing.buckets import BucketTask, list_buckets
from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints, SplitKey


def list_ranges(
    client: Any,
    bucket: str,
    make_fold: Callable[[], InventoryFold],
    *,
    page_size: int,
    concurrency: int,
    stop: threading.Event | None = None,
    hints: Hints | None = None,
) -> tuple[InventoryFold, int, list[SplitKey]]:
    """The merged fold of every object in `bucket`, the list requests made, and
    the keys that cut the bucket into parts, with their positions (for the next time)."""
    listing = list_buckets(
        client,
        [BucketTask(bucket, make_fold, hints)],
        page_size=page_size,
        concurrency=concurrency,
        stop=stop,
    )
    with contextlib.closing(listing):
        for listed in listing:
            if listed.error is not None:
                raise listed.error
            assert listed.fold is not None
            return listed.fold, listed.requests, listed.split_keys
    raise AssertionError("the listing of one bucket handed back nothing")
