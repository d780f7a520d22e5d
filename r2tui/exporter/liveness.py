"""Whether an account's collector is alive, for `/healthz`,
`r2tui_collector_alive` and `r2tui status`.

A collector is alive while a process holds the account's collector lease
(store/lease.py) and keeps renewing it: the lease's expiry is in the future.
A holder killed without a word stops renewing, and its lease runs out within
one lease period. `collector_alive` is the one function that decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from r2tui.config import Schedule
from r2tui.store import lease

if TYPE_CHECKING:
    from r2tui.store import Store


@dataclass(frozen=True)
class Liveness:
    alive: bool
    state: str  # "alive", "expired" or "none"
    holder: str | None  # "host:pid"
    heartbeat_age: int | None  # seconds since its last heartbeat
    reason: str  # a sentence for people


def collector_alive(
    store: Store, account: str, now: float, *, schedules: Mapping[str, Schedule], tz: str = "UTC"
) -> Liveness:
    """Whether `account`'s collector on `store` holds a fresh lease (see the module).
    `schedules` and `tz` are no longer read: a lease says it all."""
    del schedules, tz
    held = lease.read(store, account)
    if held is None:
        return Liveness(False, "none", None, None, "no process holds the collector lease")
    age = max(0, int(now - held.heartbeat_at))
    if not held.live(now):
        return Liveness(
            False,
            "expired",
            held.name,
            age,
            f"the collector lease of {held.name} expired (heartbeat {age}s ago)",
        )
    return Liveness(True, "alive", held.name, age, f"collector {held.describe(now)}")
