"""Pacing of GraphQL analytics queries within Cloudflare's limits, per API token
and endpoint, for the whole process: every client of one token (all accounts it
reads, every job run) draws on one budget. Every real account's endpoint is
api.cloudflare.com; another endpoint (the demo's, a test's) has budgets of its
own.

Cloudflare's limits (developers.cloudflare.com/analytics/graphql-api/limits/):

- 300 GraphQL queries per 5-minute window per user: a burst of up to 300, then
  nothing until the window moves on. This comes on top of the general
  Cloudflare API rate limits, which the user's other tools share.
- Per dataset (node): ``maxDuration``, the longest time range one query may
  cover; ``notOlderThan``, the retention (31 days for R2 as r2tui uses it);
  ``maxPageSize``, 10,000 rows (see graphql_queries). All are readable from the
  account's ``settings`` node.

r2tui keeps to 250 queries in any 300 s, not 300: the same user's dashboard
and other tools query the same budget, and a monitor that spends all of it
makes them fail. Tokens are keyed by a salted hash: the token itself is never
held here.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable

CLOUDFLARE_QUERIES_PER_WINDOW = 300  # Cloudflare's limit per user
WINDOW = 300.0  # seconds: Cloudflare's 5-minute window
QUERIES_PER_WINDOW = 250  # r2tui's share: headroom for the dashboard and other tools

# Per process: the hash only has to tell tokens apart here, and a salt no one else
# knows keeps it from being matched against a guessed token.
_SALT = os.urandom(16)
_lock = threading.Lock()
_budgets: dict[str, QueryBudget] = {}


class QueryBudget:
    """A sliding window: at most `limit` queries in any `window` seconds."""

    def __init__(
        self,
        limit: int = QUERIES_PER_WINDOW,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a query budget needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self.clock = clock
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Spend one query now and return 0.0; or, when the budget is spent,
        spend nothing and return the seconds until a query is free again."""
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            if len(self._sent) < self.limit:
                self._sent.append(now)
                return 0.0
            return max(self._sent[0] + self.window - now, 1e-3)

    def spent(self) -> int:
        """Queries in the current window."""
        with self._lock:
            now = self.clock()
            return sum(1 for t in self._sent if t > now - self.window)


def budget_for(token: str, endpoint: str = "api.cloudflare.com") -> QueryBudget:
    """The process-wide budget of one API token at one endpoint (host and port)."""
    key = hashlib.blake2b(f"{endpoint}\0{token}".encode(), key=_SALT, digest_size=16).hexdigest()
    with _lock:
        budget = _budgets.get(key)
        if budget is None:
            budget = _budgets[key] = QueryBudget()
        return budget


def forget_budgets() -> None:
    """Forget every token's spent queries (for tests: loopback peers reuse ports)."""
    with _lock:
        _budgets.clear()
