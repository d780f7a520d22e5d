"""Endpoint, GraphQL and store URLs are shown as scheme, host, port and path only,
on every surface: job errors, events and job runs in the store (and the raw
bytes of its file), `collect --once`, `status`, `status --json`, `config check`,
`locate`, and the log. The URLs still work: a userinfo endpoint lists moto, a
GraphQL URL with userinfo and `?token=` reaches the loopback peer with its
query, and a PostgreSQL URL with a password in its userinfo and its query
connects.

Real parts: moto over HTTP, the loopback GraphQL peer, a SQLite file,
PostgreSQL at 127.0.0.1:5432 (trust auth, so any password connects), closed
loopback ports. Nothing is mocked."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from r2tui import paths
from r2tui.config.model import AccountConfig, Config
from r2tui.config.secrets import SecretUrl, scrub, shown_url
from r2tui.store import open_store
from tests.support.graphql_peer import ACCOUNT, TOKEN, GraphQLPeer
from tests.support.peers import Obj, closed_port, seed_bucket

S3_PASS = "s3pass-d41d8cd9"
GQL_PASS = "gqlpass-8f00b204"
GQL_TOKEN = "gqltoken-e9800998"
PG_PASS = "pgpass-ecf8427e"
PG_QUERY_PASS = "pgquerypass-1a2b3c4d"
SECRETS = (S3_PASS, GQL_PASS, GQL_TOKEN, PG_PASS, PG_QUERY_PASS)
NOW = 1_760_000_000


def _leaks(text: str | bytes) -> list[str]:
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return [s for s in SECRETS if s.encode() in data]


def _graphql_url(peer: GraphQLPeer) -> str:
    return f"http://gql:{GQL_PASS}@127.0.0.1:{peer.port}/client/v4/graphql?token={GQL_TOKEN}"


def _config(tmp_path: Path, endpoint: str, graphql: str, store: str | None = None) -> str:
    path = tmp_path / "r2tui.toml"
    store_table = f'[store]\nurl = "{store}"\n' if store else ""
    path.write_text(
        f"""{store_table}
[s3]
max_attempts = 1
connect_timeout = 2
read_timeout = 10

[accounts.test]
endpoint_url = "{endpoint}"
region = "us-east-1"
access_key_id = "test-access-key"
secret_access_key = "test-secret-key"
account_id = "{ACCOUNT}"
api_token = "{TOKEN}"
graphql_url = "{graphql}"
""",
        encoding="utf-8",
    )
    return str(path)


def _surfaces(cli: Any, config: str, *db: str) -> dict[str, str]:
    """What every read-only command prints, by command."""
    out: dict[str, str] = {}
    for argv in (
        ["status"],
        ["status", "--json"],
        ["config", "check"],
        ["locate"],
        ["locate", "--json"],
    ):
        code, stdout, stderr = cli(*argv, "--config", config, *db)
        assert code == 0, (argv, stderr)
        out[" ".join(argv)] = stdout + stderr
    return out


def _sqlite_rows(db: Path) -> str:
    """Every row of the store, as SQL text."""
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


def _raw_bytes(db: Path) -> bytes:
    """The store's file and its -wal and -shm, whole. The last connection to
    close (a collector's thread giving its lease back) checkpoints the -wal into
    the file and deletes both: a file gone while being read is read again, all
    of them, so nothing it held is missed."""
    for _ in range(50):
        try:
            return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))
        except FileNotFoundError:
            time.sleep(0.1)
    raise AssertionError(f"{db}'s files kept vanishing while read")


def _log() -> str:
    return paths.log_file().read_text(encoding="utf-8")


# ---- the URLs themselves ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://u:p4ss@127.0.0.1:9", "http://127.0.0.1:9"),
        ("https://proxy.example/gql?token=abc#frag", "https://proxy.example/gql"),
        ("postgresql://r2:pw@db:5432/r2tui?password=pw2", "postgresql://db:5432/r2tui"),
        ("sqlite:////var/lib/r2tui.db", "sqlite:////var/lib/r2tui.db"),
    ],
)
def test_settings_hold_urls_that_show_without_credentials(url: str, shown: str) -> None:
    account = AccountConfig(name="a", endpoint_url=url, graphql_url=url)
    config = Config(accounts=(account,), store_url=url, store_url_source="test")
    for held in (account.endpoint_url, account.graphql_url, config.store_url):
        assert isinstance(held, SecretUrl) and held.reveal() == url
        assert str(held) == shown == shown_url(url) and shown in repr(held)
    assert shown in repr(config) and ("p4ss" not in repr(config)) and ("pw" not in repr(config))


def test_scrub_rewrites_urls_a_library_quoted() -> None:
    url = f"http://gql:{GQL_PASS}@127.0.0.1:1/graphql?token={GQL_TOKEN}"
    text = (
        f'Could not connect to the endpoint URL: "{url}"; '
        f"request to '{url}' failed; token={GQL_TOKEN} password={PG_PASS}"
    )
    scrubbed = scrub(text, url)
    assert _leaks(scrubbed) == []
    assert '"http://127.0.0.1:1/graphql"' in scrubbed and "'http://127.0.0.1:1/graphql'" in scrubbed
    assert "token=***" in scrubbed and "password=***" in scrubbed


def test_a_refused_url_is_quoted_without_its_credentials(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r2tui.toml"
    path.write_text(
        f'[accounts.a]\nendpoint_url = "ftp://s3:{S3_PASS}@files.example/x"\n'
        'access_key_id = "k"\nsecret_access_key = "s"\n'
        f'graphql_url = "gopher://gql:{GQL_PASS}@g.example/?token={GQL_TOKEN}"\n',
        encoding="utf-8",
    )
    code, out, err = cli("config", "check", "--config", str(path))
    assert code == 2
    assert "accounts.a.endpoint_url" in err and "'ftp://files.example/x'" in err
    assert "accounts.a.graphql_url" in err and "'gopher://g.example/'" in err
    assert _leaks(out + err) == []
    monkeypatch.setenv("R2_ENDPOINT_URL", f"ftp://s3:{S3_PASS}@files.example")
    monkeypatch.setenv("CLOUDFLARE_GRAPHQL_URL", f"gopher://g.example/?token={GQL_TOKEN}")
    monkeypatch.setenv("R2_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("R2_SECRET_ACCESS_KEY", "s")
    code, out, err = cli("config", "check")  # no file: the environment alone
    assert code == 2 and "R2_ENDPOINT_URL" in err and "CLOUDFLARE_GRAPHQL_URL" in err
    assert _leaks(out + err) == []


# ---- every surface, with endpoints that fail ------------------------------------------


def test_failing_urls_are_named_without_credentials_everywhere(cli: Any, tmp_path: Path) -> None:
    """A dead S3 endpoint (botocore quotes its URL whole) and a GraphQL answer httpx
    cannot decode (the old reason quoted the URL with its userinfo and token)."""
    dead = closed_port()
    db = tmp_path / "store.db"
    with GraphQLPeer() as peer:
        # Announced as gzip, not gzip: httpx fails reading it, a library error.
        peer.push(200, b"not gzip at all", {"Content-Encoding": "gzip"})
        config = _config(
            tmp_path, f"http://s3:{S3_PASS}@127.0.0.1:{dead}", _graphql_url(peer), f"sqlite:///{db}"
        )
        code, out, err = cli(
            "collect",
            "--once",
            "--job",
            "inventory",
            "--job",
            "collect_metrics",
            "--json",
            "--config",
            config,
        )
    assert code == 1
    jobs = {j["job"]: j for j in json.loads(out)["jobs"]}
    errors = " ".join(e for j in jobs.values() for e in j["errors"])
    # The surfaces do carry the endpoints, so their absence of credentials means something.
    assert f"cannot reach 127.0.0.1:{dead}" in errors
    assert (
        f"cannot query Cloudflare analytics at http://127.0.0.1:{peer.port}/client/v4/graphql:"
    ) in errors
    shown = {"collect --once": out + err, **_surfaces(cli, config)}
    shown["log"] = _log()
    assert "Traceback" in shown["log"] and f"127.0.0.1:{dead}" in shown["log"]
    rows = _sqlite_rows(db)
    assert f"cannot reach 127.0.0.1:{dead}" in rows  # events and job_run rows
    assert "cannot query Cloudflare analytics" in rows
    shown["store rows"] = rows
    assert f"http://127.0.0.1:{dead}" in shown["config check"]
    for surface in ("status", "status --json"):  # the collector's state and the activity
        assert f"cannot reach 127.0.0.1:{dead}" in shown[surface]
        assert f"analytics at http://127.0.0.1:{peer.port}/client/v4/graphql:" in shown[surface]
    for surface, text in shown.items():
        assert _leaks(text) == [], surface
    assert _leaks(_raw_bytes(db)) == [], "the SQLite file"


# ---- the URLs still work ----------------------------------------------------------------


def test_userinfo_and_token_urls_still_connect(
    cli: Any, tmp_path: Path, s3_backend: Any, moto_endpoint: str
) -> None:
    seed_bucket(
        s3_backend, "photos", [Obj(f"k{i}.jpg", 100 + i, NOW, "STANDARD") for i in range(5)]
    )
    db = tmp_path / "store.db"
    endpoint = moto_endpoint.replace("http://", f"http://s3:{S3_PASS}@", 1)
    with GraphQLPeer() as peer:
        config = _config(tmp_path, endpoint, _graphql_url(peer), f"sqlite:///{db}")
        code, out, err = cli(
            "collect",
            "--once",
            "--job",
            "inventory",
            "--job",
            "collect_metrics",
            "--json",
            "--config",
            config,
        )
        assert code == 0, out + err
        jobs = {j["job"]: j for j in json.loads(out)["jobs"]}
        assert jobs["inventory"]["items"] == 5
        assert "analytics" in jobs["collect_metrics"]["summary"]
        # The peer got the query string, and the token as a Bearer (httpx would
        # have swapped it for Basic auth from the userinfo).
        assert peer.requests
        for seen in peer.requests:
            assert seen.path == f"/client/v4/graphql?token={GQL_TOKEN}"
            assert seen.headers["authorization"] == f"Bearer {TOKEN}"
            assert seen.headers["host"] == f"127.0.0.1:{peer.port}"
    shown = {
        "collect --once": out + err,
        **_surfaces(cli, config),
        "log": _log(),
        "store rows": _sqlite_rows(db),
    }
    for surface, text in shown.items():
        assert _leaks(text) == [], surface
    assert _leaks(_raw_bytes(db)) == [], "the SQLite file"


@pytest.mark.postgres
def test_a_postgresql_password_connects_and_never_shows(
    cli: Any, tmp_path: Path, pg_url: str
) -> None:
    import psycopg2

    url = pg_url.replace("postgres@", f"postgres:{PG_PASS}@", 1) + f"&password={PG_QUERY_PASS}"
    assert "postgres:" in url and "&password=" in url
    dead = closed_port()
    config = _config(
        tmp_path, f"http://s3:{S3_PASS}@127.0.0.1:{dead}", f"http://127.0.0.1:{dead}/graphql"
    )
    code, out, err = cli("collect", "--once", "--job", "inventory", "--config", config, "--db", url)
    assert code == 1, out + err
    shown = {"collect --once": out + err, **_surfaces(cli, config, "--db", url), "log": _log()}
    assert "postgresql://127.0.0.1:5432/test" in shown["config check"]
    assert "postgresql://127.0.0.1:5432/test" in shown["locate"]
    schema = pg_url.rsplit("%3D", 1)[1]
    with psycopg2.connect(pg_url.split("?")[0]) as conn, conn.cursor() as cur:
        cur.execute(f'SELECT message FROM "{schema}".event')
        events = [r[0] for r in cur.fetchall()]
        cur.execute(f'SELECT error FROM "{schema}".job_run')
        runs = [r[0] for r in cur.fetchall()]
    assert any(f"127.0.0.1:{dead}" in e for e in events + runs if e)
    shown["store rows"] = "\n".join(str(x) for x in events + runs)
    for surface, text in shown.items():
        assert _leaks(text) == [], surface


def test_an_unreachable_postgresql_store_is_named_without_its_password(cli: Any) -> None:
    url = f"postgresql://r2:{PG_PASS}@127.0.0.1:{closed_port()}/r2tui?password={PG_QUERY_PASS}"
    code, out, err = cli("status", "--demo", "--db", url)
    assert code == 2
    assert "store error" in err and "postgresql://127.0.0.1:" in err
    assert _leaks(out + err + _log()) == []
    with pytest.raises(Exception) as info:
        open_store(url, "--db")
    assert _leaks(str(info.value)) == []
