"""Label matchers, as Alertmanager writes them: `bucket=media`, `severity!=low`,
`bucket=~logs-.*`, `rule!~Slow.*`. Silences and maintenance windows pick the
alerts they hold with them. A regex matches the whole value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

OPS = ("=~", "!~", "!=", "=")  # longest first: "=~" before "="
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

Matcher = tuple[str, str, str]  # (label, op, value)


def parse_matcher(text: object) -> Matcher:
    """`label op value`; ValueError saying what a valid one looks like."""
    if isinstance(text, str):
        for op in OPS:
            label, sep, value = text.partition(op)
            if sep and "=" not in label and "!" not in label:
                label = label.strip()
                value = value.strip().strip('"')
                if not _LABEL.fullmatch(label):
                    break
                if op in ("=~", "!~"):
                    try:
                        re.compile(value)
                    except re.error as exc:
                        raise ValueError(f"{text!r}: not a valid regular expression: "
                                         f"{exc}") from None
                return (label, op, value)
    raise ValueError(f"expected a matcher such as \"bucket=media\", \"severity!=low\" or "
                     f"\"bucket=~logs-.*\", got {text!r}")


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
            ok = re.fullmatch(value, have) is not None
            ok = ok if op == "=~" else not ok
        if not ok:
            return False
    return True
