"""The `r2tui` command, in a subprocess where the process matters (entry points,
the demo) and through main(argv) elsewhere, against moto over HTTP."""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import r2tui
from r2tui.jobs import JOBS
from r2tui.sources.listing.fold import extension_of
from r2tui.store import open_store, writes
from r2tui.store.writes import SampleRow
from tests.support.peers import Obj, closed_port, random_objects, seed_bucket

SCRIPT = Path(sys.executable).with_name("r2tui")
NOW = 1_760_000_000


def _config(tmp_path: Path, endpoint: str, name: str = "r2tui.toml", extra: str = "") -> str:
    path = tmp_path / name
    path.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "cli.db"}"

[s3]
max_attempts = 1
connect_timeout = 2
read_timeout = 10
{extra}
[accounts.test]
endpoint_url = "{endpoint}"
region = "us-east-1"
access_key_id = "test-access-key"
secret_access_key = "test-secret-key"
""",
        encoding="utf-8",
    )
    return str(path)


def _seed(backend: Any) -> dict[str, list[Obj]]:
    rng = random.Random(3)
    return {
        "photos": seed_bucket(backend, "photos", random_objects(rng, 60, NOW)),
        "logs": seed_bucket(backend, "logs", random_objects(rng, 35, NOW, ia_share=0.7)),
    }


def _subprocess(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
    )


# ---- entry points ---------------------------------------------------------------------


def test_version_from_the_console_script() -> None:
    done = _subprocess(str(SCRIPT), "--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"r2tui {r2tui.__version__}\n", "")


def test_version_from_python_dash_m() -> None:
    done = _subprocess(sys.executable, "-m", "r2tui", "--version")
    assert (done.returncode, done.stdout) == (0, f"r2tui {r2tui.__version__}\n")


def test_help_lists_the_commands() -> None:
    done = _subprocess(str(SCRIPT), "--help")
    assert done.returncode == 0
    for command in ("collect", "status", "config", "locate", "--demo", "--config", "--db"):
        assert command in done.stdout
    code_help = _subprocess(str(SCRIPT), "collect", "--help")
    assert code_help.returncode == 0 and "--once" in code_help.stdout


# ---- collect --------------------------------------------------------------------------


def test_collect_once_json(cli: Any, tmp_path: Path, s3_backend: Any, moto_endpoint: str) -> None:
    seeded = _seed(s3_backend)
    total = sum(len(v) for v in seeded.values())
    code, out, err = cli(
        "collect", "--once", "--json", "--config", _config(tmp_path, moto_endpoint)
    )
    assert code == 0, err
    doc = json.loads(out)
    implemented = [n for n in JOBS if JOBS[n].implemented]
    assert [j["job"] for j in doc["jobs"]] == implemented
    for job in doc["jobs"]:
        assert set(job) == {"job", "ok", "items", "seconds", "summary", "errors"}
        assert job["ok"] is True and job["errors"] == []
        assert isinstance(job["seconds"], float | int) and job["seconds"] >= 0
    by_name = {j["job"]: j for j in doc["jobs"]}
    assert by_name["inventory"]["items"] == total
    assert by_name["inventory"]["summary"] == (
        f"2 of 2 buckets listed, {total} objects, 3 Class A requests"
    )
    assert by_name["collect_metrics"]["items"] == 1  # one endpoint check


def test_collect_once_one_job_as_text(
    cli: Any, tmp_path: Path, s3_backend: Any, moto_endpoint: str
) -> None:
    seeded = _seed(s3_backend)
    total = sum(len(v) for v in seeded.values())
    code, out, _ = cli(
        "collect", "--once", "--job", "inventory", "--config", _config(tmp_path, moto_endpoint)
    )
    assert code == 0
    (line,) = out.splitlines()
    assert line.split()[:4] == ["inventory", "ok", f"{total:,}", "items"]
    assert "2 of 2 buckets listed" in line


def test_options_before_the_command_are_kept(
    cli: Any, tmp_path: Path, s3_backend: Any, moto_endpoint: str
) -> None:
    """`r2tui --config X collect` must read X (argparse subcommand defaults once
    overwrote it with None)."""
    _seed(s3_backend)
    code, out, err = cli(
        "--config",
        _config(tmp_path, moto_endpoint),
        "collect",
        "--once",
        "--json",
        "--job",
        "inventory",
    )
    assert code == 0, err
    assert json.loads(out)["jobs"][0]["ok"] is True


def test_collect_from_environment_variables(
    cli: Any, tmp_path: Path, s3_backend: Any, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = _seed(s3_backend)
    for var, value in {
        "R2_ENDPOINT_URL": moto_endpoint,
        "R2_REGION": "us-east-1",
        "R2_ACCESS_KEY_ID": "k",
        "R2_SECRET_ACCESS_KEY": "s",
        "R2TUI_DB": f"sqlite:///{tmp_path / 'env.db'}",
    }.items():
        monkeypatch.setenv(var, value)
    code, out, err = cli("collect", "--once", "--json", "--job", "inventory")
    assert code == 0, err
    (job,) = json.loads(out)["jobs"]
    assert job["ok"] and job["items"] == sum(len(v) for v in seeded.values())
    assert (tmp_path / "env.db").exists()


def test_exit_1_when_a_job_fails(cli: Any, tmp_path: Path) -> None:
    port = closed_port()
    code, out, _ = cli(
        "collect", "--once", "--json", "--config", _config(tmp_path, f"http://127.0.0.1:{port}")
    )
    assert code == 1
    inventory = next(j for j in json.loads(out)["jobs"] if j["job"] == "inventory")
    assert inventory["ok"] is False
    assert inventory["errors"] == [f"cannot reach 127.0.0.1:{port}: connection failed"]
    code, out, _ = cli(
        "collect",
        "--once",
        "--job",
        "inventory",
        "--config",
        _config(tmp_path, f"http://127.0.0.1:{port}"),
    )
    assert code == 1 and "FAILED" in out and "cannot reach" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["collect", "--json", "--config", "{good}"], "--json and --job need --once"),
        (["collect", "--job", "inventory", "--config", "{good}"], "need --once"),
        (["collect", "--once", "--config", "{tmp}/missing.toml"], "no such file"),
        (["status", "--config", "{bad}"], "max_attempts"),
        (["status", "--config", "{good}", "--account", "nope"], "no account named 'nope'"),
        (["status", "--config", "{good}", "--db", "nosuch://x"], "unsupported database URL"),
    ],
)
def test_exit_2_on_config_errors(cli: Any, tmp_path: Path, argv: list[str], says: str) -> None:
    bad = Path(_config(tmp_path, "http://127.0.0.1:9", "bad.toml"))
    bad.write_text(bad.read_text().replace("max_attempts = 1", "max_attempts = -1"))
    good = _config(tmp_path, "http://127.0.0.1:9")
    code, out, err = cli(*[a.format(tmp=tmp_path, bad=bad, good=good) for a in argv])
    assert code == 2
    assert out == ""
    assert err.startswith("r2tui: ") and says in err


# ---- status ---------------------------------------------------------------------------


def _expected_bucket(name: str, objs: list[Obj]) -> dict[str, Any]:
    by_ext: dict[str, dict[str, int]] = defaultdict(lambda: {"objects": 0, "bytes": 0})
    by_cls: dict[str, dict[str, int]] = defaultdict(lambda: {"objects": 0, "bytes": 0})
    for o in objs:
        for table, key in ((by_ext, extension_of(o.key)), (by_cls, o.storage_class)):
            table[key]["objects"] += 1
            table[key]["bytes"] += o.size
    largest = sorted(objs, key=lambda o: (o.size, o.key), reverse=True)[:20]
    return {
        "name": name,
        "objects": len(objs),
        "bytes": sum(o.size for o in objs),
        "by_extension": dict(by_ext),
        "by_storage_class": dict(by_cls),
        "largest": [(o.key, o.size, o.storage_class) for o in largest],
    }


def test_status_json_matches_the_seed(
    cli: Any, tmp_path: Path, s3_backend: Any, moto_endpoint: str
) -> None:
    seeded = _seed(s3_backend)
    config = _config(tmp_path, moto_endpoint)
    assert cli("collect", "--once", "--config", config)[0] == 0
    code, out, err = cli("status", "--json", "--config", config)
    assert code == 0, err
    doc = json.loads(out)
    for section in ("metrics", "costs", "storage", "activity", "alerts"):
        assert section in doc
    assert doc["account"] == "test" and doc["demo"] is False
    storage = doc["storage"]
    everything = [o for objs in seeded.values() for o in objs]
    assert storage["total_objects"] == len(everything)
    assert storage["total_bytes"] == sum(o.size for o in everything)
    assert storage["bucket_count"] == 2
    got = {
        b["name"]: {
            "name": b["name"],
            "objects": b["objects"],
            "bytes": b["bytes"],
            "by_extension": b["by_extension"],
            "by_storage_class": b["by_storage_class"],
            "largest": [(o["key"], o["size"], o["storage_class"]) for o in b["largest"]],
        }
        for b in storage["buckets"]
    }
    assert got == {name: _expected_bucket(name, objs) for name, objs in seeded.items()}
    # Largest first, as the Storage pane shows them.
    assert [b["name"] for b in storage["buckets"]] == sorted(
        seeded, key=lambda n: -sum(o.size for o in seeded[n])
    )
    assert storage["monitor_spend"]["class_a_requests"] >= 3
    assert doc["collector"]["state"] == "idle"
    messages = [a["message"] for a in doc["activity"]]
    assert "found 2 buckets: logs, photos" in messages
    # Without an API token there are no request counts: storage only. Standard's few
    # bytes are inside its free tier; Infrequent Access has none, so its one day so far
    # (bytes / 1e9 GB / 30 days) bills as whole GB-months at $0.01, costed the very
    # second the listing stored them.
    costs = doc["costs"]
    ia_bytes = sum(o.size for o in everything if o.storage_class == "STANDARD_IA")
    assert 0 < ia_bytes / 1e9 / 30 <= 1
    assert costs["computed_at"] is not None and costs["month_to_date_usd"] == 0.01
    assert {line["item"]: line["usd"] for line in costs["lines"] if line["usd"]} == {
        "ia_storage": 0.01
    }
    assert costs["requests_known"] is False
    assert sorted(costs["buckets"]) == sorted(seeded)
    # The default rules were evaluated by `collect --once`; nothing in this
    # small, cheap account crosses them.
    alerts = doc["alerts"]
    assert (alerts["firing"], alerts["pending"], alerts["recent"]) == ([], [], [])
    assert alerts["rules"] == 8
    # Without an API token: what the listing and the endpoint check observed, and null
    # (never 0) for what only Cloudflare's analytics can tell.
    m = doc["metrics"]
    assert m["endpoint"]["ok"] is True
    assert (m["total_files"], m["total_bytes"]) == (
        len(everything),
        sum(o.size for o in everything),
    )
    assert m["avg_response_ms"] == pytest.approx(m["endpoint"]["ms"], abs=0.001)
    for name in ("uploads_today", "downloads_today", "error_rate_pct", "failed_access"):
        assert m[name] is None, name
        assert name in m["analytics"]["needs_token"]
    assert m["analytics"]["configured"] is False
    for name, objs in seeded.items():
        assert m["buckets"][name]["total_files"] == len(objs)
        assert m["buckets"][name]["total_bytes"] == sum(o.size for o in objs)
        assert m["buckets"][name]["uploads_today"] is None


def test_status_on_an_empty_store(cli: Any, tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9")
    code, out, _ = cli("status", "--json", "--config", config)
    assert code == 0
    doc = json.loads(out)
    assert doc["activity"] == []
    # The default rules are installed, nothing is evaluated yet: empty, never invented.
    alerts = doc["alerts"]
    assert (alerts["firing"], alerts["pending"], alerts["recent"], alerts["rules"]) == (
        [],
        [],
        [],
        8,
    )
    assert doc["costs"]["computed_at"] is None and doc["costs"]["month_to_date_usd"] is None
    m = doc["metrics"]
    assert m["buckets"] == {} and m["trends_pct"] == {}
    assert all(m[name] is None for name in ("total_files", "uploads_today", "error_rate_pct"))
    storage = doc["storage"]
    assert (
        storage["total_objects"],
        storage["total_bytes"],
        storage["buckets"],
        storage["largest"],
        storage["by_extension"],
    ) == (0, 0, [], [], {})
    assert doc["collector"]["state"] == "never" and doc["data_age_s"] is None
    code, out, _ = cli("status", "--config", config)
    assert code == 0 and out.startswith("account test: 0 objects")


def test_status_text(cli: Any, tmp_path: Path, s3_backend: Any, moto_endpoint: str) -> None:
    seeded = _seed(s3_backend)
    config = _config(tmp_path, moto_endpoint)
    assert cli("collect", "--once", "--job", "inventory", "--config", config)[0] == 0
    code, out, _ = cli("status", "--config", config)
    assert code == 0
    total = sum(len(v) for v in seeded.values())
    assert out.splitlines()[0].startswith(f"account test: {total:,} objects")
    assert "collector: idle" in out
    for name, objs in seeded.items():
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name))
        assert f"{len(objs):,}" in line
    assert out.splitlines()[-1] == "alerts: nothing firing (8 rules watching)"
    # A bill over the default rule's $100: the line names the alert, its value and limit.
    store = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    writes.add_samples(store, "test", [SampleRow("monthly_cost_usd", 250.0)])
    store.close()
    assert cli("collect", "--once", "--job", "check_alerts", "--config", config)[0] == 0
    out = cli("status", "--config", config)[1]
    assert out.splitlines()[-1] == "alerts: 1 firing: High monthly cost (high, $250.00 > $100.00)"


# ---- locate and config ----------------------------------------------------------------


def test_locate(cli: Any, isolated: Path) -> None:
    code, out, _ = cli("locate", "--json")
    assert code == 0
    where = json.loads(out)
    assert set(where) == {"config", "config_exists", "store", "log", "reports", "data"}
    assert where["config"] == str(isolated / "xdg_config_home" / "r2tui" / "config.toml")
    assert where["config_exists"] is False
    assert where["store"] == f"sqlite:///{isolated / 'xdg_data_home' / 'r2tui' / 'r2tui.db'}"
    assert where["log"].startswith(str(isolated / "xdg_state_home"))
    assert where["data"] == str(isolated / "xdg_data_home" / "r2tui")
    code, out, _ = cli("locate")
    assert code == 0 and "not created yet" in out and where["config"] in out
    demo = json.loads(cli("locate", "--json", "--demo")[1])
    assert demo["store"].endswith("demo.db") and demo["reports"].endswith("demo-reports")


def test_locate_works_with_a_broken_config(cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("this is = = not toml")
    code, out, _ = cli(
        "locate", "--json", "--config", str(broken), "--db", "postgresql://me:hunter2@db/r2"
    )
    assert code == 0
    where = json.loads(out)
    assert where["config"] == str(broken) and where["config_exists"] is True
    assert "hunter2" not in out and where["store"] == "postgresql://db/r2"


def test_config_init_then_check(cli: Any, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = isolated / "xdg_config_home" / "r2tui" / "config.toml"
    code, out, _ = cli("config", "init")
    assert code == 0 and str(path) in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    starter = path.read_text()

    code, _, err = cli("config", "check")  # no account id, no credentials yet
    assert code == 2 and "R2_ACCESS_KEY_ID" in err and "accounts.main.account_id" in err

    # The user fills in their account id, as the starter file says.
    filled = starter.replace("PUT-YOUR-ACCOUNT-ID-HERE", "0123456789abcdef0123456789abcdef")
    path.write_text(filled)
    monkeypatch.setenv("R2_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("R2_SECRET_ACCESS_KEY", "s3cr3t-value-never-shown")
    code, out, err = cli("config", "check")
    assert code == 0, err
    assert f"config: {path}" in out
    assert "account main: https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com" in out
    assert "key env R2_ACCESS_KEY_ID, secret env R2_SECRET_ACCESS_KEY" in out
    assert "s3cr3t-value-never-shown" not in out + err and "AKIDEXAMPLE" not in out + err
    assert json.loads(cli("locate", "--json")[1])["config_exists"] is True

    path.write_text("# edited by hand\n" + filled)
    code, _, err = cli("config", "init")
    assert code == 2 and "exists; use --force" in err
    assert path.read_text().startswith("# edited by hand")  # untouched
    path.chmod(0o644)
    code, _, _ = cli("config", "init", "--force")
    assert code == 0 and path.read_text() == starter
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_config_init_writes_where_check_reads(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "r2.toml"
    assert cli("--config", str(target), "config", "init")[0] == 0
    assert target.exists() and stat.S_IMODE(target.stat().st_mode) == 0o600
    other = tmp_path / "via-path.toml"
    assert cli("config", "init", "--path", str(other))[0] == 0 and other.exists()


# ---- the demo -------------------------------------------------------------------------


class _CountingBackend:
    """Stands in for moto's backend to learn what the demo seeds, key by key."""

    class _Key:
        contentsize = 0
        last_modified = None

    def __init__(self) -> None:
        self.buckets: dict[str, dict[str, _CountingBackend._Key]] = {}

    def create_bucket(self, name: str, region_name: str) -> None:
        self.buckets[name] = {}

    def put_object(self, bucket: str, key: str, value: bytes, storage: str) -> Any:
        self.buckets[bucket][key] = k = self._Key()
        return k


@pytest.mark.slow
def test_status_demo_json_on_a_fresh_store(isolated: Path) -> None:
    from r2tui.sources.demo.seed import seed

    expected = _CountingBackend()
    counts = seed(expected)
    done = _subprocess(str(SCRIPT), "status", "--demo", "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    assert "demo store is empty; collecting once" in done.stderr
    doc = json.loads(done.stdout)
    assert doc["demo"] is True and doc["account"] == "demo"
    storage = doc["storage"]
    assert {b["name"]: b["objects"] for b in storage["buckets"]} == counts
    assert storage["total_objects"] == sum(counts.values())
    assert storage["total_bytes"] == sum(
        k.contentsize for keys in expected.buckets.values() for k in keys.values()
    )
    assert storage["quota_bytes"] and storage["usage_pct"] > 0
    jobs = {j["job"]: j for j in doc["collector"]["jobs"]}
    assert jobs["inventory"]["ok"] is True and jobs["collect_metrics"]["ok"] is True
    assert (isolated / "xdg_data_home" / "r2tui" / "demo.db").exists()
