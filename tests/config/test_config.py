"""Good configs: every good file (and the environment alone) yields the
settings it describes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from r2tui.config import (
    DEFAULT_GRAPHQL_URL,
    DEFAULT_SCHEDULES,
    AccountConfig,
    Secret,
    load_config,
)
from r2tui.config.model import DEMO_SCHEDULES
from r2tui.config.template import STARTER
from tests.support.config_data import ACCOUNT_ID, CREDS, KEY_ID, MAIN, SECRET, fail, problem, write


def test_starter_template_loads_with_env_credentials(tmp_path: Path) -> None:
    path = write(tmp_path, STARTER.replace("PUT-YOUR-ACCOUNT-ID-HERE", ACCOUNT_ID))
    cfg = load_config(str(path), env=CREDS)
    assert cfg.path == path
    (acc,) = cfg.accounts
    assert acc.name == "main"
    assert acc.account_id == ACCOUNT_ID
    assert acc.endpoint_url.reveal() == f"https://{ACCOUNT_ID}.r2.cloudflarestorage.com"
    assert acc.region == "auto"
    assert acc.access_key_id is not None and acc.access_key_id.reveal() == KEY_ID
    assert acc.secret_access_key is not None and acc.secret_access_key.reveal() == SECRET
    assert acc.secret_access_key.source == "env R2_SECRET_ACCESS_KEY"
    assert acc.api_token is None and acc.profile is None
    assert acc.graphql_url.reveal() == DEFAULT_GRAPHQL_URL
    assert acc.include == ("*",) and acc.exclude == ()
    assert acc.probe.enabled is False and acc.probe.prefix == ".r2tui-probe/"
    assert acc.probe.requests_per_month == 400_000
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
    assert {p.key for p in err.problems} == {
        "accounts.main.account_id",
        "accounts.main.access_key_id_env",
        "accounts.main.secret_access_key_env",
    }
    assert "32-character hexadecimal Cloudflare account id" in str(err)


def test_env_only_account() -> None:
    env = {
        **CREDS,
        "R2_ACCOUNT_ID": ACCOUNT_ID.upper(),
        "R2_REGION": "us-east-1",
        "CLOUDFLARE_API_TOKEN": "cf-token",
        "CLOUDFLARE_GRAPHQL_URL": "http://127.0.0.1:9/gql/",
    }
    cfg = load_config(None, env=env)
    assert cfg.path is None
    (acc,) = cfg.accounts
    assert acc.name == "default"
    assert acc.account_id == ACCOUNT_ID  # normalised to lower case
    assert acc.endpoint_url.reveal() == f"https://{ACCOUNT_ID}.r2.cloudflarestorage.com"
    assert acc.region == "us-east-1"
    assert acc.api_token is not None and acc.api_token.reveal() == "cf-token"
    assert acc.graphql_url.reveal() == "http://127.0.0.1:9/gql"
    assert acc.access_key_id is not None and acc.access_key_id.reveal() == KEY_ID


def test_env_endpoint_overrides_the_derived_one() -> None:
    env = {**CREDS, "R2_ACCOUNT_ID": ACCOUNT_ID, "R2_ENDPOINT_URL": "http://127.0.0.1:9000/"}
    (acc,) = load_config(None, env=env).accounts
    assert acc.endpoint_url.reveal() == "http://127.0.0.1:9000"
    assert acc.account_id == ACCOUNT_ID


def test_env_endpoint_alone_is_enough() -> None:
    (acc,) = load_config(None, env={**CREDS, "R2_ENDPOINT_URL": "http://s3.local"}).accounts
    assert acc.endpoint_url.reveal() == "http://s3.local" and acc.account_id is None


def test_file_accounts_win_over_env_account(tmp_path: Path) -> None:
    other = "f" * 32
    cfg = load_config(str(write(tmp_path, MAIN)), env={**CREDS, "R2_ACCOUNT_ID": other})
    assert [a.account_id for a in cfg.accounts] == [ACCOUNT_ID]


@pytest.mark.parametrize("jurisdiction", ["eu", "fedramp", "EU"])
def test_jurisdiction_endpoint(tmp_path: Path, jurisdiction: str) -> None:
    path = write(tmp_path, MAIN + f'jurisdiction = "{jurisdiction}"\n')
    (acc,) = load_config(str(path), env=CREDS).accounts
    assert acc.endpoint_url.reveal() == (
        f"https://{ACCOUNT_ID}.{jurisdiction.lower()}.r2.cloudflarestorage.com"
    )


def test_explicit_endpoint_url_wins_over_account_id(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN + 'endpoint_url = "https://minio.internal:9000/"\n')
    (acc,) = load_config(str(path), env=CREDS).accounts
    assert acc.endpoint_url.reveal() == "https://minio.internal:9000"


def test_secrets_from_files_env_and_inline(tmp_path: Path) -> None:
    key_file = write(tmp_path, f"  {KEY_ID}\n", "key-id")
    secret_file = write(tmp_path, f"{SECRET}\n", "secret")
    path = write(
        tmp_path,
        MAIN
        + (
            f'access_key_id_file = "{key_file}"\nsecret_access_key_file = "{secret_file}"\n'
            'api_token_env = "MY_CF_TOKEN"\n'
        ),
    )
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


def test_profile_stands_in_for_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # boto3 finds the profile where the collector's client will (AWS_CONFIG_FILE).
    monkeypatch.setenv("AWS_CONFIG_FILE", str(write(tmp_path, "[profile r2]\n", "aws-config")))
    (acc,) = load_config(str(write(tmp_path, MAIN + 'profile = "r2"\n')), env={}).accounts
    assert acc.profile == "r2" and acc.access_key_id is None


def test_secret_never_reveals_its_value(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN + f'secret_access_key = "{SECRET}"\n')
    cfg = load_config(str(path), env={"R2_ACCESS_KEY_ID": KEY_ID, "CLOUDFLARE_API_TOKEN": SECRET})
    acc = cfg.accounts[0]
    assert acc.secret_access_key is not None
    assert acc.secret_access_key.reveal() == SECRET
    for shown in (
        repr(acc.secret_access_key),
        str(acc.secret_access_key),
        repr(acc),
        str(acc),
        repr(cfg),
        str(cfg),
        f"{acc.api_token}",
        repr([acc]),
    ):
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
    assert (cfg.store_url.reveal(), cfg.store_url_source) == ("sqlite:////from/flag.db", "--db")
    cfg = load_config(str(path), env=env)
    assert (cfg.store_url.reveal(), cfg.store_url_source) == ("sqlite:////from/env.db", "R2TUI_DB")
    cfg = load_config(str(path), env=CREDS)
    assert cfg.store_url.reveal() == "sqlite:////from/file.db"
    assert cfg.store_url_source == f"{path}: store.url"
    cfg = load_config(str(write(tmp_path, MAIN, "plain.toml")), env=CREDS)
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert cfg.store_url.reveal() == f"sqlite:///{data_home / 'r2tui' / 'r2tui.db'}"
    assert cfg.store_url.reveal().startswith("sqlite:////"), "an absolute path needs four slashes"
    assert cfg.store_url_source == "default"


def test_unknown_store_key_is_reported(tmp_path: Path) -> None:
    err = fail(write(tmp_path, MAIN + '[store]\nuri = "sqlite://"\n'))
    assert "did you mean 'url'?" in problem(err, "store.uri").message


def test_demo_keeps_to_its_own_store_and_schedules(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        MAIN + '[store]\nurl = "sqlite:////from/file.db"\n'
        '[schedule]\ncollect_metrics = "1h"\ninventory = "1d"\n',
    )
    env = {"R2TUI_DB": "sqlite:////from/env.db"}  # no credentials: the demo needs none
    cfg = load_config(str(path), env=env, demo=True)
    assert cfg.demo is True and cfg.accounts == ()
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert cfg.store_url.reveal() == f"sqlite:///{data_home / 'r2tui' / 'demo.db'}"
    assert cfg.store_url_source == "demo default"
    assert {j: s.text for j, s in cfg.schedules.items()} == DEMO_SCHEDULES
    assert cfg.schedules["collect_metrics"].seconds == 30
    assert cfg.schedules["inventory"].seconds == 120
    cfg = load_config(str(path), "sqlite:////from/flag.db", env=env, demo=True)
    assert (cfg.store_url.reveal(), cfg.store_url_source) == ("sqlite:////from/flag.db", "--db")


def test_demo_still_validates_the_file(tmp_path: Path) -> None:
    err = fail(write(tmp_path, '[schedule]\ninventroy = "1d"\n'), env={}, demo=True)
    assert [p.key for p in err.problems] == ["schedule.inventroy"]


def test_r2tui_config_variable_picks_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "refresh_seconds = 2.5\n" + MAIN, "elsewhere.toml")
    cfg = load_config(None, env={**CREDS, "R2TUI_CONFIG": str(path)})
    assert cfg.path == path and cfg.refresh_seconds == 2.5
    # --config beats the variable.
    flag = write(tmp_path, "refresh_seconds = 7\n" + MAIN, "flag.toml")
    cfg = load_config(str(flag), env={**CREDS, "R2TUI_CONFIG": str(path)})
    assert cfg.path == flag and cfg.refresh_seconds == 7.0


def test_default_path_follows_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    path = write(
        tmp_path,
        'timezone = "Europe/Berlin"\n'
        + MAIN
        + (
            '[schedule]\ncollect_metrics = "1h30m"\ncheck_alerts = 45\n'
            'daily_report = "30 6 * * 1-5"\n'
            '[inventory]\ntop_n = 5\nnewest_n = 7\nlarge_object = "1.5 GiB"\nmax_extensions = 9\n'
            "page_size = 250\nconcurrency = 4\nprefix_depth = 0\nprefix_entries = 10\n"
            "[retention]\njob_runs_days = 3\nevents_days = 4\ninventories_kept = 2\n"
            "[s3]\nconnect_timeout = 1\nread_timeout = 2.5\nmax_attempts = 1\n"
            '[keymap]\nrefresh = "space,r"\n'
        ),
    )
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
    assert (cfg.inventory.prefix_depth, cfg.inventory.prefix_entries) == (0, 10)
    assert (
        cfg.retention.job_runs_days,
        cfg.retention.events_days,
        cfg.retention.inventories_kept,
    ) == (3, 4, 2)
    assert cfg.s3.connect_timeout == 1.0 and cfg.s3.read_timeout == 2.5
    assert cfg.s3.max_attempts == 1
    assert cfg.keymap == {"refresh": "space,r"}


def test_several_accounts_keep_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        (
            f'[accounts.zeta]\naccount_id = "{ACCOUNT_ID}"\n'
            '[accounts.alpha]\nendpoint_url = "http://127.0.0.1:1"\nquota = "1 TB"\n'
            'include = "media-*"\n'
        ),
    )
    cfg = load_config(str(path), env=CREDS)
    assert [a.name for a in cfg.accounts] == ["zeta", "alpha"]
    assert cfg.account().name == "zeta"
    assert cfg.account("alpha").quota_bytes == 10**12
    assert cfg.account("alpha").include == ("media-*",)
    with pytest.raises(KeyError):
        cfg.account("nope")


def test_bucket_globs() -> None:
    acc = AccountConfig(
        name="a",
        endpoint_url="http://x",
        include=("media-*", "logs"),
        exclude=("*-tmp", "media-private"),
    )
    wanted = {
        b: acc.wants_bucket(b)
        for b in (
            "media-eu",
            "media-eu-tmp",
            "media-private",
            "logs",
            "logs-old",
            "other",
            "Media-eu",
        )
    }
    assert wanted == {
        "media-eu": True,
        "media-eu-tmp": False,
        "media-private": False,
        "logs": True,
        "logs-old": False,
        "other": False,
        "Media-eu": False,
    }
    assert AccountConfig(name="b", endpoint_url="http://x").wants_bucket("anything")


def test_probe_globs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        MAIN + "[accounts.main.probe]\nenabled = true\n"
        'buckets = ["canary-*"]\nprefix = "_probe/"\nrequests_per_month = 4\n',
    )
    (acc,) = load_config(str(path), env=CREDS).accounts
    assert acc.probe.prefix == "_probe/" and acc.probe.requests_per_month == 4
    assert acc.probes_bucket("canary-1") and not acc.probes_bucket("media")
    off = AccountConfig(name="x", endpoint_url="http://x")
    assert not off.probes_bucket("canary-1")
