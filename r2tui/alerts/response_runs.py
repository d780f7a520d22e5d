"""The automated responses an alert's firing wants, queued durably and run once.

When an alert fires (not while a silence or maintenance window holds it), the
engine writes one row per response its rule names, in the same transaction
that records the firing: wherever the rule was evaluated (the collector, the
TUI's "evaluate now"), and whatever happens to that process next, the row is
there. Whoever delivers the outbox runs them: the lease holder's check_alerts
job (its account's) and `r2tui notify flush` (every account's).

Each row is claimed before it runs, by a conditional UPDATE (pending →
running) that only one process can win, so two processes never both run it.
The claim's end is judged on the database's clock (`store.db.db_now`), not the
process's, so hosts whose clocks disagree agree on it.

Retries: none, on purpose. A response is an action with side effects (restart
a proxy, scale a service, page someone), not a message: a command that failed
may have done half its work, and one whose process died mid-run may have done
all of it, so running it again is not safe to decide blindly, and a URL
response is a POST, which is not idempotent either. So a response is attempted
at most once per firing:

- it ran: its outcome (success or failure, as `responses.run_response` says
  it, never a URL or a secret) is an event, `{rule}: response {name}
  ran|failed: {outcome}`;
- the process running it stopped before it reported (its claim ran out): the
  row is marked unknown and an error event says so; it is not run again;
- the config no longer defines it: reported (an error event, and the caller's
  errors), never guessed, never run.

An operator who wants it run again does so by hand, knowing what the failure
said."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from peewee import PeeweeException

from r2tui.alerts.notice import AlertNotice
from r2tui.alerts.rules import Rule
from r2tui.alerts.states import STATE_KIND
from r2tui.config.alert_model import ResponseConfig
from r2tui.store.db import Store, db_now, db_until
from r2tui.store.models import ResponseRun
from r2tui.store.writes import EventRow, add_events

log = logging.getLogger(__name__)

PENDING, RUNNING, RAN, FAILED, UNKNOWN = "pending", "running", "ran", "failed", "unknown"
STATES = (PENDING, RUNNING, RAN, FAILED, UNKNOWN)
CLAIM_SLACK = 60.0  # seconds a claim outlasts the response's own timeout

# Runs one response for one alert; never raises: (ok, a safe one-line outcome).
Runner = Callable[[ResponseConfig, dict[str, Any]], tuple[bool, str]]


@dataclass
class ResponseReport:
    """What a run of the queue did. `errors`: what the caller reports as its own
    (a response the config does not define, a store error); a response that
    failed, or whose outcome is unknown, is an event, as every outcome is."""

    ran: int = 0
    failed: int = 0
    unknown: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.ran or self.failed or self.unknown)


def enqueue(store: Store, fired: Iterable[tuple[Rule, AlertNotice]], now: int) -> int:
    """Queue each fired alert's responses; how many. Only a savepoint of its
    own: the engine calls this inside its `store.write()`, so the firing and
    its responses commit together or not at all."""
    store.bound()
    rows = [
        {
            "created_at": int(now),
            "account": notice.account,
            "rule": rule.name,
            "response": name,
            "bucket": notice.bucket,
            "fingerprint": notice.fingerprint,
            "body": json.dumps(asdict(notice), default=str, sort_keys=True),
            "state": PENDING,
        }
        for rule, notice in fired
        for name in dict.fromkeys(rule.responses)
    ]
    if rows:
        with store.atomic():
            # 8 columns a row: far below SQLite's 32,766 variables.
            for i in range(0, len(rows), 500):
                ResponseRun.insert_many(rows[i : i + 500]).execute()
    return len(rows)


def run_due(
    store: Store,
    responses: Mapping[str, ResponseConfig],
    account: str | None = None,
    run: Runner | None = None,
    limit: int = 100,
) -> ResponseReport:
    """Run the queued responses (of `account`, or every account's), oldest
    first, each once; first report those whose runner stopped mid-run."""
    if run is None:
        from r2tui.alerts.responses import run_response  # httpx: only when responding

        run = run_response
    store.bound()
    report = ResponseReport()
    _settle_abandoned(store, account, report)
    due = ResponseRun.state == PENDING
    if account is not None:
        due &= ResponseRun.account == account
    rows = cast(
        "Iterable[tuple[int]]",
        ResponseRun.select(ResponseRun.id)
        .where(due)
        .order_by(ResponseRun.id)
        .limit(limit)
        .tuples(),
    )
    for (row_id,) in list(rows):
        try:
            _run_one(store, responses, run, row_id, report)
        except PeeweeException as exc:  # the store, not the response: the next run sees it
            report.errors.append(f"response run {row_id}: store error: {exc}")
    return report


def _run_one(
    store: Store,
    responses: Mapping[str, ResponseConfig],
    run: Runner,
    row_id: int,
    report: ResponseReport,
) -> None:
    with store.write():
        row = ResponseRun.get_or_none(ResponseRun.id == row_id)
        if row is None or row.state != PENDING:
            return
        resp = responses.get(row.response)
        mine = (ResponseRun.id == row_id) & (ResponseRun.state == PENDING)
        if resp is None:
            error = f"rule {row.rule!r}: response {row.response!r} is not configured"
            if _finish(store, row, mine, False, "not configured (nothing run)"):
                report.failed += 1
                report.errors.append(error)
            return
        # The claim: only one process's UPDATE matches, and only the winner runs it.
        claim = db_until(store, resp.timeout + CLAIM_SLACK)
        claiming = ResponseRun.update(
            {ResponseRun.state: RUNNING, ResponseRun.claimed_until: claim}
        )
        if claiming.where(mine).execute() != 1:
            return
    ok, outcome = run(resp, json.loads(row.body))  # outside any transaction: never hold the lock
    # Recorded even if another process meanwhile took our claim for lost: it
    # ran, and this is what happened. A store locked past its busy timeout is
    # waited out: the outcome is the one thing nobody else can know.
    ours = (ResponseRun.id == row_id) & ResponseRun.state.in_((RUNNING, UNKNOWN))
    done = False
    for wait in (0.5, 2.0, 5.0, None):
        try:
            with store.write():
                done = _finish(store, row, ours, ok, outcome)
            break
        except PeeweeException:
            if wait is None:
                raise
            time.sleep(wait)
    if done:
        if ok:
            report.ran += 1
        else:
            report.failed += 1


def _finish(store: Store, row: ResponseRun, where: Any, ok: bool, outcome: str) -> bool:
    """Mark the row ran or failed (while `where` holds) with its event."""
    changed = (
        ResponseRun.update(
            state=RAN if ok else FAILED,
            outcome=outcome,
            finished_at=store.now(),
            claimed_until=None,
        )
        .where(where)
        .execute()
    )
    if changed:
        _event(store, row, ok, outcome)
    return bool(changed)


def _settle_abandoned(store: Store, account: str | None, report: ResponseReport) -> None:
    """Running rows whose claim ran out (on the database's clock): the process
    running them stopped before it reported. Whether the response did its work
    cannot be known: it is reported, never run again."""
    lost = (ResponseRun.state == RUNNING) & (ResponseRun.claimed_until < db_now(store))
    if account is not None:
        lost &= ResponseRun.account == account
    # Looked for first without the write lock: at almost every run there is none.
    if not ResponseRun.select(ResponseRun.id).where(lost).exists():
        return
    with store.write():
        rows = list(ResponseRun.select().where(lost).order_by(ResponseRun.id))
        outcome = (
            "outcome unknown: the process running it stopped before it reported; not run again"
        )
        for row in rows:
            changed = (
                ResponseRun.update(state=UNKNOWN, outcome=outcome, claimed_until=None)
                .where(lost, ResponseRun.id == row.id)
                .execute()
            )
            if changed:
                _event(store, row, False, outcome)
                report.unknown += 1
                log.warning("response run %s (%s): %s", row.id, row.response, outcome)


def _event(store: Store, row: ResponseRun, ok: bool, outcome: str) -> None:
    add_events(
        store,
        row.account,
        [
            EventRow(
                STATE_KIND,
                "info" if ok else "error",
                f"{row.rule}: response {row.response} {'ran' if ok else 'failed'}: {outcome}",
                row.bucket,
                {"rule": row.rule, "response": row.response, "ok": ok},
            )
        ],
    )
