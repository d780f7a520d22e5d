"""The key-range planner against a simulated bucket: every layout is listed
completely and exactly once, within 1.1x the requests of a sequential listing,
and in fewer round trips. Round trips are counted in simulated time units (each
request answers one unit after it is sent), so nothing here is timed."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints, evenly, split_keys
from r2tui.sources.listing.keyspace import Alphabet, Sample, shortest_between
from tests.support.listing_peers import LAYOUTS, Run, simulate, warm_hints

N = 20_000
PAGE = 100  # small pages: 200 of them, so ranges have room to be cut


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def layout(request: pytest.FixtureRequest) -> tuple[str, list[str]]:
    return request.param, LAYOUTS[request.param](N)


def _sequential_fold(keys: list[str]) -> InventoryFold:
    fold = InventoryFold("sim", top_n=5, newest_n=5)
    for i in range(0, len(keys), PAGE):
        got = keys[i : i + PAGE]
        fold.add_page(
            got,
            [len(k) for k in got],
            ["2024-01-01T00:00:00.000Z"] * len(got),
            ["STANDARD"] * len(got),
        )
    return fold


def _ranges_partition(run: Run) -> None:
    ranges = run.planner.ranges
    assert ranges[0].after == "" and ranges[-1].upto is None
    for left, right in itertools.pairwise(ranges):
        assert left.upto == right.after  # adjacent, no gap and no overlap
        assert left.after < right.after
        assert left.cursor <= (left.upto or left.cursor)
    assert all(r.done for r in ranges)


def test_every_key_once_within_the_request_budget(layout: tuple[str, list[str]]) -> None:
    name, keys = layout
    run = simulate(keys, page_size=PAGE)
    _ranges_partition(run)
    assert run.planner.folded == len(keys)
    assert sum(r.folded for r in run.planner.ranges) == len(keys)
    assert run.requests <= 1.1 * run.pages, f"{name}: {run.requests} for {run.pages} pages"
    assert len(run.planner.ranges) > 3, f"{name}: the listing was never cut"


def test_merged_result_is_the_sequential_one(layout: tuple[str, list[str]]) -> None:
    _, keys = layout
    run = simulate(keys, page_size=PAGE)
    merged = InventoryFold("sim", top_n=5, newest_n=5)
    for rng in run.planner.ranges:
        # The simulation folds with a fold of defaults; refold the same pages to
        # compare with a capped top-5, as the merge is what is under test.
        merged.merge(rng.fold)
    seq = _sequential_fold(keys)
    got, want = merged.result(0, 0, 0), seq.result(0, 0, 0)
    assert (got.objects, got.bytes, got.by_extension) == (
        want.objects,
        want.bytes,
        want.by_extension,
    )
    assert got.largest[:5] == want.largest[:5]


def test_cold_listing_takes_fewer_round_trips(layout: tuple[str, list[str]]) -> None:
    name, keys = layout
    run = simulate(keys, page_size=PAGE)
    # A sequential listing takes one round trip per page.
    assert run.round_trips < 0.7 * run.pages, f"{name}: {run.round_trips:.0f} round trips"


def test_warm_listing_starts_from_the_last_cut_points(layout: tuple[str, list[str]]) -> None:
    name, keys = layout
    cold = simulate(keys, page_size=PAGE)
    hints = warm_hints(cold, len(keys))
    assert len(hints.split_keys) == 63 and list(hints.split_keys) == sorted(hints.split_keys)
    warm = simulate(keys, page_size=PAGE, hints=hints)
    _ranges_partition(warm)
    assert warm.planner.folded == len(keys)
    assert warm.requests <= 1.1 * warm.pages
    assert warm.round_trips < 0.2 * warm.pages, f"{name}: {warm.round_trips:.0f} round trips"


def test_a_bucket_listed_twice_takes_its_share_of_round_trips() -> None:
    """From the second warm listing on, the cut points lie on the grid (whole pages
    less a few keys between them): the budget allows a range per slot at once, and
    the listing takes about pages / concurrency round trips, not a fixed ten or
    more whatever the bucket's size. Still so after the bucket gained 1 % of keys
    spread everywhere."""
    keys = LAYOUTS["deep"](30_000)
    hints = warm_hints(simulate(keys), len(keys))  # pages of 1,000
    first = simulate(keys, hints=hints)
    settled = simulate(keys, hints=warm_hints(first, len(keys)))
    _ranges_partition(settled)
    assert settled.planner.folded == len(keys)
    assert len(settled.planner.ranges) == 16 and settled.requests <= 1.1 * settled.pages
    assert settled.round_trips <= settled.pages / 16 + 2, settled.round_trips
    grown = sorted({*keys, *(k + "~new" for k in keys[::100])})
    again = simulate(grown, hints=warm_hints(settled, len(keys)))
    assert again.planner.folded == len(grown)
    assert again.requests <= 1.1 * again.pages
    assert again.round_trips <= again.pages / 16 + 2, again.round_trips


def test_hints_from_a_bucket_that_shrank_stay_correct() -> None:
    keys = LAYOUTS["flat"](N)
    hints = warm_hints(simulate(keys, page_size=PAGE), len(keys))
    fewer = keys[::3]  # two thirds deleted since the last listing
    run = simulate(fewer, page_size=PAGE, hints=hints)
    _ranges_partition(run)
    assert run.planner.folded == len(fewer)


@pytest.mark.parametrize("n", [0, 1, PAGE - 1, PAGE, PAGE + 1, 5 * PAGE, 9 * PAGE + 3])
def test_small_buckets_cost_exactly_their_pages(n: int) -> None:
    """Under ten pages the budget allows no extra request: the listing is sequential."""
    keys = LAYOUTS["flat"](n)
    run = simulate(keys, page_size=PAGE)
    assert run.requests == max(1, math.ceil(n / PAGE))
    assert run.planner.folded == n


def test_concurrency_one_is_a_sequential_listing() -> None:
    keys = LAYOUTS["deep"](N)
    run = simulate(keys, page_size=PAGE, concurrency=1)
    assert run.requests == run.pages
    assert len(run.planner.ranges) == 1


def test_throttling_halves_the_concurrency() -> None:
    run = simulate(LAYOUTS["flat"](2000), page_size=PAGE)
    planner = run.planner
    planner.limit = 16
    planner.throttled()
    assert planner.limit == 8
    planner.throttled()
    planner.throttled()
    planner.throttled()
    planner.throttled()
    assert planner.limit == 1  # never below one request


# ---- key space ---------------------------------------------------------------------------

keys_st = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@given(st.lists(keys_st, min_size=2, max_size=40, unique=True), keys_st, keys_st)
@settings(max_examples=200, deadline=None)
def test_numbers_follow_key_order(learned: list[str], a: str, b: str) -> None:
    alphabet = Alphabet()
    alphabet.learn(learned)
    lo, hi = sorted((a, b))
    width = 14
    assert alphabet.number(lo, width) <= alphabet.number(hi, width)


@given(st.lists(keys_st, min_size=3, max_size=40, unique=True), st.floats(1, 1e6))
@settings(max_examples=200, deadline=None)
def test_cut_points_fall_strictly_inside_the_range(keys: list[str], ahead: float) -> None:
    keys.sort()
    alphabet = Alphabet()
    alphabet.learn(keys)
    sample = Sample(keys[0], keys[1], 2, alphabet)
    if not sample.usable():
        return
    cut = sample.cut_after(keys[1], ahead, keys[-1])
    if cut is not None:
        assert keys[1] < cut < keys[-1]
        cut.encode("utf-8")  # a valid key: no lone surrogate


def test_shortest_between_is_short_and_inside() -> None:
    assert shortest_between("logs/api/2021", "media/x/y") == "m"
    assert shortest_between("obj-00014999", "obj-00029998") == "obj-0002"
    assert shortest_between("a", "ab") == "ab"


def test_split_keys_cut_into_equal_parts() -> None:
    keys = LAYOUTS["flat"](N)
    run = simulate(keys, page_size=PAGE)
    placed = split_keys(run.planner.ranges, PAGE, n=9)
    cuts = [c.key for c in placed]
    assert len(cuts) == 9
    positions = [keys.index(c) + 1 for c in cuts]
    assert positions == [c.position for c in placed]  # each kept with its position
    for i, pos in enumerate(positions, start=1):
        assert abs(pos - i * N / 10) <= PAGE  # page ends: within a page of the tenth
    assert evenly(cuts, 3) == [cuts[2], cuts[5]]
    assert evenly(cuts, 1) == [] and evenly([], 4) == []
    assert Hints(10_000, tuple(cuts)).trusted_pages(PAGE) == 80
