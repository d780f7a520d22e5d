"""Alerts: what fires and waits now, then what resolved in the last day (dimmed),
how many rules watch, and trouble delivering notifications."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from r2tui.alerts.held import HeldBack
from r2tui.alerts.views import AlertRow, AlertsView
from r2tui.tui import messages as msg
from r2tui.tui.alert_style import (
    SEVERITY_ORDER,
    SEVERITY_STYLE,
    STATE_MARK,
    STATE_ORDER,
    bucket_text,
    severity_text,
    threshold_text,
    value_text,
)
from r2tui.tui.format import LINE_CELLS, cell, data, duration, local_time, visible
from r2tui.tui.panes.base import Note, Pane
from r2tui.tui.panes.views import AlertsPaneView
from r2tui.tui.widgets.table import Column, FilterTable, Row
from r2tui.tui.widgets.text import set_text

# The value before the name: in the pane's narrow third of the row, the mark,
# the value and most of the rule's name are what shows; zoom (z) shows the rest.
COLUMNS = [
    Column("mark", " ", width=1),
    Column("value", "Value", numeric=True),
    Column("alert", "Alert", flex=True, min_width=14),
    Column("threshold", "Threshold"),
    Column("since", "Since", numeric=True),
    Column("severity", "Severity"),
    Column("quiet", "Quiet"),
]


def rules_watching(n: int) -> str:
    return f"{n} rule{'s' if n != 1 else ''} watching"


class AlertsPane(Pane[AlertsPaneView]):
    TITLE = "Alerts"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: dict[str, AlertRow] = {}
        self.now = 0.0

    def compose(self) -> ComposeResult:
        # A Note, so that the pane takes focus (key 5) while the table is hidden.
        yield Note("reading the alerts…", id="alerts-summary")
        yield Static("", id="alerts-outbox")
        yield FilterTable(COLUMNS, empty="nothing fired in the last 24 hours", id="table-alerts")

    def show(self, shown: AlertsPaneView, now: float) -> None:
        view = shown.alerts
        if view is None:
            return
        self.now = now
        alerts = [*view.firing, *view.pending, *view.recent]
        text = summary(view)
        if not alerts:  # no table then: its header and scrollbar would say nothing
            rules, log = shown.rules_key, shown.history_key
            text.append(
                f"\n\nNothing fired in the last 24 hours. {rules}: the rules · "
                f"{log}: the alert history",
                "dim",
            )
        set_text(self.query_one("#alerts-summary", Note), text)
        outbox = self.query_one("#alerts-outbox", Static)
        lines = [t for t in (outbox_trouble(view), held_text(shown.held, now)) if t is not None]
        outbox.display = bool(lines)
        set_text(outbox, Text("\n").join(lines))
        self.rows = {_key(a): a for a in alerts}
        table = self.query_one(FilterTable)
        table.display = bool(alerts)
        table.set_rows([self._row(a) for a in alerts])

    def _row(self, a: AlertRow) -> Row:
        resolved = a.state == "resolved"
        dim = "dim" if resolved else ""
        mark_style = "dim green" if resolved else SEVERITY_STYLE.get(a.severity, "")
        name = a.rule if a.bucket == "*" else f"{a.rule} · {a.bucket}"
        since = (
            local_time(a.since, self.now)
            if resolved
            else duration(self.now - a.since)
            if a.since
            else "–"
        )
        cells = (
            Text(STATE_MARK.get(a.state, "·"), mark_style),
            Text(value_text(a.value, a.unit), dim),
            cell(name, style=dim),  # the rule's and the bucket's names: from outside
            Text(threshold_text(a.comparison, a.threshold, a.unit, a.window), dim),
            Text(since, dim),
            Text(a.severity, "dim") if resolved else severity_text(a.severity),
            cell(a.silenced or "", 24, "dim italic"),  # a maintenance window's name
        )
        # Firing, then pending, then resolved; the worst and newest first in each.
        order = (STATE_ORDER.get(a.state, 9), SEVERITY_ORDER.get(a.severity, 9), -a.since)
        return Row(
            _key(a),
            cells,
            (
                order,
                a.value,
                name.casefold(),
                a.threshold,
                a.since,
                SEVERITY_ORDER.get(a.severity, 9),
                a.silenced or "",
            ),
        )

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        """Enter: the alert in full, whatever the pane's width cuts off."""
        a = self.rows.get(str(event.row_key.value))
        if a is not None:
            self.post_message(
                msg.ShowDetail(
                    f"{a.state.upper()} · {a.rule} · {bucket_text(a.bucket)}",
                    detail(a),
                    error=a.state == "firing",
                )
            )


def _key(a: AlertRow) -> str:
    return f"{a.state}\x1f{a.rule}\x1f{a.bucket}"


def summary(view: AlertsView) -> Text:
    """ "7 rules watching, nothing firing"; or "● 1 firing ◐ 2 pending · 7 rules",
    short enough for the pane's narrow third of the row."""
    if not view.firing and not view.pending:
        if not view.rules:
            return Text.assemble(("no alert rules", "yellow"), ": r opens the rules to add one")
        return Text.assemble((rules_watching(view.rules), "green"), ", nothing firing")
    parts: list[str | tuple[str, str]] = []
    if view.firing:
        parts.append((f"● {len(view.firing)} firing", "bold red"))
    if view.pending:
        parts += [" " if parts else "", (f"◐ {len(view.pending)} pending", "yellow")]
    rules = f"{view.rules} rule{'s' if view.rules != 1 else ''}"
    return Text.assemble(*parts, (f" · {rules}", "dim"))


def outbox_trouble(view: AlertsView) -> Text | None:
    dead = view.outbox.get("dead", 0)
    if not dead:
        return None
    text = Text(
        f"✖ {dead} dead letter{'s' if dead != 1 else ''} (notifications not delivered)", "bold red"
    )
    if view.last_error:  # a server's answer: a few lines of the pane at most
        text.append_text(data(f": {view.last_error}", "bold red", LINE_CELLS))
    return text


def held_text(held: HeldBack, now: float) -> Text | None:
    """ "⏸ 3 notifications held by the rate limit · summary from 14:25": when the
    hour has room, the next alert check sends them as one summary."""
    if not held.count:
        return None
    text = Text(
        f"⏸ {held.count} notification{'s' if held.count != 1 else ''} held by the rate limit",
        "yellow",
    )
    at = held.next_summary_at
    if at is not None:
        when = "with the next alert check" if at <= now else f"from {local_time(at, now)}"
        text.append(f" · summary {when}", "dim")
    return text


def detail(a: AlertRow) -> str:
    when = datetime.fromtimestamp(a.since).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    since = {"firing": "firing since", "pending": "pending since"}.get(a.state, "resolved at")
    lines = [  # one line each: a line break inside a name shows as \\n
        f"rule: {visible(a.rule)}",
        f"bucket: {visible(bucket_text(a.bucket))} (account {visible(a.account)})",
        f"value: {value_text(a.value, a.unit)} "
        f"(threshold {threshold_text(a.comparison, a.threshold, a.unit, a.window)})",
        f"severity: {a.severity}",
        f"{since}: {when}" if a.since else f"{since}: –",
    ]
    if a.silenced:
        lines.append(f"silenced by: {visible(a.silenced)} (no new notices while it lasts)")
    return "\n".join(lines)
