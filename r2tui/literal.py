"""How text from outside is shown: literally, whatever it holds.

Object keys, bucket names, analytics dimensions, server messages and what
users type into rules, labels, annotations and silences are data. Anyone who
can upload one object can choose a key, so a key must not be able to draw on
the terminal, forge a line of output, turn into markup or links, or hide part
of itself. Every output path goes through this module:

- `visible` is the one rule for every text output (CLI, logs, reports,
  notices): control characters (C0, DEL, C1), bidirectional controls,
  invisible format characters, line and paragraph separators, lone surrogates
  and Unicode tag characters are written as Python escapes (`\\x1b`, `\\n`,
  `\\u202e`), so what a terminal shows is what the text holds and no byte of it
  acts on the terminal. Zero-width joiners stay: emoji and several scripts are
  built from them, and they cannot move or hide text.
- `visible_lines` keeps our own line breaks and applies the rule to each line:
  the last guard before a terminal.
- `clip` cuts to a number of terminal cells with an ellipsis, for layouts;
  never for JSON, which always carries the whole value.
- `quoted` is `repr` of a value for an error message, cut to a readable length.
- `json_text` is JSON whose strings carry the exact values, with every
  character `visible` would escape written as a JSON escape, so a document
  printed to a terminal is as harmless as the text rule makes a line.

Widgets get `rich.text.Text` built from `visible` (see `r2tui.tui.format.data`),
never a markup string.
"""

from __future__ import annotations

import json
import re

from rich.cells import cell_len

__all__ = ["ELLIPSIS", "clip", "json_text", "quoted", "visible", "visible_lines"]

ELLIPSIS = "…"
# What `visible` escapes. C0, DEL and C1 controls; U+00AD soft hyphen; U+061C,
# U+200E, U+200F, U+202A-U+202E, U+2066-U+2069 bidirectional marks, embeddings,
# overrides and isolates; U+180E, U+200B, U+2060-U+2064, U+206A-U+206F, U+FEFF,
# U+FFF9-U+FFFB invisible format characters; U+2028, U+2029 line and paragraph
# separators; lone surrogates (no encoder can write them); U+E0000-U+E007F tag
# characters (invisible text riding on an emoji).
_BEYOND_C0 = (
    "\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f"
)
UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# JSON escapes tab, LF and CR inside strings itself: raw ones are its own layout.
_JSON_UNSAFE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_BEYOND_C0}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(value: object) -> str:
    """`value` as text with every character that could act on a terminal, break
    a line or hide itself written as an escape; anything else as it is."""
    text = value if isinstance(value, str) else str(value)
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(_escape, text)


def visible_lines(text: str) -> str:
    """`visible` for each line of a text whose line breaks are our own."""
    return "\n".join(visible(line) for line in text.split("\n"))


def clip(value: object, cells: int) -> str:
    """`visible(value)` in at most `cells` terminal cells (wide characters take
    two), cut with an ellipsis when longer."""
    text = visible(value)
    if cells <= 0:
        return ""
    if len(text) <= cells and cell_len(text) <= cells:
        return text
    room = cells - 1  # the ellipsis takes one cell
    out, used = [], 0
    for ch in text:
        width = cell_len(ch)
        if used + width > room:
            break
        out.append(ch)
        used += width
    return "".join(out) + ELLIPSIS


def quoted(value: object, limit: int = 80) -> str:
    """`repr(value)` for an error message ("got 'abc'"), cut to about `limit`
    characters: a 200,000-character mistake is named, not printed."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}{ELLIPSIS} ({len(text):,} characters)"


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code >= 0x10000:  # JSON escapes only UTF-16 units: a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(
    document: object,
    *,
    indent: int | None = None,
    sort_keys: bool = False,
    separators: tuple[str, str] | None = None,
    allow_nan: bool = True,
) -> str:
    """`json.dumps(document, ensure_ascii=False, ...)` with the characters
    `visible` escapes written as JSON escapes (inside strings: outside them
    JSON has none of these characters). The values are exact: a reader gets
    the same strings back."""
    text = json.dumps(
        document,
        ensure_ascii=False,
        indent=indent,
        sort_keys=sort_keys,
        separators=separators,
        allow_nan=allow_nan,
    )
    return _JSON_UNSAFE.sub(_json_escape, text)
