"""Figures in the commands' text are rounded for people (thousands separators,
three significant digits, never an exponent), configured ones shown as given;
`--json` keeps full precision."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from r2tui.cli.text import exact, money, number, value_text
from r2tui.store import open_store
from r2tui.store.writes import SampleRow, add_samples

H = 3600


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.386997, "0.387"),
        (2370.0, "2,370"),
        (2370.4, "2,370"),
        (1234567.8, "1,234,568"),
        (99.96, "100"),
        (12.3456, "12.3"),
        (1.5, "1.5"),
        (5.0, "5"),
        (0.00012, "0.00012"),
        (-0.0001, "-0.0001"),
        (-12.5, "-12.5"),
        (0.0, "0"),
        (3e-9, "3e-09"),
        (1e21, "1,000,000,000,000,000,000,000"),
    ],
)
def test_number_rounds_for_people(value: float, shown: str) -> None:
    assert number(value) == shown


def test_values_with_units_money_and_configured_figures() -> None:
    assert value_text(0.386997, "%") == "0.387 %"
    assert value_text(2370.4, "requests") == "2,370 requests"
    assert value_text(123.456, "ms") == "123 ms"
    assert value_text(1.0, "bool") == "1"
    assert value_text(None, "%") == "no data"
    assert value_text(1_500_000_000.0, "bytes") == "1.5 GB"
    assert value_text(500.0, "USD") == "$500.00"
    assert (money(1234.567), money(0.0042), money(-3.0), money(0.0)) == (
        "$1,234.57",
        "$0.0042",
        "-$3.00",
        "$0.00",
    )
    # A threshold someone set is shown as set: no rounding, no exponent.
    assert value_text(1_000_000.0, "requests", given=True) == "1,000,000 requests"
    assert value_text(0.12345, "%", given=True) == "0.12345 %"
    assert value_text(100.0, "USD", given=True) == "$100.00"
    assert value_text(0.005, "USD", given=True) == "$0.005"  # finer than a cent, as set
    assert (exact(5.0), exact(1e-7), exact(2.5e6)) == ("5", "0.0000001", "2,500,000")


def _config(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'text.db'}"
    path = tmp_path / "r2tui.toml"
    path.write_text(
        f'[store]\nurl = "{url}"\n\n[accounts.acc]\n'
        'endpoint_url = "http://127.0.0.1:9"\naccess_key_id = "k"\nsecret_access_key = "s"\n',
        encoding="utf-8",
    )
    return url, str(path)


def test_status_alerts_and_history_text_round_and_json_keeps_all(cli: Any, tmp_path: Path) -> None:
    url, config = _config(tmp_path)
    store = open_store(url)
    now = datetime.now(UTC).timestamp()
    hour = int(now) - int(now) % H
    add_samples(store, "acc", [SampleRow("upload_requests", 2370.4)], ts=hour)  # sampled: a share
    for ts in (hour - H, hour):  # the last complete hour, even if one ends meanwhile
        add_samples(
            store,
            "acc",
            [SampleRow("requests", 1000.0), SampleRow("error_requests", 3.86997)],
            ts=ts,
        )
    add_samples(store, "acc", [SampleRow("monthly_cost_usd", 1234.5678)], ts=int(now) - 60)
    store.close()
    # The bill over the default rule's $100: an alert fires, with its value.
    assert cli("collect", "--once", "--job", "check_alerts", "--config", config)[0] == 0

    code, out, err = cli("status", "--config", config)
    assert code == 0, err
    metrics = next(line for line in out.splitlines() if line.startswith("metrics: "))
    assert metrics == "metrics: uploads today 2,370 requests; error rate 0.387 %"
    alerts = "alerts: 1 firing: High monthly cost (high, $1,234.57 > $100.00)"
    assert out.splitlines()[-1] == alerts

    out = cli("alerts", "--config", config)[1]
    assert "High monthly cost  account  $1,234.57  > $100.00" in out
    doc = json.loads(cli("alerts", "--json", "--config", config)[1])
    assert doc["firing"][0]["value"] == 1234.5678

    out = cli("history", "error_rate_pct", "--config", config)[1]
    assert out.splitlines()[-1].endswith("  0.387 %")
    doc = json.loads(cli("history", "error_rate_pct", "--json", "--config", config)[1])
    assert doc["points"][-1]["value"] == pytest.approx(0.386997, abs=1e-12)
    out = cli("history", "uploads_today", "--config", config)[1]
    assert out.splitlines()[-1].endswith("  2,370 requests")
