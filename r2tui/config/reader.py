"""A typed reader over a TOML table that collects problems instead of stopping
at the first one, so a user sees every mistake in their file at once."""

from __future__ import annotations

import difflib
import math
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from r2tui.config.errors import Problem
from r2tui.literal import quoted

T = TypeVar("T")
D = TypeVar("D")  # a default, which may be of another type (None, an empty tuple)
_MISSING = object()
# A key longer than this is named by a cut repr in problems, not printed whole.
_KEY_SHOWN = 100
_UNKNOWN_SHOWN = 20  # unknown keys of one table named one by one


class Reader:
    def __init__(
        self, source: str, table: Mapping[str, Any], prefix: str, problems: list[Problem]
    ) -> None:
        self.source = source
        self.table = table
        self.prefix = prefix
        self.problems = problems

    def key(self, name: str) -> str:
        if len(name) > _KEY_SHOWN:
            name = quoted(name, _KEY_SHOWN)
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.source, self.key(name), message))

    def fail_table(self, message: str) -> None:
        """A problem with this table as a whole (too many entries)."""
        self.problems.append(Problem(self.source, self.prefix or "(file)", message))

    def has(self, name: str) -> bool:
        return name in self.table

    def sub(self, name: str) -> Reader:
        value = self.table.get(name, {})
        if not isinstance(value, Mapping):
            self.fail(name, f"expected a table [{self.key(name)}], got {_kind(value)}")
            value = {}
        return Reader(self.source, value, self.key(name), self.problems)

    def get(
        self, name: str, kind: type[T] | tuple[type[T], ...], default: D, describe: str
    ) -> T | D:
        value = self.table.get(name, _MISSING)
        if value is _MISSING:
            return default
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # TOML booleans are ints to Python; never accept one as a number.
        is_bool_mismatch = isinstance(value, bool) and bool not in kinds
        if is_bool_mismatch or not isinstance(value, kinds):
            self.fail(name, f"expected {describe}, got {_kind(value)} {quoted(value)}")
            return default
        return value

    def text(self, name: str, default: D, describe: str, most: int = 200) -> str | D:
        """A string of at most `most` characters (`default` when absent or wrong)."""
        value = self.get(name, str, default, describe)
        if isinstance(value, str) and len(value) > most:
            self.fail(
                name, f"expected {describe} of at most {most:,} characters, got {quoted(value)}"
            )
            return default
        return value

    def parse(self, name: str, parser: Callable[[Any], T], default: D) -> T | D:
        value = self.table.get(name, _MISSING)
        if value is _MISSING:
            return default
        try:
            return parser(value)
        except ValueError as exc:
            self.fail(name, str(exc))
            return default

    def positive_int(self, name: str, default: int, most: int, unit: str = "") -> int:
        """A whole number from 1 to `most`; `unit` follows the bound in the message
        (" days", " s")."""
        value = self.get(name, int, default, "a whole number")
        if value <= 0:
            self.fail(name, f"must be a whole number above 0, got {quoted(value)}")
            return default
        if value > most:
            self.fail(
                name,
                f"must be a whole number above 0 and at most {number(most)}{unit}, "
                f"got {quoted(value)}",
            )
            return default
        return value

    def positive_float(
        self, name: str, default: float, most: float, least: float = 0.0, unit: str = ""
    ) -> float:
        """A finite number above `least` (or at least it, when `least` > 0) and at
        most `most`."""
        value = self.get(name, (int, float), default, "a number")
        # TOML has nan and inf; neither is a usable timeout or refresh period.
        span = f"from {number(least)} to" if least > 0 else "above 0 and at most"
        if not math.isfinite(as_float(value)) or value <= 0 or value < least or value > most:
            self.fail(name, f"must be a number {span} {number(most)}{unit}, got {quoted(value)}")
            return default
        return float(value)

    def timezone(self, name: str = "timezone") -> str:
        """An IANA time zone name, "UTC" when absent (or wrong, with the problem noted)."""
        tz = self.text(name, "UTC", 'an IANA time zone such as "UTC" or "Europe/Berlin"')
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            self.fail(name, f'unknown time zone {quoted(tz)}; use an IANA name such as "UTC"')
            return "UTC"
        return tz

    def check_known(self, known: set[str] | frozenset[str]) -> None:
        unknown = [name for name in self.table if name not in known]
        for name in unknown[:_UNKNOWN_SHOWN]:
            # A long name is no typo of a short one (and difflib is quadratic).
            near = (
                difflib.get_close_matches(name, sorted(known), n=1)
                if len(name) <= _KEY_SHOWN
                else []
            )
            hint = f"; did you mean {near[0]!r}?" if near else ""
            self.fail(name, f"unknown key (valid: {', '.join(sorted(known))}){hint}")
        if len(unknown) > _UNKNOWN_SHOWN:
            # A file of 100,000 stray keys needs one line, not 100,000.
            self.fail(
                unknown[_UNKNOWN_SHOWN],
                f"and {len(unknown) - _UNKNOWN_SHOWN:,} more "
                f"unknown keys after it (valid: {', '.join(sorted(known))})",
            )


def as_float(value: float) -> float:
    """A TOML number as a float; a whole number beyond any float is infinite
    (float() and math.isfinite() raise OverflowError on one)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def number(value: float) -> str:
    """A bound as written in a message: 1000, 0.5, 36,500, 1e+18."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    return f"{value:g}"


def _kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
