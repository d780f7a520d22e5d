"""Bad configs: every bad file or variable names its path, the key and what
would be valid, and every problem is reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from r2tui.config import (
    load_config,
)
from tests.support.config_data import ACCOUNT_ID, CREDS, MAIN, fail, problem, write

# (file text, problem key, parts the message must hold: what is wrong and what is valid)
BAD_FILES = [
    pytest.param('timezone = "UTC\n', "(syntax)", ["not valid TOML", "line 1"], id="toml-syntax"),
    pytest.param(
        'timezon = "UTC"\n' + MAIN,
        "timezon",
        ["unknown key", "did you mean 'timezone'?", "refresh_seconds"],
        id="unknown-top-level-key",
    ),
    pytest.param(
        '[accounts.main]\nregion = "auto"\n',
        "accounts.main.account_id",
        ["required", "32-character", "endpoint_url"],
        id="no-account-id-nor-endpoint",
    ),
    pytest.param(
        '[accounts.main]\naccount_id = "not-an-id"\n',
        "accounts.main.account_id",
        ["32-character hexadecimal"],
        id="malformed-account-id",
    ),
    pytest.param(
        '[accounts.main]\nendpoint_url = "ftp://files.example"\n',
        "accounts.main.endpoint_url",
        ["http:// or https://", "'ftp://files.example'"],
        id="endpoint-wrong-scheme",
    ),
    pytest.param(
        '[accounts.main]\nendpoint_url = "https://"\n',
        "accounts.main.endpoint_url",
        ["with a host", "'https://'"],
        id="endpoint-without-host",
    ),
    pytest.param(
        MAIN + '[schedule]\ninventory = "0 3 * *"\n',
        "schedule.inventory",
        ["a cron line such as", "'0 3 * *'"],
        id="cron-four-fields",
    ),
    pytest.param(
        MAIN + '[schedule]\ninventory = "0 0 3 * * *"\n',
        "schedule.inventory",
        ["a cron line such as", "'0 0 3 * * *'"],
        id="cron-six-fields",
    ),
    pytest.param(
        MAIN + '[schedule]\ninventory = "61 3 * * *"\n',
        "schedule.inventory",
        ["invalid cron schedule '61 3 * * *'"],
        id="cron-minute-out-of-range",
    ),
    pytest.param(
        MAIN + '[schedule]\ninventory = "0 3 * * 8"\n',
        "schedule.inventory",
        ["invalid cron schedule", "weekday", "0-7"],
        id="cron-weekday-out-of-range",
    ),
    pytest.param(
        MAIN + '[schedule]\ncollect_metrics = "5 parsecs"\n',
        "schedule.collect_metrics",
        ['"5m"', "'5 parsecs'"],
        id="nonsense-interval",
    ),
    pytest.param(
        MAIN + '[schedule]\ncollect_metrics = "0s"\n',
        "schedule.collect_metrics",
        ['"5m"', "'0s'"],
        id="zero-interval",
    ),
    pytest.param(
        MAIN + '[schedule]\ninventroy = "1d"\n',
        "schedule.inventroy",
        ["unknown key", "did you mean 'inventory'?", "collect_metrics"],
        id="unknown-job",
    ),
    pytest.param(
        MAIN + "[retention]\nevents_days = 0\n",
        "retention.events_days",
        ["above 0", "got 0"],
        id="zero-retention",
    ),
    pytest.param(
        MAIN + "[retention]\ninventories_kept = -3\n",
        "retention.inventories_kept",
        ["above 0", "got -3"],
        id="negative-retention",
    ),
    pytest.param(
        MAIN + 'quota = "lots"\n',
        "accounts.main.quota",
        ['"500 GB"', "'lots'"],
        id="unparseable-quota",
    ),
    pytest.param(
        MAIN + "quota = 0\n",
        "accounts.main.quota",
        ["positive number of bytes", "got 0"],
        id="zero-quota",
    ),
    pytest.param(
        MAIN + 'secret_access_key_env = "MY_R2_SECRET"\n',
        "accounts.main.secret_access_key_env",
        ["environment variable MY_R2_SECRET is not set"],
        id="secret-env-unset",
    ),
    pytest.param(
        MAIN + 'secret_access_key_file = "/nonexistent/r2/secret"\n',
        "accounts.main.secret_access_key_file",
        ["cannot read secret file /nonexistent/r2/secret"],
        id="secret-file-missing",
    ),
    pytest.param(
        MAIN + 'secret_access_key = "x"\nsecret_access_key_env = "MY_R2_SECRET"\n',
        "accounts.main.secret_access_key_env",
        ["give only one of secret_access_key, secret_access_key_env"],
        id="two-sources-for-one-secret",
    ),
    pytest.param(
        MAIN + "include = [1, 2]\n",
        "accounts.main.include",
        ['list of bucket name globs such as ["media-*"]', "[1, 2]"],
        id="include-not-strings",
    ),
    pytest.param(
        MAIN + "include = []\n",
        "accounts.main.include",
        ["at least one", '["*"]'],
        id="include-empty",
    ),
    pytest.param(
        "refresh_seconds = true\n" + MAIN,
        "refresh_seconds",
        ["expected a number", "a boolean True"],
        id="boolean-for-number",
    ),
    pytest.param(
        MAIN + "[s3]\nmax_attempts = true\n",
        "s3.max_attempts",
        ["expected a whole number", "a boolean True"],
        id="boolean-for-int",
    ),
    pytest.param(
        MAIN + "[inventory]\ntop_n = 2.5\n",
        "inventory.top_n",
        ["expected a whole number", "2.5"],
        id="float-for-int",
    ),
    pytest.param(
        "refresh_seconds = nan\n" + MAIN,
        "refresh_seconds",
        ["number from 0.5 to 3600 s", "nan"],
        id="nan-number",
    ),
    pytest.param(
        "refresh_seconds = inf\n" + MAIN,
        "refresh_seconds",
        ["number from 0.5 to 3600 s", "inf"],
        id="infinite-number",
    ),
    pytest.param(
        'timezone = "Mars/Olympus_Mons"\n' + MAIN,
        "timezone",
        ["unknown time zone 'Mars/Olympus_Mons'", "IANA"],
        id="bad-timezone",
    ),
    pytest.param(
        'timezone = "../etc/passwd"\n' + MAIN,
        "timezone",
        ["unknown time zone '../etc/passwd'", "IANA"],
        id="timezone-path",
    ),
    pytest.param(
        MAIN + "[inventory]\npage_size = 1001\n",
        "inventory.page_size",
        ["at most 1000", "1001"],
        id="page-size-above-1000",
    ),
    pytest.param(
        MAIN + "[inventory]\nconcurrency = 65\n",
        "inventory.concurrency",
        ["at most 64", "65"],
        id="concurrency-above-64",
    ),
    pytest.param(
        MAIN + "[inventory]\nconcurrency = 0\n",
        "inventory.concurrency",
        ["above 0", "0"],
        id="concurrency-zero",
    ),
    pytest.param(
        MAIN + 'jurisdiction = "europe"\n',
        "accounts.main.jurisdiction",
        ["unknown jurisdiction 'europe'", '"eu"', '"fedramp"'],
        id="bad-jurisdiction",
    ),
    pytest.param(
        'schedule = "5m"\n' + MAIN,
        "schedule",
        ["expected a table [schedule]", "a string"],
        id="scalar-for-table",
    ),
    pytest.param(
        MAIN + '[accounts.main.probe]\nprefix = ""\n',
        "accounts.main.probe.prefix",
        ["must not be empty"],
        id="empty-probe-prefix",
    ),
    pytest.param(
        MAIN + "[accounts.main.probe]\nrequests_per_month = 3\n",
        "accounts.main.probe.requests_per_month",
        ["from 4 (one probe: PUT, GET, HEAD and DELETE) to 10,000,000,000", "got 3"],
        id="probe-budget-under-one-probe",
    ),
    pytest.param(
        MAIN + "[accounts.main.probe]\nrequests_per_month = 10_000_000_001\n",
        "accounts.main.probe.requests_per_month",
        ["from 4 (one probe", "to 10,000,000,000", "got 10000000001"],
        id="probe-budget-too-large",
    ),
    pytest.param(
        MAIN + '[accounts.main.probe]\nrequests_per_month = "lots"\n',
        "accounts.main.probe.requests_per_month",
        ["expected a whole number", "a string 'lots'"],
        id="probe-budget-not-a-number",
    ),
    pytest.param(
        MAIN + "[accounts.main.probe]\nenabled = 1\n",
        "accounts.main.probe.enabled",
        ["expected true or false", "a number 1"],
        id="number-for-boolean",
    ),
    pytest.param(
        MAIN + "[keymap]\nrefresh = 5\n",
        "keymap.refresh",
        ['"ctrl+r,f5"', "got 5"],
        id="keymap-not-a-string",
    ),
    pytest.param(
        MAIN + 'regoin = "auto"\n',
        "accounts.main.regoin",
        ["unknown key", "did you mean 'region'?"],
        id="unknown-account-key",
    ),
    pytest.param(
        '[accounts.main]\naccount_id = "' + ACCOUNT_ID + '"\nprofile = 3\n',
        "accounts.main.profile",
        ["an AWS profile name", "a number 3"],
        id="profile-not-a-string",
    ),
]


@pytest.mark.parametrize(("text", "key", "parts"), BAD_FILES)
def test_bad_file_names_path_key_and_remedy(
    tmp_path: Path, text: str, key: str, parts: list[str]
) -> None:
    path = write(tmp_path, text)
    err = fail(path)
    p = problem(err, key)
    assert p.source == str(path)
    for part in parts:
        assert part in p.message, f"{part!r} not in {p.message!r}"
    # The rendered error is what the user reads: path, key and message on one line.
    assert f"{path}: {key}: {p.message}" in str(err)


def test_missing_credentials_name_every_way_to_give_them(tmp_path: Path) -> None:
    err = fail(write(tmp_path, MAIN), env={})
    for field, var in (
        ("access_key_id", "R2_ACCESS_KEY_ID"),
        ("secret_access_key", "R2_SECRET_ACCESS_KEY"),
    ):
        msg = problem(err, f"accounts.main.{field}").message
        for part in (f"{field}_env", f"{field}_file", var, "profile"):
            assert part in msg


def test_empty_secret_file_is_refused(tmp_path: Path) -> None:
    secret = write(tmp_path, "\n  \n", "secret")
    err = fail(write(tmp_path, MAIN + f'secret_access_key_file = "{secret}"\n'))
    assert (
        f"secret file {secret} is empty"
        in problem(err, "accounts.main.secret_access_key_file").message
    )


def test_named_config_file_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "r2tui.toml"
    err = fail(missing)
    p = problem(err, "(file)")
    assert p.source == str(missing)
    assert "no such file" in p.message and "r2tui config init" in p.message


def test_config_path_that_is_a_folder_cannot_be_read(tmp_path: Path) -> None:
    err = fail(tmp_path)
    assert problem(err, "(file)").message.startswith("cannot read")


def test_r2tui_config_variable_must_name_an_existing_file(tmp_path: Path) -> None:
    missing = tmp_path / "from-env.toml"
    err = fail(None, env={**CREDS, "R2TUI_CONFIG": str(missing)})
    assert problem(err, "(file)").source == str(missing)


def test_malformed_account_id_in_environment_names_the_variable() -> None:
    err = fail(None, env={**CREDS, "R2_ACCOUNT_ID": "12345"})
    p = problem(err, "R2_ACCOUNT_ID")
    assert p.source == "environment"
    assert "32-character hexadecimal" in p.message
    assert "environment: R2_ACCOUNT_ID: " in str(err)


def test_bad_urls_in_environment_name_the_variable() -> None:
    err = fail(
        None,
        env={
            **CREDS,
            "R2_ACCOUNT_ID": ACCOUNT_ID,
            "R2_ENDPOINT_URL": "r2.example",
            "CLOUDFLARE_GRAPHQL_URL": "nope",
        },
    )
    assert "'r2.example'" in problem(err, "R2_ENDPOINT_URL").message
    assert "'nope'" in problem(err, "CLOUDFLARE_GRAPHQL_URL").message
    assert {p.source for p in err.problems} == {"environment"}


def test_env_only_without_credentials_names_the_variables() -> None:
    err = fail(None, env={"R2_ACCOUNT_ID": ACCOUNT_ID})
    assert {p.key for p in err.problems} == {"R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"}


def test_bad_graphql_variable_is_reported_with_a_file_account(tmp_path: Path) -> None:
    err = fail(write(tmp_path, MAIN), env={**CREDS, "CLOUDFLARE_GRAPHQL_URL": "localhost:9"})
    p = problem(err, "CLOUDFLARE_GRAPHQL_URL")
    assert p.source == "environment"
    assert "http:// or https://" in p.message and "'localhost:9'" in p.message


def test_no_account_at_all_says_how_to_add_one(tmp_path: Path) -> None:
    path = write(tmp_path, 'timezone = "UTC"\n')
    p = problem(fail(path, env={}), "accounts")
    assert p.source == str(path)
    for part in ("[accounts.NAME]", "r2tui config init", "R2_ACCOUNT_ID", "--demo"):
        assert part in p.message
    # Commands that need no account (config init, status of a store) may skip the check.
    cfg = load_config(str(path), env={}, require_accounts=False)
    assert cfg.accounts == ()


def test_several_problems_are_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        (
            'timezone = "Nowhere/Land"\nrefresh_seconds = -1\n'
            '[schedule]\ninventory = "daily"\n'
            "[retention]\nevents_days = 0\n"
            '[accounts.a]\naccount_id = "xyz"\n'
            '[accounts.b]\nendpoint_url = "ftp://b"\nquota = "much"\n'
        ),
    )
    err = fail(path)
    keys = [p.key for p in err.problems]
    assert set(keys) == {
        "timezone",
        "refresh_seconds",
        "schedule.inventory",
        "retention.events_days",
        "accounts.a.account_id",
        "accounts.b.endpoint_url",
        "accounts.b.quota",
    }
    assert len(keys) == len(set(keys)), "a mistake must be reported once"
    text = str(err)
    assert text.splitlines()[0] == f"{len(keys)} configuration errors:"
    assert all(p.source == str(path) for p in err.problems)
    assert all(f"  {p}" in text for p in err.problems)


def test_single_problem_header_is_singular(tmp_path: Path) -> None:
    err = fail(write(tmp_path, MAIN + "[retention]\nevents_days = 0\n"))
    assert str(err).splitlines()[0] == "configuration error:"
    assert len(err.problems) == 1
