"""The config's [pricing] table: overrides of the public R2 price list that reach
the bill and name their source, and mistakes that name the file, the key and
what would be valid."""

from __future__ import annotations

import re
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

import pytest

from r2tui.config import ConfigError, Problem, load_config
from r2tui.config.load import load_pricing
from r2tui.config.template import STARTER
from r2tui.costs.bill import Usage, bill
from r2tui.pricing import LIST_PRICES, LIST_SOURCE, PriceList

ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
CREDS = {"R2_ACCESS_KEY_ID": "AKID-from-env-1234", "R2_SECRET_ACCESS_KEY": "s3cr3t-value"}
MAIN = f'[accounts.main]\naccount_id = "{ACCOUNT_ID}"\n'
PRICE_FIELDS = [f.name for f in fields(PriceList) if f.name != "source"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path) -> PriceList:
    return load_config(str(path), env=CREDS).pricing


def fail(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(str(path), env=CREDS)
    return info.value


def problem(err: ConfigError, key: str) -> Problem:
    matches = [p for p in err.problems if p.key == key]
    assert matches, f"no problem for {key!r} in:\n{err}"
    return matches[0]


# --- good tables -------------------------------------------------------------------


def test_without_a_pricing_table_the_public_list_applies(tmp_path: Path) -> None:
    assert load(write(tmp_path, MAIN)) is LIST_PRICES
    assert load(write(tmp_path, MAIN + "[pricing]\n")).source == LIST_SOURCE
    assert load_config(env={"R2_ACCOUNT_ID": ACCOUNT_ID, **CREDS}).pricing is LIST_PRICES


def test_overrides_reach_the_bill_and_name_their_source(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        MAIN + "[pricing]\nstandard_storage_gb_month = 0.02\n"
        "free_storage_gb_month = 0\nstandard_class_a_per_million = 4\n",
    )
    prices = load(path)
    assert prices.source == f"{path} [pricing]"
    assert prices.standard_storage_gb_month == Decimal("0.02")
    assert prices.standard_class_a_per_million == 4
    assert prices.ia_storage_gb_month == LIST_PRICES.ia_storage_gb_month  # not overridden
    usage = Usage(standard_gb_month=Decimal(100), standard_class_a=1_500_000)
    # 100 GB-month, none free, x $0.02 = $2.00; 1.5M - 1M free -> 1 million x $4 = $4.00
    assert bill(usage, prices).total == Decimal("6.00")
    # At list price: (100 - 10) x $0.015 = $1.35, + 1 x $4.50 = $5.85
    assert bill(usage).total == Decimal("5.85")


def test_whole_number_settings_stay_whole(tmp_path: Path) -> None:
    prices = load(
        write(
            tmp_path,
            MAIN + "[pricing]\nbytes_per_gb = 1073741824\n"
            "billing_period_days = 31\nia_minimum_days = 30.0\n",
        )
    )
    assert prices.bytes_per_gb == 2**30 and isinstance(prices.bytes_per_gb, int)
    assert prices.billing_period_days == 31
    assert prices.ia_minimum_days == 30 and isinstance(prices.ia_minimum_days, int)


def test_every_price_can_be_set_to_zero(tmp_path: Path) -> None:
    # Every price and free allowance; the whole-number settings must stay 1 or more.
    table = "".join(
        f"{f.name} = 0\n" for f in fields(PriceList) if f.name != "source" and f.type != "int"
    )
    assert table.count("\n") == 10  # 7 prices, 3 free allowances
    prices = load(write(tmp_path, MAIN + "[pricing]\n" + table))
    usage = Usage(standard_gb_month=Decimal(5), ia_class_a=7, ia_retrieval_gb=Decimal(3))
    assert bill(usage, prices).total == 0


def test_the_starter_file_shows_every_price_at_its_default(tmp_path: Path) -> None:
    # The template's header promises that the values shown are the defaults.
    section = STARTER.split("[pricing]\n", 1)[1].split("\n[", 1)[0]
    uncommented = re.sub(r"^# (\w+ = [\d.]+)", r"\1", section, flags=re.MULTILINE)
    shown = re.findall(r"^(\w+) = ", uncommented, flags=re.MULTILINE)
    assert sorted(shown) == sorted(PRICE_FIELDS)
    text = STARTER.replace(section, uncommented).replace("PUT-YOUR-ACCOUNT-ID-HERE", ACCOUNT_ID)
    prices = load(write(tmp_path, text))
    assert all(getattr(prices, name) == getattr(LIST_PRICES, name) for name in PRICE_FIELDS)
    # As shipped, commented out, the table overrides nothing.
    starter = write(tmp_path, STARTER.replace("PUT-YOUR-ACCOUNT-ID-HERE", ACCOUNT_ID))
    assert load(starter) is LIST_PRICES


# --- bad tables --------------------------------------------------------------------

BAD = [
    pytest.param(
        "standard_class_a_per_million = -4.5",
        "pricing.standard_class_a_per_million",
        ["must be a number of 0 or more", "-4.5"],
        id="negative",
    ),
    pytest.param(
        'ia_storage_gb_month = "0.02"',
        "pricing.ia_storage_gb_month",
        ["expected a number of 0 or more", "a string '0.02'"],
        id="string",
    ),
    pytest.param(
        "free_class_a = true",
        "pricing.free_class_a",
        ["expected a number of 0 or more", "a boolean True"],
        id="boolean",
    ),
    pytest.param(
        "ia_retrieval_per_gb = nan",
        "pricing.ia_retrieval_per_gb",
        ["must be a number of 0 or more", "nan"],
        id="nan",
    ),
    pytest.param(
        "ia_retrieval_per_gb = inf",
        "pricing.ia_retrieval_per_gb",
        ["must be a number of 0 or more", "inf"],
        id="infinite",
    ),
    pytest.param(
        "bytes_per_gb = 1.5",
        "pricing.bytes_per_gb",
        ["must be a whole number of 1 or more", "1.5"],
        id="fractional-bytes-per-gb",
    ),
    pytest.param(
        "billing_period_days = 0",
        "pricing.billing_period_days",
        ["must be a whole number of 1 or more", "0"],
        id="zero-days",
    ),
    pytest.param(
        "standard_storage = 0.015",
        "pricing.standard_storage",
        ["unknown key", "did you mean 'standard_storage_gb_month'?", "ia_retrieval_per_gb"],
        id="unknown-key",
    ),
    pytest.param('source = "my contract"', "pricing.source", ["unknown key"], id="source"),
]


@pytest.mark.parametrize(("line", "key", "parts"), BAD)
def test_a_bad_price_names_the_file_the_key_and_what_is_valid(
    tmp_path: Path, line: str, key: str, parts: list[str]
) -> None:
    path = write(tmp_path, MAIN + f"[pricing]\n{line}\n")
    err = fail(path)
    p = problem(err, key)
    assert p.source == str(path)
    assert all(part in p.message for part in parts), p.message
    assert f"{path}: {key}: " in str(err)


def test_pricing_must_be_a_table(tmp_path: Path) -> None:
    err = fail(write(tmp_path, "pricing = 0.015\n" + MAIN))
    assert "expected a table [pricing], got a number" in problem(err, "pricing").message


def test_every_bad_price_is_reported_at_once(tmp_path: Path) -> None:
    err = fail(
        write(
            tmp_path,
            MAIN + '[pricing]\nfree_class_a = -1\nfree_class_b = "x"\n'
            "standard_class_b_per_million = 0.30\n",
        )
    )
    assert sorted(p.key for p in err.problems) == ["pricing.free_class_a", "pricing.free_class_b"]
    assert err.render().startswith("2 configuration errors:")


def test_the_top_level_lists_pricing_as_a_valid_key(tmp_path: Path) -> None:
    err = fail(write(tmp_path, MAIN + "[prices]\nfree_class_a = 0\n"))
    assert "did you mean 'pricing'?" in problem(err, "prices").message


# --- prices alone, as `r2tui estimate` reads them ----------------------------------


def test_load_pricing_without_a_file_is_the_public_list(tmp_path: Path) -> None:
    assert load_pricing(env={}) is LIST_PRICES


def test_load_pricing_ignores_what_is_not_about_prices(tmp_path: Path) -> None:
    # No credentials anywhere: load_config refuses this file, load_pricing need not.
    path = write(tmp_path, MAIN + "[pricing]\nia_class_a_per_million = 8\n")
    with pytest.raises(ConfigError):
        load_config(str(path), env={})
    prices = load_pricing(str(path), env={})
    assert prices.ia_class_a_per_million == 8 and prices.source == f"{path} [pricing]"


def test_load_pricing_follows_r2tui_config(tmp_path: Path) -> None:
    path = write(tmp_path, "[pricing]\nfree_class_b = 0\n")
    assert load_pricing(env={"R2TUI_CONFIG": str(path)}).free_class_b == 0


def test_load_pricing_reports_bad_prices(tmp_path: Path) -> None:
    path = write(tmp_path, "[pricing]\nbytes_per_gb = -1\n")
    with pytest.raises(ConfigError) as info:
        load_pricing(str(path), env={})
    p = problem(info.value, "pricing.bytes_per_gb")
    assert p.source == str(path) and "must be" in p.message


# --- [costs]: what counts as a spike ------------------------------------------------


def test_costs_table_sets_the_spike_rule(tmp_path: Path) -> None:
    text = MAIN + "[costs]\nspike_baseline_days = 14\nspike_pct = 80\nspike_min_usd = 5\n"
    costs = load_config(str(write(tmp_path, text)), env=CREDS).costs
    assert (costs.spike_baseline_days, costs.spike_pct, costs.spike_min_usd) == (14, 80.0, 5.0)


def test_costs_defaults(tmp_path: Path) -> None:
    costs = load_config(str(write(tmp_path, MAIN)), env=CREDS).costs
    assert (costs.spike_baseline_days, costs.spike_pct, costs.spike_min_usd) == (7, 50.0, 1.0)


@pytest.mark.parametrize(
    ("line", "key", "says"),
    [
        ("spike_baseline_days = 0", "costs.spike_baseline_days", "whole number above 0"),
        ("spike_pct = 0", "costs.spike_pct", "above 0"),
        ('spike_pct = "50"', "costs.spike_pct", "percentage"),
        ("spike_min_usd = -1", "costs.spike_min_usd", "0 or more"),
        ("spike_min_usd = true", "costs.spike_min_usd", "dollar"),
        ("spike = 3", "costs.spike", "spike_pct"),
    ],
)
def test_bad_costs_values_name_the_key(tmp_path: Path, line: str, key: str, says: str) -> None:
    err = fail(write(tmp_path, MAIN + f"[costs]\n{line}\n"))
    assert says in problem(err, key).message
