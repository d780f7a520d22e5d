"""Typed settings. Everything here is immutable and already validated."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from r2tui.config.alert_model import AlertSettings
from r2tui.config.secrets import (  # re-exported: the settings hold them
    Secret,
    SecretUrl,
    secret_url,
)
from r2tui.pricing import LIST_PRICES, PriceList

DEFAULT_GRAPHQL_URL = "https://api.cloudflare.com/client/v4/graphql"
# The default graphql_url, built once: a SecretUrl never changes, so accounts share it.
_DEFAULT_GRAPHQL = SecretUrl(DEFAULT_GRAPHQL_URL, "graphql_url")

# The default cadence: metrics every 5 minutes, costs every 6 hours,
# alerts every minute, reports at midnight; the costly inventory once a day.
DEFAULT_SCHEDULES: dict[str, str] = {
    "collect_metrics": "5m",
    "inventory": "0 3 * * *",
    "rollup": "15m",
    "calculate_costs": "0 */6 * * *",
    "check_alerts": "1m",
    "daily_report": "0 0 * * *",
    "monthly_report": "0 0 1 * *",
}
JOB_NAMES: tuple[str, ...] = tuple(DEFAULT_SCHEDULES)
# The demo lists a few thousand objects on loopback: it can afford to be lively.
DEMO_SCHEDULES: dict[str, str] = {
    **DEFAULT_SCHEDULES,
    "collect_metrics": "30s",
    "inventory": "2m",
    "rollup": "1m",
    "calculate_costs": "2m",
}


# The demo account's storage quota (~78 % used: the quota gauge has something to
# show). Here, not in the demo's package, so that a viewer of the demo store knows
# it without starting the demo (which brings moto and boto3).
DEMO_QUOTA = 1_200 * 10**9


@dataclass(frozen=True)
class Schedule:
    """When a job runs: every `seconds`, or on a five-field `cron` line."""

    job: str
    text: str
    seconds: int | None = None
    cron: str | None = None

    @property
    def kind(self) -> str:
        return "interval" if self.seconds is not None else "cron"


# Probe requests a month an account may spend (4 a probe: PUT, GET, HEAD,
# DELETE): 100,000 probes, 100,000 Class A and 200,000 Class B requests, a
# tenth of the Class A free tier and a fiftieth of the Class B one, leaving the
# rest to the listings and to the account's own traffic.
DEFAULT_PROBE_REQUESTS = 400_000
MIN_PROBE_REQUESTS = 4  # one probe
MAX_PROBE_REQUESTS = 10**10  # 2.5 billion probes: beyond any account a person would watch


@dataclass(frozen=True)
class ProbeSettings:
    enabled: bool = False
    buckets: tuple[str, ...] = ("*",)
    prefix: str = ".r2tui-probe/"
    # The budget: probe requests a month (r2tui.costs.probes spends it).
    requests_per_month: int = DEFAULT_PROBE_REQUESTS


@dataclass(frozen=True)
class AccountConfig:
    """One account. `endpoint_url` and `graphql_url` may carry credentials (userinfo,
    a `?token=` query): they are held as SecretUrl, revealed only to connect, and
    a plain str given here (code, tests) is wrapped."""

    name: str
    endpoint_url: SecretUrl
    account_id: str | None = None
    region: str = "auto"
    access_key_id: Secret | None = None
    secret_access_key: Secret | None = None
    profile: str | None = None
    api_token: Secret | None = None
    graphql_url: SecretUrl = _DEFAULT_GRAPHQL
    jurisdiction: str = ""  # "" for the default one, else e.g. "eu"
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    quota_bytes: int | None = None
    probe: ProbeSettings = field(default_factory=ProbeSettings)

    def __post_init__(self) -> None:
        # Frozen: object.__setattr__ is the dataclass way to normalise a field.
        object.__setattr__(self, "endpoint_url", secret_url(self.endpoint_url, "endpoint_url"))
        object.__setattr__(self, "graphql_url", secret_url(self.graphql_url, "graphql_url"))

    def wants_bucket(self, bucket: str) -> bool:
        if not any(fnmatch.fnmatchcase(bucket, pat) for pat in self.include):
            return False
        return not any(fnmatch.fnmatchcase(bucket, pat) for pat in self.exclude)

    @property
    def has_analytics(self) -> bool:
        """Cloudflare's analytics need both the API token and the account id."""
        return self.api_token is not None and bool(self.account_id)

    def analytics_bucket(self, name: str) -> str | None:
        """The bucket an analytics row is about, or None when it belongs to another
        jurisdiction or is not watched. Cloudflare names a jurisdiction's buckets
        `<jurisdiction>_<bucket>` for the whole account; bucket names cannot hold
        `_`, so the prefix is unambiguous."""
        prefix, sep, rest = name.partition("_")
        if self.jurisdiction:
            bucket = rest if sep and prefix == self.jurisdiction else None
        else:
            bucket = None if sep else name
        return bucket if bucket is not None and self.wants_bucket(bucket) else None

    def probes_bucket(self, bucket: str) -> bool:
        return self.probe.enabled and any(
            fnmatch.fnmatchcase(bucket, pat) for pat in self.probe.buckets
        )


MAX_LIST_CONCURRENCY = 64  # list requests at once: the S3 client's connection pool
MAX_PREFIX_DEPTH = 20  # prefix levels counted: a deeper tree is no longer a summary
MAX_PREFIX_ENTRIES = 100_000  # prefixes kept per bucket (rows a day in the store each)


@dataclass(frozen=True)
class InventorySettings:
    top_n: int = 20
    newest_n: int = 20
    large_object_bytes: int = 1_000_000_000
    max_extensions: int = 500
    page_size: int = 1000
    concurrency: int = 16  # most key ranges listed at once; adaptive below it
    prefix_depth: int = 3  # prefixes ("folders") counted this many levels down; 0: none
    prefix_entries: int = 2000  # the largest prefixes kept per bucket; the rest in their parents


@dataclass(frozen=True)
class Retention:
    job_runs_days: int = 30
    events_days: int = 90
    inventories_kept: int = 14
    samples_days: int = 14  # raw samples
    hourly_days: int = 90  # hourly rollups
    daily_days: int = 1825  # daily rollups: five years


@dataclass(frozen=True)
class CostSettings:
    """A cost spike: the last 24 hours at least `spike_pct` above the mean day of
    the `spike_baseline_days` before, and at least `spike_min_usd` more, so
    that cents never page anyone."""

    spike_baseline_days: int = 7
    spike_pct: float = 50.0
    spike_min_usd: float = 1.0


@dataclass(frozen=True)
class S3Settings:
    # A request that gets no answer gives up within about a minute (3 attempts of
    # 20 s), so a hung endpoint is reported as one instead of "running" for minutes.
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_attempts: int = 3


@dataclass(frozen=True)
class CollectorSettings:
    # The collector lease (store/lease.py): how long a holder that stopped
    # renewing keeps it; the holder renews every third of it.
    lease_seconds: float = 60.0
    # How long a stop (Ctrl-C, SIGTERM, quitting the TUI) waits for running jobs
    # before it leaves them; their lease then runs out at once.
    stop_seconds: float = 10.0


@dataclass(frozen=True)
class ReportSettings:
    """Where the daily and monthly reports go besides the reports folder and the
    store: e-mail channels (names from [channels]), through the outbox, as
    alerts do; never through the alerts' rate limit, grouping or silences."""

    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """The whole config. `store_url` may carry a password: held as a SecretUrl
    (a plain str given here is wrapped), shown by `str()` without it."""

    accounts: tuple[AccountConfig, ...]
    store_url: SecretUrl
    store_url_source: str
    path: Path | None = None
    timezone: str = "UTC"
    refresh_seconds: float = 5.0
    schedules: dict[str, Schedule] = field(default_factory=dict)
    inventory: InventorySettings = field(default_factory=InventorySettings)
    retention: Retention = field(default_factory=Retention)
    s3: S3Settings = field(default_factory=S3Settings)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    keymap: dict[str, str] = field(default_factory=dict)
    demo: bool = False
    pricing: PriceList = LIST_PRICES
    costs: CostSettings = field(default_factory=CostSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    # --read-only: look, never change (rules, silences, tests, outbox).
    read_only: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "store_url", secret_url(self.store_url, self.store_url_source))

    def account(self, name: str | None = None) -> AccountConfig:
        if name is None:
            return self.accounts[0]
        for acc in self.accounts:
            if acc.name == name:
                return acc
        raise KeyError(name)
