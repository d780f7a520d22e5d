"""How the commands show a scope, a value, a time and a table on a line.

Values from outside go into their lines through `r2tui.literal.visible`;
the lines go out through `r2tui.output`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.cells import cell_len

from r2tui.literal import visible
from r2tui.metrics import ACCOUNT
from r2tui.units import human_bytes


def scope_text(scope: str) -> str:
    """The scope as shown on a line: a bucket name or glob, made `visible`."""
    return "account" if scope == ACCOUNT else visible(scope)


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "bytes":
        return human_bytes(value)
    return f"{value:g}" if unit == "bool" else f"{value:g} {unit}"


def local(ts: float | None) -> str:
    """A time in the user's zone, to the minute; "-" for none."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def table(rows: Sequence[tuple[str, ...]]) -> str:
    """Columns padded to the terminal cells their text takes (a wide character
    takes two). The cells must already be `visible`: one line each."""
    widths = [max(cell_len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    )
