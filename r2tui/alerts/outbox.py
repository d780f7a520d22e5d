"""The durable outbox: a notification is written to the store (in the engine's
own transaction, with the alert state that caused it) before any channel sees
it, and stays pending until a sender marks it sent or dead.

Several processes may deliver from one store (a TUI and a headless collector):
each row is claimed with a conditional UPDATE that only one of them can win,
and the claim is a lease, so a sender killed mid-send (kill -9, power loss)
leaves a row that the next deliverer picks up once the lease runs out. A
claim's lease is stamped and judged on the database's clock, as the collector
lease is, so senders on hosts whose clocks disagree agree on it (backoff, the
time a row is due again, stays on the sender's clock). That
makes delivery at-least-once: a receiver may see a notice twice after a crash,
never zero times. Network I/O always happens outside any transaction, so no
sender holds SQLite's write lock while a webhook takes its time."""

from __future__ import annotations

import hashlib
import logging
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, cast

from peewee import PeeweeException, fn

from r2tui.alerts.notice import REPORT, Notice
from r2tui.config.alert_model import AlertSettings, ChannelConfig
from r2tui.metrics import ACCOUNT
from r2tui.store.db import Store, db_now, db_until
from r2tui.store.models import Notification
from r2tui.store.writes import EventRow, add_events

log = logging.getLogger(__name__)

PENDING, SENT, DEAD, HELD = "pending", "sent", "dead", "held"
SUMMARISED = "summarised"  # held back by a rate limit, then sent as part of a summary
STATES = (PENDING, SENT, DEAD, HELD, SUMMARISED)
# Delivery trouble in the activity feed; not "alert", which reports count as alerts fired.
NOTIFY_KIND = "notify"
ERROR_CAP = 500  # last_error characters kept: enough to diagnose, small in the UI

# Delivers one notice to one channel, or raises. An exception with
# `retryable = False` (channels.DeliveryError) dead-letters at once; any other
# exception is taken as retryable (a bug or an outage we cannot classify). An
# optional `retry_after` (seconds) on the exception stretches the backoff.
Sender = Callable[[ChannelConfig, Notice], None]


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class OutboxRow:
    """One notification as the UI and `r2tui notify` list it."""

    id: int
    created_at: int
    channel: str
    kind: str
    status: str
    state: str
    attempts: int
    next_attempt_at: int
    last_error: str | None
    subject: str


def enqueue(
    store: Store, notices: Iterable[Notice], now: int, rule: str | None = None, state: str = PENDING
) -> list[int]:
    """Write notices to the outbox; their ids. Only a savepoint of its own: the
    engine calls this inside its `store.write()`, so the alert state and the
    rows saying it will be notified commit together or not at all."""
    store.bound()
    if state not in (PENDING, HELD):
        raise ValueError(f"a notification is enqueued pending or held, not {state!r}")
    t = int(now)
    ids = []
    with store.atomic():
        for n in notices:
            # One INSERT a row, not insert_many: SQLite returns only the last id.
            ids.append(
                Notification.insert(
                    created_at=t,
                    channel=n.channel,
                    kind=n.kind,
                    rule=rule,
                    group_key=n.group_key,
                    status=n.status,
                    body=n.to_json(),
                    state=state,
                    attempts=0,
                    next_attempt_at=t,
                ).execute()
            )
    return ids


def backoff_delay(attempts: int, settings: AlertSettings, rng: Any = random) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: doubling from
    backoff_seconds, capped at backoff_max_seconds, with equal jitter (half
    fixed, half random) so that retries of many rows spread out yet never come
    back at once."""
    # Capped exponent: 2**1100 would overflow a float long after the cap applies.
    base = settings.backoff_seconds * 2 ** min(max(attempts - 1, 0), 60)
    delay = min(settings.backoff_max_seconds, base)
    return float(rng.uniform(delay / 2, delay))


def _lease(channel: ChannelConfig | None, lease_seconds: float | None) -> float:
    if lease_seconds is not None:
        return lease_seconds
    # Long enough for a send that uses its whole timeout twice (connect + read),
    # short enough that a crashed sender's rows go out again within a minute.
    return (channel.timeout if channel else 10.0) * 2 + 30


def _account(notice: Notice | None) -> str:
    if notice is not None and notice.account:
        return notice.account
    return notice.alerts[0].account if notice and notice.alerts else ACCOUNT


def message_token(row: Notification) -> str:
    """The left part of an e-mail's Message-ID for this row: the same at every
    attempt, in every process and after a restart, so a receiver drops the copy
    an at-least-once retry may send twice (a sender killed after the server
    took the message). Derived rather than stored: rows queued before it
    existed get one too, and no column is needed. The row's id and time make it
    unique within a store; the body's digest keeps two stores' rows with the
    same id and second apart, unless they say the very same thing."""
    digest = hashlib.sha256(row.body.encode("utf-8")).hexdigest()[:16]
    return f"r2tui.{row.created_at}.{row.id}.{digest}"


def _free(store: Store) -> Any:
    """Not claimed, or its claim ran out: judged on the database's clock, as
    the claim was stamped, so senders on hosts whose clocks disagree (by more
    than a claim's length, even) never both take one row."""
    return Notification.claimed_until.is_null() | (Notification.claimed_until < db_now(store))


def deliver_due(
    store: Store,
    settings: AlertSettings,
    send: Sender,
    now: float | None = None,
    ignore_backoff: bool = False,
    lease_seconds: float | None = None,
    limit: int = 100,
) -> DeliveryReport:
    """Send the pending notifications that are due (all pending ones with
    `ignore_backoff`), oldest first, one at a time."""
    report, _ = _deliver(store, settings, send, now, ignore_backoff, lease_seconds, limit, 0)
    return report


def flush(store: Store, settings: AlertSettings, send: Sender) -> DeliveryReport:
    """Deliver everything pending now, whatever its backoff, in batches until
    nothing is left to claim. Each row gets one attempt per flush: a channel
    that is down is not hammered max_attempts times in a row."""
    total = DeliveryReport()
    after = 0
    while True:
        report, after_next = _deliver(store, settings, send, None, True, None, 100, after)
        total.add(report)
        if after_next == after:
            return total
        after = after_next


def _deliver(
    store: Store,
    settings: AlertSettings,
    send: Sender,
    now: float | None,
    ignore_backoff: bool,
    lease_seconds: float | None,
    limit: int,
    after: int,
) -> tuple[DeliveryReport, int]:
    store.bound()
    t = store.clock() if now is None else now
    report = DeliveryReport()
    due = (Notification.state == PENDING) & _free(store) & (Notification.id > after)
    if not ignore_backoff:
        due &= Notification.next_attempt_at <= t
    # peewee's stubs type a `.tuples()` query's rows as models.
    rows = cast(
        "Iterable[tuple[int]]",
        Notification.select(Notification.id)
        .where(due)
        .order_by(Notification.id)
        .limit(limit)
        .tuples(),
    )
    candidates = [r for (r,) in rows]
    for row_id in candidates:
        try:
            _deliver_one(store, settings, send, t, row_id, due, lease_seconds, report)
        except PeeweeException as exc:  # the store, not the channel: the next run retries
            report.errors.append(f"notification {row_id}: store error: {exc}")
    return report, (candidates[-1] if candidates else after)


def _deliver_one(
    store: Store,
    settings: AlertSettings,
    send: Sender,
    t: float,
    row_id: int,
    due: Any,
    lease_seconds: float | None,
    report: DeliveryReport,
) -> None:
    with store.write():
        row = Notification.get_or_none(Notification.id == row_id)
        if row is None:
            return
        if _behind(row):
            return
        channel = settings.channels.get(row.channel)
        # The claim: only one deliverer's UPDATE matches (state and lease are
        # re-checked under the write lock), and only the winner sends. Its lease
        # runs from the claim (not the batch's start), on the database's clock.
        claimed_until = db_until(store, _lease(channel, lease_seconds))
        won = (
            Notification.update(
                claimed_until=claimed_until,
                attempts=Notification.attempts + 1,
            )
            .where(due, Notification.id == row_id)
            .execute()
        )
        if won != 1:
            return
    attempts = row.attempts + 1
    notice: Notice | None = None
    try:
        notice = replace(Notice.from_json(row.body), message_id=message_token(row))
    except Exception as exc:  # a row no version of r2tui could read: never sendable
        _fail(store, settings, row, attempts, t, f"unreadable notice: {exc}", False, None, report)
        return
    if channel is None:
        names = ", ".join(sorted(settings.channels)) or "none"
        _fail(
            store,
            settings,
            row,
            attempts,
            t,
            f"channel {row.channel} is not configured (configured: {names})",
            False,
            notice,
            report,
        )
        return
    try:
        send(channel, notice)  # outside any transaction: never hold the lock on I/O
    except Exception as exc:
        _fail(
            store,
            settings,
            row,
            attempts,
            t,
            str(exc) or type(exc).__name__,
            bool(getattr(exc, "retryable", True)),
            notice,
            report,
            getattr(exc, "retry_after", None),
        )
        return
    # Delivered: mark it sent even if our lease ran out and another deliverer
    # took the row meanwhile, since the receiver has it either way. A store
    # locked past its busy timeout is waited out: giving up here would send the
    # notice again once the lease ends.
    for wait in (0.5, 2.0, 5.0, None):
        try:
            with store.write():
                Notification.update(state=SENT, sent_at=int(t), claimed_until=None).where(
                    Notification.id == row_id, Notification.state != SENT
                ).execute()
            break
        except PeeweeException:
            if wait is None:
                raise
            time.sleep(wait)
    report.sent += 1


def _behind(row: Notification) -> bool:
    """Whether an older notification of the same group to the same channel is
    still to go (pending, or dead until someone retries it): a resolved notice
    never overtakes its firing one, nor goes out without it. A report has no
    order to keep: one that could not go never holds back the next."""
    if row.kind == REPORT:
        return False
    return (
        Notification.select()
        .where(
            Notification.channel == row.channel,
            Notification.group_key == row.group_key,
            Notification.id < row.id,
            Notification.state.in_((PENDING, DEAD)),
        )
        .exists()
    )


def _fail(
    store: Store,
    settings: AlertSettings,
    row: Notification,
    attempts: int,
    t: float,
    error: str,
    retryable: bool,
    notice: Notice | None,
    report: DeliveryReport,
    retry_after: float | None = None,
) -> None:
    error = error[:ERROR_CAP]
    report.errors.append(f"notification {row.id} to {row.channel}: {error}")
    dead = not retryable or attempts >= settings.max_attempts
    # Only while the row is still ours (nobody claimed it again after our lease
    # ran out): a later attempt's outcome must not be overwritten by ours.
    mine = (
        (Notification.id == row.id)
        & (Notification.state == PENDING)
        & (Notification.attempts == attempts)
    )
    with store.write():
        if dead:
            changed = (
                Notification.update(state=DEAD, last_error=error, claimed_until=None)
                .where(mine)
                .execute()
            )
            if changed:
                why = "" if retryable else " (not retryable)"
                add_events(
                    store,
                    _account(notice),
                    [
                        EventRow(
                            kind=NOTIFY_KIND,
                            level="error",
                            message=(
                                f"notification to channel {row.channel} dead after "
                                f"{attempts} attempt(s){why}: {error}"
                            ),
                            data={
                                "notification": row.id,
                                "channel": row.channel,
                                "attempts": attempts,
                            },
                        )
                    ],
                    ts=t,
                )
        else:
            delay = backoff_delay(attempts, settings)
            if retry_after:
                # The server said when (429 Retry-After): trying sooner only burns
                # an attempt. Capped, so a server cannot park a row for days.
                delay = max(delay, min(float(retry_after), settings.backoff_max_seconds))
            changed = (
                Notification.update(
                    last_error=error,
                    claimed_until=None,
                    next_attempt_at=math.ceil(t + delay),
                )
                .where(mine)
                .execute()
            )
    if changed:
        if dead:
            report.dead += 1
        else:
            report.retried += 1
    log.warning(
        "notification %s to %s failed (attempt %s%s): %s",
        row.id,
        row.channel,
        attempts,
        ", dead" if dead else "",
        error,
    )


def pending_view(store: Store, limit: int = 50) -> list[OutboxRow]:
    """Pending and dead notifications, newest first."""
    store.bound()
    rows = (
        Notification.select()
        .where(Notification.state.in_([PENDING, DEAD]))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return [
        OutboxRow(
            r.id,
            r.created_at,
            r.channel,
            r.kind,
            r.status,
            r.state,
            r.attempts,
            r.next_attempt_at,
            r.last_error,
            _subject(r.body),
        )
        for r in rows
    ]


def _subject(body: str) -> str:
    try:
        return Notice.from_json(body).subject()
    except Exception:
        return "(unreadable notice)"


def retry(store: Store, ids: Iterable[int], now: float | None = None) -> int:
    """Give dead notifications a fresh set of attempts, due now; how many."""
    store.bound()
    wanted = [int(i) for i in ids]
    if not wanted:
        return 0
    t = int(store.clock() if now is None else now)
    retried: int = (
        Notification.update(state=PENDING, attempts=0, next_attempt_at=t, claimed_until=None)
        .where(Notification.id.in_(wanted), Notification.state == DEAD)
        .execute()
    )
    return retried


def counts(store: Store) -> dict[str, int]:
    """Notifications per state, every state present (0 when none)."""
    store.bound()
    found = dict(
        cast(
            "Iterable[tuple[str, int]]",
            Notification.select(Notification.state, fn.COUNT(Notification.id))
            .group_by(Notification.state)
            .tuples(),
        )
    )
    return {s: int(found.get(s, 0)) for s in STATES}
