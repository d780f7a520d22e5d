"""Each account's sources and how they fare: Cloudflare's analytics, the S3
endpoint (probes, the endpoint check, the bucket list) and the listings.

Jobs report what they saw (`SourceReport`); the runner records it with the
run's close (`record`), in the store, so the TUI, `r2tui collect` and
`r2tui status` all see one truth: the state, the reason (one line, already
free of secrets: it comes from describe_error or AnalyticsError.reason), since
when it fails and when it last worked. Figures built on a failing source are
stale since the failure began; panes say so instead of showing smaller numbers.

Stored without a table of its own: a change of state or reason is an event
(the Activity pane shows it; its data holds the record) and two watermarks in
StoreState point at it and keep the last success. Nothing is written when a
report changes nothing but the last success.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

from r2tui.store.db import Store
from r2tui.store.models import Event, StoreState

ANALYTICS = "analytics"  # Cloudflare's GraphQL analytics
S3 = "s3"  # the endpoint and the keys: probes, the endpoint check, the bucket list
LISTING = "listing"  # the inventory's listings of each bucket
SOURCES = (ANALYTICS, S3, LISTING)
EVENT_KIND = "source"
# The permission Cloudflare's analytics need on the API token.
ANALYTICS_PERMISSION = "Account Analytics: Read"


class SourceState(StrEnum):
    UNKNOWN = "unknown"  # never reported
    OK = "ok"
    MISSING = "missing"  # not configured: no API token, no S3 credentials
    REFUSED = "refused"  # the token or the keys were refused
    DOWN = "down"  # unreachable, timed out, rate limited or 5xx on every attempt
    FAILING = "failing"  # anything else


FAILED = frozenset({SourceState.REFUSED, SourceState.DOWN, SourceState.FAILING})

# Short words for each source and state: a card has about 20 cells.
_SHORT: dict[tuple[str, SourceState], str] = {
    (ANALYTICS, SourceState.MISSING): "no API token",
    (ANALYTICS, SourceState.REFUSED): "token refused",
    (ANALYTICS, SourceState.DOWN): "analytics down",
    (ANALYTICS, SourceState.FAILING): "analytics failing",
    (S3, SourceState.MISSING): "no S3 keys",
    (S3, SourceState.REFUSED): "S3 keys refused",
    (S3, SourceState.DOWN): "S3 unreachable",
    (S3, SourceState.FAILING): "S3 failing",
    (LISTING, SourceState.MISSING): "no S3 keys",
    (LISTING, SourceState.REFUSED): "listing refused",
    (LISTING, SourceState.DOWN): "S3 unreachable",
    (LISTING, SourceState.FAILING): "listing failed",
}
# What would make it work again, where one thing would.
_NEEDS: dict[tuple[str, SourceState], str] = {
    (ANALYTICS, SourceState.REFUSED): f"needs {ANALYTICS_PERMISSION}",
    (ANALYTICS, SourceState.MISSING): f"add a token with {ANALYTICS_PERMISSION}",
    (S3, SourceState.REFUSED): "check the access key and secret",
    (LISTING, SourceState.REFUSED): "the keys need Object Read",
}


@dataclass(frozen=True)
class SourceReport:
    """What one job run saw of one source."""

    state: SourceState
    reason: str = ""


@dataclass(frozen=True)
class SourceHealth:
    source: str
    state: SourceState = SourceState.UNKNOWN
    reason: str = ""
    since: int | None = None  # in this state since; for a failure, since the first one
    ok_at: int | None = None  # the last report that it worked
    at: int | None = None  # when the state or reason was last recorded

    @property
    def failed(self) -> bool:
        return self.state in FAILED

    @property
    def stale_since(self) -> int | None:
        """Figures built on this source are stale from here on, if it fails."""
        return self.since if self.failed else None

    @property
    def short(self) -> str:
        """A few words: "token refused", "S3 unreachable"; "" when nothing is wrong."""
        return _SHORT.get((self.source, self.state), "")

    @property
    def needs(self) -> str:
        """What would fix it, when one thing would: "needs Account Analytics: Read"."""
        return _NEEDS.get((self.source, self.state), "")

    @property
    def headline(self) -> str:
        """One line for a header or a report: the short words, the fix, the reason."""
        if not self.short:
            return ""
        parts = [self.short + (f" ({self.needs})" if self.needs else "")]
        if self.reason:
            parts.append(self.reason)
        return ": ".join(parts)


@dataclass(frozen=True)
class HealthView:
    account: str
    sources: Mapping[str, SourceHealth] = field(default_factory=dict)

    def get(self, source: str) -> SourceHealth:
        return self.sources.get(source) or SourceHealth(source)

    @property
    def failed(self) -> list[SourceHealth]:
        """The failing sources, the longest failing first."""
        return sorted(
            (h for h in self.sources.values() if h.failed),
            key=lambda h: (
                h.since or 0,
                SOURCES.index(h.source) if h.source in SOURCES else len(SOURCES),
            ),
        )

    def stale_since(self, *sources: str) -> int | None:
        """When figures built on any of `sources` went stale, if they are."""
        times = [t for s in sources if (t := self.get(s).stale_since) is not None]
        return min(times, default=None)


def sources_doc(
    view: HealthView, iso: Callable[[int | None], str | None]
) -> dict[str, dict[str, object]]:
    """`status --json`'s "sources": each source's state, words, reason and times
    (through `iso`), "stale_since" set while figures built on it are stale."""
    return {
        s: {
            "state": h.state.value,
            "summary": h.short,
            "needs": h.needs,
            "reason": h.reason,
            "since": iso(h.since),
            "last_ok": iso(h.ok_at),
            "stale_since": iso(h.stale_since),
        }
        for s in SOURCES
        if (h := view.get(s)).state is not SourceState.UNKNOWN
    }


def listing_failure(view: HealthView) -> SourceHealth | None:
    """Why the listing's figures cannot refresh: the listing failing, or the
    endpoint unreachable. Keys refused by a probe's bucket are not the listing's."""
    listing = view.get(LISTING)
    if listing.failed:
        return listing
    s3 = view.get(S3)
    return s3 if s3.state is SourceState.DOWN else None


def of(dash: object) -> HealthView:
    """The health a dashboard carries (`r2tui.dashboard.read` reads it), or an empty
    view for one made without it (tests' fixed dashboards)."""
    view = getattr(dash, "health", None)
    if isinstance(view, HealthView):
        return view
    return HealthView(str(getattr(dash, "account", "")))


# ---- the store ---------------------------------------------------------------------------
def _event_key(source: str, account: str) -> str:
    return f"source:{source}:{account}"


def _ok_key(source: str, account: str) -> str:
    return f"source_ok:{source}:{account}"


def read(store: Store, account: str) -> HealthView:
    """Every source's record for `account`: two small queries."""
    store.bound()
    keys = {
        k: (s, kind)
        for s in SOURCES
        for kind, k in (("event", _event_key(s, account)), ("ok", _ok_key(s, account)))
    }
    # peewee's stubs type a `.tuples()` query's rows as models.
    marks = cast(
        "Iterable[tuple[str, int]]",
        StoreState.select(StoreState.key, StoreState.value)
        .where(StoreState.key.in_(list(keys)))
        .tuples(),
    )
    held: dict[tuple[str, str], int] = {keys[k]: int(v) for k, v in marks}
    ids = [v for (_, kind), v in held.items() if kind == "event" and v]
    events: dict[int, tuple[int, str | None]] = {}
    if ids:
        rows = cast(
            "Iterable[tuple[int, int, str | None]]",
            Event.select(Event.id, Event.ts, Event.data).where(Event.id.in_(ids)).tuples(),
        )
        events = {i: (ts, data) for i, ts, data in rows}
    sources: dict[str, SourceHealth] = {}
    for s in SOURCES:
        ok_at = held.get((s, "ok"))
        event_id = held.get((s, "event"))
        if event_id is None and ok_at is None:
            continue
        found = events.get(event_id or 0)
        if found is None:
            # Working since before anything was recorded, or its event was purged.
            sources[s] = SourceHealth(
                s, SourceState.OK if ok_at else SourceState.UNKNOWN, ok_at=ok_at
            )
            continue
        ts, data = found
        sources[s] = _from_event(s, ts, data, ok_at)
    return HealthView(account, sources)


def _from_event(source: str, ts: int, data: str | None, ok_at: int | None) -> SourceHealth:
    try:
        record = json.loads(data or "{}")
        state = SourceState(record.get("state", "unknown"))
        since = int(record.get("since", ts))
        reason = str(record.get("reason", ""))
    except (ValueError, TypeError):
        # Written by this module only; a hand-edited store is shown as unknown.
        return SourceHealth(source, ok_at=ok_at, at=ts)
    return SourceHealth(source, state, reason, since, ok_at, ts)


def record(
    store: Store,
    account: str,
    reports: Mapping[str, SourceReport],
    at: float,
    refresh_after: int | None = None,
) -> bool:
    """Store what a job run saw; call inside `store.write()` (this reads, then
    writes). Writes only what changed: an event and its pointer when the state
    or the reason moves, the last success when a source worked. A record older
    than `refresh_after` seconds is written again, unchanged, so the events'
    retention never drops a failure that lasts. True when anything was written."""
    store.bound()
    if not reports:
        return False
    now = int(at)
    current = read(store, account)
    wrote = False
    for source, report in reports.items():
        was = current.get(source)
        if report.state is SourceState.OK:
            _put(store, _ok_key(source, account), now)
            wrote = True
        aged = (
            refresh_after is not None
            and was.at is not None
            and now - was.at >= refresh_after
            and was.state is not SourceState.OK
        )
        if (report.state, report.reason) == (was.state, was.reason) and not aged:
            continue
        if report.state is SourceState.OK and was.state in (SourceState.UNKNOWN, SourceState.OK):
            continue  # working from the start: nothing to tell
        since = (
            was.since
            if (report.state in FAILED and was.failed) or (report.state is was.state)
            else now
        )
        event_id = Event.insert(
            ts=now,
            account=account,
            bucket=None,
            kind=EVENT_KIND,
            level=_level(report.state),
            message=_message(source, report, was),
            data=json.dumps(
                {
                    "source": source,
                    "state": report.state.value,
                    "reason": report.reason,
                    "since": since or now,
                }
            ),
        ).execute()
        _put(store, _event_key(source, account), int(event_id))
        wrote = True
    return wrote


def _put(store: Store, key: str, value: int) -> None:
    (
        StoreState.insert(key=key, value=value)
        .on_conflict(conflict_target=[StoreState.key], update={StoreState.value: value})
        .execute()
    )


def _level(state: SourceState) -> str:
    return "error" if state in FAILED else "info"


_NAMES = {ANALYTICS: "Cloudflare analytics", S3: "S3 endpoint", LISTING: "listing"}


def _message(source: str, report: SourceReport, was: SourceHealth) -> str:
    name = _NAMES.get(source, source)
    if report.state is SourceState.OK:
        return f"{name} works again"
    shown = SourceHealth(source, report.state)
    needs = f" ({shown.needs})" if shown.needs else ""
    if report.state is SourceState.MISSING and report.reason:
        return f"{name}: {report.reason}{needs}"
    text = f"{name}: {shown.short or report.state.value}{needs}"
    return f"{text}: {report.reason}" if report.reason else text
