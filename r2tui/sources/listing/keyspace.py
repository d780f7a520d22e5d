"""Keys as numbers, so a key range can be measured and cut where its keys lie.

S3 lists keys in UTF-8 byte order, which is code point order, and Python
compares strings by code point: a key read as digits, one per character, is a
number that grows with the key. The keys a range has listed give a density
(keys per unit), which says where the next n keys should end; a cut point is
chosen there as a short key.
"""

from __future__ import annotations

import os
import string
from bisect import bisect_left

DIGITS = 8  # characters weighed past the common prefix of the keys involved
MAX_POSITION = 256  # characters learned per key
_CLASSES = {ch: string.digits for ch in string.digits}


def common_prefix(*keys: str) -> int:
    return len(os.path.commonprefix(list(keys)))  # noqa: RUF071 - characters are the point


class Alphabet:
    """The characters listed keys hold at each position. A key is read as a number
    whose digit at each position is its character's rank there, so "0".."9" in a
    serial are ten steps that carry, and a run of letters no key uses is no step
    at all: distances follow where keys can be. Digit 0 stands for "the key has
    ended"; a character not seen sits between the ranks of its neighbours."""

    def __init__(self) -> None:
        self._seen: list[set[str]] = []
        self._sorted: dict[int, list[str]] = {}

    def learn(self, keys: list[str]) -> None:
        seen = self._seen
        for key in keys:
            for i, ch in enumerate(key[:MAX_POSITION]):
                if i == len(seen):
                    seen.append(set())
                if ch not in seen[i]:
                    # One digit seen stands for all ten: a serial's higher places
                    # change rarely, and must carry at 9.
                    seen[i].update(_CLASSES.get(ch, ch))
                    self._sorted.pop(i, None)

    def chars(self, i: int) -> list[str]:
        got = self._sorted.get(i)
        if got is None:
            got = self._sorted[i] = sorted(self._seen[i]) if i < len(self._seen) else []
        return got

    def base(self, i: int) -> int:
        return 2 * len(self.chars(i)) + 2

    def digit(self, i: int, ch: str) -> int:
        chars = self.chars(i)
        k = bisect_left(chars, ch)
        return 2 * k + 2 if k < len(chars) and chars[k] == ch else 2 * k + 1

    def char(self, i: int, d: int) -> str:
        """The character for digit d >= 1: the one seen there, or just above the one
        seen below it."""
        chars = self.chars(i)
        k = (d - 1) // 2
        if d % 2 == 0:
            return chars[k]
        if k < len(chars):
            return chars[k]
        top = ord(chars[-1]) + 1 if chars else 0x7F
        return chr(0xE000 if 0xD800 <= top < 0xE000 else min(top, 0x10FFFF))

    def number(self, key: str, width: int) -> int:
        n = 0
        exact = True
        for i in range(width):
            d = self.digit(i, key[i]) if exact and i < len(key) else 0
            # Past a character not seen at its place the digits stop: two such
            # characters may share a digit, and what follows must not reorder them.
            exact = exact and d % 2 == 0
            n = n * self.base(i) + d
        return n

    def top(self, width: int) -> int:
        n = 1
        for i in range(width):
            n *= self.base(i)
        return n - 1

    def key_of(self, n: int, width: int) -> str:
        digits = []
        for i in reversed(range(width)):
            n, d = divmod(n, self.base(i))
            digits.append(d)
        out = []
        for i, d in enumerate(reversed(digits)):
            if d == 0:
                break
            out.append(self.char(i, d))
        return "".join(out)


class Sample:
    """`count` keys seen from `first` to `last`: a density to measure ahead with."""

    def __init__(self, first: str, last: str, count: int, alphabet: Alphabet) -> None:
        self.first, self.last, self.count = first, last, count
        self.alphabet = alphabet
        self.width = common_prefix(first, last) + DIGITS

    @property
    def per_key(self) -> float:
        """Units of the key space per key, as the alphabet reads keys now."""
        number = self.alphabet.number
        span = number(self.last, self.width) - number(self.first, self.width)
        return span / max(1, self.count - 1) if span > 0 else 0.0

    def usable(self) -> bool:
        return self.per_key > 0 and self.count > 1

    def keys_between(self, low: str, high: str) -> float:
        """Keys expected in (low, high] at this sample's density."""
        number = self.alphabet.number
        span = number(high, self.width) - number(low, self.width)
        return max(0.0, span / self.per_key)

    def cut_after(self, low: str, keys: float, below: str | None) -> str | None:
        """A short key about `keys` keys past `low`, strictly between `low` and
        `below` (when given); None when there is no such key."""
        width, alphabet = self.width, self.alphabet
        start = alphabet.number(low, width)
        target = min(start + max(1, int(keys * self.per_key)), alphabet.top(width))
        far = alphabet.key_of(target, width)
        if far <= low or (below is not None and far >= below):
            return None
        # A short key, but within the last hundredth of the way: rounding further
        # back would land on round serials, whose ranges hold whole pages of keys
        # and so cost one more request each (see planner.budget).
        near = alphabet.key_of(start + (target - start) * 99 // 100, width)
        cut = shortest_between(max(low, near), far)
        return cut if cut > low and (below is None or cut < below) else None


def shortest_between(low: str, high: str) -> str:
    """A short key k with low < k <= high (high > low): the part of `high` up to a
    little past where it leaves `low`, so cut points fall on natural boundaries."""
    p = common_prefix(low, high)
    for end in range(p + 1, len(high) + 1):
        k = high[:end]
        if k > low:
            return k
    return high
