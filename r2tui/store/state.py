"""Named integer watermarks the jobs keep between runs, e.g. how far the
analytics are stored and from where the rollups must be recomputed."""

from __future__ import annotations

from r2tui.store.db import Store
from r2tui.store.models import StoreState

# Raw samples from this hour on may have changed since they were rolled up.
ROLLUP_FROM = "rollup_from"


def analytics_key(account: str) -> str:
    """Where the account's analytics are stored up to (a window's end)."""
    return f"analytics_to:{account}"


def get(store: Store, key: str) -> int | None:
    store.bound()
    # Plain SQL: every pane refresh asks a few of these (Store.rows).
    rows = store.rows("SELECT value FROM store_state WHERE key = ?", (key,))
    return None if not rows else int(rows[0][0])


def put(store: Store, key: str, value: int) -> None:
    store.bound()
    (
        StoreState.insert(key=key, value=int(value))
        .on_conflict(conflict_target=[StoreState.key], update={StoreState.value: int(value)})
        .execute()
    )


def lower(store: Store, key: str, value: int) -> None:
    """Set `key` to `value` unless it already holds a smaller one."""
    current = get(store, key)
    if current is None or value < current:
        put(store, key, value)
