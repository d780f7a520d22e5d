"""Load the config from TOML and the environment, validating everything."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from r2tui import paths
from r2tui.config.alert_model import AlertSettings
from r2tui.config.alerting import alerting, channel_names
from r2tui.config.errors import ConfigError, Problem, source_name
from r2tui.config.model import (
    DEFAULT_GRAPHQL_URL,
    DEFAULT_PROBE_REQUESTS,
    DEFAULT_SCHEDULES,
    DEMO_SCHEDULES,
    JOB_NAMES,
    MAX_LIST_CONCURRENCY,
    MAX_PREFIX_DEPTH,
    MAX_PREFIX_ENTRIES,
    MAX_PROBE_REQUESTS,
    MIN_PROBE_REQUESTS,
    AccountConfig,
    CollectorSettings,
    Config,
    InventorySettings,
    ProbeSettings,
    ReportSettings,
    Retention,
    S3Settings,
    Schedule,
)
from r2tui.config.money import costs, pricing
from r2tui.config.reader import Reader
from r2tui.config.secrets import Secret, read_secret, secret_url
from r2tui.config.tomlfile import TomlFileError, read_path
from r2tui.config.tomlfile import parse as parse_toml
from r2tui.config.triggers import first_fire
from r2tui.config.values import (
    HOUR,
    MAX_NAME,
    parse_account_id,
    parse_globs,
    parse_schedule,
    parse_size,
    parse_url,
)
from r2tui.literal import quoted
from r2tui.pricing import PriceList

TOP_KEYS = frozenset(
    {
        "timezone",
        "refresh_seconds",
        "collector",
        "store",
        "schedule",
        "retention",
        "inventory",
        "s3",
        "accounts",
        "keymap",
        "pricing",
        "costs",
        "alerts",
        "channels",
        "responses",
        "reports",
    }
)
SECRET_FIELDS = ("access_key_id", "secret_access_key", "api_token")
# When an account names no source for a secret, these environment variables are read.
SECRET_ENV_DEFAULTS = {
    "access_key_id": "R2_ACCESS_KEY_ID",
    "secret_access_key": "R2_SECRET_ACCESS_KEY",
    "api_token": "CLOUDFLARE_API_TOKEN",
}
MAX_ACCOUNTS = 100
MAX_KEYMAP = 500  # rebound keys: more than the app has bindings
# Days of history kept: beyond a century a cut-off date leaves what a store can hold.
RETENTION_DAYS = 36_500
# A host label, as botocore checks a region name when it builds a client.
_REGION_RE = re.compile(r"(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)")
# R2's jurisdictional endpoints: https://ACCOUNT_ID.JURISDICTION.r2.cloudflarestorage.com
JURISDICTIONS = ("eu", "fedramp")
ACCOUNT_KEYS = frozenset(
    {
        "account_id",
        "endpoint_url",
        "jurisdiction",
        "region",
        "profile",
        "graphql_url",
        "include",
        "exclude",
        "quota",
        "probe",
    }
    | {f"{f}{suffix}" for f in SECRET_FIELDS for suffix in ("", "_env", "_file")}
)


def resolve_config_path(explicit: str | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    """The config file to read and whether the user named it (then it must exist)."""
    if explicit:
        return Path(explicit).expanduser(), True
    if env.get("R2TUI_CONFIG"):
        return Path(env["R2TUI_CONFIG"]).expanduser(), True
    return paths.config_file(), False


def load_config(
    config_path: str | None = None,
    db_url: str | None = None,
    demo: bool = False,
    env: Mapping[str, str] | None = None,
    require_accounts: bool = True,
) -> Config:
    env = os.environ if env is None else env
    path, named = resolve_config_path(config_path, env)
    problems: list[Problem] = []
    data = _read(path, named)
    file_path = path if path.exists() else None
    root = Reader(source_name(file_path), data, "", problems)
    root.check_known(TOP_KEYS)

    tz = root.timezone()

    accounts = [] if demo else _accounts(root, env, file_path)
    if require_accounts and not demo and not accounts and not problems:
        problems.append(
            Problem(
                str(file_path) if file_path else f"{path} (no such file)",
                "accounts",
                "no account configured: add an [accounts.NAME] table "
                "(`r2tui config init` writes a starter file), or set R2_ACCOUNT_ID, "
                "R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY; or try `r2tui --demo`",
            )
        )
    store_url, store_source = _store_url(root, env, db_url, demo, file_path)
    alerts = alerting(root, env)
    config = Config(
        accounts=tuple(accounts),
        store_url=secret_url(store_url, store_source),
        store_url_source=store_source,
        path=file_path,
        timezone=tz,
        refresh_seconds=root.positive_float(
            "refresh_seconds", 5.0, most=HOUR, least=0.5, unit=" s"
        ),
        schedules=_schedules(
            root.sub("schedule"), DEMO_SCHEDULES if demo else DEFAULT_SCHEDULES, tz
        ),
        inventory=_inventory(root.sub("inventory")),
        retention=_retention(root.sub("retention")),
        s3=_s3(root.sub("s3")),
        collector=_collector(root.sub("collector")),
        keymap=_keymap(root.sub("keymap")),
        demo=demo,
        pricing=pricing(root.sub("pricing"), file_path),
        costs=costs(root.sub("costs")),
        alerts=alerts,
        reports=_reports(root.sub("reports"), alerts),
    )
    if problems:
        raise ConfigError(problems)
    return config


def load_pricing(config_path: str | None = None, env: Mapping[str, str] | None = None) -> PriceList:
    """The config file's prices alone: a price estimate needs no account, so
    credentials unset in this shell must not stand in its way."""
    path, named = resolve_config_path(config_path, os.environ if env is None else env)
    file_path = path if path.exists() else None
    problems: list[Problem] = []
    root = Reader(source_name(file_path), _read(path, named), "", problems)
    prices = pricing(root.sub("pricing"), file_path)
    if problems:
        raise ConfigError(problems)
    return prices


def _read(path: Path, named: bool) -> dict[str, Any]:
    """The file's TOML; nothing when it does not exist and the user did not name it."""
    if path.exists():
        try:
            # Capped and never blocking: a mistake can be huge, or a FIFO.
            text = read_path(path).decode("utf-8")
        except TomlFileError as exc:
            raise ConfigError([Problem(str(path), "(file)", f"cannot read: {exc}")]) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                [Problem(str(path), "(file)", f"not UTF-8 text (byte {exc.start})")]
            ) from None
        try:
            return parse_toml(text)
        except TomlFileError as exc:
            raise ConfigError([Problem(str(path), "(syntax)", str(exc))]) from None
    if named:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    "(file)",
                    "no such file; create one with `r2tui config init --path PATH`",
                )
            ]
        )
    return {}


def _store_url(
    root: Reader, env: Mapping[str, str], db_url: str | None, demo: bool, file_path: Path | None
) -> tuple[str, str]:
    store = root.sub("store")
    store.check_known({"url"})
    file_url = store.get("url", str, "", 'a database URL such as "sqlite:////path/r2tui.db"')
    if db_url:
        return db_url, "--db"
    if demo:
        # The demo never writes into the user's (or a team's) store.
        return paths.default_store_url(demo=True), "demo default"
    if env.get("R2TUI_DB"):
        return env["R2TUI_DB"], "R2TUI_DB"
    if file_url:
        return file_url, f"{file_path}: store.url"
    return paths.default_store_url(), "default"


def _accounts(root: Reader, env: Mapping[str, str], file_path: Path | None) -> list[AccountConfig]:
    table = root.sub("accounts")
    accounts = []
    if len(table.table) > MAX_ACCOUNTS:
        table.fail_table(f"at most {MAX_ACCOUNTS} accounts, got {len(table.table):,}")
        return []
    for name in table.table:
        sub = table.sub(name)
        if not isinstance(table.table[name], Mapping):
            continue
        if len(name) > MAX_NAME:
            table.fail(name, f"an account name is at most {MAX_NAME} characters")
            continue
        accounts.append(_account(name, sub, env))
    if not table.table and (env.get("R2_ACCOUNT_ID") or env.get("R2_ENDPOINT_URL")):
        accounts.append(_env_account(env, root.problems))
    return [a for a in accounts if a is not None]


# An env-only account's keys and the variables that set them (the secrets are
# read through SECRET_ENV_DEFAULTS; they are here so problems name the variable).
_ENV_KEYS = {
    "account_id": "R2_ACCOUNT_ID",
    "endpoint_url": "R2_ENDPOINT_URL",
    "region": "R2_REGION",
    "graphql_url": "CLOUDFLARE_GRAPHQL_URL",
    "access_key_id": "R2_ACCESS_KEY_ID",
    "secret_access_key": "R2_SECRET_ACCESS_KEY",
}


def _env_account(env: Mapping[str, str], problems: list[Problem]) -> AccountConfig:
    data: dict[str, object] = {
        key: env[var] for key, var in _ENV_KEYS.items() if key not in SECRET_FIELDS and env.get(var)
    }
    reader = _EnvReader("environment", data, "", problems)
    return _account("default", reader, env)


class _EnvReader(Reader):
    """Names environment variables, not TOML keys, in its problems."""

    def key(self, name: str) -> str:
        return _ENV_KEYS.get(name, name)


def _account(name: str, r: Reader, env: Mapping[str, str]) -> AccountConfig:
    r.check_known(ACCOUNT_KEYS)
    account_id = r.parse("account_id", parse_account_id, None)
    endpoint = r.parse("endpoint_url", parse_url, None)
    jurisdiction = r.text("jurisdiction", "", 'a jurisdiction such as "eu" or "fedramp"')
    jurisdiction = jurisdiction.strip().lower()
    if jurisdiction and jurisdiction not in JURISDICTIONS:
        # A typo would otherwise become an endpoint host that fails later, at DNS.
        names = " or ".join(f'"{j}"' for j in JURISDICTIONS)
        r.fail(
            "jurisdiction",
            f"unknown jurisdiction {quoted(jurisdiction)}; use {names}, "
            "or endpoint_url for any other endpoint",
        )
        jurisdiction = ""
    if endpoint is None and account_id:
        host = f"{account_id}.{jurisdiction}." if jurisdiction else f"{account_id}."
        endpoint = f"https://{host}r2.cloudflarestorage.com"
    if endpoint is None and not r.has("account_id") and not r.has("endpoint_url"):
        r.fail(
            "account_id",
            "required: the 32-character Cloudflare account id, "
            "or endpoint_url for another S3-compatible endpoint",
        )
    graphql = r.parse("graphql_url", parse_url, None)
    if graphql is None and not r.has("graphql_url"):
        graphql = _env_url(env, "CLOUDFLARE_GRAPHQL_URL", r.problems)
    graphql = graphql or DEFAULT_GRAPHQL_URL
    profile = r.text("profile", None, "an AWS profile name")
    if profile is not None and (missing := _missing_profile(profile)):
        # The collector's S3 client would fail on every run: say so now.
        r.fail("profile", missing)
    secrets = {f: _secret(r, f, env) for f in SECRET_FIELDS}
    if profile is None:
        for f in ("access_key_id", "secret_access_key"):
            if secrets[f] is None and not any(r.has(f + s) for s in ("", "_env", "_file")):
                r.fail(
                    f,
                    f'no S3 credential: give {f} inline, {f}_env = "VAR" or '
                    f'{f}_file = "PATH", set {SECRET_ENV_DEFAULTS[f]}, or name an '
                    'AWS profile with profile = "NAME"',
                )
    include = r.parse("include", parse_globs, ("*",))
    if not include:
        # An empty list would watch nothing, silently.
        r.fail("include", 'must list at least one bucket name glob; use ["*"] for every bucket')
        include = ("*",)
    quota = r.parse("quota", parse_size, None)
    region = r.text("region", "auto", 'a region name such as "auto"')
    if not _REGION_RE.fullmatch(region):
        # boto3 refuses it when the collector builds its client: say so now.
        r.fail(
            "region",
            f'expected a region name such as "auto" or "us-east-1" (letters, '
            f"digits and -, at most 63), got {quoted(region)}",
        )
        region = "auto"
    probe = r.sub("probe")
    probe.check_known({"enabled", "buckets", "prefix", "requests_per_month"})
    # An S3 key is at most 1,024 bytes: the prefix leaves room for the probe's name.
    prefix = probe.text("prefix", ".r2tui-probe/", 'a key prefix such as ".r2tui-probe/"', most=512)
    if not prefix:
        probe.fail("prefix", "must not be empty: probes write and delete objects under it")
        prefix = ".r2tui-probe/"
    return AccountConfig(
        name=name,
        endpoint_url=secret_url(endpoint or "", "endpoint_url"),
        account_id=account_id,
        region=region,
        access_key_id=secrets["access_key_id"],
        secret_access_key=secrets["secret_access_key"],
        profile=profile,
        api_token=secrets["api_token"],
        graphql_url=secret_url(graphql, "graphql_url"),
        jurisdiction=jurisdiction,
        include=include,
        exclude=r.parse("exclude", parse_globs, ()),
        quota_bytes=quota,
        probe=ProbeSettings(
            enabled=probe.get("enabled", bool, False, "true or false"),
            buckets=probe.parse("buckets", parse_globs, ("*",)),
            prefix=prefix,
            requests_per_month=_probe_requests(probe),
        ),
    )


def _probe_requests(probe: Reader) -> int:
    """The probe budget: whole probe requests a month, from one probe's four."""
    value = probe.get("requests_per_month", int, DEFAULT_PROBE_REQUESTS, "a whole number")
    if not MIN_PROBE_REQUESTS <= value <= MAX_PROBE_REQUESTS:
        probe.fail(
            "requests_per_month",
            f"must be a whole number of probe requests a month from {MIN_PROBE_REQUESTS} "
            f"(one probe: PUT, GET, HEAD and DELETE) to {MAX_PROBE_REQUESTS:,}, "
            f"got {quoted(value)}",
        )
        return DEFAULT_PROBE_REQUESTS
    return value


def _missing_profile(profile: str) -> str | None:
    """Why boto3 could not use the AWS profile `profile`, or None when it can:
    the profiles of ~/.aws/config and ~/.aws/credentials (or the files that
    AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name), read as boto3 reads them."""
    # Start-up: botocore loads here only when a config names an AWS profile.
    import botocore.exceptions
    import botocore.session

    try:
        known = botocore.session.Session().available_profiles
    except botocore.exceptions.BotoCoreError as exc:
        return f"cannot read the AWS config files for profile {quoted(profile)}: {exc}"
    if profile in known:
        return None
    return (
        f"no AWS profile {quoted(profile)} in ~/.aws/config or ~/.aws/credentials; "
        f"known: {', '.join(sorted(map(quoted, known))) or 'none'}"
    )


def _env_url(env: Mapping[str, str], var: str, problems: list[Problem]) -> str | None:
    """A URL from the environment, checked like one from the file."""
    if not env.get(var):
        return None
    try:
        return parse_url(env[var])
    except ValueError as exc:
        problems.append(Problem("environment", var, str(exc)))
        return None


def _secret(r: Reader, field: str, env: Mapping[str, str]) -> Secret | None:
    secret = read_secret(r, field, env, SECRET_ENV_DEFAULTS[field])
    if secret is not None and not _token_like(secret.reveal()):
        # Never echo it: a key with a stray space or line break (a CRLF file, a
        # paste) would otherwise end up in an HTTP library's error message.
        r.fail(
            field,
            f"the value from {secret.source} contains spaces, line breaks or "
            "other characters no key or token has; check how it is set",
        )
        return None
    return secret


def _token_like(value: str) -> bool:
    return bool(value) and all(33 <= ord(c) <= 126 for c in value)


def _schedules(r: Reader, defaults: dict[str, str], tz: str) -> dict[str, Schedule]:
    """The file's schedule over the defaults; the demo keeps its own pace. Each
    is built into the trigger the collector will run it on, in its time zone,
    and asked when it first fires: what `collect` would refuse is refused here."""
    r.check_known(set(JOB_NAMES))
    out = {}
    now = datetime.now(UTC)
    for job, default in defaults.items():
        if defaults is DEMO_SCHEDULES:
            seconds, cron = parse_schedule(default)
            out[job] = Schedule(job=job, text=default, seconds=seconds, cron=cron)
            continue
        before = len(r.problems)
        seconds, cron = r.parse(job, parse_schedule, parse_schedule(default))
        text = default if len(r.problems) > before else str(r.table.get(job, default))
        schedule = Schedule(job=job, text=text, seconds=seconds, cron=cron)
        try:
            first_fire(schedule, tz, now)
        except (ValueError, ArithmeticError) as exc:
            r.fail(job, f"the collector cannot run {quoted(text)}: {exc}")
            schedule = Schedule(job, default, *parse_schedule(default))
        out[job] = schedule
    return out


def _inventory(r: Reader) -> InventorySettings:
    r.check_known(
        {
            "top_n",
            "newest_n",
            "large_object",
            "max_extensions",
            "page_size",
            "concurrency",
            "prefix_depth",
            "prefix_entries",
        }
    )
    d = InventorySettings()
    return InventorySettings(
        top_n=r.positive_int("top_n", d.top_n, most=1000, unit=" objects"),
        newest_n=r.positive_int("newest_n", d.newest_n, most=1000, unit=" objects"),
        # R2's largest object: a threshold above it would never report anything.
        large_object_bytes=r.parse(
            "large_object", lambda v: parse_size(v, most=5 * 2**40), d.large_object_bytes
        ),
        max_extensions=r.positive_int("max_extensions", d.max_extensions, most=100_000),
        page_size=r.positive_int(
            "page_size", d.page_size, most=1000, unit=" keys (R2 returns at most 1,000 keys a page)"
        ),
        concurrency=r.positive_int(
            "concurrency", d.concurrency, most=MAX_LIST_CONCURRENCY, unit=" list requests at once"
        ),
        prefix_depth=r.parse("prefix_depth", _prefix_depth, d.prefix_depth),
        prefix_entries=r.positive_int(
            "prefix_entries", d.prefix_entries, most=MAX_PREFIX_ENTRIES, unit=" prefixes per bucket"
        ),
    )


def _prefix_depth(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PREFIX_DEPTH:
        return value
    raise ValueError(
        f"must be a whole number from 0 (no prefixes) to {MAX_PREFIX_DEPTH} levels, "
        f"got {quoted(value)}"
    )


def _retention(r: Reader) -> Retention:
    r.check_known(
        {
            "job_runs_days",
            "events_days",
            "inventories_kept",
            "samples_days",
            "hourly_days",
            "daily_days",
        }
    )
    d = Retention()

    def days(name: str, default: int) -> int:
        return r.positive_int(name, default, most=RETENTION_DAYS, unit=" days (100 years)")

    return Retention(
        job_runs_days=days("job_runs_days", d.job_runs_days),
        events_days=days("events_days", d.events_days),
        inventories_kept=r.positive_int("inventories_kept", d.inventories_kept, most=10_000),
        samples_days=days("samples_days", d.samples_days),
        hourly_days=days("hourly_days", d.hourly_days),
        daily_days=days("daily_days", d.daily_days),
    )


def _collector(r: Reader) -> CollectorSettings:
    r.check_known({"lease_seconds", "stop_seconds"})
    d = CollectorSettings()
    return CollectorSettings(
        lease_seconds=r.positive_float(
            "lease_seconds", d.lease_seconds, most=HOUR, least=1.0, unit=" s (1 hour)"
        ),
        stop_seconds=r.positive_float(
            "stop_seconds", d.stop_seconds, most=600, unit=" s (10 minutes)"
        ),
    )


def _s3(r: Reader) -> S3Settings:
    r.check_known({"connect_timeout", "read_timeout", "max_attempts"})
    d = S3Settings()
    return S3Settings(
        connect_timeout=r.positive_float(
            "connect_timeout", d.connect_timeout, most=HOUR, unit=" s (1 hour)"
        ),
        read_timeout=r.positive_float(
            "read_timeout", d.read_timeout, most=HOUR, unit=" s (1 hour)"
        ),
        max_attempts=r.positive_int("max_attempts", d.max_attempts, most=50),
    )


def _reports(r: Reader, alerts: AlertSettings) -> ReportSettings:
    r.check_known({"channels"})
    names = r.parse("channels", channel_names, ())
    mail = sorted(n for n, c in alerts.channels.items() if c.type == "email")
    valid = (
        f"e-mail channels: {', '.join(mail)}"
        if mail
        else 'no e-mail channel is configured (add a [channels.NAME] table with type = "email")'
    )
    kept = []
    for name in names:
        channel = alerts.channels.get(name)
        if channel is None:
            r.fail("channels", f"no channel {quoted(name)}; {valid}")
        elif channel.type != "email":
            r.fail(
                "channels",
                f"channel {quoted(name)} is a {channel.type} channel: reports "
                f"go by e-mail only; {valid}",
            )
        else:
            kept.append(name)
    return ReportSettings(channels=tuple(dict.fromkeys(kept)))


def _keymap(r: Reader) -> dict[str, str]:
    out: dict[str, str] = {}
    if len(r.table) > MAX_KEYMAP:
        r.fail_table(f"at most {MAX_KEYMAP} bindings, got {len(r.table):,}")
        return out
    for name, value in r.table.items():
        if isinstance(value, str) and value.strip() and len(value) <= MAX_NAME:
            out[name] = value
        else:
            r.fail(
                name,
                f'expected keys such as "r" or "ctrl+r,f5" (at most {MAX_NAME} '
                f"characters), got {quoted(value)}",
            )
    return out
