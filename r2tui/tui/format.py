"""How numbers, sizes and times read on screen."""

from __future__ import annotations

import functools
import time
from datetime import datetime
from decimal import Decimal

from rich.text import Text

from r2tui.costs.bill import to_cents
from r2tui.literal import clip, visible
from r2tui.units import human_bytes

__all__ = [
    "BUCKET_CELLS",
    "KEY_CELLS",
    "LINE_CELLS",
    "age",
    "cell",
    "count",
    "data",
    "duration",
    "human_bytes",
    "local_time",
    "pct",
    "usd",
    "visible",
]

# How much of a long value a layout shows (the whole value is a keystroke away:
# enter on a row, the Activity entry screen, the rule form). Chosen at 120x30
# and 80x24: a bucket name column takes at most a quarter of a zoomed pane at
# 120 columns (R2's names are at most 63 characters; most are far shorter), and
# a key column, with the bucket, size, class and time beside it, fits a zoomed
# pane at 120 columns. Where a column's width is set by the table (a flex
# column), or for one line of a pane, LINE_CELLS only bounds the text; the
# widget cuts it where it ends, with an ellipsis (`cell`).
BUCKET_CELLS = 30
KEY_CELLS = 60
LINE_CELLS = 200


def count(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    –"


def duration(seconds: float) -> str:
    s = int(max(0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 600:
        return f"{s // 60}m {s % 60:02d}s"
    return _minutes(s // 60)


@functools.lru_cache(maxsize=4096)
def _minutes(m: int) -> str:
    """A duration of ten minutes or more, which says no seconds: by its minutes,
    made once (a thousand rows' ages at every store read)."""
    if m < 60:
        return f"{m}m"
    if m < 1440:
        return f"{m // 60}h {m % 60:02d}m"
    return f"{m // 1440}d {m % 1440 // 60}h"


@functools.lru_cache(maxsize=4096)
def _minutes_ago(m: int) -> str:
    return _minutes(m) + " ago"


def age(ts: float | None, now: float | None = None) -> str:
    if ts is None:
        return "never"
    s = int(max(0, (time.time() if now is None else now) - ts))
    return _minutes_ago(s // 60) if s >= 600 else duration(s) + " ago"


def local_time(ts: float, now: float | None = None) -> str:
    """HH:MM:SS today, else the date too (local time: the store keeps UTC)."""
    t = datetime.fromtimestamp(ts).astimezone()
    today = datetime.fromtimestamp(time.time() if now is None else now).astimezone().date()
    return t.strftime("%H:%M:%S") if t.date() == today else t.strftime("%Y-%m-%d %H:%M")


def usd(v: float) -> str:
    """Dollars to the cent, half up as an invoice rounds ($1.005 is $1.01, though a
    float holds it as 1.00499…); amounts under a cent in full."""
    if v == 0:
        return "$0.00"
    if abs(v) >= 0.01:
        return f"${to_cents(Decimal(repr(v))):,.2f}"
    return f"${v:.6f}"


def data(value: object, style: str = "", cells: int | None = None) -> Text:
    """Text from outside (a key, a bucket name, a server's message, what a user
    typed) for a widget: a `Text`, never markup, with `r2tui.literal`'s rule for
    control characters; cut to `cells` terminal cells when a layout needs it."""
    return Text(visible(value) if cells is None else clip(value, cells), style=style)


def cell(value: object, cells: int = LINE_CELLS, style: str = "") -> Text:
    """`data` for a one-line place (a table cell, a one-line label): cut to
    `cells`, and cut again with an ellipsis where the place is narrower."""
    text = data(value, style, cells)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text
