"""A report as Markdown, JSON, CSV or HTML.

Markdown and HTML render one list of blocks (headings, paragraphs, tables,
lists) of plain text, each escaping every piece of text for its format in one
place: bucket names, object keys and event messages come from outside and may
hold anything. Every format shows control, bidirectional and invisible
characters by the one rule of `r2tui.literal.visible` (`\x1b`, `\n`, `\u202e`):
a report is a file a person opens, in an editor, a terminal or a spreadsheet,
and no byte of it may act there or move text. JSON keeps the exact values
(those characters as JSON escapes, `json_text`). JSON and CSV carry the raw
numbers. Times are UTC: a report is a document read anywhere, not a screen in
one time zone."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from r2tui.literal import json_text, visible
from r2tui.reports.model import EventLine, Figure, Report, iso
from r2tui.units import human_bytes

FORMATS = ("md", "json", "csv", "html")
EXTENSIONS = {"md": "md", "json": "json", "csv": "csv", "html": "html"}
NONE = "–"
# Characters CommonMark and GFM give a meaning anywhere in a line, escaped with a
# backslash so that they stay text: "\\" (an escape), "`" (code), "*" and "_"
# (emphasis, rules, list items), "[" and "]" (links, images with "!", reference
# definitions, footnotes), "<" and ">" (autolinks, raw HTML, quotes), "|"
# (table cells), "~" (strikethrough, fences), "&" (entities) and "#" (a heading's
# closing sequence). "(" and "!" need nothing once "[" is escaped.
#
# GFM's extended autolinks also turn a bare "www.x.org", "http://x" or
# "a@x.org" in plain text into a link, and no escape stops that reliably. That
# is acceptable: such a link's text is the very address it goes to, shown
# whole (bidirectional and invisible characters are escaped above it), so it
# cannot pose as something else; what a key cannot do is "[click me](evil)"
# or "<a href=...>", which the escapes prevent.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
# ...and at the start of a block only: a list item ("+", "-", "1." or "1)"), a
# thematic break or setext underline ("-", "="). Spaces at either end are kept
# as entities: Markdown drops them (in a table cell too), and four at the start
# of a block would begin a code block.
_MD_LEADING = re.compile(r"^([+\-=]|\d+(?=[.)]))")
_MD_ENDS = re.compile(r"^ +| +$")
# A spreadsheet runs a cell (or a line inside one) that starts with these as a
# formula; after `visible` a cell holds no tab, CR or LF, but a cell given to
# `cell_text` is made safe whatever it holds.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


@dataclass(frozen=True)
class Block:
    kind: str  # h1 | h2 | p | table | ul
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    items: tuple[str, ...] = ()
    numeric: tuple[bool, ...] = ()  # per table column: right-aligned


# ---- formatting ------------------------------------------------------------------------
def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def usd(v: float | None) -> str:
    """Half-up to the cent as an invoice rounds ($9.675 is $9.68; a float format
    would say $9.67); fractions of a cent get four places, not a false $0.00."""
    if v is None:
        return NONE
    sign = "-" if v < 0 else ""
    d = abs(Decimal(str(v)))
    places = Decimal("0.01") if d >= Decimal("0.01") or d == 0 else Decimal("0.0001")
    return f"{sign}${d.quantize(places, rounding=ROUND_HALF_UP):,}"


def count(v: float | None) -> str:
    return NONE if v is None else f"{v:,.0f}"


def size(v: float | None) -> str:
    return human_bytes(v)


def pct(v: float | None, signed: bool = True) -> str:
    if v is None:
        return NONE
    return f"{v:+.1f} %" if signed else f"{v:.2f} %"


def signed(v: float | None, shown: Callable[[float], str]) -> str:
    if v is None:
        return NONE
    return ("+" if v >= 0 else "-") + shown(abs(v))


def change(f: Figure, shown: Callable[[float], str]) -> str:
    if f.change is None:
        return NONE
    text = signed(f.change, shown)
    return text if f.change_pct is None else f"{text} ({pct(f.change_pct)})"


# ---- the blocks ------------------------------------------------------------------------
def blocks(r: Report) -> list[Block]:
    daily = r.kind == "daily"
    unit = "day" if daily else "month"
    out = [
        Block("h1", r.title),
        Block(
            "p",
            f"Period {when(r.period_start)} to {when(r.period_end)}; "
            f"generated {when(r.generated_at)}.",
        ),
    ]
    n = r.numbers

    def objects(label: str, f: Figure) -> tuple[str, str, str, str]:
        return (label, count(f.value), count(f.previous), change(f, lambda v: f"{v:,.0f}"))

    def stored(label: str, f: Figure) -> tuple[str, str, str, str]:
        return (label, size(f.value), size(f.previous), change(f, size))

    # Each total, then its storage classes (when known), which sum to it.
    rows = [objects("Objects", n.objects)]
    rows += [
        objects(f"  {label}", f)
        for label, f in (("Standard", n.standard_objects), ("Infrequent Access", n.ia_objects))
        if f.value is not None
    ]
    rows.append(stored("Stored", n.bytes))
    rows += [
        stored(f"  {label}", f)
        for label, f in (("Standard", n.standard_bytes), ("Infrequent Access", n.ia_bytes))
        if f.value is not None
    ]
    for label, f in (("Requests", n.requests), ("Uploads", n.uploads), ("Downloads", n.downloads)):
        rows.append((label, count(f.value), count(f.previous), change(f, lambda v: f"{v:,.0f}")))
    e = n.error_rate_pct
    rows.append(
        (
            "Error rate",
            pct(e.value, False),
            pct(e.previous, False),
            NONE if e.change is None else f"{e.change:+.2f} points",
        )
    )
    out += [
        Block("h2", "Key numbers"),
        Block(
            "table",
            headers=("", "This " + unit, "Before", "Change"),
            rows=tuple(rows),
            numeric=(False, True, True, True),
        ),
        Block(
            "p",
            "Objects and bytes: at the period's end, against the level before "
            f"it. Requests: in the {unit}, against the {unit} before.",
        ),
    ]
    out += [Block("h2", "Costs"), *_costs(r, unit)]
    out.append(Block("h2", "Fastest-growing buckets"))
    if r.growth:
        out.append(
            Block(
                "table",
                headers=("Bucket", "Added", "Growth", "At the end"),
                rows=tuple(
                    (g.name, signed(g.added, size), pct(g.pct), size(g.bytes_end)) for g in r.growth
                ),
                numeric=(False, True, True, True),
            )
        )
    else:
        out.append(Block("p", f"No bucket grew this {unit}."))
    out += _event_list(
        "Alerts fired", "alert", " fired", r.alerts, r.alerts_total, "No alerts fired."
    )
    out += _event_list(
        "Notable events",
        "event",
        "",
        r.events,
        r.events_total,
        "None: no upload, bucket, cost or failure events.",
    )
    out.append(Block("h2", "Recommendations"))
    if r.recommendations:
        out.append(
            Block(
                "ul",
                items=tuple(
                    (f"${x.saving_usd:,.2f} a month: " if x.saving_usd is not None else "") + x.text
                    for x in r.recommendations
                ),
            )
        )
    else:
        out.append(Block("p", "None."))
    if r.notes:
        out += [Block("h2", "Notes"), Block("ul", items=tuple(r.notes))]
    return out


def _event_list(
    title: str, noun: str, verb: str, shown: list[EventLine], total: int, none: str
) -> list[Block]:
    """A count, then the events listed (capped), or `none`."""
    if not total:
        return [Block("h2", title), Block("p", none)]
    return [
        Block("h2", title),
        Block(
            "p", f"{total:,} {noun}{'s' if total != 1 else ''}{verb}{_shown(len(shown), total)}."
        ),
        Block("ul", items=tuple(_event(e) for e in shown)),
    ]


def _costs(r: Report, unit: str) -> list[Block]:
    c = r.costs
    if not c.known:
        return [Block("p", "No cost figures for this period.")]
    p = c.period_usd
    against = (
        f": {change(p, usd)} against the {unit} before ({usd(p.previous)})"
        if p.change is not None
        else f"; nothing recorded for the {unit} before"
    )
    if r.kind == "daily":
        items = [
            f"The day added {usd(p.value)} to the month's bill{against}.",
            f"Month to date at the day's end: {usd(c.month_to_date_usd)}.",
        ]
        if c.forecast_month_usd is not None:
            items.append(
                f"Forecast for the month, made that day: {usd(c.forecast_month_usd)} "
                f"(range {usd(c.forecast_low_usd)} to {usd(c.forecast_high_usd)})."
            )
    else:
        items = [f"The month's bill was {usd(p.value)}{against}."]
    # Which charges were measured by Cloudflare's analytics and which estimated.
    items += [f"{b.kind.capitalize()}: {b.basis}, {b.reason}." for b in c.basis]
    return [Block("ul", items=tuple(items))]


def _shown(shown: int, total: int) -> str:
    return "" if shown == total else f"; the last {shown:,} shown"


def _event(e: EventLine) -> str:
    where = f" [{e.bucket}]" if e.bucket else ""
    return f"{when(e.ts)} {e.level}{where}: {e.message}"


# ---- Markdown --------------------------------------------------------------------------
def md_text(text: str, block: bool = False) -> str:
    """Plain text as Markdown that shows it literally, on one line (`visible`);
    `block`: it starts a paragraph or list item, where a leading "-" or "1."
    means more."""
    text = _MD_SPECIAL.sub(r"\\\1", visible(text))
    text = _MD_ENDS.sub(lambda m: "&#32;" * len(m.group()), text)
    match = _MD_LEADING.match(text) if block else None
    if match is None:
        return text
    if match.group(1)[0].isdigit():  # "1." starts a list: escape the dot, not the digits
        at = match.end()
        return text[:at] + "\\" + text[at:]
    return "\\" + text


def to_markdown(r: Report) -> str:
    lines: list[str] = []
    for b in blocks(r):
        if b.kind == "h1":
            lines += [f"# {md_text(b.text)}", ""]
        elif b.kind == "h2":
            lines += [f"## {md_text(b.text)}", ""]
        elif b.kind == "p":
            lines += [md_text(b.text, block=True), ""]
        elif b.kind == "ul":
            lines += [f"- {md_text(i, block=True)}" for i in b.items] + [""]
        else:
            lines.append("| " + " | ".join(md_text(h) for h in b.headers) + " |")
            lines.append("|" + "|".join("---:" if n else "---" for n in b.numeric) + "|")
            lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in b.rows]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---- HTML ------------------------------------------------------------------------------
_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
    "padding:0 1rem;color:#222}table{border-collapse:collapse}"
    "th,td{border:1px solid #ccc;padding:.25rem .6rem}td.n{text-align:right}"
    "h2{margin-top:1.6rem}"
)


def _html_text(text: str) -> str:
    """Shown by the rule, then escaped (quote=True: safe in text and in attribute
    values alike)."""
    return html.escape(visible(text), quote=True)


def to_html(r: Report) -> str:
    e = _html_text
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(r.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    for b in blocks(r):
        if b.kind in ("h1", "h2", "p"):
            parts.append(f"<{b.kind}>{e(b.text)}</{b.kind}>")
        elif b.kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
        else:
            parts.append("<table>")
            parts.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in b.headers) + "</tr>")
            for row in b.rows:
                cells = "".join(
                    f'<td class="n">{e(c)}</td>' if n else f"<td>{e(c)}</td>"
                    for c, n in zip(row, b.numeric, strict=True)
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


# ---- JSON and CSV ----------------------------------------------------------------------
def to_json(r: Report) -> str:
    """The exact values, with control and bidirectional characters as JSON escapes."""
    return json_text(r.to_dict(), indent=2) + "\n"


CSV_HEADER = (
    "section",
    "name",
    "bucket",
    "value",
    "previous",
    "change",
    "change_pct",
    "level",
    "text",
)


def defused(text: str) -> str:
    """`text` with a quote in front of a character a spreadsheet would run as a
    formula, at its start and at the start of every line in it (the OWASP
    advice): "=HYPERLINK(...)" stays text, on any line of a cell."""
    parts = _LINE_BREAK.split(text)  # lines, and the breaks between them
    return "".join(
        p if i % 2 or not p.startswith(_FORMULA_START) else "'" + p for i, p in enumerate(parts)
    )


def cell_text(text: str | None) -> str:
    """Text from outside for a CSV cell: shown by the rule (`visible`: a CR or LF
    becomes `\\r` or `\\n`, so no cell can end a row, and a spreadsheet that
    splits rows at a bare CR finds none), then `defused`."""
    return "" if text is None else defused(visible(text))


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(round(v, 6))


def csv_cell(cell: str) -> str:
    """One cell as RFC 4180 writes it, quoted when it holds a comma, a quote, a
    CR or an LF. (Python's csv writer with an LF line end leaves a bare CR
    unquoted, and a spreadsheet starts a new row there.)"""
    if any(ch in cell for ch in _CSV_QUOTED):
        return '"' + cell.replace('"', '""') + '"'
    return cell


_CSV_QUOTED = frozenset(',"\r\n')


def to_csv(r: Report) -> str:
    """One row per figure, bucket, event, recommendation and note, under one
    header: a spreadsheet filters it by `section`. Text cells go through
    `cell_text`, the rest are our own names and numbers, and each cell through
    `csv_cell`: so a row is one line, and no cell starts a formula."""
    out: list[str] = []

    def line(cells: tuple[str, ...]) -> None:
        out.append(",".join(csv_cell(c) for c in cells) + "\n")

    line(CSV_HEADER)

    def row(
        section: str,
        name: str = "",
        bucket: str | None = None,
        value: str = "",
        previous: str = "",
        change: str = "",
        change_pct: str = "",
        level: str = "",
        text: str | None = None,
    ) -> None:
        line(
            (
                section,
                name,
                cell_text(bucket),
                value,
                previous,
                change,
                change_pct,
                level,
                cell_text(text),
            )
        )

    for name, value in (
        ("kind", r.kind),
        ("account", r.account),
        ("period", r.period_label),
        ("period_start", iso(r.period_start)),
        ("period_end", iso(r.period_end)),
        ("generated_at", iso(r.generated_at)),
    ):
        row("report", name, value=cell_text(value))

    def figure(section: str, name: str, f: Figure) -> None:
        row(
            section,
            name,
            value=_num(f.value),
            previous=_num(f.previous),
            change=_num(f.change),
            change_pct=_num(f.change_pct),
        )

    for name in (
        "objects",
        "bytes",
        "requests",
        "uploads",
        "downloads",
        "error_rate_pct",
        "standard_objects",
        "standard_bytes",
        "ia_objects",
        "ia_bytes",
    ):
        figure("numbers", name, getattr(r.numbers, name))
    c = r.costs
    figure("costs", "period_usd", c.period_usd)
    for name in (
        "month_to_date_usd",
        "forecast_month_usd",
        "forecast_low_usd",
        "forecast_high_usd",
    ):
        row("costs", name, value=_num(getattr(c, name)))
    for b in c.basis:
        row("costs", f"basis_{b.kind}", value=b.basis, text=b.reason)
    for g in r.growth:
        row(
            "growth",
            "bytes",
            g.name,
            _num(g.bytes_end),
            _num(g.bytes_start),
            _num(g.added),
            _num(g.pct),
        )
    for section, lines, total in (
        ("alert", r.alerts, r.alerts_total),
        ("event", r.events, r.events_total),
    ):
        row(f"{section}s", "total", value=str(total))
        for ev in lines:
            row(section, ev.kind, ev.bucket, iso(ev.ts), level=ev.level, text=ev.message)
    for x in r.recommendations:
        row("recommendation", x.kind, x.bucket, _num(x.saving_usd), text=x.text)
    for note in r.notes:
        row("note", text=note)
    return "".join(out)


RENDERERS: dict[str, Callable[[Report], str]] = {
    "md": to_markdown,
    "json": to_json,
    "csv": to_csv,
    "html": to_html,
}


def render(r: Report, fmt: str) -> str:
    try:
        return RENDERERS[fmt](r)
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; valid: {', '.join(FORMATS)}") from None
