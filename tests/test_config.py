"""Config loading: every bad file names its path, the key and what would be valid;
every good file (and the environment alone) yields the settings it describes."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from r2tui.config import (
    DEFAULT_GRAPHQL_URL,
    DEFAULT_SCHEDULES,
    AccountConfig,
    ConfigError,
    Problem,
    Secret,
    load_config,
)
from r2tui.config.model import DEMO_SCHEDULES
from r2tui.config.template import STARTER
from r2tui.config.values import parse_cron, parse_duration, parse_schedule, parse_size

ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
KEY_ID = "AKID-from-env-1234"
SECRET = "s3cr3t-value-that-must-never-print"
CREDS = {"R2_ACCESS_KEY_ID": KEY_ID, "R2_SECRET_ACCESS_KEY": SECRET}
MAIN = f'[accounts.main]\naccount_id = "{ACCOUNT_ID}"\n'


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fail(path: Path | str | None, env: Mapping[str, str] | None = None,
         **kwargs: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(str(path) if path else None, env=dict(CREDS if env is None else env),
                    **kwargs)  # type: ignore[arg-type]
    return info.value


def problem(err: ConfigError, key: str) -> Problem:
    matches = [p for p in err.problems if p.key == key]
    assert matches, f"no problem for {key!r} in:\n{err}"
    return matches[0]


# --- bad configs -------------------------------------------------------------------------

# (file text, problem key, parts the message must hold: what is wrong and what is valid)
BAD_FILES = [
    pytest.param('timezone = "UTC\n', "(syntax)", ["not valid TOML", "line 1"], id="toml-syntax"),
    pytest.param('timezon = "UTC"\n' + MAIN, "timezon",
                 ["unknown key", "did you mean 'timezone'?", "refresh_seconds"],
                 id="unknown-top-level-key"),
    pytest.param('[accounts.main]\nregion = "auto"\n', "accounts.main.account_id",
                 ["required", "32-character", "endpoint_url"], id="no-account-id-nor-endpoint"),
    pytest.param('[accounts.main]\naccount_id = "not-an-id"\n', "accounts.main.account_id",
                 ["32-character hexadecimal"], id="malformed-account-id"),
    pytest.param('[accounts.main]\nendpoint_url = "ftp://files.example"\n',
                 "accounts.main.endpoint_url", ["http:// or https://", "'ftp://files.example'"],
                 id="endpoint-wrong-scheme"),
    pytest.param('[accounts.main]\nendpoint_url = "https://"\n', "accounts.main.endpoint_url",
                 ["with a host", "'https://'"], id="endpoint-without-host"),
    pytest.param(MAIN + '[schedule]\ninventory = "0 3 * *"\n', "schedule.inventory",
                 ["a cron line such as", "'0 3 * *'"], id="cron-four-fields"),
    pytest.param(MAIN + '[schedule]\ninventory = "0 0 3 * * *"\n', "schedule.inventory",
                 ["a cron line such as", "'0 0 3 * * *'"], id="cron-six-fields"),
    pytest.param(MAIN + '[schedule]\ninventory = "61 3 * * *"\n', "schedule.inventory",
                 ["invalid cron schedule '61 3 * * *'"], id="cron-minute-out-of-range"),
    pytest.param(MAIN + '[schedule]\ninventory = "0 3 * * 8"\n', "schedule.inventory",
                 ["invalid cron schedule", "weekday", "0-7"], id="cron-weekday-out-of-range"),
    pytest.param(MAIN + '[schedule]\ncollect_metrics = "5 parsecs"\n',
                 "schedule.collect_metrics", ['"5m"', "'5 parsecs'"], id="nonsense-interval"),
    pytest.param(MAIN + '[schedule]\ncollect_metrics = "0s"\n', "schedule.collect_metrics",
                 ['"5m"', "'0s'"], id="zero-interval"),
    pytest.param(MAIN + '[schedule]\ninventroy = "1d"\n', "schedule.inventroy",
                 ["unknown key", "did you mean 'inventory'?", "collect_metrics"],
                 id="unknown-job"),
    pytest.param(MAIN + "[retention]\nevents_days = 0\n", "retention.events_days",
                 ["above 0", "got 0"], id="zero-retention"),
    pytest.param(MAIN + "[retention]\ninventories_kept = -3\n", "retention.inventories_kept",
                 ["above 0", "got -3"], id="negative-retention"),
    pytest.param(MAIN + 'quota = "lots"\n', "accounts.main.quota",
                 ['"500 GB"', "'lots'"], id="unparseable-quota"),
    pytest.param(MAIN + "quota = 0\n", "accounts.main.quota",
                 ["positive number of bytes", "got 0"], id="zero-quota"),
    pytest.param(MAIN + 'secret_access_key_env = "MY_R2_SECRET"\n',
                 "accounts.main.secret_access_key_env",
                 ["environment variable MY_R2_SECRET is not set"], id="secret-env-unset"),
    pytest.param(MAIN + 'secret_access_key_file = "/nonexistent/r2/secret"\n',
                 "accounts.main.secret_access_key_file",
                 ["cannot read secret file /nonexistent/r2/secret"], id="secret-file-missing"),
    pytest.param(MAIN + 'secret_access_key = "x"\nsecret_access_key_env = "MY_R2_SECRET"\n',
                 "accounts.main.secret_access_key_env",
                 ["give only one of secret_access_key, secret_access_key_env"],
                 id="two-sources-for-one-secret"),
    pytest.param(MAIN + "include = [1, 2]\n", "accounts.main.include",
                 ['list of bucket name globs such as ["media-*"]', "[1, 2]"],
                 id="include-not-strings"),
    pytest.param(MAIN + "include = []\n", "accounts.main.include",
                 ["at least one", '["*"]'], id="include-empty"),
    pytest.param("refresh_seconds = true\n" + MAIN, "refresh_seconds",
                 ["expected a number", "a boolean True"], id="boolean-for-number"),
    pytest.param(MAIN + "[s3]\nmax_attempts = true\n", "s3.max_attempts",
                 ["expected a whole number", "a boolean True"], id="boolean-for-int"),
    pytest.param(MAIN + "[inventory]\ntop_n = 2.5\n", "inventory.top_n",
                 ["expected a whole number", "2.5"], id="float-for-int"),
    pytest.param("refresh_seconds = nan\n" + MAIN, "refresh_seconds",
                 ["number above 0", "nan"], id="nan-number"),
    pytest.param("refresh_seconds = inf\n" + MAIN, "refresh_seconds",
                 ["number above 0", "inf"], id="infinite-number"),
    pytest.param('timezone = "Mars/Olympus_Mons"\n' + MAIN, "timezone",
                 ["unknown time zone 'Mars/Olympus_Mons'", "IANA"], id="bad-timezone"),
    pytest.param('timezone = "../etc/passwd"\n' + MAIN, "timezone",
                 ["unknown time zone '../etc/passwd'", "IANA"], id="timezone-path"),
    pytest.param(MAIN + "[inventory]\npage_size = 1001\n", "inventory.page_size",
                 ["at most 1000", "1001"], id="page-size-above-1000"),
    pytest.param(MAIN + "[inventory]\nconcurrency = 65\n", "inventory.concurrency",
                 ["at most 64", "65"], id="concurrency-above-64"),
    pytest.param(MAIN + "[inventory]\nconcurrency = 0\n", "inventory.concurrency",
                 ["above 0", "0"], id="concurrency-zero"),
    pytest.param(MAIN + 'jurisdiction = "europe"\n', "accounts.main.jurisdiction",
                 ["unknown jurisdiction 'europe'", '"eu"', '"fedramp"'], id="bad-jurisdiction"),
    pytest.param('schedule = "5m"\n' + MAIN, "schedule",
                 ["expected a table [schedule]", "a string"], id="scalar-for-table"),
    pytest.param(MAIN + '[accounts.main.probe]\nprefix = ""\n', "accounts.main.probe.prefix",
                 ["must not be empty"], id="empty-probe-prefix"),
    pytest.param(MAIN + "[accounts.main.probe]\nenabled = 1\n", "accounts.main.probe.enabled",
                 ["expected true or false", "a number 1"], id="number-for-boolean"),
    pytest.param(MAIN + "[keymap]\nrefresh = 5\n", "keymap.refresh",
                 ['"ctrl+r,f5"', "got 5"], id="keymap-not-a-string"),
    pytest.param(MAIN + 'regoin = "auto"\n', "accounts.main.regoin",
                 ["unknown key", "did you mean 'region'?"], id="unknown-account-key"),
    pytest.param('[accounts.main]\naccount_id = "' + ACCOUNT_ID + '"\nprofile = 3\n',
                 "accounts.main.profile", ["an AWS profile name", "a number 3"],
                 id="profile-not-a-string"),
]


@pytest.mark.parametrize(("text", "key", "parts"), BAD_FILES)
def test_bad_file_names_path_key_and_remedy(tmp_path: Path, text: str, key: str,
                                            parts: list[str]) -> None:
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
    for field, var in (("access_key_id", "R2_ACCESS_KEY_ID"),
                       ("secret_access_key", "R2_SECRET_ACCESS_KEY")):
        msg = problem(err, f"accounts.main.{field}").message
        for part in (f"{field}_env", f"{field}_file", var, "profile"):
            assert part in msg


def test_empty_secret_file_is_refused(tmp_path: Path) -> None:
    secret = write(tmp_path, "\n  \n", "secret")
    err = fail(write(tmp_path, MAIN + f'secret_access_key_file = "{secret}"\n'))
    assert f"secret file {secret} is empty" in problem(
        err, "accounts.main.secret_access_key_file").message


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
    err = fail(None, env={**CREDS, "R2_ACCOUNT_ID": ACCOUNT_ID,
                          "R2_ENDPOINT_URL": "r2.example", "CLOUDFLARE_GRAPHQL_URL": "nope"})
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
    path = write(tmp_path, (
        'timezone = "Nowhere/Land"\nrefresh_seconds = -1\n'
        '[schedule]\ninventory = "daily"\n'
        '[retention]\nevents_days = 0\n'
        '[accounts.a]\naccount_id = "xyz"\n'
        '[accounts.b]\nendpoint_url = "ftp://b"\nquota = "much"\n'
    ))
    err = fail(path)
    keys = [p.key for p in err.problems]
    assert set(keys) == {"timezone", "refresh_seconds", "schedule.inventory",
                         "retention.events_days", "accounts.a.account_id",
                         "accounts.b.endpoint_url", "accounts.b.quota"}
    assert len(keys) == len(set(keys)), "a mistake must be reported once"
    text = str(err)
    assert text.splitlines()[0] == f"{len(keys)} configuration errors:"
    assert all(p.source == str(path) for p in err.problems)
    assert all(f"  {p}" in text for p in err.problems)


def test_single_problem_header_is_singular(tmp_path: Path) -> None:
    err = fail(write(tmp_path, MAIN + "[retention]\nevents_days = 0\n"))
    assert str(err).splitlines()[0] == "configuration error:"
    assert len(err.problems) == 1


# --- good configs ------------------------------------------------------------------------


def test_starter_template_loads_with_env_credentials(tmp_path: Path) -> None:
    path = write(tmp_path, STARTER.replace("PUT-YOUR-ACCOUNT-ID-HERE", ACCOUNT_ID))
    cfg = load_config(str(path), env=CREDS)
    assert cfg.path == path
    (acc,) = cfg.accounts
    assert acc.name == "main"
    assert acc.account_id == ACCOUNT_ID
    assert acc.endpoint_url == f"https://{ACCOUNT_ID}.r2.cloudflarestorage.com"
    assert acc.region == "auto"
    assert acc.access_key_id is not None and acc.access_key_id.reveal() == KEY_ID
    assert acc.secret_access_key is not None and acc.secret_access_key.reveal() == SECRET
    assert acc.secret_access_key.source == "env R2_SECRET_ACCESS_KEY"
    assert acc.api_token is None and acc.profile is None
    assert acc.graphql_url == DEFAULT_GRAPHQL_URL
    assert acc.include == ("*",) and acc.exclude == ()
    assert acc.probe.enabled is False and acc.probe.prefix == ".r2tui-probe/"
    # The template documents the defaults: loading it changes nothing.
    assert {j: s.text for j, s in cfg.schedules.items()} == DEFAULT_SCHEDULES
    assert cfg.schedules["collect_metrics"].seconds == 300
    assert cfg.schedules["inventory"].cron == "0 3 * * *"
    assert cfg.inventory.large_object_bytes == 10**9
    assert cfg.retention.inventories_kept == 14
    assert cfg.refresh_seconds == 5.0 and cfg.timezone == "UTC"
    assert cfg.keymap == {}


def test_untouched_starter_template_names_what_to_fill_in(tmp_path: Path) -> None:
    """Written by `config init`, it refuses to start until the account id and the
    credentials are real, rather than calling an example account."""
    err = fail(write(tmp_path, STARTER), env={})
    assert {p.key for p in err.problems} == {"accounts.main.account_id",
                                             "accounts.main.access_key_id_env",
                                             "accounts.main.secret_access_key_env"}
    assert "32-character hexadecimal Cloudflare account id" in str(err)


def test_env_only_account() -> None:
    env = {**CREDS, "R2_ACCOUNT_ID": ACCOUNT_ID.upper(), "R2_REGION": "us-east-1",
           "CLOUDFLARE_API_TOKEN": "cf-token", "CLOUDFLARE_GRAPHQL_URL": "http://127.0.0.1:9/gql/"}
    cfg = load_config(None, env=env)
    assert cfg.path is None
    (acc,) = cfg.accounts
    assert acc.name == "default"
    assert acc.account_id == ACCOUNT_ID  # normalised to lower case
    assert acc.endpoint_url == f"https://{ACCOUNT_ID}.r2.cloudflarestorage.com"
    assert acc.region == "us-east-1"
    assert acc.api_token is not None and acc.api_token.reveal() == "cf-token"
    assert acc.graphql_url == "http://127.0.0.1:9/gql"
    assert acc.access_key_id is not None and acc.access_key_id.reveal() == KEY_ID


def test_env_endpoint_overrides_the_derived_one() -> None:
    env = {**CREDS, "R2_ACCOUNT_ID": ACCOUNT_ID, "R2_ENDPOINT_URL": "http://127.0.0.1:9000/"}
    (acc,) = load_config(None, env=env).accounts
    assert acc.endpoint_url == "http://127.0.0.1:9000"
    assert acc.account_id == ACCOUNT_ID


def test_env_endpoint_alone_is_enough() -> None:
    (acc,) = load_config(None, env={**CREDS, "R2_ENDPOINT_URL": "http://s3.local"}).accounts
    assert acc.endpoint_url == "http://s3.local" and acc.account_id is None


def test_file_accounts_win_over_env_account(tmp_path: Path) -> None:
    other = "f" * 32
    cfg = load_config(str(write(tmp_path, MAIN)), env={**CREDS, "R2_ACCOUNT_ID": other})
    assert [a.account_id for a in cfg.accounts] == [ACCOUNT_ID]


@pytest.mark.parametrize("jurisdiction", ["eu", "fedramp", "EU"])
def test_jurisdiction_endpoint(tmp_path: Path, jurisdiction: str) -> None:
    path = write(tmp_path, MAIN + f'jurisdiction = "{jurisdiction}"\n')
    (acc,) = load_config(str(path), env=CREDS).accounts
    assert acc.endpoint_url == (
        f"https://{ACCOUNT_ID}.{jurisdiction.lower()}.r2.cloudflarestorage.com")


def test_explicit_endpoint_url_wins_over_account_id(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN + 'endpoint_url = "https://minio.internal:9000/"\n')
    (acc,) = load_config(str(path), env=CREDS).accounts
    assert acc.endpoint_url == "https://minio.internal:9000"


def test_secrets_from_files_env_and_inline(tmp_path: Path) -> None:
    key_file = write(tmp_path, f"  {KEY_ID}\n", "key-id")
    secret_file = write(tmp_path, f"{SECRET}\n", "secret")
    path = write(tmp_path, MAIN + (
        f'access_key_id_file = "{key_file}"\nsecret_access_key_file = "{secret_file}"\n'
        'api_token_env = "MY_CF_TOKEN"\n'))
    (acc,) = load_config(str(path), env={"MY_CF_TOKEN": "tok"}).accounts
    assert acc.access_key_id is not None and acc.access_key_id.reveal() == KEY_ID
    assert acc.secret_access_key is not None and acc.secret_access_key.reveal() == SECRET
    assert acc.secret_access_key.source == f"file {secret_file}"
    assert acc.api_token is not None and acc.api_token.reveal() == "tok"
    assert acc.api_token.source == "env MY_CF_TOKEN"


def test_a_secret_loses_the_line_break_a_file_or_a_shell_left_on_it(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN)
    (acc,) = load_config(str(path), env={**CREDS, "CLOUDFLARE_API_TOKEN": "cf-tok\r\n"}).accounts
    assert acc.api_token is not None and acc.api_token.reveal() == "cf-tok"


def test_a_secret_with_inner_whitespace_is_refused_without_being_echoed(tmp_path: Path) -> None:
    token = "cf-tok-very-secret\r-tail"
    err = fail(write(tmp_path, MAIN), env={**CREDS, "CLOUDFLARE_API_TOKEN": token})
    message = problem(err, "accounts.main.api_token").message
    assert "env CLOUDFLARE_API_TOKEN" in message and "line breaks" in message
    assert "very-secret" not in str(err)


def test_secret_file_path_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path, SECRET, "secret")
    path = write(tmp_path, MAIN + 'secret_access_key_file = "~/secret"\n')
    (acc,) = load_config(str(path), env={"R2_ACCESS_KEY_ID": KEY_ID}).accounts
    assert acc.secret_access_key is not None and acc.secret_access_key.reveal() == SECRET


def test_profile_stands_in_for_keys(tmp_path: Path) -> None:
    (acc,) = load_config(str(write(tmp_path, MAIN + 'profile = "r2"\n')), env={}).accounts
    assert acc.profile == "r2" and acc.access_key_id is None


def test_secret_never_reveals_its_value(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN + f'secret_access_key = "{SECRET}"\n')
    cfg = load_config(str(path), env={"R2_ACCESS_KEY_ID": KEY_ID, "CLOUDFLARE_API_TOKEN": SECRET})
    acc = cfg.accounts[0]
    assert acc.secret_access_key is not None
    assert acc.secret_access_key.reveal() == SECRET
    for shown in (repr(acc.secret_access_key), str(acc.secret_access_key), repr(acc), str(acc),
                  repr(cfg), str(cfg), f"{acc.api_token}", repr([acc])):
        assert SECRET not in shown
        assert KEY_ID not in shown
    assert "config file" in repr(acc.secret_access_key)


def test_secret_equality_does_not_need_the_source() -> None:
    assert Secret("a", "env X") == Secret("a", "file y")
    assert Secret("a", "env X") != Secret("b", "env X")
    assert len({Secret("a", "x"), Secret("a", "y")}) == 1


def test_store_url_precedence(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN + '[store]\nurl = "sqlite:////from/file.db"\n')
    env = {**CREDS, "R2TUI_DB": "sqlite:////from/env.db"}
    cfg = load_config(str(path), "sqlite:////from/flag.db", env=env)
    assert (cfg.store_url, cfg.store_url_source) == ("sqlite:////from/flag.db", "--db")
    cfg = load_config(str(path), env=env)
    assert (cfg.store_url, cfg.store_url_source) == ("sqlite:////from/env.db", "R2TUI_DB")
    cfg = load_config(str(path), env=CREDS)
    assert cfg.store_url == "sqlite:////from/file.db"
    assert cfg.store_url_source == f"{path}: store.url"
    cfg = load_config(str(write(tmp_path, MAIN, "plain.toml")), env=CREDS)
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert cfg.store_url == f"sqlite:///{data_home / 'r2tui' / 'r2tui.db'}"
    assert cfg.store_url.startswith("sqlite:////"), "an absolute path needs four slashes"
    assert cfg.store_url_source == "default"


def test_unknown_store_key_is_reported(tmp_path: Path) -> None:
    err = fail(write(tmp_path, MAIN + '[store]\nuri = "sqlite://"\n'))
    assert "did you mean 'url'?" in problem(err, "store.uri").message


def test_demo_keeps_to_its_own_store_and_schedules(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN + '[store]\nurl = "sqlite:////from/file.db"\n'
                 '[schedule]\ncollect_metrics = "1h"\ninventory = "1d"\n')
    env = {"R2TUI_DB": "sqlite:////from/env.db"}  # no credentials: the demo needs none
    cfg = load_config(str(path), env=env, demo=True)
    assert cfg.demo is True and cfg.accounts == ()
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert cfg.store_url == f"sqlite:///{data_home / 'r2tui' / 'demo.db'}"
    assert cfg.store_url_source == "demo default"
    assert {j: s.text for j, s in cfg.schedules.items()} == DEMO_SCHEDULES
    assert cfg.schedules["collect_metrics"].seconds == 30
    assert cfg.schedules["inventory"].seconds == 120
    cfg = load_config(str(path), "sqlite:////from/flag.db", env=env, demo=True)
    assert (cfg.store_url, cfg.store_url_source) == ("sqlite:////from/flag.db", "--db")


def test_demo_still_validates_the_file(tmp_path: Path) -> None:
    err = fail(write(tmp_path, "[schedule]\ninventroy = \"1d\"\n"), env={}, demo=True)
    assert [p.key for p in err.problems] == ["schedule.inventroy"]


def test_r2tui_config_variable_picks_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "refresh_seconds = 2.5\n" + MAIN, "elsewhere.toml")
    cfg = load_config(None, env={**CREDS, "R2TUI_CONFIG": str(path)})
    assert cfg.path == path and cfg.refresh_seconds == 2.5
    # --config beats the variable.
    flag = write(tmp_path, "refresh_seconds = 7\n" + MAIN, "flag.toml")
    cfg = load_config(str(flag), env={**CREDS, "R2TUI_CONFIG": str(path)})
    assert cfg.path == flag and cfg.refresh_seconds == 7.0


def test_default_path_follows_xdg_config_home(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "custom-config-home"
    target = home / "r2tui" / "config.toml"
    target.parent.mkdir(parents=True)
    target.write_text("refresh_seconds = 3\n" + MAIN, encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    cfg = load_config(None, env={**os.environ, **CREDS})
    assert cfg.path == target and cfg.refresh_seconds == 3.0
    # A missing default file is no error: the environment may carry everything.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    cfg = load_config(None, env={**os.environ, **CREDS, "R2_ACCOUNT_ID": ACCOUNT_ID})
    assert cfg.path is None and cfg.accounts[0].name == "default"


def test_settings_tables_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, 'timezone = "Europe/Berlin"\n' + MAIN + (
        '[schedule]\ncollect_metrics = "1h30m"\ncheck_alerts = 45\n'
        'daily_report = "30 6 * * 1-5"\n'
        '[inventory]\ntop_n = 5\nnewest_n = 7\nlarge_object = "1.5 GiB"\nmax_extensions = 9\n'
        'page_size = 250\nconcurrency = 4\n'
        '[retention]\njob_runs_days = 3\nevents_days = 4\ninventories_kept = 2\n'
        '[s3]\nconnect_timeout = 1\nread_timeout = 2.5\nmax_attempts = 1\n'
        '[keymap]\nrefresh = "space,r"\n'
    ))
    cfg = load_config(str(path), env=CREDS)
    assert cfg.timezone == "Europe/Berlin"
    assert cfg.schedules["collect_metrics"].seconds == 5400
    assert cfg.schedules["check_alerts"].seconds == 45
    assert cfg.schedules["check_alerts"].kind == "interval"
    daily = cfg.schedules["daily_report"]
    assert daily.kind == "cron" and daily.text == "30 6 * * 1-5"
    assert daily.cron == "30 6 * * mon,tue,wed,thu,fri"
    assert cfg.inventory.top_n == 5 and cfg.inventory.newest_n == 7
    assert cfg.inventory.large_object_bytes == int(1.5 * 2**30)
    assert cfg.inventory.max_extensions == 9 and cfg.inventory.page_size == 250
    assert cfg.inventory.concurrency == 4
    assert (cfg.retention.job_runs_days, cfg.retention.events_days,
            cfg.retention.inventories_kept) == (3, 4, 2)
    assert cfg.s3.connect_timeout == 1.0 and cfg.s3.read_timeout == 2.5
    assert cfg.s3.max_attempts == 1
    assert cfg.keymap == {"refresh": "space,r"}


def test_several_accounts_keep_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, (
        f'[accounts.zeta]\naccount_id = "{ACCOUNT_ID}"\n'
        '[accounts.alpha]\nendpoint_url = "http://127.0.0.1:1"\nquota = "1 TB"\n'
        'include = "media-*"\n'))
    cfg = load_config(str(path), env=CREDS)
    assert [a.name for a in cfg.accounts] == ["zeta", "alpha"]
    assert cfg.account().name == "zeta"
    assert cfg.account("alpha").quota_bytes == 10**12
    assert cfg.account("alpha").include == ("media-*",)
    with pytest.raises(KeyError):
        cfg.account("nope")


def test_bucket_globs() -> None:
    acc = AccountConfig(name="a", endpoint_url="http://x", include=("media-*", "logs"),
                        exclude=("*-tmp", "media-private"))
    wanted = {b: acc.wants_bucket(b) for b in (
        "media-eu", "media-eu-tmp", "media-private", "logs", "logs-old", "other", "Media-eu")}
    assert wanted == {"media-eu": True, "media-eu-tmp": False, "media-private": False,
                      "logs": True, "logs-old": False, "other": False, "Media-eu": False}
    assert AccountConfig(name="b", endpoint_url="http://x").wants_bucket("anything")


def test_probe_globs(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN + '[accounts.main.probe]\nenabled = true\n'
                 'buckets = ["canary-*"]\nprefix = "_probe/"\n')
    (acc,) = load_config(str(path), env=CREDS).accounts
    assert acc.probe.prefix == "_probe/"
    assert acc.probes_bucket("canary-1") and not acc.probes_bucket("media")
    off = AccountConfig(name="x", endpoint_url="http://x")
    assert not off.probes_bucket("canary-1")


# --- value parsers -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("5m", 300), ("6h", 21600), ("1d", 86400), ("1w", 604800),
    ("1h30m", 5400), ("1h 30m", 5400), ("2M", 120), (90, 90)])
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m5", "5x", "-5m", "5m garbage", True, 0, -1, 1.5])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "size"), [
    (500, 500), ("500", 500), ("1 KB", 1000), ("2kib", 2048), ("1.5 TiB", int(1.5 * 2**40)),
    ("3 GB", 3 * 10**9), (" 7 pb ", 7 * 10**15)])
def test_sizes(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GB", "5 XB", "-1 GB", "0.0000001 B", True, 1.5, -3])
def test_bad_sizes(text: object) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize(("text", "cron"), [
    ("0 3 * * *", "0 3 * * *"),
    ("0  3 * *  *", "0 3 * * *"),
    ("0 9 * * 1", "0 9 * * mon"),
    ("0 9 * * 0", "0 9 * * sun"),
    ("0 9 * * 7", "0 9 * * sun"),
    ("0 9 * * 5-7", "0 9 * * sun,fri,sat"),
    ("0 9 * * MON-fri", "0 9 * * mon,tue,wed,thu,fri"),
    ("0 9 * * */2", "0 9 * * sun,tue,thu,sat"),
    ("0 9 * * 1-5/2", "0 9 * * mon,wed,fri"),
    ("0 9 * * 0-6", "0 9 * * *"),
    ("0 9 * * sat,1", "0 9 * * mon,sat"),
])
def test_cron_weekdays_follow_crontab(text: str, cron: str) -> None:
    assert parse_cron(text) == cron
    assert parse_schedule(text) == (None, cron)


def test_cron_weekday_runs_on_the_day_written() -> None:
    """APScheduler 3.x numbers weekdays from Monday = 0; crontab from Sunday = 0.
    The normalised line must fire on the crontab day."""
    from datetime import UTC, datetime

    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(parse_cron("0 9 * * 1"), timezone=UTC)
    fire = trigger.get_next_fire_time(None, datetime(2025, 1, 1, tzinfo=UTC))  # a Wednesday
    assert fire is not None and fire.strftime("%A %H:%M") == "Monday 09:00"


@pytest.mark.parametrize("text", ["0 9 * * 8", "0 9 * * funday", "0 9 * * 5-2",
                                  "0 9 * * 1/0", "0 9 * * 1-", "0 9 * * ,"])
def test_bad_cron_weekdays(text: str) -> None:
    with pytest.raises(ValueError, match="invalid cron schedule"):
        parse_cron(text)


def test_nan_is_never_a_duration_or_size() -> None:
    for parser in (parse_duration, parse_size):
        with pytest.raises(ValueError):
            parser(math.nan)
