"""True reasons per account and per source: the health the jobs record (real
jobs against moto over HTTP, a closed port, the loopback GraphQL peer; real
SQLite), and what the header, the cards and the Metrics pane make of it, with
two accounts where one fails."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from r2tui import dashboard
from r2tui.cli.status import sources_lines
from r2tui.config import AccountConfig, ProbeSettings, Secret
from r2tui.jobs import JobContext, JobResult, run_job
from r2tui.metrics import DAY
from r2tui.reports.build import build, default_period
from r2tui.status import dashboard_doc
from r2tui.store import Store, health
from r2tui.store.health import (
    ANALYTICS,
    LISTING,
    S3,
    SourceHealth,
    SourceReport,
    SourceState,
)
from r2tui.store.models import Event
from r2tui.tui import messages as msg
from r2tui.tui.app import R2App, build_app
from r2tui.tui.widgets.card import Card, clock_time
from r2tui.tui.widgets.header import StatusHeader
from tests.support.configs import account_for, make_config
from tests.support.graphql_peer import GraphQLPeer
from tests.support.peers import closed_port
from tests.support.tui import SIZE, wait_for

DOWN = SourceReport(SourceState.DOWN, "cannot reach 127.0.0.1:9: connection failed")


def source_events(account: str) -> list[str]:
    return [
        e.message
        for e in Event.select()
        .where(Event.account == account, Event.kind == health.EVENT_KIND)
        .order_by(Event.id)
    ]


# ---- the model --------------------------------------------------------------------------
def test_a_failure_keeps_its_start_across_kinds_and_writes_only_changes(store: Store) -> None:
    def rec(at: int, **reports: SourceReport) -> bool:
        with store.write():
            return health.record(store, "a", reports, at)

    assert rec(100, s3=SourceReport(SourceState.OK))
    assert health.read(store, "a").get(S3) == SourceHealth(S3, SourceState.OK, ok_at=100)
    assert source_events("a") == []  # working from the start: nothing to tell
    assert rec(200, s3=DOWN)
    assert not rec(300, s3=DOWN)  # the same failure again: no write at all
    rec(400, s3=SourceReport(SourceState.REFUSED, "access denied (403) on HeadBucket"))
    s3 = health.read(store, "a").get(S3)
    # Failing since the first failure, whatever its kind; the last success kept.
    assert (s3.state, s3.since, s3.ok_at, s3.stale_since) == (SourceState.REFUSED, 200, 100, 200)
    assert s3.headline == (
        "S3 keys refused (check the access key and secret): access denied (403) on HeadBucket"
    )
    assert health.read(store, "b").sources == {}  # another account knows nothing of it
    rec(500, s3=SourceReport(SourceState.OK))
    s3 = health.read(store, "a").get(S3)
    assert (s3.state, s3.since, s3.ok_at, s3.stale_since) == (SourceState.OK, 500, 500, None)
    assert source_events("a") == [
        "S3 endpoint: S3 unreachable: cannot reach 127.0.0.1:9: connection failed",
        "S3 endpoint: S3 keys refused (check the access key and secret): "
        "access denied (403) on HeadBucket",
        "S3 endpoint works again",
    ]


def test_a_lasting_failure_is_written_again_before_retention_drops_it(store: Store) -> None:
    with store.write():
        health.record(store, "a", {ANALYTICS: DOWN}, 1000, refresh_after=500)
    with store.write():
        assert not health.record(store, "a", {ANALYTICS: DOWN}, 1400, refresh_after=500)
    with store.write():
        assert health.record(store, "a", {ANALYTICS: DOWN}, 1600, refresh_after=500)
    # The events before the refresh go (retention); the record and its start stay.
    Event.delete().where(Event.ts < 1600).execute()
    view = health.read(store, "a").get(ANALYTICS)
    assert (view.state, view.since, view.at) == (SourceState.DOWN, 1000, 1600)
    assert view.short == "analytics down"


def test_status_says_which_sources_fail_and_since_when(store: Store) -> None:
    with store.write():
        health.record(
            store,
            "a",
            {
                S3: SourceReport(SourceState.OK),
                ANALYTICS: SourceReport(SourceState.REFUSED, "HTTP 403"),
            },
            7200,
        )
    doc = health.sources_doc(health.read(store, "a"), lambda t: None if t is None else f"t{t}")
    assert doc[S3] == {
        "state": "ok",
        "summary": "",
        "needs": "",
        "reason": "",
        "since": None,
        "last_ok": "t7200",
        "stale_since": None,
    }
    assert doc[ANALYTICS]["stale_since"] == "t7200" and LISTING not in doc
    assert sources_lines(doc) == [
        "analytics: token refused since t7200 (needs Account Analytics: Read): HTTP 403; "
        "figures built on it are stale"
    ]


# ---- what the jobs record ---------------------------------------------------------------
def two_accounts(moto_endpoint: str, **b: object) -> tuple[AccountConfig, AccountConfig]:
    good = account_for(moto_endpoint, name="good")
    bad = account_for(str(b.pop("endpoint", moto_endpoint)), name="bad", **b)
    return good, bad


def refused_token(moto_endpoint: str, peer: GraphQLPeer) -> tuple[AccountConfig, AccountConfig]:
    """ "good" with no token, "bad" with a token the GraphQL peer refuses."""
    return two_accounts(
        moto_endpoint,
        api_token=Secret("wrong-token", "test"),
        account_id=peer.account_id,
        graphql_url=peer.url,
    )


def run(store: Store, accounts: tuple[AccountConfig, ...], *jobs: str) -> list[JobResult]:
    ctx = JobContext(config=make_config(accounts), store=store)
    return [run_job(job, ctx) for job in jobs]


def test_jobs_record_each_accounts_sources(
    store: Store,
    s3_backend,  # type: ignore[no-untyped-def]
    moto_endpoint: str,
) -> None:
    s3_backend.create_bucket("alpha", region_name="us-east-1")
    accounts = two_accounts(moto_endpoint, endpoint=f"http://127.0.0.1:{closed_port()}")
    inventory, check = run(store, accounts, "inventory", "collect_metrics")
    good, bad = health.read(store, "good"), health.read(store, "bad")
    assert {s: good.get(s).state for s in (S3, LISTING, ANALYTICS)} == {
        S3: SourceState.OK,
        LISTING: SourceState.OK,
        ANALYTICS: SourceState.MISSING,
    }
    assert good.get(ANALYTICS).reason == "no API token configured"
    assert not good.failed
    assert [h.source for h in bad.failed] == [S3, LISTING]
    assert bad.get(S3).state is SourceState.DOWN
    assert bad.get(S3).reason.startswith("cannot reach 127.0.0.1:")
    # Each result says whose errors are whose.
    assert inventory.errors_for("good") == [] and check.errors_for("good") == []
    assert check.errors_for("bad") and "cannot reach" in check.errors_for("bad")[0]
    # status --json says it per account.
    bad_doc = dashboard_doc(dashboard.read(store, "bad"))["sources"]
    assert bad_doc[S3]["state"] == "down" and bad_doc[S3]["stale_since"] is not None
    assert bad_doc[S3]["reason"].startswith("cannot reach 127.0.0.1:")
    good_doc = dashboard_doc(dashboard.read(store, "good"))["sources"]
    assert {s: d["state"] for s, d in good_doc.items()} == {
        S3: "ok",
        LISTING: "ok",
        ANALYTICS: "missing",
    }
    now = time.time()
    notes = build(store, "bad", "daily", default_period("daily", now + DAY), now).notes
    assert any(
        n.startswith("listed storage may be stale: S3 unreachable: cannot reach") for n in notes
    ), notes
    assert not any(
        "stale" in n
        for n in build(store, "good", "daily", default_period("daily", now + DAY), now).notes
    )
    before = len(source_events("bad"))
    run(store, accounts, "collect_metrics")
    assert len(source_events("bad")) == before  # failing as before: nothing new


def test_a_refused_token_is_a_failing_analytics_source(
    store: Store,
    s3_backend,  # type: ignore[no-untyped-def]
    moto_endpoint: str,
    peer: GraphQLPeer,
) -> None:
    accounts = refused_token(moto_endpoint, peer)
    (result,) = run(store, accounts, "collect_metrics")
    bad = health.read(store, "bad").get(ANALYTICS)
    assert bad.state is SourceState.REFUSED and "refused the API token" in bad.reason
    # A report on the account says why it has no request counts.
    now = time.time()
    notes = build(store, "bad", "daily", default_period("daily", now + DAY), now).notes
    assert (
        "no request counts for the period: Cloudflare's analytics: token refused "
        "(needs Account Analytics: Read): Cloudflare analytics refused the API token"
    ) in " | ".join(notes)
    assert not any("need an API token" in n for n in notes)
    assert "wrong-token" not in bad.reason
    assert result.errors_for("good") == []
    assert health.read(store, "good").get(ANALYTICS).state is SourceState.MISSING


def test_one_bucket_refusing_a_probe_is_not_the_endpoints_failure(
    store: Store, s3_backend, moto_endpoint: str
) -> None:  # type: ignore[no-untyped-def]
    """A probe that fails for one bucket (gone since the listing, or a key that may
    not write there) is that probe's error; the endpoint and the keys work, and
    the listing's figures are not stale for it."""
    for name in ("alpha", "gone"):
        s3_backend.create_bucket(name, region_name="us-east-1")
    probing = account_for(moto_endpoint, name="p", probe=ProbeSettings(enabled=True))
    run(store, (probing,), "inventory")
    s3_backend.delete_bucket("gone")
    (result,) = run(store, (probing,), "collect_metrics")
    assert any("gone" in e for e in result.errors_for("p"))  # the probe's own error
    assert health.read(store, "p").get(S3).state is SourceState.OK
    assert not health.read(store, "p").failed


# ---- what the app shows -----------------------------------------------------------------
def app_for(store: Store, accounts: tuple[AccountConfig, ...], account: str) -> R2App:
    return build_app(make_config(accounts), store, account=account, collect=False)


def header_text(app: R2App) -> str:
    return str(app.query_one(StatusHeader).render())


def card_lines(app: R2App, metric: str) -> tuple[str, str]:
    card = app.query_one(f"#card-{metric}", Card)
    return (
        str(card.query_one(".card-value", Static).render()),
        str(card.query_one(".card-why", Static).render()),
    )


async def shown(app: R2App, pilot, results: list[JobResult]) -> None:  # type: ignore[no-untyped-def]
    """The results as the embedded collector would hand them over, then a read."""
    await wait_for(pilot, lambda: app.dashboard is not None)
    for r in results:
        app.post_message(msg.JobFinished(r))
    await pilot.pause()
    seq = app.applied_read
    app.refresh_data()
    await wait_for(pilot, lambda: app.applied_read > seq)
    await pilot.pause()


async def test_a_dead_endpoint_shows_on_its_account_only(
    store: Store,
    s3_backend,  # type: ignore[no-untyped-def]
    moto_endpoint: str,
) -> None:
    s3_backend.create_bucket("alpha", region_name="us-east-1")
    s3_backend.put_object("alpha", "a.txt", b"x" * 10)
    accounts = two_accounts(moto_endpoint, endpoint=f"http://127.0.0.1:{closed_port()}")
    results = run(store, accounts, "inventory", "collect_metrics", "calculate_costs")
    since = clock_time(health.read(store, "bad").get(S3).since)

    good = app_for(store, accounts, "good")
    async with good.run_test(size=SIZE) as pilot:
        await shown(good, pilot, results)
        header = good.header_state()
        assert header.state == "idle", header.detail
        assert "cannot reach" not in header_text(good) and "bad" not in header_text(good)
        assert card_lines(good, "total_files")[0].startswith("1 ")
        assert not good.query_one("#metrics-sources").display

    bad = app_for(store, accounts, "bad")
    async with bad.run_test(size=SIZE) as pilot:
        await shown(bad, pilot, results)
        header = bad.header_state()
        assert header.state == "failing"
        assert header.detail.startswith(f"S3 unreachable since {since}: cannot reach 127.0.0.1:")
        assert "S3 unreachable since" in header_text(bad)
        # No listing ever: the reason in the value's place, never "no data yet".
        assert card_lines(bad, "total_files") == ("S3 unreachable", f"since {since}")
        assert card_lines(bad, "avg_response_ms")[0] == "S3 unreachable"
        note = str(bad.query_one("#metrics-sources", Static).render())
        assert note.startswith(f"S3 unreachable since {since}: cannot reach 127.0.0.1:")
        assert note.count("cannot reach") == 1  # the endpoint and the listing: one line
        # The Cost pane has nothing to bill, and says what keeps it from coming.
        costs = str(bad.query_one("#cost-note").render())
        assert costs.startswith("No usage stored this month yet")
        assert f"Listing: S3 unreachable since {since}: cannot reach 127.0.0.1:" in costs


async def test_figures_on_a_source_that_went_down_are_marked_stale(
    store: Store, s3_backend, moto_endpoint: str
) -> None:  # type: ignore[no-untyped-def]
    s3_backend.create_bucket("alpha", region_name="us-east-1")
    for i in range(3):
        s3_backend.put_object("alpha", f"k{i}", b"x")
    (good,) = two_accounts(moto_endpoint)[:1]
    run(store, (good,), "inventory")
    # The same account, its endpoint dead now: the listing's figures are old.
    dead = account_for(f"http://127.0.0.1:{closed_port()}", name="good")
    run(store, (dead,), "collect_metrics", "calculate_costs")
    since = clock_time(health.read(store, "good").get(S3).since)
    app = app_for(store, (dead,), "good")
    async with app.run_test(size=SIZE) as pilot:
        await shown(app, pilot, [])
        value, why = card_lines(app, "total_files")
        assert value.startswith("3 ") and "stale" in value
        assert why == f"stale since {since}"
        assert app.query_one("#card-total_files", Card).has_class("-stale")
        note = str(app.query_one("#metrics-sources", Static).render())
        assert note.startswith("Listing from ")
        assert f"; S3 unreachable since {since}: bucket alpha: cannot reach" in note
        # The Storage and Cost panes say their figures are the last listing's.
        summary = str(app.query_one("#storage-summary", Static).render())
        assert (
            summary.startswith("3 objects") and f"\nstale: S3 unreachable since {since}" in summary
        )
        costs = str(app.query_one("#cost-storage-only", Static).render())
        assert (
            "Stale: storage classes and listed sizes are the last listing's; "
            f"S3 unreachable since {since}: bucket alpha: cannot reach"
        ) in costs


async def test_a_refused_token_says_so_on_its_account(
    store: Store,
    s3_backend,  # type: ignore[no-untyped-def]
    moto_endpoint: str,
    peer: GraphQLPeer,
) -> None:
    accounts = refused_token(moto_endpoint, peer)
    results = run(store, accounts, "collect_metrics")
    good = app_for(store, accounts, "good")
    async with good.run_test(size=SIZE) as pilot:
        await shown(good, pilot, results)
        assert good.header_state().state == "idle"
        assert "refused" not in header_text(good)
    bad = app_for(store, accounts, "bad")
    async with bad.run_test(size=SIZE) as pilot:
        await shown(bad, pilot, results)
        header = bad.header_state()
        assert header.state == "failing" and "refused the API token" in header.detail
        value, why = card_lines(bad, "uploads_today")
        assert value != "no data yet" and value.startswith(("token refused", "analytics"))
        assert why.startswith(("needs Account Analytics: Read", "since "))
        assert "wrong-token" not in header_text(bad)


async def test_a_refused_token_names_the_permission(
    store: Store,
    s3_backend,  # type: ignore[no-untyped-def]
    moto_endpoint: str,
    peer: GraphQLPeer,
) -> None:
    accounts = refused_token(moto_endpoint, peer)
    s3_backend.create_bucket("alpha", region_name="us-east-1")
    s3_backend.put_object("alpha", "a.txt", b"x" * 10)
    results = run(store, accounts, "inventory", "collect_metrics", "calculate_costs")
    assert health.read(store, "bad").get(ANALYTICS).state is SourceState.REFUSED
    bad = app_for(store, accounts, "bad")
    async with bad.run_test(size=SIZE) as pilot:
        await shown(bad, pilot, results)
        assert bad.header_state().detail.startswith("analytics token refused since ")
        assert "(needs Account Analytics: Read)" in bad.header_state().detail
        assert card_lines(bad, "uploads_today") == (
            "token refused",
            "needs Account Analytics: Read",
        )
        # The Cost pane: storage only, for the true reason (not "needs an API token").
        costs = str(bad.query_one("#cost-storage-only", Static).render())
        assert costs.startswith("Storage only: ") and "needs an API token" not in costs
        assert "Cloudflare's analytics: token refused since " in costs
        assert "(needs Account Analytics: Read): Cloudflare analytics refused" in costs


async def test_a_servers_reason_in_a_tooltip_is_data(store: Store, moto_endpoint: str) -> None:
    """A reason is a server's words: in a card's tooltip it is shown literally,
    never read as markup (which could raise, or become a live action)."""
    hostile = "cannot reach [/x] [@click=app.quit]q[/] \x1b[2J"
    with store.write():
        health.record(
            store,
            "bad",
            {
                S3: SourceReport(SourceState.DOWN, hostile),
                LISTING: SourceReport(SourceState.DOWN, hostile),
            },
            time.time(),
        )
    accounts = two_accounts(moto_endpoint)
    app = app_for(store, accounts, "bad")
    async with app.run_test(size=SIZE) as pilot:
        await shown(app, pilot, [])
        tip = app.query_one("#card-total_files", Card).tooltip
        assert isinstance(tip, Text)
        assert "[/x] [@click=app.quit]q[/] \\x1b[2J" in tip.plain and not tip.spans
        assert app.is_running
