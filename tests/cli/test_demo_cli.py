"""`r2tui collect --once --demo` and the demo store's collector lease, through
main(argv) in this process, on the real demo.db in the test's own folders:
beside a running demo it starts no demo of its own, even with --force (two demo
servers would mix into one store); alone, it runs its demo and gives the lease
back when done."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from r2tui import paths, runtime
from r2tui.store import lease, open_store, state
from r2tui.store.models import Bucket, JobRun

PEER = lease.Holder("peer-host", 4242, "peer")
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "DEMO", runtime.DemoOptions(scale=0.02, traffic=False))


def test_collect_once_beside_a_running_demo_starts_none(cli: Cli) -> None:
    store = open_store(paths.default_store_url(demo=True))
    try:
        assert lease.acquire(store, "demo", 3600, holder=PEER) is not None
    finally:
        store.close()
    for force in ((), ("--force",)):
        code, out, err = cli("collect", "--once", "--demo", *force)
        assert code == 0 and out == ""
        assert "held by peer-host:4242" in err and "nothing run" in err
    store = open_store(paths.default_store_url(demo=True))
    try:
        # No demo started: none seeded (a start notes its seeding time), none listed.
        assert state.get(store, runtime.SEEDED_AT) is None
        assert not Bucket.select().exists() and not JobRun.select().exists()
        held = lease.read(store, "demo")
        assert held is not None and held.holder == PEER.id
    finally:
        store.close()


def test_collect_once_alone_runs_its_demo_and_gives_the_lease_back(cli: Cli) -> None:
    code, out, err = cli("collect", "--once", "--demo", "--job", "inventory")
    assert code == 0, err
    assert out.startswith("inventory") and "5 of 5 buckets listed" in out
    store = open_store(paths.default_store_url(demo=True))
    try:
        assert Bucket.select().count() == 5
        assert state.get(store, runtime.SEEDED_AT) is not None
        assert lease.read(store, "demo") is None
    finally:
        store.close()
