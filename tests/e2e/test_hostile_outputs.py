"""The hostile corpus (tests/support/hostile.py) through the real paths to every text
output but the TUI's: keys seeded into moto and listed by the inventory job,
bucket names from the loopback GraphQL peer read by the collect_metrics job,
a rule with a hostile name, labels and annotations fired by the check_alerts
job into a real SQLite store (hostile_world.py, filled once for the module).
Then `status`, `status --json`, `history`, `alerts` (and `--history`, `--json`),
`rules list|show|test|export`, `silences list`, `notify list`, reports in all
four formats parsed back, the log file, and the e-mail (aiosmtpd), webhook
and Slack notices (a loopback receiver) as they arrived.

Each shows the text literally (`r2tui.literal.visible`, JSON the exact value),
nothing crashes, no line is forged, and no raw control or bidirectional
character (`hostile.raw_controls`) reaches a terminal or a file a person
opens. Nothing is mocked but the reports' list caps, raised so that every
name and key is in the report."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from r2tui import runtime
from r2tui.alerts.render import slack_escape
from r2tui.alerts.toml_io import read_rules
from r2tui.cli import main
from r2tui.literal import visible
from r2tui.reports import build as build_mod
from r2tui.reports.model import (
    BucketGrowth,
    Costs,
    EventLine,
    Figure,
    KeyNumbers,
    Report,
)
from r2tui.reports.render import (
    cell_text,
    csv_cell,
    defused,
    to_csv,
    to_html,
    to_markdown,
)
from tests.support.hostile import CORPUS, raw_controls
from tests.support.hostile_world import (
    ANNOTATIONS,
    HOOK_TOKEN,
    KEY_BUCKETS,
    LABELS,
    RULE_NAME,
    SILENCE_COMMENT,
    World,
    world,
)

Cli = Callable[..., tuple[int, str, str]]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("hostile"), moto_endpoint) as made:
        yield made


@pytest.fixture
def run(w: World, cli: Cli) -> Cli:
    """`r2tui ARGS --config W`: exit code, stdout, stderr, each checked for raw
    control characters and for the channels' secret URL."""

    def go(*args: str) -> tuple[int, str, str]:
        code, out, err = cli(*args, "--config", str(w.config))
        assert raw_controls(out) == [] and raw_controls(err) == [], (args, out, err)
        assert HOOK_TOKEN not in out + err
        return code, out, err

    return go


def buckets(w: World) -> set[str]:
    """Every bucket the rule watches: the analytics names and the S3 buckets."""
    return set(w.names) | set(KEY_BUCKETS)


def as_cell(text: str) -> str:
    """What a CSV cell holding `text` reads back as: `visible`, with a quote in
    front of a formula."""
    shown = visible(text)
    return "'" + shown if shown.startswith(FORMULA) else shown


class Elements(HTMLParser):
    """Each start tag with its attribute names, and the text a reader sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: set[tuple[str, str]] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.add((tag, ""))
        self.elements.update((tag, name) for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


# ---- the CLI ---------------------------------------------------------------------------

STATUS_LINES = (
    "account ",
    "collector: ",
    "collector lease: ",
    "quota: ",
    "  ",
    "metrics: ",
    "analytics: ",
    "cost: ",
    "alerts: ",
)


def test_status_shows_every_name_on_its_own_line(w: World, run: Cli) -> None:
    code, out, err = run("status")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    # No name forged a line: each is one of status's own.
    assert all(line.startswith(STATUS_LINES) for line in lines), lines
    assert len([line for line in lines if line.startswith("alerts: ")]) == 1
    for name in buckets(w):
        assert f"{visible(RULE_NAME)} on {visible(name)} (high, " in out


def test_status_json_holds_the_exact_values(w: World, run: Cli) -> None:
    code, out, _ = run("status", "--json")
    assert code == 0
    doc = json.loads(out)
    firing = doc["alerts"]["firing"]
    assert {a["rule"] for a in firing} == {RULE_NAME}
    assert {a["bucket"] for a in firing} == buckets(w)
    keys = {o["key"] for b in doc["storage"]["buckets"] for o in b["largest"]}
    assert keys == set(w.keys)
    assert set(doc["metrics"]["buckets"]) >= set(w.names)


JSON_IDS = ("nul", "lf", "cr", "ansi-clear", "bidi-override", "tag-characters")


def test_history_names_the_bucket_on_one_line(w: World, run: Cli) -> None:
    for name in w.names:
        # --bucket=NAME: a name such as "-2+3" is a value, not an option.
        code, out, err = run("history", "total_bytes", f"--bucket={name}", "--range", "7d")
        assert (code, err) == (0, "")
        header, *points = out.splitlines()
        assert header.startswith(f"total_bytes (bytes)  {visible(name)}  range 7d  ")
        assert len(points) == 2  # two snapshots: no line from the name
    for name in (h.text for h in CORPUS if h.id in JSON_IDS):
        code, out, _ = run("history", "total_bytes", f"--bucket={name}", "--json")
        assert json.loads(out)["bucket"] == name


def test_alerts_table_history_and_json(w: World, run: Cli) -> None:
    code, out, _ = run("alerts")
    assert code == 0
    lines = out.splitlines()
    rows = [line for line in lines if line.startswith("high ")]
    assert len(rows) == len(buckets(w))  # one row an alert: no name broke a row
    for name in buckets(w):
        assert any(f" {visible(name)} " in row for row in rows), name
    code, out, _ = run("alerts", "--json")
    assert {a["bucket"] for a in json.loads(out)["firing"]} == buckets(w)

    code, out, _ = run("alerts", "--history", "--json")
    history = json.loads(out)
    assert {h["bucket"] for h in history} >= set(w.names)
    code, out, _ = run("alerts", "--history")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(history)
    for h, line in zip(history, lines, strict=True):
        assert line.endswith(f"  {visible(h['message'])}")


def test_rules_list_show_test_and_export(w: World, run: Cli) -> None:
    code, out, _ = run("rules", "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.startswith("NAME ")
    code, listed, _ = run("rules", "list", "--json")
    assert len(json.loads(listed)) == 1
    [row] = rows  # the one rule: its name broke no row
    assert row.startswith(visible(RULE_NAME) + "  ")

    code, out, _ = run("rules", "show", RULE_NAME)
    assert code == 0
    fields = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in out.splitlines())
    assert fields["labels"] == ", ".join(
        f"{visible(k)}={visible(v)}" for k, v in sorted(LABELS.items())
    )
    assert fields["annotations"] == ", ".join(
        f"{visible(k)}={visible(v)}" for k, v in sorted(ANNOTATIONS.items())
    )
    code, out, _ = run("rules", "show", RULE_NAME, "--json")
    shown = json.loads(out)
    assert (shown["name"], shown["labels"], shown["annotations"]) == (
        RULE_NAME,
        LABELS,
        ANNOTATIONS,
    )

    code, out, _ = run("rules", "test", RULE_NAME, "--no-send")
    assert code == 0
    first, *evaluations = out.splitlines()
    assert first == f"rule {RULE_NAME!r}: total_bytes > 0 B on ?*"
    assert len(evaluations) == len(buckets(w))
    for name in buckets(w):
        assert f"  acme  {visible(name)}  " in out

    code, text, _ = run("rules", "export")
    assert code == 0
    [rule] = [
        r
        for r in read_rules(text, "export", ("hook", "slack", "mail", "down"), ())
        if r.name == RULE_NAME
    ]
    assert (rule.name, dict(rule.labels), dict(rule.annotations)) == (
        RULE_NAME,
        LABELS,
        ANNOTATIONS,
    )

    # An error that quotes what was typed, and the rules there are, stays one line.
    code, _, err = run("rules", "show", "no\nsuch\x1b[2J rule")
    assert code == 1 and len(err.splitlines()) == 1


def test_silences_and_the_outbox(w: World, run: Cli) -> None:
    code, out, _ = run("silences", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.startswith("ID ")
    assert row.endswith(f"  {visible(SILENCE_COMMENT)}")
    code, out, _ = run("silences", "list", "--json")
    assert json.loads(out)[0]["comment"] == SILENCE_COMMENT

    code, out, _ = run("notify", "list")
    assert code == 0
    header, row, error = out.splitlines()  # the dead notice to "down", its error
    assert header.startswith("ID ")
    assert " dead " in row and row.endswith(visible(f"[FIRING:{len(buckets(w))}] {RULE_NAME}"))
    assert error.startswith("  ") and "could not connect" in error
    code, out, _ = run("notify", "list", "--json")
    [dead] = json.loads(out)["notifications"]
    assert dead["subject"] == f"[FIRING:{len(buckets(w))}] {RULE_NAME}"


def test_usage_errors_quote_what_was_typed_by_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse's message quotes unrecognized arguments as they are."""
    with pytest.raises(SystemExit) as done:
        main(["status", "\x1b[2J\u202ex"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert raw_controls(err) == []
    assert err.endswith("r2tui: error: unrecognized arguments: \\x1b[2J\\u202ex\n")


# ---- reports ---------------------------------------------------------------------------


@pytest.fixture
def report(w: World, run: Cli, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """`r2tui report daily --date DAY --format FMT`, every list uncapped."""
    for cap in ("MAX_EVENTS", "MAX_ALERTS", "TOP_GROWTH"):
        monkeypatch.setattr(build_mod, cap, 1000)

    def make(fmt: str) -> str:
        code, out, err = run("report", "daily", "--date", w.day, "--format", fmt)
        assert (code, err) == (0, "")
        return out

    return make


def test_report_json_is_exact(w: World, report: Callable[[str], str]) -> None:
    doc = json.loads(report("json"))
    assert {e["bucket"] for e in doc["alerts"]} == buckets(w)
    messages = " ".join(e["message"] for e in doc["events"])
    for key in w.keys:
        assert key in messages
    assert {g["name"] for g in doc["growth"]} == set(w.names)


def test_report_csv_reads_back_row_by_row(w: World, report: Callable[[str], str]) -> None:
    text = report("csv")
    doc = json.loads(report("json"))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # A spreadsheet that starts a row at a bare CR finds the same rows.
    assert len(re.split(r"\r\n|\r|\n", text.rstrip("\n"))) == len(rows)
    assert all(len(r) == 9 for r in rows)
    # Text cells (bucket, text; the report's own values): no formula. A number such
    # as -83 is a number to a spreadsheet too.
    assert not [
        c
        for r in rows
        for c in (r[2], r[8], r[3] if r[0] == "report" else "")
        if c.startswith(FORMULA)
    ]
    events = [r for r in rows if r[0] == "event"]
    assert [r[8] for r in events] == [as_cell(e["message"]) for e in doc["events"]]
    alerts = [r for r in rows if r[0] == "alert"]
    assert [r[2] for r in alerts] == [as_cell(e["bucket"]) for e in doc["alerts"]]
    assert {r[2] for r in rows if r[0] == "growth"} == {as_cell(n) for n in w.names}


def test_report_html_holds_no_element_from_data(w: World, report: Callable[[str], str]) -> None:
    page = parse_html(report("html"))
    doc = json.loads(report("json"))
    assert page.elements <= {
        ("html", ""),
        ("html", "lang"),
        ("head", ""),
        ("meta", ""),
        ("meta", "charset"),
        ("title", ""),
        ("style", ""),
        ("body", ""),
        ("h1", ""),
        ("h2", ""),
        ("p", ""),
        ("ul", ""),
        ("li", ""),
        ("table", ""),
        ("tr", ""),
        ("th", ""),
        ("td", ""),
        ("td", "class"),
    }
    shown = "".join(page.text)
    for e in doc["events"] + doc["alerts"]:
        assert visible(e["message"]) in shown
    for name in w.names:
        assert visible(name) in shown


def test_report_markdown_renders_no_link_emphasis_or_html(
    w: World, report: Callable[[str], str]
) -> None:
    text = report("md")
    doc = json.loads(report("json"))
    shown = plain_markdown(text)
    for e in doc["events"] + doc["alerts"]:
        assert visible(e["message"]) in shown
    for name in w.names:
        assert visible(name) in shown


MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def plain_markdown(text: str) -> str:
    """Check that a report's Markdown renders our own structure only (its
    headings, one list item a "- " line, tables of four columns) and nothing
    from data (a link, an image, emphasis, code, HTML, a quote, a rule); give
    back the text a reader sees."""
    tokens = MD.parse(text)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or ()}
    assert not kinds & {
        "link_open",
        "image",
        "html_inline",
        "html_block",
        "em_open",
        "strong_open",
        "code_inline",
        "code_block",
        "fence",
        "s_open",
        "blockquote_open",
        "ordered_list_open",
        "hr",
    }
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0].startswith("r2tui daily report: acme, ")
    assert set(headings[1:]) <= {
        "Key numbers",
        "Costs",
        "Fastest-growing buckets",
        "Alerts fired",
        "Notable events",
        "Recommendations",
        "Notes",
    }
    items = sum(t.type == "list_item_open" for t in tokens)
    assert items == sum(line.startswith("- ") for line in text.splitlines())
    cells_per_row = [sum(u.type in ("td_open", "th_open") for u in row) for row in _rows(tokens)]
    assert set(cells_per_row) == {4}
    return "".join(parse_html(MD.render(text)).text)


def _rows(tokens: list[Any]) -> Iterator[list[Any]]:
    row: list[Any] = []
    for t in tokens:
        if t.type == "tr_open":
            row = []
        elif t.type == "tr_close":
            yield row
        else:
            row.append(t)


# ---- notices ---------------------------------------------------------------------------


def test_webhook_carries_exact_values_in_inert_bytes(w: World) -> None:
    [sent] = w.webhooks(f"/hook/{HOOK_TOKEN}")
    body = sent.body.decode("utf-8")
    assert raw_controls(body) == []
    doc = sent.json()
    assert {a["labels"]["bucket"] for a in doc["alerts"]} == buckets(w)
    for a in doc["alerts"]:
        assert a["labels"]["alertname"] == RULE_NAME
        assert {k: a["labels"][k] for k in LABELS} == LABELS
        assert {k: a["annotations"][k] for k in ANNOTATIONS} == ANNOTATIONS


def test_slack_shows_every_name_escaped_and_visible(w: World) -> None:
    [sent] = [r for r in w.slack.requests if r.path == f"/slack/{HOOK_TOKEN}"]
    body = sent.body.decode("utf-8")
    assert raw_controls(body) == []
    doc = sent.json()
    texts = [doc["text"]] + [b["text"]["text"] for a in doc["attachments"] for b in a["blocks"]]
    joined = "\n".join(texts)
    # Slack reads "<...>" as links and mentions: none comes from data.
    assert "<" not in joined and ">" not in joined.replace("&gt;", "")
    for name in buckets(w):
        assert slack_escape(visible(name)[:100]) in joined, name


def test_email_plain_and_html_show_every_name(w: World) -> None:
    [got] = w.smtp.messages
    msg = got.message
    assert raw_controls(str(msg["Subject"])) == [] and "\n" not in str(msg["Subject"])
    # (Python's e-mail folding puts a long subject on a continuation line, which
    # parses back with a leading space.)
    assert msg["Subject"].strip() == visible(f"[FIRING:{len(buckets(w))}] {RULE_NAME}")
    # CRLF: SMTP's line ends, as the message was received.
    plain = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    page = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert raw_controls(plain) == [] and raw_controls(page) == []
    html = parse_html(page)
    assert {tag for tag, _ in html.elements} <= {
        "html",
        "head",
        "meta",
        "body",
        "p",
        "h2",
        "table",
        "tr",
        "th",
        "td",
        "ul",
        "li",
        "code",
    }
    shown = "".join(html.text)
    for name in buckets(w):
        assert f"({visible('bucket ' + name)}): " in plain
        assert visible(f"bucket {name}") in shown
    for k, v in LABELS.items():
        assert f"{visible(k)}={visible(v)}" in plain


# ---- the log ---------------------------------------------------------------------------


def test_log_lines_show_control_characters_and_keep_tracebacks(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "r2tui.log"
    runtime._configured = False  # the cli fixture puts logging back afterwards
    runtime.setup_logging("INFO", path)
    log = logging.getLogger("r2tui.test")
    log.warning("large upload %s", "ok\n2026-01-01 00:00:00 INFO forged\x1b[2J\u202e")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("listing %s failed", "a\rb")
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert raw_controls("\n".join(lines)) == []
    assert lines[0].endswith(
        "WARNING r2tui.test: large upload ok\\n2026-01-01 00:00:00 INFO forged\\x1b[2J\\u202e"
    )
    assert lines[1].endswith("ERROR r2tui.test: listing a\\rb failed")
    assert lines[2] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: boom"


# ---- the renderers with the whole corpus -----------------------------------------------


def corpus_report() -> Report:
    """Every corpus text as a bucket name, an event and an alert."""
    events = [
        EventLine(1_764_288_000 + i, "upload", "warning", h.text, h.text)
        for i, h in enumerate(CORPUS)
    ]
    return Report(
        kind="daily",
        account="acme",
        period_start=1_764_288_000,
        period_end=1_764_374_400,
        generated_at=1_764_374_430,
        numbers=KeyNumbers(*(Figure(None) for _ in range(6))),
        costs=Costs(False, Figure(None)),
        growth=[BucketGrowth(h.text, 1.0, 2.0) for h in CORPUS],
        alerts=events,
        alerts_total=len(events),
        events=events,
        events_total=len(events),
    )


def test_csv_cell_with_a_cr_before_a_formula_starts_no_row() -> None:
    """Before: the CR went out unquoted, and a spreadsheet (or csv.reader)
    started a new row there whose first cell was `=HYPERLINK(...)`."""
    text = to_csv(corpus_report())
    lines = re.split(r"\r\n|\r|\n", text.rstrip("\n"))
    assert not [line for line in lines if line.startswith(FORMULA)]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(lines) == len(rows)
    assert raw_controls(text) == []
    assert [r[2] for r in rows if r[0] == "growth"] == [as_cell(h.text) for h in CORPUS]
    assert [r[8] for r in rows if r[0] == "event"] == [as_cell(h.text) for h in CORPUS]


def test_every_line_of_a_cell_is_defused_and_a_cell_with_a_break_is_quoted() -> None:
    """What a cell of raw text would get (a report's cells are `visible` first,
    so they hold no line break): each line's formula defused, the cell quoted."""
    assert defused("ok\r=1\n+2\r\n@3\n\tx\rsafe-") == "ok\r'=1\n'+2\r\n'@3\n'\tx\rsafe-"
    assert [csv_cell(c) for c in ("a\rb", "a\nb", 'a"b', "a,b", "ab")] == [
        '"a\rb"',
        '"a\nb"',
        '"a""b"',
        '"a,b"',
        "ab",
    ]
    assert cell_text("ok\r=1") == "ok\\r=1" and cell_text("=1") == "'=1"


def test_html_and_markdown_show_the_whole_corpus_literally() -> None:
    r = corpus_report()
    page = to_html(r)
    assert raw_controls(page) == []
    assert {tag for tag, _ in parse_html(page).elements} <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "p",
        "ul",
        "li",
        "table",
        "tr",
        "th",
        "td",
    }
    text = to_markdown(r)
    assert raw_controls(text) == []
    shown = plain_markdown(text)
    page_text = "".join(parse_html(page).text)
    for h in CORPUS:
        assert visible(h.text) in shown, h.id
        assert visible(h.text) in page_text, h.id
