"""How long ago, as the tables say it: seconds under a minute, minutes and
seconds under ten minutes, then minutes, hours and minutes, days and hours. The
texts of ten minutes and more are made once per minute and kept; whatever the
seconds, they read as if made afresh."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.tui.format import age, duration


def _spelled(s: int) -> str:
    """Each range's words, written out independently of the code under test."""
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 60:
        return f"{s}s"
    if s < 600:
        return f"{minutes}m {s % 60:02d}s"
    if s < 3600:
        return f"{minutes}m"
    if s < 86400:
        return f"{hours}h {minutes % 60:02d}m"
    return f"{days}d {hours % 24}h"


def test_each_range_reads_as_it_should() -> None:
    cases = {
        0: "0s",
        59: "59s",
        60: "1m 00s",
        599: "9m 59s",
        600: "10m",
        3599: "59m",
        3600: "1h 00m",
        3661: "1h 01m",
        86399: "23h 59m",
        86400: "1d 0h",
        90061: "1d 1h",
    }
    assert {s: duration(s) for s in cases} == cases
    assert age(None) == "never"
    assert age(1000.0, 1000.0 - 5) == "0s ago"  # a clock behind the stamp: no negative age
    assert age(1000.0, 1000.0 + 3661.9) == "1h 01m ago"


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=400 * 86400), st.floats(0, 0.999))
def test_any_age_reads_as_if_made_afresh(s: int, fraction: float) -> None:
    # Each one twice: once made, once from what was kept.
    for _ in range(2):
        assert duration(s + fraction) == _spelled(s)
        assert age(5000.0, 5000.0 + s + fraction) == _spelled(s) + " ago"
