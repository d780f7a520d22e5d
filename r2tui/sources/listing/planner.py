"""Which key ranges to list, and when to cut one: no I/O here.

A listing starts as one range from the first key to the end, paged exactly as
a sequential listing would be. While a request slot is free and the budget
allows, an open range is cut in two (cuts.py says which and where) and the new
range starts at once with StartAfter; the last listing's cut points
(hints.py) give a warm start. Ranges never overlap, each is paged in key order
and folded on its own, and the folds merge in key order: the result is the
sequential one.

Requests: a range of n keys costs at most n/page + 1 requests, as its last
page may hold few of its keys, and k ranges cost at most k - 1 more than one
sequential listing. The budget (budget()) keeps that excess within 10 % of
the pages folded so far: exactly for closed ranges, as expected for open ones.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from r2tui.sources.listing.cuts import next_step
from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints, evenly
from r2tui.sources.listing.keyspace import Alphabet, Sample
from r2tui.sources.listing.page import Page
from r2tui.sources.listing.ranges import Probe, Range

EXTRA_REQUESTS = 0.1  # the most a listing may spend above a sequential one, as a share
LEARN_EVERY = 100  # keys of a page the key-space alphabet learns from: every 100th
SLACK = 0.5  # requests kept back from the budget: the shares below are only expected
# What an open range is expected to spend on its last page: a uniform share, 0.5 on
# average, taken a little higher so that many ranges together rarely go over.
LAST_PAGE_RISK = 0.6


@dataclass
class Planner:
    make_fold: Callable[[], InventoryFold]
    page_size: int = 1000
    max_concurrency: int = 16
    ranges: list[Range] = field(default_factory=list)
    folded: int = 0  # keys folded, over every range: distinct by construction
    requests: int = 0  # pages asked for (answered or not)
    cuts: int = 0
    probes: int = 0  # delimiter listings asked for: each is a request on the bill
    limit: int = 0  # concurrent requests now allowed: adaptive, <= max_concurrency
    alphabet: Alphabet = field(default_factory=Alphabet)
    hints: Hints | None = None
    _good_pages: int = 0
    _seeded: bool = False

    def __post_init__(self) -> None:
        self.ranges = [Range("", None, self.make_fold())]
        self.limit = self.max_concurrency

    # ---- pages --------------------------------------------------------------------------

    def take(self, rng: Range, page: Page) -> None:
        """Fold an answered page into its range and note where the range goes next."""
        rng.busy = False
        rng.pages += 1
        rng.run += 1
        keys = page.keys
        end = len(keys) if rng.upto is None else bisect_right(keys, rng.upto)
        if end < len(keys):  # the range was cut while this page was on its way
            keys, sizes = keys[:end], page.sizes[:end]
            dates, classes = page.dates[:end], page.classes[:end]
        else:
            sizes, dates, classes = page.sizes, page.dates, page.classes
        if keys and keys[0] <= rng.cursor:
            raise ValueError(
                f"the server answered keys out of order ({keys[0]!r} after {rng.cursor!r})"
            )
        rng.fold.add_page(keys, sizes, dates, classes)
        self.folded += len(keys)
        rng.folded += len(keys)
        if keys:
            rng.first = rng.first or keys[0]
            rng.cursor = keys[-1]
            rng.ends.append((rng.cursor, rng.folded))
            self.alphabet.learn([*keys[::LEARN_EVERY], keys[-1]])
        rng.advance()
        if len(keys) > 1 and end == len(page.keys):
            rng.sample = Sample(keys[0], keys[-1], len(keys), self.alphabet)
        rng.token = page.token  # None from a server without tokens: start() goes by key
        # Done when the page passed the range's end, or reached it exactly (its end
        # is a key the last listing gave: nothing can lie between), or the bucket's.
        rng.done = (
            end < len(page.keys) or not page.truncated or not page.keys or keys[-1] == rng.upto
        )
        self._good_pages += 1
        if self._good_pages % 8 == 0 and self.limit < self.max_concurrency:
            self.limit += 1  # additive increase after a throttle

    def throttled(self) -> None:
        """The server asked us to slow down: halve the concurrency (AIMD)."""
        self.limit = max(1, self.limit // 2)
        self._good_pages = 0

    def start(self, rng: Range) -> tuple[str, str | None]:
        """Mark `rng` as asked for; (StartAfter, ContinuationToken) of its next page."""
        rng.busy = True
        self.requests += 1
        if rng.token:
            return "", rng.token
        return rng.cursor, None

    def result(self) -> InventoryFold:
        """Every range's fold, merged in key order."""
        first, *rest = self.ranges
        for rng in rest:
            first.fold.merge(rng.fold)
        return first.fold

    # ---- cutting ------------------------------------------------------------------------

    def budget(self) -> float:
        """Requests still free to risk on one more range: 10 % of the pages folded so
        far, less what closed ranges spent above their keys' share of pages, less
        what open ranges may still spend on their last page, which holds a uniform
        share of a page of their keys: half a page expected, a whole page for a
        range that may hold no key at all (cut blind, no full page seen yet). The
        range being added counts from the second one on, as k ranges cost at most
        k - 1 requests more."""
        ps = self.page_size
        spent = float(self.probes)
        at_risk = 0.0
        for r in self.ranges:
            if r.done:
                spent += r.pages - r.folded / ps
            else:
                at_risk += LAST_PAGE_RISK if r.folded >= ps or r.known_keys else 1.0
        pages = self.folded // ps
        if self.hints is not None:
            pages = max(pages, self.hints.trusted_pages(ps))
        return pages * EXTRA_REQUESTS - spent - at_risk - SLACK

    def plan(self, in_flight: int) -> list[Range | Probe]:
        """What to ask for now: while a request slot is free and the budget allows,
        a new range cut off an open one, or a probe for where to cut next."""
        out: list[Range | Probe] = []
        if not self._seeded:
            self._seeded = True
            out += self._seed(in_flight)
        while in_flight + len(out) < self.limit and self.budget() >= 0:  # see budget()
            step = next_step(self)
            if step is None:
                break
            if isinstance(step, Probe):
                step.range.probing = True
                self.probes += 1
                self.requests += 1
            else:
                self.cuts += 1
            out.append(step)
        return out

    def _seed(self, in_flight: int) -> list[Range]:
        """Ranges from the last listing's cut points, as many as the budget allows
        (counted at a whole page at risk each, though each starts at a key that
        existed then: the last listing may be long past)."""
        keys = self.hints.split_keys if self.hints else ()
        if not keys:
            return []
        parts = 1
        while parts < min(self.limit - in_flight + 1, len(keys) + 1) and self.budget() - parts >= 0:
            parts += 1
        made = []
        root = self.ranges[0]
        for at in evenly(keys, parts):
            if at > root.cursor:
                rng = Range(at, None, self.make_fold(), known_keys=True)
                made.append(rng)
        for left, right in zip([root, *made], made, strict=False):
            left.upto = right.after
        self.ranges += made
        self.cuts += len(made)
        return made

    def take_probe(self, probe: Probe, prefixes: list[str]) -> None:
        rng = probe.range
        rng.probing = False
        rng.probed_depth = probe.depth
        lo, hi = rng.cursor, rng.upto
        self.alphabet.learn(prefixes)
        rng.marks = [m for m in prefixes if m[:-1] > lo and (hi is None or m[:-1] < hi)]
