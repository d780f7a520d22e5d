"""Collector leases placed in time for tests. A lease's times come from the
database's clock (store/lease.py), which a test cannot move: these write the
row's times directly instead, as the passing of time would have left them."""

from __future__ import annotations

from r2tui.store import Store, lease
from r2tui.store.models import CollectorLease


def run_out(store: Store, account: str, ago: float = 1.0) -> None:
    """`account`'s lease ran out `ago` seconds ago, as if its holder had stopped
    renewing: its last heartbeat moves back as far, its holder and holding
    (`acquired_at`, the holding's generation) stay."""
    store.bound()
    held = lease.read(store, account)
    assert held is not None, "a lease to run out"
    moved = held.expires_at - (_db_now(store) - ago)
    CollectorLease.update(
        heartbeat_at=held.heartbeat_at - moved,
        expires_at=held.expires_at - moved,
    ).where(CollectorLease.account == account).execute()


def hold(
    store: Store, account: str, holder: lease.Holder, heartbeat_at: float, seconds: float
) -> None:
    """`holder` holds `account`'s lease, last renewed at `heartbeat_at` for `seconds`."""
    store.bound()
    CollectorLease.delete().where(CollectorLease.account == account).execute()
    CollectorLease.insert(
        account=account,
        host=holder.host,
        pid=holder.pid,
        holder=holder.id,
        acquired_at=heartbeat_at,
        heartbeat_at=heartbeat_at,
        expires_at=heartbeat_at + seconds,
    ).execute()


def _db_now(store: Store) -> float:
    sql = (
        "SELECT (julianday('now') - 2440587.5) * 86400.0"
        if store.is_sqlite
        else "SELECT CAST(extract(epoch FROM clock_timestamp()) AS double precision)"
    )
    return float(store.db.execute_sql(sql).fetchone()[0])
