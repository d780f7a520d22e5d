"""What the outbox delivered, or is trying to: the Deliveries screen's read.

Each notification the outbox holds, newest first: when it went out (or was
queued), the alert it is about, firing or resolved, the channel's name and how
the delivery went. Never the channel's address: a webhook URL is a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from r2tui.alerts.notice import Notice
from r2tui.alerts.outbox import SENT
from r2tui.store.db import Store
from r2tui.store.models import Notification

LIMIT = 500


@dataclass(frozen=True)
class Delivery:
    id: int
    at: int  # when it was sent; while not sent, when it was queued
    channel: str  # the channel's name
    kind: str  # alert, test, summary, report, …
    alert: str  # the rule's name, else what the notice is about
    status: str  # firing or resolved
    state: str  # pending, sent, dead, held, summarised
    attempts: int
    error: str | None  # the last failed attempt's reason

    @property
    def sent(self) -> bool:
        return self.state == SENT


def recent(store: Store, limit: int = LIMIT) -> list[Delivery]:
    """The newest `limit` notifications, newest first."""
    store.bound()
    at = fn.COALESCE(Notification.sent_at, Notification.created_at)
    rows = Notification.select().order_by(at.desc(), Notification.id.desc()).limit(limit)
    return [
        Delivery(
            id=r.id,
            at=r.sent_at if r.sent_at is not None else r.created_at,
            channel=r.channel,
            kind=r.kind,
            alert=r.rule or _title(r.body),
            status=r.status,
            state=r.state,
            attempts=r.attempts,
            error=r.last_error,
        )
        for r in rows
    ]


def _title(body: str) -> str:
    try:
        return Notice.from_json(body).subject()
    except Exception:
        return "(unreadable notice)"
