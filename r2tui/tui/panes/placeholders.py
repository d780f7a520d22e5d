"""Metrics, Cost and Alerts: what they will hold, and the real numbers they
already have (canary probes, the monitor's own spend). Never a zero that
looks like data."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from r2tui.store.views import Dashboard
from r2tui.tui.format import age, usd
from r2tui.tui.panes.base import Note, Pane
from r2tui.tui.widgets.table import Column, FilterTable, Row


class MetricsPane(Pane):
    TITLE = "Metrics"

    def compose(self) -> ComposeResult:
        yield Note(Text.assemble(
            ("Not collected yet: ", "bold"),
            "uploads and downloads today, error rate and request counts come from "
            "Cloudflare's analytics API in a later version.", ("\n", ""),
            ("Canary probes (PUT/GET/HEAD/DELETE, ms):", "dim"),
        ), id="metrics-note")
        yield FilterTable([
            Column("bucket", "Bucket"), Column("ok", "OK"),
            Column("put", "PUT", numeric=True), Column("get", "GET", numeric=True),
            Column("head", "HEAD", numeric=True), Column("delete", "DEL", numeric=True),
            Column("at", "When", numeric=True),
        ], empty="probes are off (accounts.NAME.probe.enabled)", id="table-probes")

    def show(self, dash: Dashboard, now: float) -> None:
        table = self.query_one(FilterTable)
        check = dash.endpoint
        if check is not None:
            verdict = f"answers in {check.ms:,.0f} ms" if check.ok and check.ms is not None else (
                "does NOT answer" if not check.ok else "answers")
            table.empty = (f"probes are off (accounts.NAME.probe.enabled); endpoint check: "
                           f"{verdict}, {age(check.at, now)}")
        table.set_rows([
            Row(p.bucket, (
                p.bucket, Text("yes", "green") if p.ok else Text("FAIL", "bold red"),
                *(_ms(p.ms.get(s)) for s in ("put", "get", "head", "delete")),
                age(p.at, now),
            ), (p.bucket, p.ok, *(p.ms.get(s) for s in ("put", "get", "head", "delete")),
                -p.at))
            for p in dash.probes
        ])


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


class CostPane(Pane):
    TITLE = "Cost"

    def compose(self) -> ComposeResult:
        yield Note("", id="cost-note")

    def show(self, dash: Dashboard, now: float) -> None:
        s = dash.storage.spend
        self.query_one("#cost-note", Note).update(Text.assemble(
            ("Not calculated yet: ", "bold"),
            "month to date, forecast and savings arrive in a later version.\n",
            ("r2tui's own requests this month: ", "dim"),
            f"{s.class_a:,} Class A, {s.class_b:,} Class B: ", (usd(s.usd), "bold"),
            (" at list price", "dim"),
        ))


class AlertsPane(Pane):
    TITLE = "Alerts"

    def compose(self) -> ComposeResult:
        yield Note(Text.assemble(
            ("No alert rules yet. ", "bold"),
            "Rules edited from the keyboard, silences, maintenance windows and "
            "notifications by e-mail, webhook and Slack arrive in a later version. "
            "Nothing here is firing because nothing is evaluated yet.",
        ), id="alerts-note")
