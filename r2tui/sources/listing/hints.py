"""What the last listing of a bucket tells the next one: its size and where to cut.

A cold listing must earn its budget page by page (planner.budget), so its
ranges come slowly. The last inventory of the same bucket knows how many
objects there were and which keys cut them into equal parts; the next listing
starts its ranges at those keys at once, with a budget from that count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from r2tui.sources.listing.ranges import Range

SPLIT_KEYS = 63  # cut points kept: up to 64 equal parts
TRUST = 0.8  # of the last count taken as granted: a bucket may have shrunk since


@dataclass(frozen=True)
class Hints:
    objects: int  # the last listing's object count
    split_keys: tuple[str, ...] = ()  # ascending; cut it into parts of equal count

    def trusted_pages(self, page_size: int) -> int:
        return int(TRUST * self.objects) // page_size


def split_keys(ranges: Sequence[Range], n: int = SPLIT_KEYS) -> list[str]:
    """Keys that cut what `ranges` (in key order) listed into n + 1 parts of about
    equal count, from the last key of each page they folded."""
    total = sum(r.folded for r in ranges)
    out: list[str] = []
    if not total:
        return out
    base = 0
    wanted = 1
    for rng in ranges:
        for key, count in rng.ends:
            while wanted <= n and base + count >= wanted * total / (n + 1):
                if not out or out[-1] != key:
                    out.append(key)
                wanted += 1
        base += rng.folded
    return out


def evenly(keys: Sequence[str], parts: int) -> list[str]:
    """parts - 1 of `keys`, spaced evenly: the cuts for `parts` ranges."""
    if parts < 2 or not keys:
        return []
    picked = [keys[min(len(keys) - 1, round(j * len(keys) / parts) - 1)] for j in range(1, parts)]
    return sorted(set(picked))
