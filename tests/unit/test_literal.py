"""The one rule for text from outside (`r2tui.literal`), on the hostile corpus."""

from __future__ import annotations

import json
import re

import pytest
from rich.cells import cell_len

from r2tui.literal import ELLIPSIS, clip, json_text, quoted, visible, visible_lines
from tests.support.hostile import CORPUS, raw_controls


@pytest.mark.parametrize("h", CORPUS, ids=lambda h: h.id)
def test_visible_leaves_no_control_and_reads_back(h) -> None:  # type: ignore[no-untyped-def]
    shown = visible(h.text)
    assert raw_controls(shown) == []
    assert "\n" not in shown and "\u2028" not in shown
    shown.encode("utf-8")  # a lone surrogate would raise here
    # Escapes are Python's: nothing is lost (where the text itself held no
    # backslash, which is shown as it is).
    if "\\" not in h.text:
        assert _unescape(shown) == h.text


_ESCAPE = re.compile(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8})|([tnr]))")


def _unescape(shown: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(4):
            return {"t": "\t", "n": "\n", "r": "\r"}[m.group(4)]
        return chr(int(next(g for g in m.groups() if g), 16))

    return _ESCAPE.sub(one, shown)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
        ("\x9b\x7f\x00", "\\x9b\\x7f\\x00"),
        ("invoice\u202egpj.exe", "invoice\\u202egpj.exe"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("ad\u200bmin", "ad\\u200bmin"),
        ("bad\ud800", "bad\\ud800"),
        ("tag\U000e0041", "tag\\U000e0041"),
    ],
)
def test_visible_escapes(text: str, shown: str) -> None:
    assert visible(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "café/naïve",
        "漢字",
        "👨\u200d👩\u200d👧",
        "e\u0301",
        "a b",
        "[bold]x[/]",
        "<b>&amp;</b>",
        "C:\\path\\x1b",
    ],
)
def test_visible_keeps_what_cannot_act(text: str) -> None:
    assert visible(text) is text or visible(text) == text


def test_visible_takes_any_value() -> None:
    assert visible(12) == "12"
    assert visible(None) == "None"


def test_visible_lines_keeps_our_breaks_only() -> None:
    assert visible_lines("one\x1b\ntwo\r") == "one\\x1b\ntwo\\r"


@pytest.mark.parametrize(
    ("text", "cells", "out"),
    [
        ("abcdef", 6, "abcdef"),
        ("abcdefg", 6, "abcde…"),
        ("漢字漢字", 5, "漢字…"),
        ("漢字漢字", 8, "漢字漢字"),
        ("a\x1bb", 4, "a\\x…"),
        ("abc", 0, ""),
    ],
)
def test_clip(text: str, cells: int, out: str) -> None:
    assert clip(text, cells) == out
    assert cell_len(clip(text, cells)) <= cells


@pytest.mark.parametrize("h", CORPUS, ids=lambda h: h.id)
def test_clip_never_exceeds_its_cells(h) -> None:  # type: ignore[no-untyped-def]
    for cells in (1, 2, 7, 40):
        cut = clip(h.text, cells)
        assert cell_len(cut) <= cells
        assert raw_controls(cut) == []
        if cut.endswith(ELLIPSIS) and not visible(h.text).endswith(ELLIPSIS):
            assert visible(h.text).startswith(cut[:-1])


def test_quoted_cuts_a_long_value_and_says_its_length() -> None:
    assert quoted("abc") == "'abc'"
    long = quoted("x" * 200_000)
    assert len(long) < 120
    assert "200,002 characters" in long


@pytest.mark.parametrize("h", CORPUS, ids=lambda h: h.id)
def test_json_text_is_exact_and_inert(h) -> None:  # type: ignore[no-untyped-def]
    doc = {"key": h.text, h.text: [h.text, 1]}
    text = json_text(doc, indent=2)
    assert raw_controls(text) == []
    text.encode("utf-8")
    assert json.loads(text) == doc
