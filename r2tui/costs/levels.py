"""What a bucket stores each UTC day, per storage class: measured where
Cloudflare's analytics said the class, else the day's peak split by the last
listing's Infrequent Access share. A day without a sample keeps the level
before it; a bucket that is gone stores nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from r2tui.costs.usage import BucketUsage


@dataclass(frozen=True)
class Level:
    """A bucket's stored bytes on one day: `classes` the (Standard, IA) peaks
    analytics measured, or None when the total is split by the listing's share."""

    total: float
    classes: tuple[float, float] | None = None

    @property
    def estimated(self) -> bool:
        return self.classes is None and self.total > 0

    def ia(self, u: BucketUsage) -> float:
        return self.classes[1] if self.classes is not None else self.total * u.ia_byte_share

    def standard(self, u: BucketUsage) -> float:
        if self.classes is not None:
            return self.classes[0]
        return self.total * float(1 - share(u.ia_byte_share))


NOTHING = Level(0.0)


def class_levels(u: BucketUsage, days: range) -> list[Level]:
    """Stored bytes for each day; a day without a sample keeps the level before
    it, and a bucket that is gone stores nothing."""
    level = NOTHING
    for d in sorted(set(u.peak_bytes) | set(u.class_peaks)):
        if d >= days.start:
            break
        level = _level_on(u, d)
    out = []
    for d in days:
        if d in u.peak_bytes or d in u.class_peaks:
            level = _level_on(u, d)
        out.append(NOTHING if u.gone_from is not None and d >= u.gone_from else level)
    return out


def _level_on(u: BucketUsage, day: int) -> Level:
    """A day with a sample: its classes measured where analytics said them, and
    then the total is their sum (the bill charges each class)."""
    classes = u.class_peaks.get(day)
    if classes is not None:
        standard, ia = classes
        # Bytes of a class the API named that is neither (or of rows without a
        # class beside classed ones) are in the day's total: billed as Standard,
        # the dearer storage, so that no stored byte goes unbilled.
        rest = u.peak_bytes.get(day, 0.0) - (standard + ia)
        if rest > 0:
            standard += rest
        return Level(standard + ia, (standard, ia))
    return Level(u.peak_bytes[day])


def first_known(u: BucketUsage) -> int | None:
    """The first day with a storage sample: before it, the level is unknown."""
    return min([*u.peak_bytes, *u.class_peaks], default=None)


def share(value: float) -> Decimal:
    """A float share as the decimal it prints as: 0.6, not 0.59999999999999997…"""
    return Decimal(repr(value))
