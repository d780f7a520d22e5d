"""Reports kept in the store: their JSON, one per account, kind and period."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from r2tui.reports.model import Report
from r2tui.reports.render import to_json
from r2tui.store import Store
from r2tui.store.models import StoredReport


@dataclass(frozen=True)
class StoredRow:
    """A line of the report list: what it is, not its body."""

    id: int
    account: str
    kind: str
    period_start: int
    period_end: int
    generated_at: int


def save(store: Store, report: Report) -> int:
    """Keep `report`, replacing an earlier one for the same account, kind and
    period (a re-run, or a report made again with later data)."""
    with store.write():
        StoredReport.delete().where(
            StoredReport.account == report.account,
            StoredReport.kind == report.kind,
            StoredReport.period_start == report.period_start,
            StoredReport.format == "json",
        ).execute()
        return int(
            StoredReport.insert(
                account=report.account,
                kind=report.kind,
                period_start=report.period_start,
                period_end=report.period_end,
                generated_at=report.generated_at,
                format="json",
                body=to_json(report),
            ).execute()
        )


def listing(store: Store, account: str, limit: int = 500) -> list[StoredRow]:
    """The account's reports, the latest period first (daily before monthly on
    the same start)."""
    store.bound()
    # peewee's stubs type a `.tuples()` query's rows as models.
    q = cast(
        "Iterable[tuple[int, str, str, int, int, int]]",
        StoredReport.select(
            StoredReport.id,
            StoredReport.account,
            StoredReport.kind,
            StoredReport.period_start,
            StoredReport.period_end,
            StoredReport.generated_at,
        )
        .where(StoredReport.account == account, StoredReport.format == "json")
        .order_by(StoredReport.period_start.desc(), StoredReport.kind, StoredReport.id.desc())
        .limit(limit)
        .tuples(),
    )
    return [StoredRow(int(i), a, k, int(s), int(e), int(g)) for i, a, k, s, e, g in q]


def load(store: Store, report_id: int) -> Report | None:
    store.bound()
    row = StoredReport.get_or_none(StoredReport.id == report_id)
    return None if row is None else Report.from_dict(json.loads(row.body))


def find(store: Store, account: str, kind: str, period_start: int) -> Report | None:
    store.bound()
    row = StoredReport.get_or_none(
        StoredReport.account == account,
        StoredReport.kind == kind,
        StoredReport.period_start == period_start,
        StoredReport.format == "json",
    )
    return None if row is None else Report.from_dict(json.loads(row.body))
