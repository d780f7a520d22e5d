"""`r2tui estimate` in this process: Cloudflare's worked examples come out as
Cloudflare bills them, in text and JSON; bad numbers are usage errors naming
the option; the config's [pricing] table applies, without any account."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from r2tui.pricing import LIST_SOURCE

STANDARD = [
    "--standard-gb-month",
    "1000",
    "--standard-class-a",
    "1000",
    "--standard-class-b",
    "1000000",
]
IA = [
    "--ia-gb-month",
    "1000",
    "--ia-class-a",
    "1000",
    "--ia-class-b",
    "1000000",
    "--ia-retrieval-gb",
    "1000",
]
ASSETS = [
    "--standard-gb-month",
    "10",
    "--standard-class-a",
    "100000",
    "--standard-class-b",
    "300000000",
]
ITEMS = [
    "standard_storage",
    "standard_class_a",
    "standard_class_b",
    "ia_storage",
    "ia_class_a",
    "ia_class_b",
    "ia_retrieval",
]


def estimate_json(cli: Any, *argv: str) -> dict[str, Any]:
    code, out, err = cli("estimate", "--json", *argv)
    assert code == 0, err
    return json.loads(out)


def lines(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["item"]: line for line in doc["lines"]}


def text_row(out: str, label: str) -> list[str]:
    """A text line's columns: label, then usage, free, billable (each a number and
    a unit) and the USD amount."""
    row = next(line for line in out.splitlines() if line.startswith(label + " "))
    return re.split(r"\s{2,}", row.strip())


# --- Cloudflare's worked examples --------------------------------------------------


def test_standard_example_as_json(cli: Any) -> None:
    doc = estimate_json(cli, *STANDARD)
    by = lines(doc)
    assert [line["item"] for line in doc["lines"]] == ITEMS
    # 1,000 - 10 free = 990 GB-month x $0.015 = $14.85
    assert by["standard_storage"] == {
        "item": "standard_storage",
        "unit": "GB-month",
        "usage": 1000,
        "free": 10,
        "billable": 990,
        "usd": 14.85,
    }
    # 1,000 Class A inside 1M free; 1,000,000 Class B inside 10M free.
    assert (by["standard_class_a"]["free"], by["standard_class_a"]["billable"]) == (1000, 0)
    assert (by["standard_class_b"]["free"], by["standard_class_b"]["billable"]) == (1000000, 0)
    assert doc["total_usd"] == 14.85
    assert doc["prices"]["source"] == LIST_SOURCE


def test_standard_example_as_text(cli: Any) -> None:
    code, out, err = cli("estimate", *STANDARD)
    assert code == 0, err
    assert text_row(out, "Standard storage") == [
        "Standard storage",
        "1,000 GB-month",
        "10 GB-month",
        "990 GB-month",
        "$14.85",
    ]
    assert text_row(out, "Standard Class B") == [
        "Standard Class B",
        "1,000,000 requests",
        "1,000,000 requests",
        "0 requests",
        "$0.00",
    ]
    assert text_row(out, "total") == ["total", "$14.85"]
    assert out.rstrip().splitlines()[-1] == f"prices: {LIST_SOURCE}"
    # One line per item, a header, the total and the price source.
    assert len(out.rstrip().splitlines()) == 1 + len(ITEMS) + 2


def test_infrequent_access_example(cli: Any) -> None:
    by = lines(doc := estimate_json(cli, *IA))
    assert by["ia_storage"]["usd"] == 10.0  # 1,000 GB-month x $0.01, no free tier
    assert (by["ia_class_a"]["billable"], by["ia_class_a"]["usd"]) == (1000000, 9.0)
    assert by["ia_class_b"]["usd"] == 0.9  # 1,000,000 = 1 million x $0.90
    assert by["ia_retrieval"]["usd"] == 10.0  # 1,000 GB x $0.01
    assert all(
        by[i]["free"] == 0 for i in ("ia_storage", "ia_class_a", "ia_class_b", "ia_retrieval")
    )
    assert doc["total_usd"] == 29.9  # 10 + 9 + 0.90 + 10
    code, out, _ = cli("estimate", *IA)
    assert code == 0
    # 1,000 writes round up to one million.
    assert text_row(out, "IA Class A") == [
        "IA Class A",
        "1,000 requests",
        "0 requests",
        "1,000,000 requests",
        "$9.00",
    ]
    assert text_row(out, "total") == ["total", "$29.90"]


def test_asset_hosting_example(cli: Any) -> None:
    by = lines(doc := estimate_json(cli, *ASSETS))
    # 300,000,000 - 10,000,000 free = 290 million x $0.36 = $104.40
    assert by["standard_class_b"]["billable"] == 290_000_000
    assert by["standard_class_b"]["usd"] == pytest.approx(104.40)
    assert by["standard_storage"]["billable"] == 0  # 10 GB-month is the free tier
    assert doc["total_usd"] == 104.4
    code, out, _ = cli("estimate", *ASSETS)
    assert code == 0 and text_row(out, "total") == ["total", "$104.40"]


# --- rounding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "item", "billable", "usd"),
    [
        # 1,000,001 - 1,000,000 free = 1 -> 1 million x $4.50
        (["--standard-class-a", "1000001"], "standard_class_a", 1_000_000, 4.5),
        # 2,000,001 - 1,000,000 = 1,000,001 -> 2 million x $4.50 = $9.00
        (["--standard-class-a", "2000001"], "standard_class_a", 2_000_000, 9.0),
        # 10,000,001 - 10,000,000 = 1 -> 1 million x $0.36
        (["--standard-class-b", "10000001"], "standard_class_b", 1_000_000, 0.36),
        # 11.1 - 10 = 1.1 -> 2 GB-month x $0.015 = $0.03
        (["--standard-gb-month", "11.1"], "standard_storage", 2, 0.03),
        # 1.1 GB retrieved -> 2 GB x $0.01
        (["--ia-retrieval-gb", "1.1"], "ia_retrieval", 2, 0.02),
        # One IA Class B request -> 1 million x $0.90; scientific notation is a number.
        (["--ia-class-b", "1e0"], "ia_class_b", 1_000_000, 0.9),
    ],
)
def test_rounding_up_to_the_billing_unit(
    cli: Any, argv: list[str], item: str, billable: int, usd: float
) -> None:
    doc = estimate_json(cli, *argv)
    assert lines(doc)[item]["billable"] == billable
    assert lines(doc)[item]["usd"] == pytest.approx(usd)
    assert doc["total_usd"] == pytest.approx(usd)


def test_lines_are_exact_and_the_total_is_rounded_to_the_cent(cli: Any) -> None:
    # 11 - 10 = 1 GB-month x $0.015 = $0.015 exactly in JSON; half-up to $0.02 invoiced.
    doc = estimate_json(cli, "--standard-gb-month", "11")
    assert lines(doc)["standard_storage"]["usd"] == 0.015
    assert doc["total_usd"] == 0.02
    _, out, _ = cli("estimate", "--standard-gb-month", "11")
    assert text_row(out, "Standard storage")[-1] == "$0.02"


def test_nothing_costs_nothing(cli: Any) -> None:
    doc = estimate_json(cli)
    assert doc["total_usd"] == 0
    assert all(line["usage"] == line["billable"] == line["usd"] == 0 for line in doc["lines"])


# --- usage errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--standard-class-a", "-1"], "argument --standard-class-a: expected a whole number"),
        (["--standard-class-b", "1.5"], "argument --standard-class-b: expected a whole number"),
        (["--ia-class-a", "many"], "argument --ia-class-a: expected a whole number"),
        (["--standard-gb-month", "-0.5"], "argument --standard-gb-month: expected a number of 0"),
        (
            ["--ia-gb-month", "ten"],
            "argument --ia-gb-month: expected a number of 0 or more, got 'ten'",
        ),
        (["--ia-retrieval-gb", "nan"], "argument --ia-retrieval-gb: expected a number"),
        (["--ia-retrieval-gb", "inf"], "argument --ia-retrieval-gb: expected a number"),
    ],
)
def test_a_bad_amount_is_a_usage_error_naming_the_option(
    cli: Any, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as info:
        cli("estimate", *argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and says in err and "Traceback" not in err


# --- prices from the config --------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r2tui.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_configured_prices_apply_and_are_named(cli: Any, tmp_path: Path) -> None:
    config = _write(tmp_path, "[pricing]\nstandard_class_b_per_million = 0.5\nfree_class_b = 0\n")
    doc = estimate_json(cli, "--config", str(config), "--standard-class-b", "3000000")
    # No free Class B: 3 million x $0.50 = $1.50
    assert doc["total_usd"] == 1.5
    assert doc["prices"]["source"] == f"{config} [pricing]"
    assert doc["prices"]["standard_class_b_per_million"] == 0.5
    assert doc["prices"]["standard_class_a_per_million"] == 4.5  # untouched
    code, out, _ = cli("estimate", "--config", str(config), "--standard-class-b", "3000000")
    assert code == 0 and out.rstrip().endswith(f"prices: {config} [pricing]")


def test_the_config_variable_and_the_default_file_are_read(
    cli: Any, tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = isolated / "xdg_config_home" / "r2tui" / "config.toml"
    default.parent.mkdir(parents=True)
    default.write_text("[pricing]\nstandard_storage_gb_month = 0.02\n")
    # 1,000 - 10 = 990 GB-month x $0.02 = $19.80
    assert estimate_json(cli, "--standard-gb-month", "1000")["total_usd"] == 19.8
    other = _write(tmp_path, "[pricing]\nfree_storage_gb_month = 0\n")
    monkeypatch.setenv("R2TUI_CONFIG", str(other))
    # No free storage at list price: 1,000 x $0.015 = $15.00
    assert estimate_json(cli, "--standard-gb-month", "1000")["total_usd"] == 15.0


def test_accounts_without_credentials_do_not_matter(
    cli: Any, tmp_path: Path, isolated: Path
) -> None:
    # An account whose keys live in variables unset in this shell: the app would
    # refuse to start, but an estimate needs no account.
    config = _write(
        tmp_path,
        '[accounts.main]\naccount_id = "0123456789abcdef0123456789abcdef"\n'
        "[pricing]\nia_retrieval_per_gb = 0.02\n",
    )
    doc = estimate_json(cli, "--config", str(config), "--ia-retrieval-gb", "10")
    assert doc["total_usd"] == 0.2  # 10 GB x $0.02
    # The store was never opened, so never created.
    assert not (isolated / "xdg_data_home" / "r2tui" / "r2tui.db").exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "[pricing]\nstandard_class_a_per_million = -1\n",
            "pricing.standard_class_a_per_million: must be a number of 0 or more",
        ),
        ("[pricing]\negress_per_gb = 0\n", "pricing.egress_per_gb: unknown key"),
        ("[pricing\n", "(syntax): not valid TOML"),
    ],
)
def test_a_bad_pricing_table_is_a_config_error(
    cli: Any, tmp_path: Path, text: str, says: str
) -> None:
    config = _write(tmp_path, text)
    code, out, err = cli("estimate", "--config", str(config), "--standard-class-a", "5")
    assert code == 2 and out == ""
    assert err.startswith("r2tui: configuration error") and f"{config}: {says}" in err


def test_a_named_config_must_exist(cli: Any, tmp_path: Path) -> None:
    code, _, err = cli("estimate", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "missing.toml: (file): no such file" in err
