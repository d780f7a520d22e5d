"""The Cost pane while the first full figures are on their way, over a real
store: an account with an API token whose analytics have not been read yet, or
were read only after the last calculation (which found no request counts),
shows "Calculating…" and no figure; the calculation after the read shows the
bill. A failing analytics source is not waited for: the storage-only figures
show, with the reason.

This is the demo's first half-minute: the listing ends first and a calculation
on storage alone used to show its partial bill ($1.67), then the backfill's
($18.60)."""

from __future__ import annotations

import dataclasses

from r2tui.config import AccountConfig, Config, Secret
from r2tui.costs.view import costs_view
from r2tui.jobs.base import JobContext
from r2tui.jobs.costs import calculate_costs
from r2tui.store import Store
from r2tui.store.health import ANALYTICS, HealthView, SourceHealth, SourceReport, SourceState
from r2tui.store.health import record as record_health
from r2tui.store.models import JobRun
from r2tui.store.queries import monitor_spend
from r2tui.store.views import JobStatus
from r2tui.tui.app import R2App, build_app
from r2tui.tui.panes.base import Note
from r2tui.tui.panes.cost import CALCULATING, calculating
from r2tui.tui.panes.views import CostPaneView
from tests.support.configs import account_for, make_config
from tests.support.tui import SIZE, settle
from tests.support.tui_data import NOW
from tests.tui.test_cost_pane import write_month

GB = 10**9


def token_account() -> AccountConfig:
    return account_for(
        "http://127.0.0.1:9",
        quota_bytes=1000 * GB,
        api_token=Secret("test-token", "test"),
        account_id="0123456789abcdef0123456789abcdef",
    )


def config() -> Config:
    return make_config((token_account(),))


def calculate(store: Store, at: float) -> None:
    cfg = config()
    out = calculate_costs(JobContext(config=cfg, store=store, clock=lambda: at), cfg.accounts[0])
    assert not out.errors


def collect_run(store: Store, started: float, finished: float) -> None:
    JobRun.create(
        job="collect_metrics",
        account="test",
        started_at=int(started),
        finished_at=int(finished),
        ok=True,
        items=1,
    )


def analytics(store: Store, state: SourceState, at: float, why: str = "") -> None:
    with store.write():
        record_health(store, "test", {ANALYTICS: SourceReport(state, why)}, at)


def note(app: R2App) -> str:
    return str(app.query_one("#cost-note", Note).render())


def figures_shown(app: R2App) -> bool:
    return bool(app.query_one("#cost-data").display)


async def test_calculating_until_the_calculation_after_the_analytics_read(
    filled: Store,
) -> None:
    write_month(filled, requests=False)  # the listing's storage: no request counts yet
    calculate(filled, NOW)
    app = build_app(config(), filled, clock=lambda: NOW + 120, collect=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The analytics have never been read: their first read is still to come.
        assert not figures_shown(app)
        assert note(app).startswith("Calculating…")
        assert "$" not in note(app)

        # The read ran around the storage-only calculation, and ended after it.
        collect_run(filled, NOW - 30, NOW + 30)
        analytics(filled, SourceState.OK, NOW + 30)
        app.refresh_data()
        await settle(pilot)
        assert not figures_shown(app) and note(app).startswith("Calculating…")

        # The calculation that follows the read has the request counts: the bill.
        write_month(filled, requests=True)
        calculate(filled, NOW + 31)
        app.refresh_data()
        await settle(pilot)
        assert figures_shown(app)
        assert "$" in str(app.query_one("#cost-summary").render())


def test_which_views_wait(filled: Store) -> None:
    """The rule on views made by hand, each case one field away from the next."""
    write_month(filled, requests=False)
    calculate(filled, NOW)
    costs = costs_view(filled, "test", now=NOW + 120)
    assert costs.computed_at == NOW and not costs.requests_known
    ok = HealthView("test", {ANALYTICS: SourceHealth(ANALYTICS, SourceState.OK, ok_at=NOW + 30)})
    base = CostPaneView(
        costs=costs,
        spend=monitor_spend(filled, "test", 0),
        health=ok,
        last_run=None,
        schedule="2m",
        analytics=True,
        collect_run=None,
    )
    during = _run(NOW - 30, NOW + 30)
    before = _run(NOW + 10, NOW + 30)
    assert calculating(dataclasses.replace(base, collect_run=during))
    assert not calculating(dataclasses.replace(base, collect_run=before))  # a later read
    assert not calculating(dataclasses.replace(base, collect_run=during, analytics=False))
    assert calculating(dataclasses.replace(base, health=HealthView("test"), collect_run=None))
    assert not calculating(dataclasses.replace(base, health=HealthView("test"), collect_run=before))
    failed = HealthView("test", {ANALYTICS: SourceHealth(ANALYTICS, SourceState.DOWN, since=NOW)})
    assert not calculating(dataclasses.replace(base, health=failed, collect_run=during))
    assert CALCULATING.plain.startswith("Calculating…")


def _run(started: float, finished: float) -> JobStatus:
    return JobStatus("collect_metrics", int(started), int(finished), True, 1, None, "host")
