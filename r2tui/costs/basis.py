"""Whether a bill's usage was measured (Cloudflare's analytics said the
storage class, and the bytes read) or estimated from the last listing, per
kind of charge."""

from __future__ import annotations

from dataclasses import dataclass, field

from r2tui.costs.levels import Level
from r2tui.costs.usage import (
    CLASSIFIED,
    MEASURED_RETRIEVAL,
    UNCLASSIFIED,
    UNMEASURED_GETS,
    BucketUsage,
)

KINDS = ("storage", "requests", "retrieval")


@dataclass
class Basis:
    """Per kind of charge, whether some of a bill's usage was measured and
    whether some was estimated (from the last listing)."""

    measured: set[str] = field(default_factory=set)
    estimated: set[str] = field(default_factory=set)

    def add(self, kind: str, measured: bool, estimated: bool) -> None:
        if measured:
            self.measured.add(kind)
        if estimated:
            self.estimated.add(kind)

    def merge(self, other: Basis) -> None:
        self.measured |= other.measured
        self.estimated |= other.estimated

    def value(self, kind: str) -> float:
        """1.0 measured (or nothing to measure), 0.0 estimated, 0.5 partly."""
        if kind not in self.estimated:
            return 1.0
        return 0.5 if kind in self.measured else 0.0


def month_basis(u: BucketUsage, start: int, end: int, days: list[Level]) -> Basis:
    """Whether the usage of [start, end) with `days` stored was measured or
    estimated, per kind of charge."""
    b = Basis()
    b.add("storage", any(d.classes is not None for d in days), any(d.estimated for d in days))
    counted = unclassified = 0.0
    for series in ("class_a_requests", "class_b_requests"):
        counted += u.requests(CLASSIFIED + series, start, end)
        unclassified += u.requests(UNCLASSIFIED + series, start, end)
    b.add("requests", counted > 0, unclassified > 0)
    # GETs of periods that said both the class and the bytes: their IA bytes
    # read are measured, a zero included.
    unmeasured = u.requests(UNMEASURED_GETS, start, end)
    measured_gets = u.requests("download_requests", start, end) - unmeasured
    b.add(
        "retrieval",
        u.requests(MEASURED_RETRIEVAL, start, end) > 0 or measured_gets > 0,
        unmeasured > 0,
    )
    return b
