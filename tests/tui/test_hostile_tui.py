"""The TUI shows every text from outside literally (issue 14): the whole hostile
corpus, carried by the real jobs (support/hostile_tui_data.py), in ONE Pilot session.

The main screen at 80x24, then at 120x30: the header (a hostile account name,
an endpoint with a password and a token, a server's error as the collector's
detail); the Storage pane's Buckets tab, drill-down into the bucket and its
Types, Classes, Largest and Newest tabs (every key); the filter with markup
typed; an object in full; zoom; the Activity pane and an entry in full (the
1,024-byte key); a hostile bucket in the Metrics pane and its history chart;
the Cost pane's buckets and the Alerts pane's alerts (every hostile name); the
Rules screen, the rule form (a hostile name and annotation; markup typed) and
the alert history (searched with markup typed; an entry in full).

At each step:
- every cell or line of data is a `Text` whose characters are what
  `r2tui.literal.visible` (or `clip`, where a layout cuts it) makes of the value:
  markup brackets still there means no markup was applied, and a data cell
  carries no span (a link or a style out of the data would be one);
- the rendered screen holds no control or bidi character
  (`hostile.raw_controls`), read through `App.export_screenshot()`: the public
  way to see what would reach the terminal (an SVG of the screen's text);
- nothing crashes: the app is still running at the end.

On the TUI before this change the session stops at start: the key
`[/]unbalanced[` reached a DataTable as a str, Rich's MarkupError.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, Static, TabbedContent

from r2tui.literal import clip, visible
from r2tui.store import Store
from r2tui.tui.app import R2App, build_app
from r2tui.tui.format import BUCKET_CELLS, KEY_CELLS, LINE_CELLS
from r2tui.tui.rule_fields import pairs_text
from r2tui.tui.screens.alert_history import AlertHistoryScreen
from r2tui.tui.screens.history import HistoryScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.screens.reports import report_parser
from r2tui.tui.screens.rule_form import RuleForm
from r2tui.tui.screens.rules import RulesScreen
from r2tui.tui.widgets.header import render_header
from r2tui.tui.widgets.table import FilterTable
from tests.support.configs import account_for, make_config
from tests.support.graphql_peer import ACCOUNT as ACCOUNT_ID
from tests.support.graphql_peer import GraphQLPeer
from tests.support.hostile import KEYS, raw_controls
from tests.support.hostile_tui_data import (
    ACCOUNT_NAME,
    ANNOTATION,
    BUCKET,
    LF_KEY,
    LONG_KEY,
    RULE_NAME,
    SERVER_ERROR,
    Seeded,
    seed,
)
from tests.support.tui import wait_for
from tests.support.tui_data import NOW

SIZE = (120, 30)
PASSWORD = "hunter2-in-the-url"
QUERY_TOKEN = "query-token-in-the-url"


@pytest.fixture
def seeded(store: Store, s3_backend: object, moto_endpoint: str) -> Iterator[Seeded]:
    with GraphQLPeer() as peer:
        yield seed(store, s3_backend, moto_endpoint, peer)


def app_for(store: Store, seeded: Seeded, moto_endpoint: str) -> R2App:
    """The app over the seeded store, collection off, on the seed's clock. Its
    endpoint carries a password and a token: the header must show neither."""
    host = moto_endpoint.split("://", 1)[1]
    account = account_for(
        f"http://admin:{PASSWORD}@{host}/?token={QUERY_TOKEN}",
        name=seeded.account.name,
        api_token=seeded.account.api_token,
        account_id=ACCOUNT_ID,
        graphql_url=seeded.account.graphql_url,
    )
    # No re-read of the store on a timer: the session is about what one read shows,
    # and a read every few seconds would cost this one-worker budget a second a time.
    return build_app(
        make_config((account,), refresh_seconds=3600), store, clock=lambda: NOW, collect=False
    )


# ---- what each step checks ------------------------------------------------------------------
def screen_is_inert(app: R2App, where: str) -> None:
    """No control or bidi character of the data reached the rendered screen."""
    shown = html.unescape(app.export_screenshot())
    assert raw_controls(shown) == [], f"{where}: raw characters on screen"


def literal(cell: object, value: str, cells: int | None = None) -> None:
    """`cell` shows `value` as the text rule says, and nothing of it is markup."""
    assert isinstance(cell, Text), f"a str cell is markup: {cell!r}"
    assert cell.plain == (visible(value) if cells is None else clip(value, cells))
    assert cell.spans == [], f"data became style or a link: {cell.spans}"


def table(app: R2App, selector: str) -> DataTable:
    return app.screen.query_one(selector, FilterTable).table


def column(dt: DataTable, index: int) -> list[object]:
    return [dt.get_row_at(i)[index] for i in range(dt.row_count)]


def content(app: R2App, selector: str) -> str:
    """What a Static shows, as text."""
    return str(app.screen.query_one(selector, Static).render())


async def tab(pilot, name: str) -> DataTable:  # type: ignore[no-untyped-def]
    """Step the Storage pane's tabs with `]` until `name` shows."""
    tabs = pilot.app.query_one("#storage-tabs", TabbedContent)
    for _ in range(5):
        if tabs.active == name:
            break
        await pilot.press("right_square_bracket")
    assert tabs.active == name
    screen_is_inert(pilot.app, f"the {name} tab")
    return table(pilot.app, f"#table-{name}")


async def modal(pilot, opened: type) -> object:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, opened))
    await pilot.pause()
    return pilot.app.screen


# ---- the session ----------------------------------------------------------------------------
async def test_hostile_text_shows_literally_everywhere(
    store: Store, seeded: Seeded, moto_endpoint: str
) -> None:
    keys = {clip(h.text, KEY_CELLS): h.text for h in KEYS}  # as a Key cell shows each
    assert len(keys) == len(KEYS)
    names = seeded.names
    app = app_for(store, seeded, moto_endpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        app.animation_level = "none"  # no tab underline gliding: a key press waits for it
        # -- start, at 80x24 and at 120x30: the header, the collector's failure
        await wait_for(
            pilot, lambda: app.dashboard is not None and table(app, "#table-activity").row_count > 0
        )
        await pilot.pause()
        screen_is_inert(app, "the main screen at 80x24")
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        screen_is_inert(app, "the main screen")
        header = content(app, "#header")
        # 120 columns: the endpoint gives way to the failure, cut at a word.
        full = render_header(app.header_state()).plain  # every part, as wide as it takes
        for text in (header, full):
            assert PASSWORD not in text and QUERY_TOKEN not in text and "admin" not in text
        assert f" {visible(ACCOUNT_NAME)} @ {moto_endpoint.split('://', 1)[1]}/  │" in full
        assert visible(ACCOUNT_NAME) in header
        failure = app.header_state().detail
        assert SERVER_ERROR[:20] in failure
        shown = header.split("failing: ", 1)[1].removesuffix("…")
        assert visible(failure).startswith(shown) and len(shown) > 40
        assert "[/]denied[" in header  # markup, literally (the escape that follows
        assert "[/]denied[ \\x1b[31mred" in visible(failure)  # is a word too long to fit)

        # -- Storage: the Buckets tab, then drill-down into the bucket: its Types,
        # Classes, Largest and Newest (all the keys: unscoped, only the top 20 show)
        await pilot.press("3")
        literal(column(await tab(pilot, "buckets"), 0)[0], BUCKET, BUCKET_CELLS)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.query_one("#storage-tabs", TabbedContent).active == "types"
        )
        assert f"showing {BUCKET}" in content(app, "#storage-summary")
        for name in ("types", "classes"):  # from keys and from the server
            for kind in column(await tab(pilot, name), 0):
                assert isinstance(kind, Text) and kind.spans == []
        for name in ("largest", "newest"):
            shown = column(await tab(pilot, name), 1)
            assert sorted(c.plain for c in shown) == sorted(keys)
            for key_cell in shown:
                literal(key_cell, keys[key_cell.plain], KEY_CELLS)
        newest = table(app, "#table-newest")

        # -- the filter, with markup typed: one row matches, then none
        await pilot.press("slash", *"[/]u")
        assert [c.plain for c in column(newest, 1)] == ["[/]unbalanced["]
        await pilot.press("[")
        assert newest.row_count == 0
        assert "no row matches “[/]u[”" in content(app, "#table-newest .table-empty")
        screen_is_inert(app, "the filter")
        # The end of a key the column cuts is still found (set, not typed: 900 keys);
        # so is a line break, by the escape that shows it.
        box = app.query_one("#table-newest Input", Input)
        box.value = "x" * 900
        await wait_for(pilot, lambda: newest.row_count == 1)
        assert keys[column(newest, 1)[0].plain] == LONG_KEY
        assert column(newest, 1)[0].plain.endswith("…")
        box.value = "line one\\n"
        await wait_for(pilot, lambda: newest.row_count == 1)
        # -- an object in full: enter shows it, its line break as \n (no forged line)
        await pilot.press("enter", "enter")
        await modal(pilot, MessageScreen)
        assert f"key: {visible(LF_KEY)}\n" in content(app, "#message-body")
        screen_is_inert(app, "an object in full")
        await pilot.press("escape")

        # -- zoom
        await pilot.press("z")
        assert app.screen.maximized is not None
        screen_is_inert(app, "the zoomed storage pane")
        await pilot.press("z")

        # -- Activity: every entry (a: job runs too); the 1,024-byte key's upload, in full
        await pilot.press("4", "a")
        events = column(table(app, "#table-activity"), 1)
        for event in events:
            assert isinstance(event, Text) and not raw_controls(event.plain)
        upload = f"large upload {BUCKET}/{LONG_KEY} (2.0 MB)"
        assert app.dashboard.activity[1].message == upload  # type: ignore[union-attr]
        assert events[1].plain.endswith("…")  # the pane cuts it
        await pilot.press("down", "enter")
        await modal(pilot, MessageScreen)
        assert content(app, "#message-body") == upload  # the entry shows it whole
        screen_is_inert(app, "the Activity entry screen")
        await pilot.press("escape")
        failed = next(e for e in events if "collect_metrics failed" in e.plain)
        assert "[/]denied[ \\x1b[31mred" in failed.plain  # a server's message, literally

        # -- Metrics: a hostile bucket chosen with b, then its history chart
        await pilot.press("1", "b")
        first = sorted(names)[0]
        assert content(app, "#metrics-scope").startswith(
            f"Bucket: {clip(first, BUCKET_CELLS)} (b/B)"
        )
        await pilot.press("h")
        await modal(pilot, HistoryScreen)
        assert f"bucket {visible(first)}" in content(app, "#history-title")
        screen_is_inert(app, "the history chart")
        await pilot.press("escape")

        # -- Cost: every hostile name in the bucket table
        shown = {c.plain: c for c in column(table(app, "#table-costs"), 0)}
        for name in names:
            literal(shown[clip(name, BUCKET_CELLS)], name, BUCKET_CELLS)

        # -- Alerts: the hostile rule fires for every hostile bucket
        alerts = {c.plain: c for c in column(table(app, "#table-alerts"), 2)}
        for name in names:
            literal(
                alerts[clip(f"{RULE_NAME} · {name}", LINE_CELLS)],
                f"{RULE_NAME} · {name}",
                LINE_CELLS,
            )

        # -- Rules: the hostile rule (first by name: "[" sorts before letters), its form
        await pilot.press("r")
        rules = await modal(pilot, RulesScreen)
        await wait_for(pilot, lambda: rules.states is not None)
        assert rules.current() is not None and rules.current().rule.name == RULE_NAME
        name = column(table(app, "#rules-table"), 1)[0]
        assert isinstance(name, Text) and name.spans == []
        head, _, tail = name.plain.partition("…")  # a long name is cut in the middle
        assert visible(RULE_NAME).startswith(head) and visible(RULE_NAME).endswith(tail)
        assert f"Alert rules · {visible(ACCOUNT_NAME)} · " in content(app, "#rules-title")
        screen_is_inert(app, "the Rules screen")
        await pilot.press("e")
        form = await modal(pilot, RuleForm)
        await wait_for(pilot, lambda: bool(form.initial))
        assert content(app, "#rule-title") == f"Edit rule {visible(RULE_NAME)}"
        # Inputs show the escapes; the form keeps the values themselves.
        assert form.query_one("#field-name", Input).value == visible(RULE_NAME)
        assert form.query_one("#field-annotations", Input).value == visible(
            pairs_text((("summary", ANNOTATION),))
        )
        assert form.valid is not None and form.valid.name == RULE_NAME
        assert dict(form.valid.annotations) == {"summary": ANNOTATION}
        screen_is_inert(app, "the rule form")
        form.query_one("#field-scope", Input).focus()  # all of it selected: typed over
        await pilot.press(*"[/")
        assert "got '[/'" in content(app, "#problem-scope")
        assert content(app, "#rule-backtest") == "backtest: waiting for a valid rule"
        screen_is_inert(app, "the rule form with a problem")
        await pilot.press("escape")  # cancel the form
        await wait_for(pilot, lambda: isinstance(app.screen, RulesScreen))
        await pilot.press("escape")

        # -- the alert history: the hostile rule and buckets, a hostile search
        await pilot.press("A")
        history = await modal(pilot, AlertHistoryScreen)
        await wait_for(pilot, lambda: history.shown_search == "")
        rows = table(app, "#alert-history-table")
        hostile_rows = 0
        for rule_cell, bucket_cell in zip(column(rows, 1), column(rows, 2), strict=True):
            if rule_cell.plain == visible(RULE_NAME):
                literal(rule_cell, RULE_NAME, LINE_CELLS)
                bucket = next(n for n in names if clip(n, BUCKET_CELLS) == bucket_cell.plain)
                literal(bucket_cell, bucket, BUCKET_CELLS)
                hostile_rows += 1
        assert hostile_rows == len(names)
        screen_is_inert(app, "the alert history")
        await pilot.press("slash", *"[li")  # the start of "[link=…"
        await wait_for(pilot, lambda: history.shown_search == "[li")
        assert "matching “[li”" in content(app, "#alert-history-title")
        assert rows.row_count == len(names)
        # -- one change in full: its title names the rule and the bucket
        await pilot.press("enter", "enter")
        await modal(pilot, MessageScreen)
        title = content(app, "#message-title")
        assert f" · {visible(RULE_NAME)} · " in title
        screen_is_inert(app, "an alert change in full")
        assert app.is_running


def test_the_report_viewer_makes_no_element_and_no_bare_link() -> None:
    """The Reports screen's Markdown: a report escapes what it quotes; were a key
    to slip through, raw HTML stays text and a bare address no link (and no link
    opens a browser: open_links=False). Tables, the reports' own, still parse."""
    text = (
        "<b>x</b> http://evil.example/ www.evil.example <img src=x onerror=alert(1)>\n\n"
        "<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    tokens = report_parser().parse(text)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"html_inline", "html_block", "link_open"}
    assert "table_open" in kinds
