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

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from r2tui.sources.listing.cuts import next_step
from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints, evenly, grid_step, part_risk
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

    grid: int = 0  # keys between grid cut points (hints.py); 0: none kept

    def __post_init__(self) -> None:
        self.ranges = [Range("", None, self.make_fold(), start=0)]
        self.limit = self.max_concurrency
        if self.hints is not None and self.hints.placed():
            self.grid = grid_step(self.hints.objects, self.page_size)

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
        if self.grid and keys:
            self._mark_grid(rng, keys)
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

    def _mark_grid(self, rng: Range, keys: list[str]) -> None:
        """Keep the keys of this page that fall on the grid (hints.py): by where the
        range starts in the bucket, or from its own start where that is unknown."""
        lo = rng.folded + (rng.start or 0)
        at = (lo // self.grid + 1) * self.grid
        while at <= lo + len(keys):
            rng.grid.append((keys[at - lo - 1], rng.folded + at - lo))
            at += self.grid

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
            elif r.risk is not None:
                at_risk += r.risk
            elif self.grid:
                # Seeded from positions: the seeds' parts are even, so a range cut
                # while listing helps less, and it counts at its worst.
                at_risk += 1.0
            else:
                at_risk += LAST_PAGE_RISK if r.folded >= ps or r.known_keys else 1.0
        pages = self.folded // ps
        if self.hints is not None:
            pages = max(pages, self.hints.trusted_pages(ps))
        return pages * EXTRA_REQUESTS - spent - at_risk - SLACK

    def plan(self, in_flight: int, most: int | None = None) -> list[Range | Probe]:
        """What to ask for now: while a request slot is free and the budget allows,
        a new range cut off an open one, or a probe for where to cut next; `most`
        such steps at most (the first call also gives the ranges from the hints)."""
        out: list[Range | Probe] = []
        if not self._seeded:
            self._seeded = True
            out += self._seed(in_flight)
        if self.grid and not self._overrun():
            # Seeded from positions: the ranges hold even parts, and a cut made now
            # would cost a request for little, unless a part outgrew what it held.
            return out
        cap = len(out) + (most if most is not None else self.limit)
        while (
            in_flight + len(out) < self.limit and len(out) < cap and self.budget() >= 0
        ):  # see budget()
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

    def _overrun(self) -> bool:
        """Whether an open range has folded a page more than its part held last time."""
        ps = self.page_size
        return any(
            r.expected is not None and not r.done and r.folded > r.expected + ps
            for r in self.ranges
        )

    def _seed(self, in_flight: int) -> list[Range]:
        """Ranges from the last listing's cut points, as many as the budget allows.
        With their positions, each range is counted at what its part is expected to
        cost (hints.part_risk); without, at a whole page at risk each, though each
        starts at a key that existed then (the last listing may be long past)."""
        keys = self.hints.split_keys if self.hints else ()
        if not keys:
            return []
        if self.hints is not None and self.hints.placed():
            return self._seed_placed(self.hints, in_flight)
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

    def _seed_placed(self, hints: Hints, in_flight: int) -> list[Range]:
        """As many ranges as slots allow whose parts' expected cost fits the budget:
        the most parts first, at cut points spaced evenly by position."""
        ps = self.page_size
        allowed = hints.trusted_pages(ps) * EXTRA_REQUESTS - SLACK - float(self.probes)
        points = list(zip(hints.split_keys, hints.positions, strict=True))
        most = min(self.limit - in_flight + 1, len(points) + 1)
        for parts in range(most, 1, -1):
            picked = _pick(points, parts, hints.objects, ps)
            ends = [p for _, p in picked] + [hints.objects]
            starts = [0] + [p for _, p in picked]
            risks = [part_risk(b - a, ps) for a, b in zip(starts[:-1], ends[:-1], strict=True)]
            # The bucket's last part: what its last page leaves unused, less what a
            # sequential listing's own last page leaves.
            whole = math.ceil(hints.objects / ps) - hints.objects / ps
            risks.append(max(0.0, part_risk(hints.objects - starts[-1], ps) - whole))
            if sum(risks) <= allowed:
                return self._cut_at(picked, risks)
        self.ranges[0].risk = None
        return []

    def _cut_at(self, picked: list[tuple[str, int]], risks: list[float]) -> list[Range]:
        root = self.ranges[0]
        made = [
            Range(key, None, self.make_fold(), known_keys=True, start=position)
            for key, position in picked
            if key > root.cursor
        ]
        for left, right in zip([root, *made], made, strict=False):
            left.upto = right.after
        ends = [p for _, p in picked] + [self.hints.objects if self.hints else 0]
        starts = [0] + [p for _, p in picked]
        parts = [b - a for a, b in zip(starts, ends, strict=True)]
        for rng, risk, keys in zip(
            [root, *made], risks[-len(made) - 1 :], parts[-len(made) - 1 :], strict=True
        ):
            rng.risk, rng.expected = risk, keys
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


def _pick(points: list[tuple[str, int]], parts: int, total: int, ps: int) -> list[tuple[str, int]]:
    """parts - 1 of `points` (key, position), near the positions that cut `total`
    keys into equal parts, each the one whose part costs least (hints.part_risk)
    within half a part of where it should be."""
    share = total / parts
    picked: list[tuple[str, int]] = []
    last = 0
    i = 0
    for j in range(1, parts):
        wanted = j * share
        while i < len(points) and points[i][1] <= max(last, wanted - share / 2):
            i += 1
        best: tuple[float, int] | None = None
        k = i
        while k < len(points) and points[k][1] < wanted + share / 2:
            score = part_risk(points[k][1] - last, ps) + abs(points[k][1] - wanted) / share
            if best is None or score < best[0]:
                best = (score, k)
            k += 1
        if best is None:
            continue
        picked.append(points[best[1]])
        last = points[best[1]][1]
        i = best[1] + 1
    return picked
