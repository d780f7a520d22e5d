"""Where to cut a key range next, and when to ask the bucket how it is laid out.

The range that has run longest since its last cut goes first: one that has
run n pages likely runs about n more, which says more than any measure of the
key space where keys cluster (users/1004/..., logs/api/2024/...).

1. Folders from a probe. A probe is one delimiter listing of the folders ahead
   of a range's cursor ("media/", "misc/", ...; or "users/1001/",
   "users/1002/", ... one level down). It costs a request, which the budget
   counts. The range is cut before its middle folder, as many folders on each
   side: folders at one level tend to be alike, and a cut there never starts
   a range in a void.
2. Without folders, the key space: keys are read as numbers
   (keyspace.Alphabet, which learns from every listed key which characters
   occur where), and the range is cut where the keys ahead of it should split
   in half; the open-ended last range far out (an overshoot costs one empty
   page and shows where the bucket ends). Where keys cluster more than the
   numbers see, no cut goes further than twice the range's own run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from r2tui.sources.listing.keyspace import Sample, common_prefix
from r2tui.sources.listing.ranges import Probe, Range

if TYPE_CHECKING:
    from r2tui.sources.listing.planner import Planner

DELIMITER = "/"
MIN_CUT_PAGES = 3  # a range is cut only with at least this many pages expected ahead
PROBE_AFTER_PAGES = 2  # a range runs this long before the folders ahead are probed
MAX_PROBE_DEPTH = 8
TAIL_REACH = 3  # an open-ended range is expected to run this many times its length


def next_step(planner: Planner) -> Range | Probe | None:
    """A new range (already in `planner.ranges`), a probe to send, or None. The
    range that has run longest since it was last cut goes first."""
    candidates = [r for r in planner.ranges if not r.done and not r.probing]
    candidates.sort(key=lambda r: r.run, reverse=True)
    for rng in candidates:
        marks = _marks(rng)
        if marks:
            # As many folders on each side, counting the one the cursor is in.
            return _split(planner, rng, marks[(len(marks) - 1) // 2])
        if rng.run >= PROBE_AFTER_PAGES:
            probe = _probe(rng)
            if probe is not None:
                return probe
        keys = ahead(planner, rng)
        if keys >= MIN_CUT_PAGES * planner.page_size:
            at = _cut_point(planner, rng, keys)
            if at is not None:
                return _split(planner, rng, at)
    return None


def ahead(planner: Planner, rng: Range) -> float:
    """A guess at the keys `rng` has still to list."""
    ps = planner.page_size
    sample = rng.sample
    if _open_ended(planner, rng):
        return max(float(rng.run * ps), TAIL_REACH * float(rng.folded))
    if sample is None or not sample.usable() or rng.upto is None:
        return float(rng.run * ps)
    keys = sample.keys_between(rng.cursor, rng.upto)
    whole = Sample(rng.first, rng.cursor, rng.folded, planner.alphabet)
    if not whole.usable() or whole.per_key > 2 * sample.per_key:
        # Keys cluster (the range's keys lie far sparser overall than on its last
        # page): the key space overstates what is ahead.
        keys = min(keys, 2.0 * max(rng.run, MIN_CUT_PAGES) * ps)
    return keys


def _open_ended(planner: Planner, rng: Range) -> bool:
    """Whether nothing is known of where `rng`'s keys end: it is the last range, or
    the one after it came back empty (its cut fell in a void, or past the end)."""
    if rng.upto is None:
        return True
    following = planner.ranges[planner.ranges.index(rng) + 1]
    return following.done and following.folded == 0


def _cut_point(planner: Planner, rng: Range, keys: float) -> str | None:
    """A key about half of `keys` ahead of the cursor (all of them for an open-ended
    range: an overshoot costs one empty page and shows where the bucket ends),
    nearer when that would pass the range's end; then the nearest folder start."""
    sample = rng.sample
    ps = planner.page_size
    if sample is None or not sample.usable():
        return None
    tries = [(sample, keys / 2)]
    if _open_ended(planner, rng):  # far out at the range's overall density, or nearer
        tries = [
            (Sample(rng.first, rng.cursor, rng.folded, planner.alphabet), keys),
            (sample, keys),
        ]
    for measure, wanted in tries:
        while wanted >= 1.5 * ps:  # the page on its way covers the next page anyway
            at = measure.cut_after(rng.cursor, wanted, rng.upto)
            if at is not None:
                return at
            wanted /= 2
    return None


def _marks(rng: Range) -> list[str]:
    """Cut points before the folders a probe found ahead of the cursor."""
    lo, hi = rng.cursor, rng.upto
    return [m[:-1] for m in rng.marks if m[:-1] > lo and (hi is None or m[:-1] < hi)]


def _split(planner: Planner, rng: Range, at: str) -> Range:
    """Cut `rng` at key `at`: it keeps the keys <= at, a new range takes the rest."""
    made = Range(
        at,
        rng.upto,
        planner.make_fold(),
        marks=[m for m in rng.marks if m[:-1] > at],
        probed_depth=rng.probed_depth,  # it knows the folders its parent knew
        known_keys=any(m[:-1] == at for m in rng.marks),
    )
    rng.upto = at
    rng.risk = None  # its end moved: what the last listing said of it no longer holds
    rng.marks = [m for m in rng.marks if m[:-1] < at]
    rng.run = 0
    planner.ranges.insert(planner.ranges.index(rng) + 1, made)
    return made


def _probe(rng: Range) -> Probe | None:
    """A delimiter listing of the folders ahead at the next depth worth asking:
    first the depth where the range's two ends part (the top for the last
    range), then one deeper at a time, but never deeper than where the keys of
    its last page part (past that a folder holds more than a page: no use)."""
    cursor = rng.cursor
    if rng.probed_depth < 0:
        shared = "" if rng.upto is None else cursor[: common_prefix(cursor, rng.upto)]
        depth = shared.count(DELIMITER)
    else:
        depth = rng.probed_depth + 1
    parting = _parting_depth(rng.sample)
    if parting is None or depth > parting:
        return None
    if depth > MAX_PROBE_DEPTH or cursor.count(DELIMITER) <= depth:  # no folder there
        return None
    prefix = "".join(p + DELIMITER for p in cursor.split(DELIMITER)[:depth])
    return Probe(rng, prefix, depth)


def _parting_depth(sample: Sample | None) -> int | None:
    """The folder depth at which a page's first and last keys part; None when
    they part in the file name, or there is no page."""
    if sample is None:
        return None
    shared = sample.first[: common_prefix(sample.first, sample.last)]
    depth = shared.count(DELIMITER)
    return depth if sample.last.count(DELIMITER) > depth else None
