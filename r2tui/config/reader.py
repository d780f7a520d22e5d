"""A typed reader over a TOML table that collects problems instead of stopping
at the first one, so a user sees every mistake in their file at once."""

from __future__ import annotations

import difflib
import math
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from r2tui.config.errors import Problem

T = TypeVar("T")
_MISSING = object()


class Reader:
    def __init__(self, source: str, table: Mapping[str, Any], prefix: str,
                 problems: list[Problem]) -> None:
        self.source = source
        self.table = table
        self.prefix = prefix
        self.problems = problems

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.source, self.key(name), message))

    def has(self, name: str) -> bool:
        return name in self.table

    def sub(self, name: str) -> Reader:
        value = self.table.get(name, {})
        if not isinstance(value, Mapping):
            self.fail(name, f"expected a table [{self.key(name)}], got {_kind(value)}")
            value = {}
        return Reader(self.source, value, self.key(name), self.problems)

    def get(self, name: str, kind: type[T] | tuple[type, ...], default: T,
            describe: str) -> T:
        value = self.table.get(name, _MISSING)
        if value is _MISSING:
            return default
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # TOML booleans are ints to Python; never accept one as a number.
        is_bool_mismatch = isinstance(value, bool) and bool not in kinds
        if is_bool_mismatch or not isinstance(value, kinds):
            self.fail(name, f"expected {describe}, got {_kind(value)} {value!r}")
            return default
        return value  # type: ignore[return-value]

    def parse(self, name: str, parser: Callable[[Any], T], default: T) -> T:
        value = self.table.get(name, _MISSING)
        if value is _MISSING:
            return default
        try:
            return parser(value)
        except ValueError as exc:
            self.fail(name, str(exc))
            return default

    def positive_int(self, name: str, default: int) -> int:
        value = self.get(name, int, default, "a whole number")
        if value <= 0:
            self.fail(name, f"must be a whole number above 0, got {value}")
            return default
        return value

    def positive_float(self, name: str, default: float) -> float:
        value = self.get(name, (int, float), default, "a number")
        # TOML has nan and inf; neither is a usable timeout or refresh period.
        if not math.isfinite(value) or value <= 0:
            self.fail(name, f"must be a number above 0, got {value}")
            return default
        return float(value)

    def timezone(self, name: str = "timezone") -> str:
        """An IANA time zone name, "UTC" when absent (or wrong, with the problem noted)."""
        tz = self.get(name, str, "UTC", "an IANA time zone such as \"UTC\" or \"Europe/Berlin\"")
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.fail(name, f"unknown time zone {tz!r}; use an IANA name such as \"UTC\"")
            return "UTC"
        return tz

    def check_known(self, known: set[str] | frozenset[str]) -> None:
        for name in self.table:
            if name not in known:
                near = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                self.fail(name, f"unknown key (valid: {', '.join(sorted(known))}){hint}")


def _kind(value: object) -> str:
    return {
        bool: "a boolean", int: "a number", float: "a number", str: "a string",
        list: "a list", dict: "a table",
    }.get(type(value), type(value).__name__)
