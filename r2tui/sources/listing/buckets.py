"""List many buckets at once, within one budget of concurrent requests.

`concurrency` bounds the list requests on their way for the whole account, not
for each bucket. A request slot goes to one of three kinds of work: a key
range whose page came back and that goes on, a bucket not started yet, or a
new range cut off an open one (planner.plan). A free slot goes to the open
bucket with the fewest requests on their way; at equal counts a range going
on comes before a new bucket, and a new bucket before a cut. So a big bucket
splits into ranges while slots are free and small buckets proceed beside it,
every slot stays busy while there is work, and at most `concurrency` buckets
are open at once (memory holds at most that many folds).

As in parallel.py, threads only wait on the network: every page is parsed and
folded in the calling thread. `list_buckets` is a generator that hands each
bucket's result to its caller as soon as that bucket's last page is folded and
the slots it freed have gone to other work, so the caller saves one bucket (in
its own thread: store writes stay on one thread) while the requests of others
are on their way.

A bucket whose request fails is given up alone and handed back with its error;
its answers still on their way are dropped as they come back, their slots
counted until then. A stop request (`stop`) raises Cancelled: a bucket not yet
handed back is never handed back in part.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field

from r2tui import pace
from r2tui.sources.errors import Cancelled
from r2tui.sources.listing.fetch import Answer, Fetcher
from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints, SplitKey, split_keys
from r2tui.sources.listing.page import parse_page, parse_prefixes
from r2tui.sources.listing.planner import Planner
from r2tui.sources.listing.ranges import Probe, Range
from r2tui.sources.listing.workers import DaemonPool

POLL_SECONDS = 0.25  # how soon a stop request is noticed while pages are on their way
GOOD_PAGES_PER_STEP = 8  # after a throttle, one more slot per this many good answers

Step = Range | Probe


@dataclass(frozen=True)
class BucketTask:
    """One bucket to list: how to fold it, and what its last listing left."""

    bucket: str
    make_fold: Callable[[], InventoryFold]
    hints: Hints | None = None


@dataclass
class Listed:
    """One bucket's listing, whole (`fold`) or failed (`error`)."""

    bucket: str
    fold: InventoryFold | None
    requests: int  # list requests asked for, answered or not
    split_keys: list[SplitKey]  # where the next listing may cut it (hints.py)
    error: Exception | None
    started: float  # clock() when its first request was about to go
    finished: float


@dataclass
class _Open:
    """A bucket being listed."""

    task: BucketTask
    planner: Planner
    fetcher: Fetcher
    started: float
    in_flight: int = 0
    ready: deque[Step] = field(default_factory=deque)  # steps waiting for a slot
    failed: bool = False  # given up: its answers still on their way are dropped

    @property
    def finished(self) -> bool:
        return self.in_flight == 0 and not self.ready


def list_buckets(
    client: object,
    tasks: Iterable[BucketTask],
    *,
    page_size: int,
    concurrency: int,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
    on_turn: Callable[[bool], None] | None = None,
) -> Generator[Listed, None, None]:
    """Each bucket of `tasks`, listed and folded, in the order they finish.
    `on_turn(waiting)` is called in this thread at each turn of the listing,
    `waiting` True when it is about to block for an answer (a caller holding a
    transaction commits it then, and when it has been open long enough)."""
    return _Lister(client, tasks, page_size, max(1, concurrency), stop, clock, on_turn).run()


class _Lister:
    def __init__(
        self,
        client: object,
        tasks: Iterable[BucketTask],
        page_size: int,
        concurrency: int,
        stop: threading.Event | None,
        clock: Callable[[], float],
        on_turn: Callable[[bool], None] | None = None,
    ) -> None:
        self.client = client
        self.on_turn = on_turn
        self.waiting = iter(tasks)
        self.more = True  # tasks may be left in `waiting`
        self.page_size = page_size
        self.concurrency = concurrency
        self.limit = concurrency  # slots now allowed: halved on a throttle, as the planner's
        self.good = 0
        self.stop = stop or threading.Event()
        self.clock = clock
        self.open: list[_Open] = []
        self.pending: dict[Future[Answer], tuple[_Open, Step]] = {}

    def run(self) -> Generator[Listed, None, None]:
        pool = DaemonPool(self.concurrency, "r2tui-list")
        try:
            cuts = True
            while True:
                if self.stop.is_set():
                    raise Cancelled()
                self._fill(pool, cuts)
                if not self.pending:
                    if not self.open and not self.more:
                        return
                    # Every open bucket is waiting for a slot it cannot get (a planner
                    # with nothing to ask would have finished): start what is left.
                    if not self._start_next():
                        raise AssertionError("the listing stalled with nothing on its way")
                    continue
                if self.on_turn is not None:
                    self.on_turn(not any(f.done() for f in self.pending))
                done, _ = wait(self.pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                if self.stop.is_set():
                    raise Cancelled()
                # Pages are not queuing when they come back one at a time: the fold
                # keeps up, and ranges may be added.
                cuts = len(done) == 1
                finished = [listed for f in done if (listed := self._take(f)) is not None]
                if finished:
                    # The free slots go out before the caller saves what finished (in
                    # this thread), so requests are on their way meanwhile.
                    self._fill(pool, cuts)
                yield from finished
        finally:
            pool.shutdown(list(self.pending))

    # ---- answers ------------------------------------------------------------------------

    def _take(self, future: Future[Answer]) -> Listed | None:
        """Fold one answer; a bucket's result when that was its last."""
        bucket, step = self.pending.pop(future)
        bucket.in_flight -= 1
        if bucket.failed:
            return None
        planner = bucket.planner
        try:
            answer = future.result()
            if answer.throttles:
                planner.throttled()
                self.limit = max(1, self.limit // 2)
                self.good = 0
            if isinstance(step, Probe):
                planner.take_probe(step, parse_prefixes(answer.body))
            else:
                page = parse_page(answer.body)
                pace.UI.give_way()  # let a waiting thread (the TUI's) in between the steps
                planner.take(step, page)
                if not step.done:
                    bucket.ready.append(step)
                pace.UI.give_way()
        except Cancelled:
            raise
        except Exception as exc:  # a failed page fails its bucket: nothing partial
            return self._fail(bucket, exc)
        self.good += 1
        if self.good % GOOD_PAGES_PER_STEP == 0 and self.limit < self.concurrency:
            self.limit += 1
        if not bucket.finished:
            return None
        self.open.remove(bucket)
        return Listed(
            bucket.task.bucket,
            planner.result(),
            planner.requests,
            split_keys(planner.ranges, self.page_size),
            None,
            bucket.started,
            self.clock(),
        )

    def _fail(self, bucket: _Open, exc: Exception) -> Listed:
        self.open.remove(bucket)
        bucket.ready.clear()
        bucket.failed = True
        return Listed(
            bucket.task.bucket,
            None,
            bucket.planner.requests,
            [],
            exc,
            bucket.started,
            self.clock(),
        )

    # ---- slots --------------------------------------------------------------------------

    def _fill(self, pool: DaemonPool, cuts: bool) -> None:
        """Hand out the free slots, one at a time, to the neediest work."""
        no_cut: set[int] = set()  # buckets whose planner has nothing to cut now
        while len(self.pending) < self.limit:
            best: tuple[int, int] | None = None
            chosen: _Open | None = None
            for bucket in self.open:
                if bucket.ready:
                    rank = (bucket.in_flight, 0)
                elif cuts and id(bucket) not in no_cut:
                    rank = (bucket.in_flight, 2)
                else:
                    continue
                if best is None or rank < best:
                    best, chosen = rank, bucket
            opens = self.more and len(self.open) < self.concurrency
            if opens and (best is None or best > (0, 1)) and self._start_next():
                continue
            if chosen is None or best is None:
                return
            if best[1] == 2:
                # Only as many as the bucket's open ranges leave of the whole budget.
                steps = chosen.planner.plan(in_flight=self._planned(chosen), most=1)
                if not steps:
                    no_cut.add(id(chosen))
                    continue
                chosen.ready.extend(steps)
            self._ask(pool, chosen, chosen.ready.popleft())

    def _planned(self, bucket: _Open) -> int:
        """What the bucket's planner must count as on its way: its requests sent and
        the steps waiting for a slot."""
        return bucket.in_flight + len(bucket.ready)

    def _start_next(self) -> bool:
        """Open the next bucket (its first range, and the ranges its last listing's
        cut points give at once); False when none is left."""
        try:
            task = next(self.waiting)
        except StopIteration:
            self.more = False
            return False
        planner = Planner(
            task.make_fold,
            page_size=self.page_size,
            max_concurrency=self.concurrency,
            hints=task.hints,
        )
        fetcher = Fetcher(self.client, task.bucket, self.page_size, self.stop)
        bucket = _Open(task, planner, fetcher, self.clock())
        bucket.ready.append(planner.ranges[0])
        bucket.ready.extend(planner.plan(in_flight=1))  # a warm start: from the hints
        self.open.append(bucket)
        return True

    def _ask(self, pool: DaemonPool, bucket: _Open, step: Step) -> None:
        fetcher = bucket.fetcher
        if isinstance(step, Probe):
            future = pool.submit(fetcher.fetch, step.range.cursor, None, step.prefix)
        else:
            start_after, token = bucket.planner.start(step)
            future = pool.submit(fetcher.fetch, start_after, token)
        self.pending[future] = (bucket, step)
        bucket.in_flight += 1
