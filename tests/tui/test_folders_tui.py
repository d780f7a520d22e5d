"""The Folders screen, opened from the Storage pane: drilled into with the
keyboard like ncdu (enter or right into a folder, left or backspace up, up
again to the buckets), each folder's size, share, objects and growth, prefixes
shown as text, never markup; and what it shows is what `r2tui du --json` says."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from r2tui.metrics import DAY
from r2tui.store import Store, writes
from r2tui.tui.screens.folders import FoldersScreen
from r2tui.tui.widgets.table import FilterTable
from tests.support.prefixes import fill
from tests.support.tui import SIZE, quiet_app, settle
from tests.support.tui_data import BUCKETS, NOW

HOSTILE = "[bold]no\x1b[2J/"  # markup and an escape sequence, in a folder's name


def _photos(store: Store) -> None:
    """A fourth bucket in the TUI's store, listed with folders for 30 days: its
    last listing 10 minutes ago, with growth to read."""
    writes.sync_buckets(store, "test", [*BUCKETS, "photos"], ts=NOW - 800)
    fill(store, "test", "photos", int(NOW) - 600 - 30 * DAY, extra={HOSTILE + "x": 3})


def _rows(screen: FoldersScreen) -> list[list[str]]:
    table = screen.query_one(FilterTable).table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _names(screen: FoldersScreen) -> list[str]:
    return [r[0] for r in _rows(screen)]


def _cursor(screen: FoldersScreen) -> str:
    table = screen.query_one(FilterTable).table
    return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)


async def test_drill_in_and_up_like_ncdu_as_du_says(
    filled: Store, cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    _photos(filled)
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "u")  # the Storage pane, the highlighted bucket's folders
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FoldersScreen) and screen.bucket == "backups"
        await pilot.press("left")  # up from a bucket's top: every bucket
        await settle(pilot)
        assert screen.bucket is None and _cursor(screen) == "backups"
        assert sorted(_names(screen)) == ["backups/", "media/", "photos/", "site/"]
        for _ in range(_names(screen).index("photos/")):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.bucket == "photos"
        title = str(screen.query_one("#folders-title").render())
        assert "photos/ · 4.7 KB in 37 objects · listed 10m ago · counted 3 levels deep" in title
        rows = _rows(screen)
        assert rows[0] == ["logs/", "3.1 KB", " 66.7 %", "31", "+100 B", "+800 B", "+3.0 KB"]
        tmp = next(r for r in rows if r[0] == "tmp/")
        assert tmp[4:] == ["+42 B", "–", "–"]  # new: nothing 7 or 30 days ago
        assert "(files)" in _names(screen)
        shown = {r.key: r.sort for r in screen.query_one(FilterTable)._rows}
        # Text, never markup: the name is shown as it is, its escape made visible.
        assert "[bold]no\\x1b[2J/" in _names(screen)

        await pilot.press("enter")  # into logs/
        await settle(pilot)
        assert (screen.prefix, _names(screen)) == ("logs/", ["2026/"])
        await pilot.press("right")  # into logs/2026/: its files
        await settle(pilot)
        assert (screen.prefix, _names(screen)) == ("logs/2026/", ["(files)"])
        await pilot.press("right")  # (files) opens nothing
        assert screen.prefix == "logs/2026/"
        await pilot.press("backspace")
        assert (screen.prefix, _cursor(screen)) == ("logs/", "logs/2026/")
        await pilot.press("left")
        assert (screen.prefix, _cursor(screen)) == ("", "logs/")
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, FoldersScreen)
    # What the screen showed for photos is what `du --json` says, figure for figure.
    config = tmp_path / "du.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{filled.db.database}"\n[accounts.test]\n'
        'endpoint_url = "http://127.0.0.1:9"\naccess_key_id = "k"\nsecret_access_key = "s"\n',
        encoding="utf-8",
    )
    code, out, err = cli("du", "photos", "--json", "--read-only", "--config", str(config))
    assert code == 0, err
    tree = json.loads(out)["tree"]
    said: dict[str, tuple[object, ...]] = {
        c["prefix"]: (
            c["name"],
            c["bytes"],
            c["bytes"],
            c["objects"],
            c["growth"]["since_previous"],
            c["growth"]["7d"],
            c["growth"]["30d"],
        )
        for c in tree["children"]
    }
    files = tree["files"]
    said["(files)"] = (
        "(files)",
        files["bytes"],
        files["bytes"],
        files["objects"],
        None,
        None,
        None,
    )
    assert shown == said and len(said) == 6
