"""A seeded few hundred generated config and rules files (tests/support/fuzz_config.py)
thrown at `r2tui config check` and `rules import`: no traceback, no input
over 5 s, a refused import never changes the store, and every accepted config
builds what `r2tui collect` builds. The full run (10,000 and more) is the
script itself; docs/security.md gives its figures."""

from __future__ import annotations

from pathlib import Path

from tests.support.fuzz_config import cli_environment, run

INPUTS = 200
SEED = 14  # the number: any seed passes, this one is the suite's


def test_a_seeded_few_hundred_files_are_accepted_or_refused_cleanly(tmp_path: Path) -> None:
    with cli_environment(tmp_path):
        stats = run(INPUTS, SEED, tmp_path, heavy=False)
    assert stats.inputs == INPUTS
    assert not stats.failures, "\n\n".join(stats.failures[:3])
    assert not stats.slow, stats.slow
    # The generator reaches both outcomes on both sides, for every kind it makes.
    for side in ("config", "rules"):
        assert stats.accepted.get(f"{side} good", 0) > 20, stats.accepted
        for kind in ("one-bad-field", "deep", "mutated", "random"):
            assert stats.refused.get(f"{side} {kind}", 0) > 0, (side, kind, stats.refused)
