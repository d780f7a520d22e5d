"""Bytes and objects per prefix, from the listing itself: no request of its own.

What a prefix is: a key's parts up to and including a "/", as a delimiter
listing (`Delimiter="/"`) names them level by level. `logs/2026/01.gz` is
under `logs/` and `logs/2026/`. So:

- a key ending in "/" (a "folder marker" some tools write) is an object in
  the folder it names: `logs/` counts in `logs/`;
- an empty part is a part: `a//b` is under `a/` and `a//`, and `/x` under
  `/` (as S3 itself lists them);
- a key without "/" is at the bucket's root, under no prefix (`root_files`);
- prefixes go down `depth` levels: a deeper key counts in its ancestor at
  that depth, whose "files" then hold everything below it.

Each prefix's figures are totals of everything under it, and every object is
counted once in the deepest prefix it reaches, so the figures add up exactly:
a prefix is its files plus its sub-prefixes.

At most `entries` prefixes are kept per bucket: the largest by (bytes,
objects), ties by name. A parent is never smaller than its child and sorts
before it, so a kept prefix's parent is kept too, and a prefix left out is
still counted in its parent's total (and in the bucket's): nothing is lost,
only not itemised. The kept set is a function of the exact totals alone, not
of the order keys arrive in or of how the listing was split into ranges.

Bounded memory, on the listing's own order: a range's keys arrive in key
order, and all keys under a prefix are adjacent in that order. So within a
range a prefix is finished once the keys move past it, and it is whole
unless it also reaches past the range's first or last key (at most `depth`
of them at each end, kept aside as partial until every range is merged).
Whole prefixes beyond the cap can be dropped as they finish: `entries`
others of exact totals already rank above them, so they cannot be among the
kept at the end. Memory: 2 x `entries` whole prefixes, and 2 x `depth`
partial ones per range.

Keys out of order (not a listing) are still counted exactly, every prefix
kept as partial (no bound) from then on.

Pinned prefixes (the last inventory's kept ones, and those alert rules name)
are never dropped, whatever their rank: their totals are exact too, so one
that fell out of the kept set, or is gone (0), still gets its true figure
(`result`'s fourth part). Memory: their number more.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from collections.abc import Iterable

from r2tui.observations import PrefixTotals, Tally

log = logging.getLogger(__name__)

# [objects, bytes, files_objects, files_bytes]: under the prefix, and in it directly.
_Acc = list[int]
_PATTERNS: dict[int, re.Pattern[str]] = {}


def _pattern(depth: int) -> re.Pattern[str]:
    pattern = _PATTERNS.get(depth)
    if pattern is None:
        pattern = _PATTERNS[depth] = re.compile(f"(?:[^/]*/){{1,{depth}}}")
    return pattern


def folder_of(key: str, depth: int) -> str:
    """The deepest prefix `key` counts in, at most `depth` levels down; "" at the root."""
    if depth <= 0:
        return ""
    m = _pattern(depth).match(key)
    return m[0] if m else ""


def rank(prefix: str, acc: _Acc) -> tuple[int, int, str]:
    """The order prefixes are kept in: larger first, then more objects, then by name."""
    return (-acc[1], -acc[0], prefix)


def _add(table: dict[str, _Acc], prefix: str, acc: _Acc) -> None:
    mine = table.get(prefix)
    if mine is None:
        table[prefix] = acc
    else:
        for i in range(4):
            mine[i] += acc[i]


class PrefixTally:
    """Folds keys and sizes into totals per prefix; see the module's docstring."""

    def __init__(self, depth: int = 3, entries: int = 2000, pinned: Iterable[str] = ()) -> None:
        self.depth = depth
        self.entries = entries
        # Only prefixes this deep are counted: a deeper one has no total of its own.
        self.pinned = frozenset(p for p in pinned if p.endswith("/") and p.count("/") <= depth)
        self._match = _pattern(depth).match if depth > 0 else None
        self.root = [0, 0]  # objects and bytes outside any prefix
        self.dropped = 0  # whole prefixes dropped by the cap
        # The prefixes the last key is under, outermost first; the first `_head` of
        # them were open at the segment's first key: they may reach before it.
        self._path: list[tuple[str, _Acc]] = []
        self._head = 0
        self._whole: dict[str, _Acc] = {}
        self._cutoff: tuple[int, int, str] | None = None  # the last kept, once some were dropped
        self._partial: dict[str, _Acc] = {}
        self._last: str | None = None  # the last key of the current ordered run
        self._starting = False
        self._ordered = True

    # ---- folding ------------------------------------------------------------------------

    def add(self, key: str, size: int) -> None:
        if self._match is None:
            return
        self._begin(key)
        m = self._match(key)
        self._fold(m[0] if m else "", 1, size)
        self._last = key

    def add_page(self, keys: list[str], sizes: list[int]) -> None:
        """A page of keys, as `add` would fold them one by one. A page is in key
        order (ListObjectsV2 sends it so; the planner bisects it too): only its
        first key is checked against the last page's."""
        if self._match is None or not keys:
            return
        self._begin(keys[0])
        match, depth, fold = self._match, self.depth, self._fold
        n = len(keys)
        i = 0
        while i < n:
            m = match(keys[i])
            folder = m[0] if m else ""
            j = i + 1
            if folder.count("/") == depth:
                # Every key under a prefix as deep as counted is in it: the run ends
                # at the first key past them all (each part ends in "/", and "0"
                # follows "/"), found by bisection.
                j = bisect_left(keys, folder[:-1] + "0", j)
            else:  # the files directly in a shallower folder, or at the root
                start = len(folder)
                while j < n and keys[j].startswith(folder) and keys[j].find("/", start) < 0:
                    j += 1
            fold(folder, j - i, sum(sizes[i:j]))
            i = j
        self._last = keys[-1]

    def _begin(self, key: str) -> None:
        last = self._last
        if last is not None and key <= last:
            self._seal()
            self._unordered()
        if self._last is None:
            self._starting = True

    def _fold(self, folder: str, objects: int, size: int) -> None:
        path = self._path
        if path and path[-1][0] == folder:  # the folder of the key before
            acc = path[-1][1]
        elif not folder:
            self._close(0)
            self._starting = False
            self.root[0] += objects
            self.root[1] += size
            return
        else:
            # The deepest open prefix the folder is under stays open; the rest close.
            keep = len(path)
            while keep and not folder.startswith(path[keep - 1][0]):
                keep -= 1
            if keep < len(path):
                self._close(keep)
            i = folder.find("/", len(path[-1][0]) if path else 0)
            while i >= 0:
                path.append((folder[: i + 1], [0, 0, 0, 0]))
                i = folder.find("/", i + 1)
            acc = path[-1][1]
        if self._starting:
            self._head = len(path)
            self._starting = False
        acc[0] += objects
        acc[1] += size
        acc[2] += objects
        acc[3] += size

    def _close(self, keep: int) -> None:
        """Finish the open prefixes below the first `keep`, innermost first."""
        path = self._path
        while len(path) > keep:
            prefix, acc = path.pop()
            if path:
                parent = path[-1][1]
                parent[0] += acc[0]
                parent[1] += acc[1]
            if len(path) < self._head:  # open at the run's first key: may reach before it
                self._head = len(path)
                _add(self._partial, prefix, acc)
            else:
                self._finish(prefix, acc)

    def _finish(self, prefix: str, acc: _Acc) -> None:
        """A prefix whose keys this run holds from its first to its last."""
        cut = self._cutoff
        if not self._ordered or prefix in self._partial or prefix in self._whole:
            _add(self._partial, prefix, self._whole.pop(prefix, [0, 0, 0, 0]))
            _add(self._partial, prefix, acc)
        elif cut is not None and (-acc[1], -acc[0], prefix) > cut and prefix not in self.pinned:
            self.dropped += 1  # `entries` whole prefixes rank above it
        else:
            self._whole[prefix] = acc
            if len(self._whole) > 2 * self.entries + len(self.pinned):
                self._prune()

    def _prune(self) -> None:
        ranked = sorted(self._whole.items(), key=lambda item: rank(*item))
        kept = ranked[: self.entries]
        self._cutoff = rank(*kept[-1])
        kept += [item for item in ranked[self.entries :] if item[0] in self.pinned]
        self.dropped += len(self._whole) - len(kept)
        self._whole = dict(kept)

    def _seal(self) -> None:
        """End the current run: its open prefixes may go on past its last key."""
        self._head = len(self._path)
        self._close(0)
        self._last = None
        self._starting = False

    def _unordered(self) -> None:
        if not self._ordered:
            return
        if self.dropped:
            # Prefixes dropped as whole may have more keys to come: their figures
            # would be short. A listing never gets here (its ranges are in order).
            log.warning("keys out of order after prefixes were dropped: some may be short")
        self._ordered = False
        for prefix, acc in self._whole.items():
            _add(self._partial, prefix, acc)
        self._whole = {}

    # ---- merging and the result ---------------------------------------------------------

    def merge(self, other: PrefixTally) -> None:
        """Fold in another range's tally, in any order: the result is the same."""
        if other._match is None:
            return
        self._seal()
        other._seal()
        if not other._ordered:
            self._unordered()
        for prefix, acc in other._whole.items():
            self._finish(prefix, list(acc))
        for prefix, acc in other._partial.items():
            if prefix in self._whole:
                _add(self._partial, prefix, self._whole.pop(prefix))
            _add(self._partial, prefix, list(acc))
        self.root[0] += other.root[0]
        self.root[1] += other.root[1]
        self.dropped += other.dropped

    def result(
        self,
    ) -> tuple[tuple[PrefixTotals, ...], Tally, int, tuple[PrefixTotals, ...]]:
        """The kept prefixes (largest first), the objects at the root, how many
        prefixes were not kept (pinned ones among them), and the pinned prefixes
        not kept, by name, each with its exact totals (all 0: none of its keys is
        left). Ends the current run."""
        self._seal()
        every = {p: list(a) for p, a in self._whole.items()}
        for prefix, acc in self._partial.items():
            _add(every, prefix, list(acc))
        ranked = sorted(every.items(), key=lambda item: rank(*item))
        kept = ranked[: self.entries]
        shown = {p for p, _ in kept}
        return (
            tuple(PrefixTotals(p, *a) for p, a in kept),
            Tally(self.root[0], self.root[1]),
            self.dropped + len(ranked) - len(kept),
            tuple(
                PrefixTotals(p, *every.get(p, (0, 0, 0, 0))) for p in sorted(self.pinned - shown)
            ),
        )
