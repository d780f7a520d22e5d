"""The key ranges a listing is made of, and the probes that tell where to cut them."""

from __future__ import annotations

from dataclasses import dataclass, field

from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.keyspace import Sample


@dataclass
class Range:
    after: str  # lists keys > after ("" = from the first key)
    upto: str | None  # ... and <= upto; None = to the end of the bucket
    fold: InventoryFold
    cursor: str = ""  # the last key folded
    token: str | None = None  # where the next page starts, as the server put it
    first: str = ""  # the first key folded
    sample: Sample | None = None  # the latest whole page: the density just ahead
    folded: int = 0
    pages: int = 0
    run: int = 0  # pages since this range began or was last cut
    marks: list[str] = field(default_factory=list)  # "logs/": groups ahead, from a probe
    probed_depth: int = -1  # folder depth of the last probe ("" is 0, "logs/" is 1)
    probing: bool = False
    known_keys: bool = False  # starts at a group a probe found: it holds keys
    ends: list[tuple[str, int]] = field(default_factory=list)  # (page's last key, folded)
    busy: bool = False
    done: bool = False
    # Where the range starts in the bucket: keys at or before `after`, as the last
    # listing's positions say; None when unknown (a range cut while listing).
    start: int | None = None
    grid: list[tuple[str, int]] = field(default_factory=list)  # (grid key, folded) (hints.py)
    # Requests its last page is expected to cost above its keys' share, from the
    # last listing's positions; None: the planner's default guess (budget()).
    risk: float | None = None
    expected: int | None = None  # its keys, as the last listing's positions say

    def __post_init__(self) -> None:
        self.cursor = self.cursor or self.after

    def advance(self) -> None:
        """Drop the folders the cursor has gone past."""
        if self.marks:
            self.marks = [m for m in self.marks if m[:-1] > self.cursor]


@dataclass
class Probe:
    """A delimiter listing of the groups ahead of a range's cursor under `prefix`."""

    range: Range
    prefix: str
    depth: int
