"""What the commands print, through one door.

Every line a command writes to stdout or stderr goes through `say` (a line or
lines of our own, with values from outside already put in through
`r2tui.literal.visible`) or `write` (a whole document such as a report):
both apply `visible_lines` as the last guard, so whatever a caller forgot, no
control, bidirectional or invisible character from data reaches the terminal
raw, and only our own line breaks break lines. JSON goes out as `json_text`:
the exact values, with the same characters as JSON escapes.
"""

from __future__ import annotations

import sys
from typing import TextIO

from r2tui.literal import json_text, visible_lines

__all__ = ["say", "say_json", "write"]


def _stream(err: bool) -> TextIO:
    # Looked up at each call: tests and pagers replace sys.stdout and sys.stderr.
    return sys.stderr if err else sys.stdout


def say(text: object = "", *, err: bool = False) -> None:
    """`print(text)` with every line made visible (stderr with `err`)."""
    _stream(err).write(visible_lines(str(text)) + "\n")


def write(text: str, *, err: bool = False) -> None:
    """A document written as it is (its own line breaks, no newline added),
    each line made visible."""
    _stream(err).write(visible_lines(text))


def say_json(document: object, indent: int | None = 2) -> None:
    """`document` as JSON on stdout: exact values, inert characters."""
    _stream(False).write(json_text(document, indent=indent) + "\n")
