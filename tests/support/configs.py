"""Accounts and configs built in code, as the tests need them: loopback endpoints,
fixed test keys, probes off and short S3 timeouts so a failure shows fast."""

from __future__ import annotations

from r2tui.config import (
    AccountConfig,
    Config,
    InventorySettings,
    ProbeSettings,
    Retention,
    S3Settings,
    Schedule,
    Secret,
)
from r2tui.config.model import DEFAULT_SCHEDULES
from r2tui.config.values import parse_schedule


def account_for(endpoint: str, name: str = "test", **kwargs: object) -> AccountConfig:
    base: dict[str, object] = {
        "name": name,
        "endpoint_url": endpoint,
        "region": "us-east-1",
        "access_key_id": Secret("test-access-key", "test"),
        "secret_access_key": Secret("test-secret-key", "test"),
        "probe": ProbeSettings(enabled=False),
    }
    base.update(kwargs)
    return AccountConfig(**base)  # type: ignore[arg-type]


def make_config(
    accounts: tuple[AccountConfig, ...], store_url: str = "sqlite:///:memory:", **kwargs: object
) -> Config:
    schedules = {}
    for job, text in DEFAULT_SCHEDULES.items():
        seconds, cron = parse_schedule(text)
        schedules[job] = Schedule(job, text, seconds, cron)
    base: dict[str, object] = {
        "accounts": accounts,
        "store_url": store_url,
        "store_url_source": "test",
        "schedules": schedules,
        "inventory": InventorySettings(),
        "retention": Retention(),
        # Fast failure in tests: one attempt, short timeouts.
        "s3": S3Settings(connect_timeout=2, read_timeout=10, max_attempts=1),
    }
    base.update(kwargs)
    return Config(**base)  # type: ignore[arg-type]
