"""Silences: matchers, a start, an end and a comment. A silenced alert still
changes state (and shows as silenced); it sends no new firing notice. One may
expire early, or by itself once the alerts it holds have resolved."""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from r2tui.config.values import MAX_DURATION, span_text
from r2tui.matchers import Matcher, matcher_text, matches, parse_matcher
from r2tui.store.db import Store
from r2tui.store.models import Silence

MAX_MATCHERS = 100
COMMENT_MAX = 1000  # characters: why, and a ticket or two
LATEST_START = 221845392000  # 9000-01-01: a silence's end still fits a datetime


@dataclass(frozen=True)
class SilenceRow:
    id: int
    matchers: tuple[Matcher, ...]
    starts_at: int
    ends_at: int
    comment: str
    created_by: str
    created_at: int
    expire_on_resolve: bool

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def holds(self, labels: Mapping[str, str]) -> bool:
        return matches(self.matchers, labels)

    def describe(self) -> str:
        return ", ".join(matcher_text(m) for m in self.matchers)


def _row(s: Silence) -> SilenceRow:
    return SilenceRow(
        int(s.id),
        # Stored by add_silence: JSON lists of a Matcher's three strings.
        tuple(cast("Matcher", tuple(m)) for m in json.loads(s.matchers)),
        int(s.starts_at),
        int(s.ends_at),
        s.comment,
        s.created_by,
        int(s.created_at),
        bool(s.expire_on_resolve),
    )


def add_silence(
    store: Store,
    matchers: Sequence[str | Matcher],
    duration: int,
    comment: str,
    starts_at: float | None = None,
    created_by: str | None = None,
    expire_on_resolve: bool = False,
    now: float | None = None,
) -> int:
    """A silence from now (or `starts_at`) for `duration` seconds. Matchers as
    text ("bucket=media") or parsed; ValueError naming what is wrong."""
    parsed = [m if isinstance(m, tuple) else parse_matcher(m) for m in matchers]
    if not parsed:
        raise ValueError(
            'matchers: at least one, such as "rule=High error rate" or '
            '"bucket=media"; a silence of everything is a maintenance window'
        )
    if len(parsed) > MAX_MATCHERS:
        raise ValueError(f"matchers: at most {MAX_MATCHERS}, got {len(parsed):,}")
    if duration <= 0 or duration > MAX_DURATION:
        raise ValueError(
            f"duration: expected a positive duration of at most "
            f"{span_text(MAX_DURATION)}, got {duration} s"
        )
    if not comment.strip():
        raise ValueError("comment: required, so the next person knows why")
    if len(comment.strip()) > COMMENT_MAX:
        raise ValueError(
            f"comment: at most {COMMENT_MAX:,} characters, got {len(comment.strip()):,}"
        )
    t = int(store.clock() if now is None else now)
    start = int(starts_at) if starts_at is not None else t
    if not 0 <= start <= LATEST_START:
        # Dates beyond these cannot be shown (datetime stops at year 9999).
        raise ValueError("start: expected a time between 1970 and 9000")
    with store.write():
        return int(
            Silence.insert(
                matchers=json.dumps(parsed),
                starts_at=start,
                ends_at=start + duration,
                comment=comment.strip(),
                created_by=created_by or _user(),
                created_at=t,
                expire_on_resolve=expire_on_resolve,
            ).execute()
        )


def expire(store: Store, silence_id: int, now: float | None = None) -> bool:
    """End a silence now; False when there is no such silence or it has ended."""
    t = int(store.clock() if now is None else now)
    with store.write():
        changed: int = (
            Silence.update(ends_at=t).where(Silence.id == silence_id, Silence.ends_at > t).execute()
        )
    return changed > 0


def silences(
    store: Store, now: float | None = None, include_ended: bool = False
) -> list[SilenceRow]:
    """Active and future silences (and ended ones too with `include_ended`)."""
    store.bound()
    t = int(store.clock() if now is None else now)
    q = Silence.select().order_by(Silence.ends_at.desc())
    if not include_ended:
        q = q.where(Silence.ends_at > t)
    return [_row(s) for s in q]


def silencing(
    rows: Sequence[SilenceRow], labels: Mapping[str, str], now: float
) -> SilenceRow | None:
    """The active silence holding an alert with `labels`, if any."""
    return next((s for s in rows if s.active(now) and s.holds(labels)), None)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
