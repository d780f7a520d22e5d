"""List a bucket over several key ranges at once and fold every page.

Threads only wait on the network: they sign, send and read. Every page is
parsed and folded here, in the calling thread, one at a time; so one thread
at most is busy in Python, the TUI's event loop gets the interpreter lock
between pages (and waits less for it when it runs late: pace.py), and memory
holds at most one page per request slot. When pages queue up faster than they
are folded, no range is cut: more requests would only wait longer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from r2tui import pace
from r2tui.sources.errors import Cancelled
from r2tui.sources.listing.fetch import Answer, Fetcher
from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints, split_keys
from r2tui.sources.listing.page import parse_page, parse_prefixes
from r2tui.sources.listing.planner import Planner
from r2tui.sources.listing.ranges import Probe, Range
from r2tui.sources.listing.workers import DaemonPool

POLL_SECONDS = 0.25  # how soon a stop request is noticed while pages are on their way


def list_ranges(
    client: Any,
    bucket: str,
    make_fold: Callable[[], InventoryFold],
    *,
    page_size: int,
    concurrency: int,
    stop: threading.Event | None = None,
    hints: Hints | None = None,
) -> tuple[InventoryFold, int, list[str]]:
    """The merged fold of every object in `bucket`, the list requests made, and
    the keys that cut the bucket into parts of equal count (for the next time)."""
    stop = stop or threading.Event()
    planner = Planner(
        make_fold, page_size=page_size, max_concurrency=max(1, concurrency), hints=hints
    )
    fetcher = Fetcher(client, bucket, page_size, stop)
    pool = DaemonPool(planner.max_concurrency, f"r2tui-list-{bucket}")
    pending: dict[Future[Answer], Range | Probe] = {}

    def ask(step: Range | Probe) -> None:
        if isinstance(step, Probe):
            pending[pool.submit(fetcher.fetch, step.range.cursor, None, step.prefix)] = step
            return
        start_after, token = planner.start(step)
        pending[pool.submit(fetcher.fetch, start_after, token)] = step

    try:
        ask(planner.ranges[0])
        for new in planner.plan(in_flight=len(pending)):  # a warm start: from the hints
            ask(new)
        while pending:
            done, _ = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            if stop.is_set():
                raise Cancelled()
            for future in done:
                step = pending.pop(future)
                answer = future.result()  # a failed page fails the listing: nothing partial
                if answer.throttles:
                    planner.throttled()
                if isinstance(step, Probe):
                    planner.take_probe(step, parse_prefixes(answer.body))
                    continue
                page = parse_page(answer.body)
                pace.UI.give_way()  # let a waiting thread (the TUI's) in between the steps
                planner.take(step, page)
                if not step.done:
                    ask(step)
                pace.UI.give_way()
            if len(done) == 1:  # pages are not queuing: the fold keeps up, add ranges
                for new in planner.plan(in_flight=len(pending)):
                    ask(new)
        return planner.result(), planner.requests, split_keys(planner.ranges)
    finally:
        pool.shutdown(list(pending))
