"""Bounds for every value of the config file, its size and its depth, and one
validation: what `r2tui config check` accepts, `r2tui collect` builds and runs.

Each bad value is refused by name, with the range a person would set ("at most
10 years"); NaN and infinity never pass; a file above 1 MiB or nested deeper
than 100 levels gets a message, not a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest

from r2tui.config import ConfigError, load_config
from r2tui.costs.bill import Usage, bill
from r2tui.literal import quoted
from tests.support.config_data import CREDS, MAIN, fail, problem, write

CliRun = Callable[..., tuple[int, str, str]]
MIB = 1 << 20
# An account with its credentials in the file: `r2tui` run in-process reads no test env.
ACCOUNT = MAIN + 'access_key_id = "key-id"\nsecret_access_key = "secret"\n'

# (file text, the problem's key, parts its message must hold)
OUT_OF_BOUNDS = [
    pytest.param(
        MAIN + "[collector]\nlease_seconds = 0.5\n",
        "collector.lease_seconds",
        ["from 1 to 3600 s (1 hour)", "0.5"],
        id="lease-too-short",
    ),
    pytest.param(
        MAIN + "[collector]\nlease_seconds = 7200\n",
        "collector.lease_seconds",
        ["from 1 to 3600 s (1 hour)", "7200"],
        id="lease-too-long",
    ),
    pytest.param(
        MAIN + "[collector]\nstop_seconds = 601\n",
        "collector.stop_seconds",
        ["above 0 and at most 600 s (10 minutes)", "601"],
        id="stop-too-long",
    ),
    pytest.param(
        MAIN + "[collector]\nlease = 60\n",
        "collector.lease",
        [],
        id="lease-unknown-key",
    ),
    # The issue's examples.
    pytest.param(
        MAIN + "[schedule]\ncollect_metrics = 12345678901234567890\n",
        "schedule.collect_metrics",
        ["at most 10 years", "12345678901234567890"],
        id="20-digit-duration",
    ),
    pytest.param(
        MAIN + '[schedule]\nrollup = "99999999999999999999s"\n',
        "schedule.rollup",
        ["at most 10 years", "'99999999999999999999s'"],
        id="20-digit-duration-text",
    ),
    pytest.param(
        MAIN + "[retention]\nsamples_days = 100000000000000000000\n",
        "retention.samples_days",
        ["at most 36,500 days (100 years)"],
        id="retention-1e20-days",
    ),
    pytest.param(
        MAIN + "[s3]\nconnect_timeout = 1e308\n",
        "s3.connect_timeout",
        ["above 0 and at most 3600 s (1 hour)", "1e+308"],
        id="timeout-1e308",
    ),
    pytest.param(
        MAIN + "[pricing]\nstandard_storage_gb_month = 1e308\n",
        "pricing.standard_storage_gb_month",
        ["at most 1,000,000 USD", "1e+308"],
        id="price-1e308",
    ),
    pytest.param(
        MAIN + "[costs]\nspike_pct = nan\n",
        "costs.spike_pct",
        ["percentage above 0 and at most 100,000", "nan"],
        id="spike-pct-nan",
    ),
    pytest.param(
        MAIN + '[schedule]\ninventory = "0 0 31 2 *"\n',
        "schedule.inventory",
        ["'0 0 31 2 *' never fires", "31 February"],
        id="cron-31-february",
    ),
    # More of the same kinds.
    pytest.param(
        MAIN + '[schedule]\ninventory = "0 0 31 4 *"\n',
        "schedule.inventory",
        ["never fires"],
        id="cron-31-april",
    ),
    pytest.param(
        MAIN + '[schedule]\ninventory = "0 12 30 2 mon"\n',
        "schedule.inventory",
        ["never fires"],
        id="cron-30-february-on-mondays",
    ),
    pytest.param(
        MAIN + '[schedule]\ninventory = "3651d"\n',
        "schedule.inventory",
        ["at most 10 years"],
        id="interval-above-10-years",
    ),
    pytest.param(
        MAIN + "[schedule]\ncollect_metrics = -0.0\n",
        "schedule.collect_metrics",
        ["expected an interval", "-0.0"],
        id="negative-zero-interval",
    ),
    pytest.param(
        MAIN + "[retention]\nevents_days = -0.0\n",
        "retention.events_days",
        ["expected a whole number", "-0.0"],
        id="negative-zero-days",
    ),
    pytest.param(
        MAIN + "[retention]\nsamples_days = true\n",
        "retention.samples_days",
        ["expected a whole number", "a boolean True"],
        id="boolean-days",
    ),
    pytest.param(
        MAIN + "[retention]\ninventories_kept = 10001\n",
        "retention.inventories_kept",
        ["at most 10,000"],
        id="inventories-kept",
    ),
    pytest.param(
        MAIN + "[s3]\nread_timeout = inf\n",
        "s3.read_timeout",
        ["at most 3600 s", "inf"],
        id="timeout-inf",
    ),
    # A whole number beyond any float: math.isfinite() raised OverflowError (found by the fuzz).
    pytest.param(
        MAIN + "[s3]\nconnect_timeout = 1" + "0" * 400 + "\n",
        "s3.connect_timeout",
        ["at most 3600 s", "(401 characters)"],
        id="timeout-401-digits",
    ),
    pytest.param(
        MAIN + "[pricing]\nia_storage_gb_month = 1" + "0" * 400 + "\n",
        "pricing.ia_storage_gb_month",
        ["at most 1,000,000 USD"],
        id="price-401-digits",
    ),
    pytest.param(
        MAIN + "[costs]\nspike_pct = 1" + "0" * 400 + "\n",
        "costs.spike_pct",
        ["at most 100,000"],
        id="spike-pct-401-digits",
    ),
    pytest.param(
        MAIN + "[s3]\nconnect_timeout = -0.0\n",
        "s3.connect_timeout",
        ["above 0", "-0.0"],
        id="timeout-negative-zero",
    ),
    pytest.param(
        MAIN + "[s3]\nmax_attempts = 51\n", "s3.max_attempts", ["at most 50"], id="attempts"
    ),
    pytest.param(
        "refresh_seconds = 0.01\n" + MAIN,
        "refresh_seconds",
        ["from 0.5 to 3600 s", "0.01"],
        id="refresh-too-fast",
    ),
    pytest.param(
        MAIN + "[inventory]\ntop_n = 1001\n",
        "inventory.top_n",
        ["at most 1000 objects"],
        id="top-n",
    ),
    pytest.param(
        MAIN + "[inventory]\nprefix_depth = -1\n",
        "inventory.prefix_depth",
        ["from 0 (no prefixes) to 20 levels", "-1"],
        id="prefix-depth",
    ),
    pytest.param(
        MAIN + "[inventory]\nprefix_entries = 100001\n",
        "inventory.prefix_entries",
        ["at most 100,000 prefixes per bucket"],
        id="prefix-entries",
    ),
    pytest.param(
        MAIN + '[inventory]\nlarge_object = "6 TiB"\n',
        "inventory.large_object",
        ["at most 5 TiB", "'6 TiB'"],
        id="large-object",
    ),
    pytest.param(
        MAIN + 'quota = "1025 PiB"\n', "accounts.main.quota", ["at most 1 EiB"], id="quota"
    ),
    pytest.param(
        MAIN + "[pricing]\nfree_class_a = 1e16\n",
        "pricing.free_class_a",
        ["at most 1e+15 requests"],
        id="free-tier",
    ),
    pytest.param(
        MAIN + "[pricing]\nbilling_period_days = 367\n",
        "pricing.billing_period_days",
        ["at most 366 days"],
        id="billing-period",
    ),
    pytest.param(
        MAIN + "[pricing]\nia_class_a_per_million = -inf\n",
        "pricing.ia_class_a_per_million",
        ["0 or more", "-inf"],
        id="price-minus-inf",
    ),
    pytest.param(
        MAIN + "[costs]\nspike_min_usd = inf\n",
        "costs.spike_min_usd",
        ["at most 1,000,000", "inf"],
        id="spike-min-inf",
    ),
    pytest.param(
        MAIN + "[costs]\nspike_baseline_days = 366\n",
        "costs.spike_baseline_days",
        ["at most 365 days"],
        id="spike-baseline",
    ),
    pytest.param(
        MAIN + "[alerts]\nmax_per_hour = 3601\n",
        "alerts.max_per_hour",
        ["at most 3600 (one a second)"],
        id="alerts-max-per-hour",
    ),
    pytest.param(
        MAIN + '[alerts]\nbackoff = "2d"\n',
        "alerts.backoff",
        ["at most 1 day"],
        id="alerts-backoff",
    ),
    pytest.param(
        MAIN + "[alerts]\nrepeat_interval = 1000000000000\n",
        "alerts.repeat_interval",
        ["at most 10 years"],
        id="alerts-repeat",
    ),
    pytest.param(
        MAIN + '[channels.ops]\ntype = "webhook"\nurl = "http://127.0.0.1:9/"\ntimeout = 1e308\n',
        "channels.ops.timeout",
        ["at most 3600 s"],
        id="channel-timeout",
    ),
    pytest.param(
        MAIN + '[channels.mail]\ntype = "email"\nhost = "h"\nfrom = "a@b"\n'
        'to = ["c@d"]\nport = 100000000000000000000000000000\n',
        "channels.mail.port",
        ["from 1 to 65535"],
        id="smtp-port",
    ),
    # Names and text.
    pytest.param(
        'timezone = "' + "x" * 300 + '"\n' + MAIN,
        "timezone",
        ["at most 200 characters", "(302 characters)"],
        id="timezone-300",
    ),
    pytest.param(
        MAIN.replace("main", "m" * 201),
        "accounts." + quoted("m" * 201, 100),
        ["at most 200 characters"],
        id="account-name-201",
    ),
    pytest.param(
        MAIN + 'region = "us east"\n',
        "accounts.main.region",
        ["letters, digits and -", "'us east'"],
        id="region-with-space",
    ),
    pytest.param(
        MAIN + '[[alerts.maintenance]]\nname = "' + "n" * 201 + '"\nstart = "22:00"\n'
        'end = "02:00"\n',
        "alerts.maintenance[0].name",
        ["at most 200 characters"],
        id="window-name",
    ),
    pytest.param(
        MAIN + '[[alerts.maintenance]]\nstart = "22:00"\nend = "02:00"\n'
        'matchers = ["bucket=' + "b" * 1001 + '"]\n',
        "alerts.maintenance[0].matchers",
        ["at most 1,000 characters"],
        id="window-matcher",
    ),
]


@pytest.mark.parametrize(("text", "key", "parts"), OUT_OF_BOUNDS)
def test_a_value_out_of_bounds_is_named_with_its_range(
    tmp_path: Path, text: str, key: str, parts: list[str]
) -> None:
    err = fail(write(tmp_path, text))
    message = problem(err, key).message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def test_config_check_refuses_every_example_of_the_issue_at_once(
    tmp_path: Path, cli: CliRun
) -> None:
    path = write(
        tmp_path,
        ACCOUNT
        + "\n".join(
            [
                "[schedule]",
                "collect_metrics = 12345678901234567890",
                'inventory = "0 0 31 2 *"',
                "[retention]",
                "samples_days = 100000000000000000000",
                "[s3]",
                "connect_timeout = 1e308",
                "[pricing]",
                "standard_storage_gb_month = 1e308",
                "[costs]",
                "spike_pct = nan",
                "",
            ]
        ),
    )
    code, out, err = cli("config", "check", "--config", str(path))
    assert (code, out) == (2, "")
    assert "Traceback" not in err and "6 configuration errors" in err
    for key in (
        "schedule.collect_metrics",
        "schedule.inventory",
        "retention.samples_days",
        "s3.connect_timeout",
        "pricing.standard_storage_gb_month",
        "costs.spike_pct",
    ):
        assert f"{path}: {key}: " in err


def test_a_200000_character_value_is_named_not_printed(tmp_path: Path, cli: CliRun) -> None:
    long = "x" * 200_000
    path = write(
        tmp_path,
        f'timezone = "{long}"\n[accounts."{long}"]\n[accounts.main]\n'
        f'account_id = "0123456789abcdef0123456789abcdef"\nregion = "{long}"\n',
    )
    code, _, err = cli("config", "check", "--config", str(path))
    assert code == 2 and "Traceback" not in err
    assert len(err) < 3000, err[:500]
    assert "(200,002 characters)" in err  # the value's repr, cut, with its length said


# --- the file ------------------------------------------------------------------


def test_a_file_above_1_mib_is_refused_and_one_of_1_mib_read(tmp_path: Path) -> None:
    comment = "#" + "x" * 1023 + "\n"
    body = MAIN + comment * (MIB // len(comment))
    exact = write(tmp_path, body[: MIB - 1] + "\n", "exact.toml")
    assert exact.stat().st_size == MIB
    assert load_config(str(exact), env=CREDS).accounts[0].name == "main"
    over = write(tmp_path, body[:MIB] + "\n", "over.toml")
    message = problem(fail(over), "(file)").message
    assert message.startswith("cannot read: larger than 1,024 KiB (1 MiB)")


def test_an_endless_device_is_refused_unread(tmp_path: Path) -> None:
    """/dev/zero never ends: the old loader read it until memory ran out."""
    err = fail(Path("/dev/zero"))
    assert "it is a character device, not a regular file" in problem(err, "(file)").message


@pytest.mark.parametrize(
    ("nested", "says"),
    [
        pytest.param(
            "a = " + "[" * 3000 + "]" * 3000, "nested deeper than 100 levels", id="arrays-3000"
        ),
        pytest.param(
            "a = " + "[" * 101 + "]" * 101, "nested deeper than 100 levels", id="arrays-101"
        ),
        pytest.param(
            "a = " + "{b = " * 3000 + "1" + "}" * 3000,
            "nested deeper than 100 levels",
            id="inline-tables-3000",
        ),
        pytest.param("a = " + "[" * 3000, "nested deeper than 100 levels", id="never-closed"),
        pytest.param(
            "a" + ".a" * 5000 + " = 1", "dotted key of more than 20 parts", id="dotted-key-5000"
        ),
        pytest.param(
            "[" + ".".join(["t"] * 21) + "]",
            "dotted key of more than 20 parts",
            id="table-header-21",
        ),
        pytest.param("a = " + "9" * 5000, "a number of more than 4,300 digits", id="5000-digits"),
    ],
)
def test_deep_or_unparseable_toml_gets_a_message(
    tmp_path: Path, cli: CliRun, nested: str, says: str
) -> None:
    path = write(tmp_path, MAIN + "[inventory]\n" + nested + "\n")
    assert says in problem(fail(path), "(syntax)").message
    code, _, err = cli("config", "check", "--config", str(path))
    assert code == 2 and "Traceback" not in err and says in err


def test_100_levels_and_20_key_parts_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        MAIN + "[inventory]\nx = " + "[" * 99 + "]" * 99 + "\n" + ".".join(["y"] * 20) + " = 1\n",
    )
    err = fail(path)  # parsed; refused for its unknown keys only
    assert {p.key for p in err.problems} == {"inventory.x", "inventory.y"}


def test_recursion_in_the_parser_is_refused_even_past_the_pre_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last resort: were the text pre-check wrong, tomllib's RecursionError
    still becomes a message."""
    from r2tui.config import tomlfile

    monkeypatch.setattr(tomlfile, "text_depth", lambda text: (0, 0))
    path = write(tmp_path, MAIN + "a = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested deeper than 100" in problem(fail(path), "(syntax)").message


def test_thousands_of_unknown_keys_make_a_short_message(tmp_path: Path) -> None:
    """A 1 MiB file holds 100,000 of them: once each took 10 s of difflib and a
    100,000-line message."""
    path = write(tmp_path, MAIN + "".join(f"[k{i}]\n" for i in range(2000)))
    err = fail(path)
    assert len(err.problems) == 21  # 20 named, then "and 1,980 more"
    assert "and 1,980 more unknown keys" in str(err)


# --- one validation: what config check accepts, collect runs ---------------------------

AT_THE_BOUNDS = (
    """
refresh_seconds = 3600
[schedule]
collect_metrics = "3650d"
rollup = 1
inventory = "0 0 29 2 *"
[retention]
samples_days = 36500
hourly_days = 36500
daily_days = 36500
job_runs_days = 36500
events_days = 36500
inventories_kept = 10000
[s3]
connect_timeout = 3600
read_timeout = 0.001
max_attempts = 50
[inventory]
large_object = "5 TiB"
top_n = 1000
[pricing]
standard_storage_gb_month = 1000000
standard_class_a_per_million = 1000000
ia_retrieval_per_gb = 1000000
free_class_a = 1000000000000000
bytes_per_gb = 1
billing_period_days = 1
ia_minimum_days = 3650
[costs]
spike_pct = 100000
spike_min_usd = 1000000
spike_baseline_days = 365
[alerts]
repeat_interval = "520w"
backoff = "1d"
backoff_max = "7d"
max_per_hour = 3600
max_attempts = 100
"""
    + ACCOUNT
    + "[accounts.main.probe]\nenabled = true\nrequests_per_month = 10_000_000_000\n"
)


def test_a_config_at_every_bound_builds_and_runs_what_collect_does(
    tmp_path: Path, cli: CliRun
) -> None:
    from datetime import UTC, datetime

    from r2tui.config.triggers import trigger_for, zone_for
    from r2tui.costs.probes import account_plan, due
    from r2tui.jobs import JobContext
    from r2tui.scheduler import Collector
    from r2tui.sources.s3 import make_client
    from r2tui.store import open_store, rollups, writes

    db = tmp_path / "bounds.db"
    path = write(tmp_path, AT_THE_BOUNDS + f'[store]\nurl = "sqlite:///{db}"\n')
    code, _, err = cli("config", "check", "--config", str(path))
    assert code == 0, err
    config = load_config(str(path), env=CREDS)
    store = open_store(f"sqlite:///{db}")
    try:
        collector = Collector(JobContext(config=config, store=store))
        plan = collector.plan()
        now = datetime.now(UTC)
        for job in collector.scheduled_jobs():
            trigger = trigger_for(config.schedules[job], zone_for(job, config.timezone))
            assert plan[job] is not None or trigger.get_next_fire_time(None, now) is not None
        make_client(config.accounts[0], config.s3)
        # The largest probe budget over a one-day month, one run in ten years: exact.
        probe_plan = account_plan(config, config.accounts[0], ["b"] * 1000)
        assert probe_plan is not None and probe_plan.mode == "every_run"
        assert due(probe_plan.budget_probes, 86400, 2**40, None, 3650 * 86400) > 0
        writes.add_samples(store, "main", [writes.SampleRow("total_bytes", 1.0)])
        rollups.purge(store, config.retention)
        writes.purge(store, config.retention.job_runs_days, config.retention.events_days)
    finally:
        store.close()
    # An exabyte-month and a quadrillion requests at the highest prices: exact, no overflow.
    huge = Usage(
        standard_gb_month=Decimal(10**12), standard_class_a=10**15, ia_retrieval_gb=Decimal(10**12)
    )
    assert bill(huge, config.pricing).total > 0
    # And the collector runs a job with it.
    code, out, err = cli("collect", "--once", "--job", "rollup", "--config", str(path))
    assert code == 0, err
    assert out.startswith("rollup ") and " ok " in out
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM job_run").fetchone() == (1,)


def test_an_aws_profile_boto3_cannot_find_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector's S3 client would raise ProfileNotFound on every run (found
    by the fuzz): the config names the profiles there are."""
    monkeypatch.setenv(
        "AWS_CONFIG_FILE", str(write(tmp_path, "[profile r2]\n[default]\n", "aws-config"))
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    err = fail(write(tmp_path, MAIN + 'profile = "r3"\n'), env={})
    assert problem(err, "accounts.main.profile").message == (
        "no AWS profile 'r3' in ~/.aws/config or ~/.aws/credentials; known: 'default', 'r2'"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://u:PASS@12{7.0.0.1:9",
        "http://u:PASS@host:99999",
        "http://u:PASS@a_b.example",
        "http://u:PASS@host\\t/",
    ],
)
def test_an_endpoint_boto3_would_refuse_is_refused_without_its_credentials(
    tmp_path: Path, url: str
) -> None:
    """botocore raised "Invalid endpoint: <the whole URL>" when the collector
    built its client (found by the fuzz)."""
    err = fail(write(tmp_path, f'[accounts.main]\nendpoint_url = "{url}"\n'))
    assert "URL with a host" in problem(err, "accounts.main.endpoint_url").message
    assert "PASS" not in str(err)


def test_the_bad_examples_never_reach_the_collector(tmp_path: Path) -> None:
    """What failed in `collect` (a 20-digit interval: OverflowError building its
    trigger) is a ConfigError at load, before a store or scheduler exists."""
    path = write(tmp_path, MAIN + "[schedule]\ncollect_metrics = 12345678901234567890\n")
    with pytest.raises(ConfigError):
        load_config(str(path), env=CREDS)
