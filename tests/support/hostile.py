"""A corpus of hostile text: what anyone who can upload one object (a key), run
a bucket the analytics API names (a bucket name or dimension), make a server
answer (an error message) or type into a rule may put in front of r2tui.

Every output path is tried with all of it: each must show the text literally
(`r2tui.literal.visible`, cut with an ellipsis only where a layout needs it),
never crash, never let a control byte reach a terminal, and never turn the
text into markup, a link, a formula, a header or an element.

    from tests.support.hostile import CORPUS, KEYS, NAMES, raw_controls
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Hostile:
    id: str  # a pytest id
    text: str
    key: bool = True  # valid as an S3 object key (UTF-8, 1 to 1,024 bytes, no NUL)


CORPUS: tuple[Hostile, ...] = (
    # Rich/Textual markup: balanced, unbalanced, links and actions.
    Hostile("markup-bold", "[bold red]NEW[/] invoice.pdf"),
    Hostile("markup-unbalanced", "[/]unbalanced["),
    Hostile("markup-link", "[link=http://evil.example/]click me[/link]"),
    Hostile("markup-click", "[@click=app.quit]press here[/]"),
    Hostile("markup-escaped", "\\[not markup] and [b]bold[/b]"),
    Hostile("markup-variable", "[$accent]themed[/] [reverse]x"),
    # Terminal escapes: CSI, OSC 8 links, OSC 52 clipboard writes, C1 controls.
    Hostile("ansi-clear", "\x1b[2J\x1b[Hscreen cleared"),
    Hostile("ansi-colour", "\x1b[31mred\x1b[0m.log"),
    Hostile("osc8-link", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"),
    Hostile("osc52-clipboard", "\x1b]52;c;cm0gLXJmIH4K\x07copied"),
    Hostile("c1-csi", "c1\x9b2Jcsi\x85nel"),
    Hostile("bell-backspace", "ding\x07\x08\x08\x08oops\x7f"),
    # Bidirectional overrides and isolates, invisible characters.
    Hostile("bidi-override", "invoice\u202egpj.exe"),
    Hostile("bidi-isolates", "\u2066left\u2069 \u2067right\u2069 \u2068first\u2069"),
    Hostile("bidi-embedding", "\u202aembedded\u202c \u202bRTL\u202c \u200eLRM\u200fRLM"),
    Hostile("zero-width", "ad\u200bmin\ufeff\u2060\u00ad"),
    Hostile("tag-characters", "flag\U000e0069\U000e0067\U000e006e\U000e006f\U000e0072\U000e0065"),
    # Whitespace that breaks lines or columns.
    Hostile("tab", "col1\tcol2"),
    Hostile("lf", "line one\nalerts: nothing firing"),
    Hostile("cr", "innocent\rOVERWRITTEN"),
    Hostile("crlf", "head\r\nX-Injected: yes"),
    Hostile("line-separator", "para\u2028line\u2029para"),
    # Length: a key at S3's 1,024-byte limit, ASCII and two-byte characters.
    Hostile("long-ascii", "deep/" + "x" * 1019),
    Hostile("long-two-byte", "é" * 512),
    # HTML, Markdown, Slack and CSV payloads.
    Hostile("html-script", "<script>alert('key')</script>"),
    Hostile("html-img", '"><img src=x onerror=alert(1)>&amp;'),
    Hostile("markdown", "*bold* _it_ `code` [link](http://evil.example/) ![i](http://x/i.png)"),
    Hostile("markdown-block", "# Heading\n- item\n> quote\n| a | b |"),
    Hostile("slack-mention", "<!channel> <!here> <@U024BE7LH>"),
    Hostile("slack-link", "<http://evil.example/|view invoice>"),
    Hostile("csv-equals", '=HYPERLINK("http://evil.example/","click")'),
    Hostile("csv-plus", "+1+cmd|' /C calc'!A0"),
    Hostile("csv-minus", "-2+3"),
    Hostile("csv-at", "@SUM(A1:A9)"),
    Hostile("csv-after-cr", 'ok\r=HYPERLINK("http://evil.example/","x")'),
    Hostile("csv-after-lf", "ok\n=1+1"),
    # Unicode that is legitimate but hard to lay out.
    Hostile("combining", "e\u0301\u0301\u0301\u0301 z\u0335\u0336\u0337"),
    Hostile("combining-leading", "\u0301\u0302starts with marks"),
    Hostile("wide", "漢字のキー/ファイル名.txt"),
    Hostile("emoji", "👨‍👩‍👧 family 🏳️‍🌈 flag"),
    # Not valid in an S3 key; bucket names and dimensions from JSON can hold them.
    Hostile("nul", "before\x00after", key=False),
    Hostile("lone-surrogate", "bad\ud800half", key=False),
)

KEYS: tuple[Hostile, ...] = tuple(h for h in CORPUS if h.key)
NAMES: tuple[Hostile, ...] = CORPUS

# Bytes that act on a terminal: C0 controls but LF (our own line breaks), DEL, C1.
_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def raw_controls(text: str) -> list[str]:
    """The control and bidirectional characters in `text` (LF excepted): an
    output holding any of them lets data act on a terminal."""
    return _RAW.findall(text)
