"""The buckets that must be probed at every run, and the month's probe plan
over the buckets the store knows (`status --json`, `config check`).

They are the buckets probes may touch (`probe.buckets`) that an enabled alert
rule on a probe metric (latency, `probe_ok`) names by bucket or glob, and
those with errors in the last hour (a failed probe, or an error burst in
Cloudflare's analytics). A rule on another metric (bytes, objects, costs) or
on the account as a whole makes no bucket one: probing would not feed it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from r2tui.alerts import saved
from r2tui.alerts.rules import Rule
from r2tui.config import AccountConfig, Config
from r2tui.costs import probes
from r2tui.costs.probes import ProbePlan
from r2tui.metrics import ACCOUNT, CATALOG, HOUR
from r2tui.store import Store, probed, queries

ERRORS_WITHIN = HOUR  # a bucket with errors this recent is probed at every run


def probe_rules(rules: Iterable[Rule]) -> list[Rule]:
    """The enabled rules that watch a probe metric of a bucket or a bucket glob."""
    return [
        r
        for r in rules
        if r.enabled
        and r.scope != ACCOUNT
        and r.metric in CATALOG
        and CATALOG[r.metric].source == "probe"
    ]


def ruled_buckets(rules: Iterable[Rule], buckets: Iterable[str]) -> set[str]:
    watching = probe_rules(rules)
    return {b for b in buckets if any(r.applies_to(b) for r in watching)}


def must_probe(
    store: Store, account: AccountConfig, eligible: Sequence[str], now: float
) -> tuple[frozenset[str], frozenset[str]]:
    """(named by probe rules, with errors in the last hour), among `eligible`."""
    ruled = ruled_buckets(saved.list_rules(store), eligible)
    errors = probed.erroring(store, account.name, now - ERRORS_WITHIN)
    return frozenset(ruled), frozenset(b for b in eligible if b in errors)


def eligible_buckets(store: Store, account: AccountConfig) -> list[str]:
    """The buckets the store knows that the account's probes may touch."""
    return [b for b in queries.bucket_names(store, account.name) if account.probes_bucket(b)]


def stored_plan(
    store: Store, config: Config, account: AccountConfig, now: float
) -> ProbePlan | None:
    """The month's plan for `account` over the buckets the store knows, with the
    buckets that must be probed now; None when its probes are off."""
    if not account.probe.enabled:
        return None
    eligible = eligible_buckets(store, account)
    ruled, errors = must_probe(store, account, eligible, now)
    return probes.account_plan(config, account, eligible, must=len(ruled | errors))
