"""Units as people read them (decimal, as R2's price list counts)."""

from __future__ import annotations


def human_bytes(n: float | None) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} B"


def human_count(n: float) -> str:
    """A count in a few cells, to three figures: 12,129 · 123 k · 12.3 M · 5.10 bn
    (where the whole number does not fit; `bn`: "B" would read as bytes)."""
    if abs(n) < 100_000:
        return f"{round(n):,}"
    units = (("k", 1e3), ("M", 1e6), ("bn", 1e9), ("tn", 1e12))
    for i, (unit, div) in enumerate(units):
        x = abs(n) / div
        places = 2 if x < 10 else 1 if x < 100 else 0
        shown = round(x, places)
        if shown < 1000 or i == len(units) - 1:
            sign = "-" if n < 0 else ""
            return f"{sign}{shown:,.{places}f} {unit}"
    raise AssertionError("unreachable")
