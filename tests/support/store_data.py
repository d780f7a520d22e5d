"""What the store tests share: an account, a moment, and a job run written
the way the scheduler writes one."""

from __future__ import annotations

from datetime import UTC, datetime

from r2tui.store import Store, writes

ACC = "main"
NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC).timestamp()


def run(
    st: Store,
    job: str,
    start: float,
    end: float | None = None,
    ok: bool = True,
    error: str | None = None,
    account: str = ACC,
) -> int:
    rid = writes.start_job_run(st, job, account, ts=start)
    if end is not None:
        writes.finish_job_run(st, rid, ok, 1, error, ts=end)
    return rid
