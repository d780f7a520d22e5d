"""Label matchers, as Alertmanager writes them: `bucket=media`, `severity!=low`,
`bucket=~logs-.*`, `rule!~Slow.*`. Silences and maintenance windows pick the
alerts they hold with them. A regex matches the whole value.

Regular expressions are RE2's, as in Alertmanager (Go's regexp is RE2): the
same syntax (no backreferences, no lookaround), and matching in time linear in
the value. A bucket name comes from outside, and Python's backtracking `re`
would spend exponential time on `(a+)+b` against a long one, holding up every
alert evaluation."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

import re2

from r2tui.literal import quoted

OPS = ("=~", "!~", "!=", "=")  # longest first: "=~" before "="
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
VALUE_MAX = 1000  # characters of a matcher's value: as long as a label value may be
_TEXT_MAX = VALUE_MAX + 100  # a label, an operator, quotes and spaces around them

Matcher = tuple[str, str, str]  # (label, op, value)


def parse_matcher(text: object) -> Matcher:
    """`label op value`; ValueError saying what a valid one looks like."""
    if isinstance(text, str) and len(text) > _TEXT_MAX:
        raise ValueError(
            f"a matcher is at most {VALUE_MAX:,} characters of value, got {quoted(text)}"
        )
    if isinstance(text, str):
        for op in OPS:
            label, sep, value = text.partition(op)
            if sep and "=" not in label and "!" not in label:
                label = label.strip()
                value = value.strip().strip('"')
                if not _LABEL.fullmatch(label):
                    break
                if len(value) > VALUE_MAX:
                    raise ValueError(
                        f"a matcher's value is at most {VALUE_MAX:,} characters, got {quoted(text)}"
                    )
                if op in ("=~", "!~"):
                    try:
                        _regex(value)
                    except re2.error as exc:
                        raise ValueError(
                            f"{quoted(text)}: not a valid regular expression: {_reason(exc)}"
                        ) from None
                    except UnicodeEncodeError:  # a lone surrogate: no text RE2 can take
                        raise ValueError(
                            f"{quoted(text)}: not a valid regular expression: "
                            "it holds a lone surrogate"
                        ) from None
                return (label, op, value)
    raise ValueError(
        f'expected a matcher such as "bucket=media", "severity!=low" or '
        f'"bucket=~logs-.*", got {quoted(text)}'
    )


def matcher_text(m: Matcher) -> str:
    return f"{m[0]}{m[1]}{m[2]}"


def matches(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds for `labels` (a label not set is "")."""
    for label, op, value in matchers:
        have = labels.get(label, "")
        if op == "=":
            ok = have == value
        elif op == "!=":
            ok = have != value
        else:
            # RE2 takes UTF-8 only: a lone surrogate is matched as its escape.
            have = have.encode("utf-8", "backslashreplace").decode("utf-8")
            ok = _regex(value).fullmatch(have) is not None
            ok = ok if op == "=~" else not ok
        if not ok:
            return False
    return True


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would write a refused pattern to stderr, over the TUI


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> Any:  # google-re2 names its pattern type only privately
    return re2.compile(pattern, _OPTIONS)


def _reason(exc: re2.error) -> str:
    """RE2's message ("missing ): (") as text: it comes as bytes."""
    reason = exc.args[0] if exc.args else ""
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
