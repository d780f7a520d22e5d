"""What the last listing of a bucket tells the next one: its size and where to cut.

A cold listing must earn its budget page by page (planner.budget), so its
ranges come slowly. The last inventory of the same bucket knows how many
objects there were and which keys cut them into parts; the next listing
starts its ranges at those keys at once, with a budget from that count.

Every range but the bucket's last costs its keys' share of pages plus what its
last page leaves unused, as that page holds keys of the next range, which are
dropped. A part of n keys costs ceil(n / page) requests, so a part of exactly
m pages less a few keys costs nothing above a sequential listing. Each cut
point is kept with its position (how many keys lie at or before it), and a
listing that knows where its ranges start in the bucket (the last listing's
positions say) keeps as cut points the keys on a grid of such parts: every
GRID_SLACK keys short of whole pages, so a part may gain that many keys before
it costs one request more. The next listing reads the count of each part from
the positions and starts as many ranges as their expected cost allows
(`seed_risk`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from r2tui.sources.listing.ranges import Range

SPLIT_KEYS = 63  # cut points kept: up to 64 parts
TRUST = 0.8  # of the last count taken as granted: a bucket may have shrunk since
GRID_PARTS = 64  # the grid's parts: as many as cut points kept, plus one
GROWTH = 0.005  # keys a part may gain between two listings, as a share of its keys


@dataclass(frozen=True)
class SplitKey:
    key: str
    position: int  # keys of the listing at or before `key`: 1 for the first key


@dataclass(frozen=True)
class Hints:
    objects: int  # the last listing's object count
    split_keys: tuple[str, ...] = ()  # ascending; cut it into parts
    positions: tuple[int, ...] = ()  # each split key's position; () when unknown

    def trusted_pages(self, page_size: int) -> int:
        return int(TRUST * self.objects) // page_size

    def placed(self) -> bool:
        """Whether every split key's position is known (older stores kept none)."""
        p = self.positions
        return (
            len(p) == len(self.split_keys)
            and bool(p)
            and p[0] > 0
            and all(a < b for a, b in itertools.pairwise(p))
            and p[-1] <= self.objects
        )


def slack(page_size: int) -> int:
    """Keys a grid part stays short of whole pages: 5 % of a page."""
    return max(1, page_size // 20)


def grid_step(objects: int, page_size: int) -> int:
    """The grid's part, in keys, for a bucket of about `objects`: whole pages, less
    the slack, about 1/GRID_PARTS of the bucket."""
    pages = max(1, math.ceil(objects / GRID_PARTS / page_size))
    return max(1, pages * page_size - slack(page_size))


def part_risk(keys: int, page_size: int) -> float:
    """Requests a part of `keys` keys is expected to cost above its share of pages,
    were it to gain GROWTH of its keys first: what its last page leaves unused."""
    grown = keys + math.ceil(GROWTH * keys)
    return math.ceil(grown / page_size) - grown / page_size


def split_keys(ranges: Sequence[Range], page_size: int, n: int = SPLIT_KEYS) -> list[SplitKey]:
    """Up to n keys, with their positions, that cut what `ranges` (in key order)
    listed into parts: the grid keys where the listing knew its positions, and
    page ends of about equal count where it did not (the listing's first time,
    or ranges cut while it ran)."""
    total = sum(r.folded for r in ranges)
    if not total:
        return []
    grid: list[SplitKey] = []
    ends: list[SplitKey] = []
    base = 0
    for rng in ranges:
        grid += [SplitKey(key, base + count) for key, count in rng.grid]
        ends += [SplitKey(key, base + count) for key, count in rng.ends]
        base += rng.folded
    step = total / (n + 1)
    if grid:
        grid = _thin(grid, n)
        step = max(step, float(grid_step(total, page_size)))
    # Page ends fill where the grid leaves a gap of more than one and a half parts.
    fences = [0, *(g.position for g in grid), total]
    out = list(grid)
    e = 0
    for lo, hi in itertools.pairwise(fences):
        parts = round((hi - lo) / step)
        for j in range(1, parts):
            wanted = lo + j * (hi - lo) / parts
            while e < len(ends) and ends[e].position < wanted:
                e += 1
            if e == len(ends) or ends[e].position >= hi:
                break
            out.append(ends[e])
    out.sort(key=lambda s: s.position)
    unique = [s for i, s in enumerate(out) if s.position < total and (not i or out[i - 1] != s)]
    return _thin(unique, n)


def _thin(keys: list[SplitKey], n: int) -> list[SplitKey]:
    """At most n of `keys`, spaced evenly."""
    if len(keys) <= n:
        return keys
    return [keys[min(len(keys) - 1, round(j * len(keys) / (n + 1)) - 1)] for j in range(1, n + 1)]


def evenly(keys: Sequence[str], parts: int) -> list[str]:
    """parts - 1 of `keys`, spaced evenly: the cuts for `parts` ranges."""
    if parts < 2 or not keys:
        return []
    picked = [keys[min(len(keys) - 1, round(j * len(keys) / parts) - 1)] for j in range(1, parts)]
    return sorted(set(picked))
