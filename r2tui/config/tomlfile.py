"""Reading a TOML file someone else may have written: the config file and the
rules files of `r2tui rules import`.

Two limits hold before the parser sees a byte: a file above 1 MiB is refused
(read up to one byte past the limit, never whole), and so is nesting deeper
than 100 arrays or tables. Python's `tomllib` parses nested values
recursively: a few thousand `[` end in a RecursionError. The depth is counted
twice: in the text, outside strings and comments, before parsing (cheap, one
regular expression pass), and in the parsed document, where dotted keys
(`a.b.c…`) nest tables without any bracket. A dotted key has at most 20 parts:
tomllib's time and memory grow fast with them (see MAX_KEY_PARTS). Every
refusal is a `TomlFileError` whose message says what is wrong and what the
limit is.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, BinaryIO

from r2tui.config.userfile import FileRefused, FileTooLarge, read_regular

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_KEY_PARTS",
    "TomlFileError",
    "depth",
    "parse",
    "read_capped",
    "read_path",
    "text_depth",
]

MAX_FILE_BYTES = 1 << 20  # 1 MiB: a config or rules file is a few KiB
MAX_DEPTH = 100  # arrays and tables inside each other
# Parts of one dotted key (`a.b.c` has 3). Each nests a table, but tomllib keeps
# about 700 bytes per part and takes time quadratic in a key's parts: a 1 MiB
# file of 100-part keys takes 340 MB and 2 s to parse, of 20-part keys 160 MB.
MAX_KEY_PARTS = 20
# The pre-check's scanner: what starts a string, a comment or a level, and
# where a basic string (with backslash escapes) ends.
# Every pattern is unrolled and possessive (`*+`): an alternation repeated with
# `*` keeps a backtracking entry per character, 120 MB for a 1 MiB string.
_NEXT = re.compile(r"""[\[\]{}"'#.]""")
_BASIC = r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'
# What may stand between two dots of one dotted key (`a . "b c" . d`).
_KEY_PART = re.compile(rf"""[ \t]*+(?:[A-Za-z0-9_-]++|{_BASIC}|'[^'\n]*+')[ \t]*+""")
_BASIC_END = re.compile(_BASIC[1:])
_MULTILINE_BASIC_END = re.compile(r'[^"\\]*+(?:(?:\\.|"(?!""))[^"\\]*+)*+"""', re.DOTALL)


class TomlFileError(ValueError):
    """A file that is too large, too deep or not TOML; the message names no path
    (the caller adds it) and says what would be valid."""


def read_capped(stream: BinaryIO, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most `limit` bytes of `stream` (standard input); TomlFileError when it
    holds more. Reads one byte past the limit, never the whole of an endless pipe."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    return data


def read_path(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most `limit` bytes of the regular file at `path` (`read_regular`: a
    FIFO, a device or a folder is refused without blocking); TomlFileError
    saying why when it is larger, cannot be opened or is no regular file."""
    try:
        return read_regular(path, limit)
    except FileTooLarge:
        raise _too_large(limit) from None
    except FileRefused as exc:
        raise TomlFileError(str(exc)) from None


def _too_large(limit: int) -> TomlFileError:
    return TomlFileError(
        f"larger than {limit // 1024:,} KiB ({_mib(limit)}); a config or rules file is a few KiB"
    )


def _mib(limit: int) -> str:
    return f"{limit / (1 << 20):g} MiB"


def text_depth(text: str) -> tuple[int, int]:
    """How deep `[` and `{` nest in a TOML text, strings and comments left out,
    and how many parts its longest dotted key has (`a.b.c`: 3). A table header
    (`[a]`, `[[a]]`) counts as one or two levels on its own line; a float as a
    key of two parts."""
    level = deepest = pos = 0
    parts, longest, after_dot = 0, 0, -1  # the dotted key being read; where its last dot ended
    # One pass, each character looked at once: an unterminated multi-line string
    # ends the scan (the parser will refuse the file), never starts a rescan.
    while (match := _NEXT.search(text, pos)) is not None:
        token, pos = match.group(), match.end()
        if token == ".":
            # tomllib takes time quadratic in a key's parts: count them here.
            joined = after_dot >= 0 and _KEY_PART.fullmatch(text, after_dot, pos - 1)
            parts = parts + 1 if joined else 2
            longest = max(longest, parts)
            after_dot = pos
        elif token in "[{":
            level += 1
            deepest = max(deepest, level)
        elif token in "]}":
            level = max(0, level - 1)
        elif token == "#":
            pos = text.find("\n", pos)
            if pos < 0:
                break
        elif text.startswith(token * 2, pos):  # """ or '''
            pos += 2
            if token == '"':
                end = _MULTILINE_BASIC_END.match(text, pos)
                if end is None:
                    break
                pos = end.end()
            else:
                pos = text.find("'''", pos)
                if pos < 0:
                    break
                pos += 3
            while pos < len(text) and text[pos] == token:  # up to two quotes of content
                pos += 1
        elif token == '"':
            end = _BASIC_END.match(text, pos)
            pos = end.end() if end is not None else pos
        else:
            close, line_end = text.find("'", pos), text.find("\n", pos)
            if close >= 0 and (line_end < 0 or close < line_end):
                pos = close + 1
    return deepest, longest


def depth(document: object) -> int:
    """How deep tables and arrays nest inside a parsed document (`a = [[1]]`
    is 2, as `text_depth` counts it; a table `[a]` with `b = {c = [1]}` is 3),
    without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, -1)]  # the document itself is no level
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level  # deep enough to refuse: no need to walk the rest
        stack.extend((child, level) for child in children)
    return deepest


def parse(text: str) -> dict[str, Any]:
    """The TOML document in `text`; TomlFileError when it is larger than
    MAX_FILE_BYTES of UTF-8 (text that was not read from a capped file), is not
    TOML, nests deeper than MAX_DEPTH or has a dotted key of more than
    MAX_KEY_PARTS parts."""
    if (
        len(text) > MAX_FILE_BYTES // 4
        and len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES
    ):
        raise _too_large(MAX_FILE_BYTES)
    too_deep = (
        f"nested deeper than {MAX_DEPTH} levels of arrays or tables; a config or "
        "rules file needs a few"
    )
    levels, parts = text_depth(text)
    if levels > MAX_DEPTH:
        raise TomlFileError(too_deep)
    if parts > MAX_KEY_PARTS:
        raise TomlFileError(
            f"a dotted key of more than {MAX_KEY_PARTS} parts (such as a.b.c); "
            "a config or rules file needs a few"
        )
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlFileError(f"not valid TOML: {exc}") from None
    except RecursionError:
        # A last resort: the pre-check above counts what tomllib recurses on.
        raise TomlFileError(too_deep) from None
    except ValueError:
        # tomllib lets int() refuse a number of more than 4,300 digits.
        raise TomlFileError("not valid TOML: a number of more than 4,300 digits") from None
    # Each level of brackets, a table header and the key before a value may each
    # add up to `parts` tables: below that bound the walk cannot find too much.
    if max(parts, 1) * (levels + 2) > MAX_DEPTH and depth(document) > MAX_DEPTH:
        raise TomlFileError(too_deep)
    return document
