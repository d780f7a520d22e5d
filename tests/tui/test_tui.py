"""Pilot tests of the main screen: panes show store data, the header tells the
collector's state, and every key does what its help line says."""

from __future__ import annotations

import gc
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.command import CommandPalette
from textual.widgets import Input, TabbedContent

import r2tui.tui.app as tui_app
from r2tui.config import ConfigError
from r2tui.store import Store, queries
from r2tui.store.views import ActivityRow
from r2tui.tui import messages as msg
from r2tui.tui.app import build_app
from r2tui.tui.panes.activity import ActivityPane
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.panes.views import ActivityPaneView
from r2tui.tui.screens.help import HelpScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.widgets.table import FilterTable
from tests.support.configs import account_for, make_config
from tests.support.peers import closed_port
from tests.support.tui import SIZE, quiet_app, rows, settle, wait_for
from tests.support.tui_data import BUCKETS, NOW, TOTAL_OBJECTS


async def test_panes_render_store_data(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await pilot.pause()
        buckets = rows(app, "table-buckets")
        # Sorted by size, largest first, as the Size ▼ header says.
        assert [r[0] for r in buckets] == ["backups", "media", "site"]
        assert buckets[0][1] == f"{BUCKETS['backups'].objects:,}"
        assert buckets[0][2] == "421.0 GB"
        summary = str(app.query_one("#storage-summary").render())
        assert f"{TOTAL_OBJECTS:,} objects" in summary
        assert "in 3 buckets" in summary
        quota = str(app.query_one("#storage-quota-label").render())
        assert "729.0 GB of 1.0 TB quota" in quota
        types = rows(app, "table-types")
        assert types[0][0] == "tar.zst" and types[0][2] == "420.0 GB"
        classes = {r[0]: r[1] for r in rows(app, "table-classes")}
        assert classes == {"STANDARD": "4,192", "STANDARD_IA": "80"}
        largest = rows(app, "table-largest")
        assert largest[0][:3] == ["backups", "pg/2026-03-13/base.tar.zst", "15.0 GB"]
        # What matters, newest first: the job run's line waits for `a`.
        events = rows(app, "table-activity")
        assert "large upload media/videos/launch-4k.mp4" in events[0][1]
        assert events[0][0] == "14:49:50"
        assert not any("inventory: 3 of 3" in e[1] for e in events)
        probes = {r[0]: r for r in rows(app, "table-probes")}
        assert probes["site"][1] == "FAIL" and probes["media"][1] == "yes"
        assert probes["backups"][2] == "40"
        cost = str(app.query_one("#cost-note").render())
        assert "8 Class A, 6 Class B" in cost
        header = app.header_state()
        # The newest observation is the probes' (NOW - 300), not the listing's.
        assert header.state == "idle" and header.data_at == NOW - 300


async def test_a_probe_row_is_made_again_only_when_its_age_reads_differently(
    filled: Store,
) -> None:
    """At each store read a probe's row comes back as the same object while its
    age's text is unchanged (an hour-old probe, a second later), and is made
    again, with the new age, when it changes."""
    clock = [NOW + 3600.0]
    config = make_config((account_for("http://127.0.0.1:9", quota_bytes=1000 * 10**9),))
    app = build_app(config, filled, clock=lambda: clock[0], collect=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        table = app.query_one("#table-probes", FilterTable)

        async def read_at(t: float) -> list[object]:
            clock[0] = t
            before = app.applied_read
            app.refresh_data()
            await wait_for(pilot, lambda: app.applied_read > before)
            await pilot.pause()
            return list(table._rows)

        first = await read_at(NOW + 3600.0)
        assert {r[-1] for r in rows(app, "table-probes")} == {"1h 05m ago"}
        again = await read_at(NOW + 3601.0)
        assert len(again) == len(first) == 3 and all(
            a is b for a, b in zip(first, again, strict=True)
        )
        later = await read_at(NOW + 3720.0)
        assert not any(a is b for a, b in zip(first, later, strict=True))
        assert {r[-1] for r in rows(app, "table-probes")} == {"1h 07m ago"}


async def test_the_first_painted_snapshot_is_kept_from_the_collector(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the first snapshot's paint builds (the panes' render caches) lives as
    long as the app: left to the collector, a full collection walked it during a
    1,000,000-object inventory and held a frame 22 to 44 ms. Later snapshots
    are not frozen: their objects come and go."""
    app = quiet_app(filled)
    frozen: list[tuple[bool, int]] = []  # (a snapshot was shown, tables holding rows)

    def freeze() -> None:
        frozen.append(
            (app.dashboard is not None, sum(1 for t in app.query(FilterTable) if t.table.row_count))
        )
        gc.freeze()

    monkeypatch.setattr(tui_app, "freeze_long_lived", freeze)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(frozen) == 2)
        assert frozen[0] == (False, 0)  # the first paint: widgets, modules
        assert frozen[1][0] and frozen[1][1] >= 4  # after the snapshot filled the tables
        app.refresh_data()
        await wait_for(pilot, lambda: app.applied_read >= 2)
        await pilot.pause(0.2)
        assert len(frozen) == 2


async def test_empty_store_says_so(store: Store) -> None:
    app = quiet_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        summary = str(app.query_one("#storage-summary").render())
        assert "no inventory yet" in summary
        assert app.header_state().state == "never"
        assert not app.query_one("#storage-quota-row").display


async def test_header_shows_failing_collector_when_endpoint_is_down(store: Store) -> None:
    config = make_config((account_for(f"http://127.0.0.1:{closed_port()}"),))
    app = build_app(config, store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.header_state().state == "failing", timeout=30)
        header = app.header_state()
        assert "cannot reach 127.0.0.1" in header.detail
        assert header.data_at is None  # runs happened; nothing was observed
        # The Storage pane says why there is no listing: the source's true reason.
        await wait_for(
            pilot,
            lambda: "cannot reach 127.0.0.1" in str(app.query_one("#storage-summary").render()),
        )
        summary = str(app.query_one("#storage-summary").render())
        assert summary.startswith("no inventory yet: ") and " since " in summary
        await wait_for(
            pilot,
            lambda: any(
                a.level == "error" for a in (app.dashboard.activity if app.dashboard else [])
            ),
        )
        assert any("cannot reach" in r[1] for r in rows(app, "table-activity"))
        # Still alive and answering keys.
        await pilot.press("plus")
        assert app.refresh_seconds == 2.0
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_ui_answers_while_a_job_hangs(store: Store) -> None:
    """A server that accepts and never answers: the job blocks a worker thread,
    never the event loop."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    config = make_config((account_for(f"http://127.0.0.1:{server.getsockname()[1]}"),))
    app = build_app(config, store)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "inventory" in app.embedded.running, timeout=10)
            assert app.first_paint_at is not None
            t0 = time.perf_counter()
            await pilot.press("minus")
            assert app.refresh_seconds == 10.0
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            # Three keys answered while the job still waits: the loop was never
            # blocked. The job's request would hang until the 10 s read timeout, so
            # the bound is well below it; the wall time of three presses on a busy
            # 2-core machine (collector start-up importing on worker threads) is
            # about 1 s alone and has reached 2.2 s in a full run.
            assert "inventory" in app.embedded.running
            assert time.perf_counter() - t0 < 5.0
            assert app.header_state().state == "running"
    finally:
        server.close()
    # The listener is gone: the stuck request fails and its thread ends before
    # the next test binds the store models elsewhere.
    collector = app.embedded.collector
    deadline = time.monotonic() + 15
    while collector is not None and collector.running_jobs and time.monotonic() < deadline:
        time.sleep(0.05)


async def test_space_runs_collection_against_moto(
    store: Store,
    s3_backend,  # type: ignore[no-untyped-def]
    moto_endpoint: str,
) -> None:
    s3_backend.create_bucket("alpha", region_name="us-east-1")
    for i in range(25):
        s3_backend.put_object("alpha", f"k/{i}.txt", b"x" * i)
    config = make_config((account_for(moto_endpoint),))
    app = build_app(config, store)
    async with app.run_test(size=SIZE) as pilot:
        # Both jobs are due on a new store; wait for the scheduler's first round.
        await wait_for(
            pilot,
            lambda: app.dashboard is not None and app.dashboard.storage.total_objects == 25,
            timeout=30,
        )
        # The pane shows the listing's counts as soon as they are stored, while the
        # job still writes its totals; space then (rightly) finds it running.
        await wait_for(
            pilot,
            lambda: (
                app.embedded.collector is not None
                and "inventory" not in app.embedded.collector.running_jobs
            ),
            timeout=30,
        )
        before = len(queries.collector(store, "test").jobs)
        s3_backend.put_object("alpha", "k/new.txt", b"fresh")
        await pilot.press("space")
        await wait_for(
            pilot,
            lambda: app.dashboard is not None and app.dashboard.storage.total_objects == 26,
            timeout=30,
        )
        assert before >= 1
        assert rows(app, "table-buckets")[0][:2] == ["alpha", "26"]


async def test_pause_resume_and_refresh_interval(
    store: Store,
    s3_backend,  # type: ignore[no-untyped-def]
    moto_endpoint: str,
) -> None:
    app = build_app(make_config((account_for(moto_endpoint),)), store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.embedded.collector is not None)
        await pilot.press("p")
        assert app.embedded.collector is not None and app.embedded.collector.paused
        assert app.header_state().state == "paused"
        await pilot.press("p")
        assert not app.embedded.collector.paused
        start = app.refresh_seconds
        await pilot.press("plus", "plus")
        assert app.refresh_seconds < start
        for _ in range(10):
            await pilot.press("minus")
        assert app.refresh_seconds == 300.0


async def test_table_filter_sort_and_drill_down(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await pilot.press("3")  # focus Storage: its bucket table
        assert app.focused is app.query_one("#table-buckets DataTable")
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"med")
        assert [r[0] for r in rows(app, "table-buckets")] == ["media"]
        await pilot.press("escape")
        assert len(rows(app, "table-buckets")) == 3
        await pilot.press("s")  # sort by the next column: Share (bytes)
        table = app.query_one("#table-buckets", FilterTable)
        assert table.sort_column == 3 and table.descending
        await pilot.press("S")
        assert [r[0] for r in rows(app, "table-buckets")] == ["site", "media", "backups"]
        # The cursor followed "media" through the filter and both sorts.
        await pilot.press("enter")
        tabs = app.query_one("#storage-tabs", TabbedContent)
        assert tabs.active == "types"
        assert [r[0] for r in rows(app, "table-types")] == ["mp4", "jpg"]
        assert "showing media" in str(app.query_one("#storage-summary").render())
        await pilot.press("backspace")
        assert len(rows(app, "table-types")) == 6  # every type of every bucket
        await pilot.press("right_square_bracket")
        assert tabs.active == "classes"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert tabs.active == "buckets"


async def test_a_refresh_with_unchanged_rows_leaves_the_table_alone(filled: Store) -> None:
    # No timed store read: one would put the three buckets back between the steps
    # (it did, on a loaded machine).
    app = quiet_app(filled, refresh_seconds=3600.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        table = app.query_one("#table-buckets", FilterTable)
        cleared = []
        original = table.table.clear
        table.table.clear = lambda *a, **k: (cleared.append(1), original(*a, **k))[1]
        table.set_rows(list(table._rows))  # what every refresh does with the same data
        assert cleared == []
        table.set_rows(list(reversed(table._rows))[1:])  # a bucket vanished
        assert cleared == [1] and len(rows(app, "table-buckets")) == 2
        await pilot.press("3", "s")  # a new sort redraws, labels included
        assert len(cleared) == 2


async def test_zoom_focus_keys_help_palette_and_activity_detail(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        for key, pane in zip(
            "12345", ("metrics", "cost", "storage", "activity", "alerts"), strict=True
        ):
            await pilot.press(key)
            assert app.focused is not None
            assert pane in [a.id for a in app.focused.ancestors_with_self]
        await pilot.press("4", "z")
        assert app.screen.maximized is app.query_one("#activity")
        await pilot.press("z")
        assert app.screen.maximized is None
        await pilot.press("enter")
        assert isinstance(app.screen, MessageScreen)
        assert "large upload media/videos/launch-4k.mp4 (9.0 GB)" in app.screen.message
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_rows = [r[3] for r in app.screen.rows]
        for binding_id in (
            "app.refresh",
            "app.pause",
            "app.faster",
            "app.slower",
            "app.quit",
            "table.filter",
            "storage.all_buckets",
        ):
            assert binding_id in help_rows
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Filter")
        await settle(pilot)  # the palette's search runs on a worker
        await pilot.press("enter")  # a table action, from the palette
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        await pilot.press("escape")
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_keymap_rebinds_and_rejects_bad_keys(filled: Store) -> None:
    app = quiet_app(filled, keymap={"app.faster": "f"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        assert app.refresh_seconds == 2.0
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("f", "app.faster") in [(r[0], r[3]) for r in app.screen.rows]
    with pytest.raises(ConfigError, match=r"keymap.app.nope: unknown binding id"):
        quiet_app(filled, keymap={"app.nope": "x"})
    with pytest.raises(ConfigError, match=r"keymap.app.refresh: ctrl\+s is XOFF"):
        quiet_app(filled, keymap={"app.refresh": "ctrl+s"})


async def test_broken_store_shows_reason_and_keeps_running(filled: Store, sqlite_url: str) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
        # A table every read reads (an inventory's breakdowns are read once,
        # then kept until it changes: queries.storage_view).
        other.execute("DROP TABLE bucket")
        other.commit()
        other.close()
        app.refresh_data()
        await wait_for(pilot, lambda: app.header_state().state == "failing")
        assert "no such table" in app.header_state().detail
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


def test_core_never_imports_textual() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import r2tui.cli, r2tui.jobs, r2tui.scheduler, r2tui.status, "
        "r2tui.store.queries, r2tui.sources.s3; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def iter_tui_modules() -> Iterator[str]:
    import pkgutil

    import r2tui.tui

    for mod in pkgutil.walk_packages(r2tui.tui.__path__, "r2tui.tui."):
        yield mod.name


def test_tui_never_imports_a_source_client() -> None:
    """Views read the store; only jobs talk to R2 (docs/architecture.md: the layers)."""
    import ast
    import importlib.util

    for name in iter_tui_modules():
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        bad = {m for m in imported if m and m.split(".")[0] in ("boto3", "botocore", "httpx")}
        bad |= {m for m in imported if m and m.startswith("r2tui.sources.s3")}
        assert not bad, f"{name} imports {bad}"


async def test_a_snapshot_that_arrives_while_the_app_closes_is_dropped(filled: Store) -> None:
    """A store read still running when the user quits ends during the shutdown,
    when the panes' widgets may be gone: showing it then failed the whole app."""
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        dash = app.dashboard
        app.query_one(MetricsPane).query_one("#metrics-waiting").remove()
        app.exit()
        app.post_message(msg.SnapshotReady(dash, 1.0, 10**6))
    assert app.return_code == 0 and app.applied_read < 10**6


async def test_a_pane_shows_its_own_view_made_by_hand() -> None:
    """A pane sees its view (tui/panes/views.py), never the whole dashboard: one
    made by hand, with no store and no app of ours, is enough to show it."""

    class OnePane(App[None]):
        def compose(self) -> ComposeResult:
            yield ActivityPane(id="activity")

    rows = (
        ActivityRow(2, int(NOW), "job", "error", "media", "inventory failed"),
        ActivityRow(1, int(NOW) - 60, "bucket", "info", None, "found 1 bucket"),
    )
    app = OnePane()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(ActivityPane).show(ActivityPaneView(rows), NOW)
        await pilot.pause()
        table = app.query_one("#table-activity", FilterTable)
        assert table.visible_keys == ["2", "1"]  # newest first


def test_the_app_reads_every_style_file_from_the_start() -> None:
    """A style file a screen reads when it first opens makes Textual parse every
    style again and restyle every widget: the app reads them all up front."""
    import importlib
    import pkgutil

    import r2tui.tui.screens
    from r2tui.tui.resources import styles_dir

    read = {Path(p) for p in tui_app.R2App.CSS_PATH}
    assert read == set(styles_dir().glob("*.tcss"))
    screens = [
        cls
        for info in pkgutil.iter_modules(r2tui.tui.screens.__path__)
        for cls in vars(importlib.import_module(f"r2tui.tui.screens.{info.name}")).values()
        if isinstance(cls, type) and cls.__dict__.get("CSS_PATH")
    ]
    assert len(screens) >= 6
    for cls in screens:
        assert {Path(p) for p in cls.CSS_PATH} <= read, cls.__name__
