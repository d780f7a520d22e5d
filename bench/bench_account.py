"""The benchmarks' R2 account: a local server's endpoint and fixed keys (the
servers check each request's signature made with them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from r2tui.config import AccountConfig


def bench_account(endpoint: str) -> AccountConfig:
    # Imported here: the child processes time their own start-up and imports.
    from r2tui.config import AccountConfig, Secret

    return AccountConfig(
        name="bench",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id=Secret("bench", "bench"),
        secret_access_key=Secret("bench", "bench"),
    )
