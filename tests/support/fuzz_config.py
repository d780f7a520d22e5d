"""Fuzzing the config loader (`r2tui config check`) and `r2tui rules import`.

A seeded generator writes config and rules files of every kind a careless or
hostile hand makes: good files (values anywhere in their ranges, bounds
included), good files with one bad field (wrong types, magnitudes, NaN and
infinity, -0.0, booleans, 200,000-character text, cron lines that never fire),
nesting from 90 to 10,000 levels (arrays, inline tables, dotted keys,
headers), files around the 1 MiB limit, text mutations (syntax errors, control
characters, bytes that are not UTF-8) and random documents. Each is thrown
in-process:

- a config at `r2tui config check` (`r2tui.cli.main`), then, when it is
  accepted, loaded again and turned into what `r2tui collect` builds: the
  collector's plan over a real SQLite store, each job's APScheduler trigger and
  its first fire time, each account's boto3 client (loopback endpoints), a
  bill at its prices, and the retention purges;
- a rules file at `rules import` as the CLI runs it (`rules_files.run`), with
  a config that has a channel and a response, against a real SQLite store
  whose rules are compared before and after each refusal and dry run.

What is checked: no exception but the refusals (a `config check` exit code 2,
a `rules import` exit code 2 naming the file), no input over 5 s, and the
process's peak memory.

    .venv/bin/python -m tests.support.fuzz_config --inputs 10000 --seed 1

prints the figures (docs/security.md quotes a run) and writes every input that
failed to tests/fuzz-failures/ (or --out). `tests/config/test_config_fuzz.py` runs a
seeded few hundred in the suite.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import faulthandler
import io
import logging
import math
import os
import random
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from r2tui import runtime
from r2tui.alerts import saved
from r2tui.alerts.rules import COMPARISONS, MISSING_DATA, SEVERITIES, rule_from
from r2tui.cli import main, rules_files
from r2tui.config import Config, load_config
from r2tui.config.model import JOB_NAMES
from r2tui.config.triggers import trigger_for, zone_for
from r2tui.costs.bill import Usage, bill
from r2tui.jobs import JobContext
from r2tui.metrics import CATALOG
from r2tui.scheduler import Collector
from r2tui.sources import s3
from r2tui.store import Store, open_store, rollups, writes
from r2tui.store.models import AlertRule
from tests.support.hostile import CORPUS

SLOW_SECONDS = 5.0
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
LOOPBACK = "http://127.0.0.1:9"
CREDENTIALS = {"R2_ACCESS_KEY_ID": "fuzz-key-id", "R2_SECRET_ACCESS_KEY": "fuzz-secret"}
MIB = 1 << 20


class Raw(str):
    """TOML text written as is (a 5,000-digit number, `1e400`, a broken value)."""


# --- writing TOML ---------------------------------------------------------------


def toml_key(key: str) -> str:
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return toml_string(key)


def toml_string(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            # A surrogate has no UTF-8 form: its escape is a TOML error, which is a case too.
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: object) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value).__name__)


def toml_document(doc: dict[str, Any]) -> str:
    """Scalars and inline values first, then each table under its header;
    arrays of tables as `[[name]]`."""
    lines: list[str] = []

    def emit(path: list[str], table: dict[str, Any]) -> None:
        subtables = {
            k: v for k, v in table.items() if isinstance(v, dict) and v and not isinstance(v, Raw)
        }
        arrays = {
            k: v
            for k, v in table.items()
            if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)
        }
        for k, v in table.items():
            if k not in subtables and k not in arrays:
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in subtables.items():
            lines.append("\n[" + ".".join(toml_key(p) for p in [*path, k]) + "]")
            emit([*path, k], v)
        for k, items in arrays.items():
            for item in items:
                lines.append("\n[[" + ".".join(toml_key(p) for p in [*path, k]) + "]]")
                lines.extend(f"{toml_key(ik)} = {toml_value(iv)}" for ik, iv in item.items())

    emit([], doc)
    return "\n".join(lines) + "\n"


# --- values -------------------------------------------------------------------

HOSTILE_TEXT = [h.text for h in CORPUS]
# What a good file may hold: UTF-8 can write it; a rule name also needs it printable.
HOSTILE_UTF8 = [t for t in HOSTILE_TEXT if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)]
HOSTILE_NAMES = [
    t[:70].strip()
    for t in HOSTILE_UTF8
    if t[:70].strip() and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in t[:70])
]
BAD_VALUES: list[object] = [
    0,
    1,
    -1,
    2,
    60,
    1000,
    1001,
    3600,
    3601,
    36500,
    36501,
    65535,
    65536,
    2**31,
    2**63,
    10**20,
    10**32,
    -(10**20),
    Raw("1" + "0" * 4000),
    Raw("9" * 5000),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("0x7fffffffffffffff"),
    Raw("1_000_000"),
    0.0,
    -0.0,
    0.5,
    1e-300,
    5e-324,
    1e18,
    1e19,
    1e308,
    -1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    False,
    "",
    " ",
    "0",
    "0s",
    "5m",
    "1h30m",
    "-5m",
    "5 parsecs",
    "99999999999999999999s",
    "9" * 400 + "s",
    "9" * 100 + "w",
    "3650d",
    "3651d",
    "1 GB",
    "5 TiB",
    "6 TiB",
    "2 EiB",
    "9" * 400 + " GB",
    "0 0 31 2 *",
    "0 0 30 2 *",
    "0 0 31 4 *",
    "0 0 29 2 mon",
    "*/5 * * * *",
    "61 * * * *",
    "0 3 * * 8",
    "0 0 3 * * *",
    "* * * * 7-1",
    "0 0 0 1 *",
    "UTC",
    "Europe/Berlin",
    "../etc/passwd",
    "x" * 200,
    "x" * 201,
    "x" * 200_000,
    "ünïcødé ✓ 漢字",
    "\x00",
    "a\ud800b",
    "eu",
    "auto",
    "us east",
    "-auto",
    "1234",
    dt.date(1979, 5, 27),
    dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.UTC),
    dt.time(7, 32),
    [],
    [1],
    ["*"],
    ["a"] * 2000,
    [[]],
    [{}],
    [[[[1]]]],
    {},
    {"x": 1},
    {"a": {"b": []}},
    *HOSTILE_TEXT,
]


def bad_value(rng: random.Random) -> object:
    return rng.choice(BAD_VALUES)


def duration(rng: random.Random, most: int = 10 * 365 * 86400) -> object:
    choice = rng.random()
    if choice < 0.3:
        return rng.choice([1, 30, 60, 300, 3600, 86400, most])
    if choice < 0.6:
        return rng.randint(1, most)
    unit, scale = rng.choice(
        [
            (u, n)
            for u, n in (("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604800))
            if n <= most
        ]
    )
    return f"{rng.randint(1, most // scale)}{unit}"


def cron(rng: random.Random) -> str:
    return rng.choice(
        [
            "0 3 * * *",
            "*/5 * * * *",
            "0 */6 * * *",
            "0 0 1 * *",
            "30 2 * * mon-fri",
            "0 0 29 2 *",
            "0 9 * * 0",
            "0 9 * * 7",
            "15 14 1 * *",
            "0 0 29 2 mon",
            "0 22 * * 1-5/2",
            "59 23 31 12 *",
        ]
    )


def size(rng: random.Random, most: int) -> object:
    if rng.random() < 0.5:
        return rng.choice([1, 1000, most, rng.randint(1, most)])
    unit, scale = rng.choice([("B", 1), ("KB", 10**3), ("GB", 10**9), ("TiB", 2**40)])
    return f"{rng.randint(1, max(1, most // scale))} {unit}"


def number(rng: random.Random, low: float, high: float, whole: bool) -> object:
    edge = rng.random() < 0.3
    if whole:
        low, high = math.ceil(low), math.floor(high)
        return rng.choice([low, high]) if edge else rng.randint(low, high)
    return rng.choice([low, high]) if edge else rng.uniform(low, high)


# A good value for each config key, anywhere in its range (bounds included).
Maker = Callable[[random.Random], object]
TOP: dict[str, Maker] = {
    "timezone": lambda r: r.choice(
        [
            "UTC",
            "Europe/Berlin",
            "America/New_York",
            "Asia/Kolkata",
            "Pacific/Chatham",
            "Australia/Lord_Howe",
        ]
    ),
    "refresh_seconds": lambda r: number(r, 0.5, 3600, r.random() < 0.5),
}
SECTIONS: dict[str, dict[str, Maker]] = {
    "schedule": {
        job: (lambda r: duration(r) if r.random() < 0.5 else cron(r)) for job in JOB_NAMES
    },
    "inventory": {
        "top_n": lambda r: number(r, 1, 1000, True),
        "newest_n": lambda r: number(r, 1, 1000, True),
        "large_object": lambda r: size(r, 5 * 2**40),
        "max_extensions": lambda r: number(r, 1, 100_000, True),
        "page_size": lambda r: number(r, 1, 1000, True),
        "concurrency": lambda r: number(r, 1, 64, True),
    },
    "retention": {
        k: (lambda r: number(r, 1, 36_500, True))
        for k in ("job_runs_days", "events_days", "samples_days", "hourly_days", "daily_days")
    }
    | {"inventories_kept": lambda r: number(r, 1, 10_000, True)},
    "s3": {
        "connect_timeout": lambda r: number(r, 0.001, 3600, False),
        "read_timeout": lambda r: number(r, 0.001, 3600, r.random() < 0.5),
        "max_attempts": lambda r: number(r, 1, 50, True),
    },
    "pricing": {
        k: (lambda r: number(r, 0, 1_000_000, r.random() < 0.3))
        for k in (
            "standard_storage_gb_month",
            "standard_class_a_per_million",
            "standard_class_b_per_million",
            "ia_storage_gb_month",
            "ia_class_a_per_million",
            "ia_class_b_per_million",
            "ia_retrieval_per_gb",
        )
    }
    | {
        "free_storage_gb_month": lambda r: number(r, 0, 1e12, r.random() < 0.5),
        "free_class_a": lambda r: number(r, 0, 10**15, True),
        "free_class_b": lambda r: number(r, 0, 10**15, True),
        "bytes_per_gb": lambda r: number(r, 1, 10**12, True),
        "billing_period_days": lambda r: number(r, 1, 366, True),
        "ia_minimum_days": lambda r: number(r, 1, 3650, True),
    },
    "costs": {
        "spike_baseline_days": lambda r: number(r, 1, 365, True),
        "spike_pct": lambda r: number(r, 0.001, 100_000, r.random() < 0.5),
        "spike_min_usd": lambda r: number(r, 0, 1_000_000, r.random() < 0.5),
    },
}
ALERTS: dict[str, Maker] = {
    "repeat_interval": duration,
    "max_per_hour": lambda r: number(r, 1, 3600, True),
    "max_attempts": lambda r: number(r, 1, 100, True),
    "backoff": lambda r: duration(r, 86400),
    "backoff_max": lambda r: duration(r, 7 * 86400),
}


def good_account(rng: random.Random, index: int) -> dict[str, object]:
    account: dict[str, object] = (
        {"profile": "fuzz"}
        if rng.random() < 0.1
        else {"access_key_id": f"key-{index}", "secret_access_key": f"secret-{index}"}
    )
    if rng.random() < 0.6:
        account["endpoint_url"] = LOOPBACK
    else:
        account["account_id"] = ACCOUNT_ID
        if rng.random() < 0.3:
            account["jurisdiction"] = rng.choice(["eu", "fedramp"])
    if rng.random() < 0.3:
        account["region"] = rng.choice(["auto", "us-east-1", "eeur", "a" * 63])
    if rng.random() < 0.3:
        account["include"] = rng.choice([["*"], ["media-*", "logs-?"], ["x" * 200]])
    if rng.random() < 0.2:
        account["quota"] = size(rng, 2**60)
    if rng.random() < 0.2:
        account["api_token"] = "fuzz-api-token"
        account["graphql_url"] = LOOPBACK + "/graphql"
    if rng.random() < 0.2:
        enabled = rng.random() < 0.5
        prefix = "p/" * rng.randint(1, 256)
        # The budget from the draws already made: the seeded runs stay the same.
        budget = (4, 400_000, 10**10)[len(prefix) % 3]
        account["probe"] = {"enabled": enabled, "prefix": prefix, "requests_per_month": budget}
    return account


def good_config(rng: random.Random) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, make in TOP.items():
        if rng.random() < 0.5:
            doc[key] = make(rng)
    for section, keys in SECTIONS.items():
        if rng.random() < 0.5:
            doc[section] = {k: make(rng) for k, make in keys.items() if rng.random() < 0.5}
    if rng.random() < 0.4:
        doc["channels"] = {
            "ops": {
                "type": "webhook",
                "url": LOOPBACK + "/hook",
                "timeout": number(rng, 0.001, 3600, False),
            },
            "mail": {
                "type": "email",
                "host": "127.0.0.1",
                "port": 2525,
                "security": "none",
                "from": "r2tui@example.com",
                "to": ["oncall@example.com"],
            },
        }
        alerts: dict[str, Any] = {k: make(rng) for k, make in ALERTS.items() if rng.random() < 0.5}
        if rng.random() < 0.5:
            alerts["default_channels"] = ["ops"]
        if rng.random() < 0.3:
            alerts["maintenance"] = [
                {
                    "name": "nightly",
                    "start": "22:00",
                    "end": "02:00",
                    "weekdays": ["mon", "fri"],
                    "timezone": "Europe/Berlin",
                    "matchers": ["bucket=~backup-.*", "severity!=low"],
                }
            ]
        doc["alerts"] = alerts
    doc["accounts"] = {f"a{i}": good_account(rng, i) for i in range(rng.randint(1, 3))}
    if rng.random() < 0.2:
        doc["keymap"] = {"app.refresh": "r"}
    return doc


def leaf_paths(doc: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for k, v in doc.items():
        if isinstance(v, dict) and v and not isinstance(v, Raw):
            out += leaf_paths(v, (*prefix, k))
        out.append((*prefix, k))
    return out


def set_path(doc: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    for part in path[:-1]:
        child = doc.get(part)
        if not isinstance(child, dict):
            child = doc[part] = {}
        doc = child
    doc[path[-1]] = value


KNOWN_PATHS = (
    [(k,) for k in TOP]
    + [(s, k) for s, keys in SECTIONS.items() for k in keys]
    + [("alerts", k) for k in ALERTS]
    + [
        ("accounts", "a0", k)
        for k in (
            "account_id",
            "endpoint_url",
            "jurisdiction",
            "region",
            "profile",
            "include",
            "exclude",
            "quota",
            "access_key_id",
            "api_token",
            "graphql_url",
        )
    ]
    + [("accounts", "a0", "probe", k) for k in ("enabled", "buckets", "prefix")]
    + [("channels", "ops", k) for k in ("type", "url", "timeout", "headers")]
    + [("channels", "mail", k) for k in ("host", "port", "from", "to", "username", "security")]
    + [("responses", "page", k) for k in ("command", "timeout")]
    + [("keymap", "app.refresh")]
)


def one_bad_field(rng: random.Random, doc: dict[str, Any]) -> dict[str, Any]:
    paths = leaf_paths(doc)
    path = rng.choice(paths if paths and rng.random() < 0.5 else KNOWN_PATHS)
    if rng.random() < 0.05:
        path = (*path[:-1], rng.choice(["x" * 200_000, "\x1b[2J", "tïmezone", "refresh"]))
    set_path(doc, path, bad_value(rng))
    return doc


# --- whole files --------------------------------------------------------------


def deep(rng: random.Random) -> str:
    n = rng.choice([rng.randint(90, 110), 1000, 3000, 10_000])
    kind = rng.randrange(5)
    if kind == 0:
        return "a = " + "[" * n + "]" * n + "\n"
    if kind == 1:
        return "a = " + "{b = " * n + "1" + "}" * n + "\n"
    if kind == 2:
        return "a" + ".a" * n + " = 1\n"
    if kind == 3:
        return "[" + ".".join(["a"] * n) + "]\nb = 1\n"
    return "a = " + "[" * n + "\n"  # never closed


def sized(rng: random.Random, base: str, heavy: bool) -> str:
    """A file just under or just over 1 MiB; with `heavy`, also the slowest
    ones to parse and the largest once parsed (dotted keys of 20 parts, the
    most allowed; tables; long arrays)."""
    over = rng.random() < 0.5
    target = MIB + rng.randint(1, 4096) if over else MIB - rng.randint(1, 4096)
    heavy_kinds = ["dotted", "tables", "array", "array-of-tables"] if heavy else []
    kind = rng.choice(["comment", "string", *heavy_kinds])
    room = max(0, target - len(base.encode()) - 40)
    if kind in ("dotted", "tables"):  # tomllib's slowest and largest work per byte
        line = ".a" * 19 + " = 1\n" if kind == "dotted" else "]\n"
        start = "k" if kind == "dotted" else "[k"
        count = room // (len(start + line) + 6)
        return base + "".join(f"{start}{i:06d}{line}" for i in range(count))
    pad = {
        "comment": "#" + "x" * 78 + "\n",
        "string": "x",
        "array": "1, ",
        "array-of-tables": "[[rules]]\n",
    }[kind]
    body = (pad * (room // len(pad) + 1))[:room]
    if kind == "string":
        return base + f'x_long = "{body}"\n'
    if kind == "array":
        return base + f"x_array = [{body.rstrip(', ')}]\n"
    return base + body


MUTATION_CHARS = [*"[]{}\"'=\n#\\.,", "\x00", "\x1b", "é", "\u202e", "\r", "\t", "'''"]


def mutate(rng: random.Random, text: str) -> bytes:
    chars = list(text)
    for _ in range(rng.randint(1, 5)):
        if not chars:
            break
        i = rng.randrange(len(chars))
        op = rng.randrange(4)
        if op == 0:
            del chars[i : i + rng.randint(1, 20)]
        elif op == 1:
            chars.insert(i, rng.choice(MUTATION_CHARS))
        elif op == 2:
            j = rng.randrange(len(chars))
            chars[i], chars[j] = chars[j], chars[i]
        else:
            chars[i:i] = chars[i : i + rng.randint(1, 40)]
    data = "".join(chars).encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        i = rng.randrange(len(data) + 1)
        data = data[:i] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]) + data[i:]
    return data


def random_doc(rng: random.Random, keys: list[str], level: int = 0) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for _ in range(rng.randint(0, 6)):
        key = rng.choice(keys) if rng.random() < 0.7 else rng.choice(["x", "", "é", "a b"])
        doc[key] = (
            random_doc(rng, keys, level + 1) if level < 3 and rng.random() < 0.3 else bad_value(rng)
        )
    return doc


CONFIG_KEYS = [
    *TOP,
    *SECTIONS,
    "alerts",
    "channels",
    "responses",
    "accounts",
    "keymap",
    "store",
    *{k for keys in SECTIONS.values() for k in keys},
    *ALERTS,
    "a0",
    "ops",
    "type",
]


@dataclass
class Case:
    kind: str
    data: bytes


def config_case(rng: random.Random, heavy: bool = False) -> Case:
    roll = rng.random()
    if roll < 0.30:
        return Case("good", toml_document(good_config(rng)).encode())
    if roll < 0.65:
        doc = one_bad_field(rng, good_config(rng))
        return Case("one-bad-field", toml_document(doc).encode("utf-8", "surrogatepass"))
    if roll < 0.73:
        text = deep(rng)
        if rng.random() < 0.5:
            text = toml_document(good_config(rng)).replace("[accounts", text + "\n[accounts", 1)
        return Case("deep", text.encode())
    if roll < 0.76:
        return Case("size", sized(rng, toml_document(good_config(rng)), heavy).encode())
    if roll < 0.90:
        return Case("mutated", mutate(rng, toml_document(good_config(rng))))
    return Case(
        "random", toml_document(random_doc(rng, CONFIG_KEYS)).encode("utf-8", "surrogatepass")
    )


# --- rules files ---------------------------------------------------------------

RULE_FIELDS: dict[str, Maker] = {
    "name": lambda r: (
        r.choice(["High cost", "x" * 72, "Ünïcødé ✓", *HOSTILE_NAMES]) + f" {r.randrange(10**6)}"
    ),
    "metric": lambda r: r.choice(sorted(CATALOG)),
    "comparison": lambda r: r.choice(list(COMPARISONS)),
    "scope": lambda r: r.choice(["*", "media", "logs-*", "a?c"]),
    "for": lambda r: r.choice([0, "0s", duration(r)]),
    "keep_firing_for": lambda r: r.choice([0, duration(r)]),
    "severity": lambda r: r.choice(SEVERITIES),
    "channels": lambda r: r.choice([[], ["ops"]]),
    "labels": lambda r: {
        "team": r.choice(["storage", "x" * 1000, *(t for t in HOSTILE_UTF8 if len(t) <= 1000)])
    },
    "annotations": lambda r: {
        "summary": r.choice(["cost", "é" * 2048, "x" * 4096, *HOSTILE_UTF8]),
        "x" * r.randint(1, 200): "runbook",
    },
    "missing_data": lambda r: r.choice(MISSING_DATA),
    "enabled": lambda r: r.random() < 0.5,
    "repeat_interval": duration,
    "max_per_hour": lambda r: number(r, 1, 3600, True),
    "responses": lambda r: r.choice([[], ["page"]]),
}
RULE_BAD: list[object] = [
    *BAD_VALUES,
    {"k" * 200_000: "v"},
    {"team": "x" * 1001},
    {"summary": "x" * 4097},
    {"9x": "a"},
    ["ops"] * 101,
    {f"k{i}": "v" for i in range(101)},
    "1" * 33 + "s",
]


def good_rule(rng: random.Random) -> dict[str, object]:
    rule: dict[str, object] = {k: RULE_FIELDS[k](rng) for k in ("name", "metric", "comparison")}
    unit = CATALOG[str(rule["metric"])].unit
    rule["threshold"] = (
        size(rng, 2**59)
        if unit == "bytes" and rng.random() < 0.5
        else number(rng, -1e18, 1e18, rng.random() < 0.5)
    )
    for k, make in RULE_FIELDS.items():
        if k not in rule and rng.random() < 0.4:
            rule[k] = make(rng)
    if rng.random() < 0.2:
        rule.update(escalate_after=duration(rng), escalate_severity="critical", escalate_to=["ops"])
    return rule


RULE_KEYS = [*RULE_FIELDS, "threshold", "escalate_after", "escalate_to", "rules", "x"]


def rules_case(rng: random.Random, heavy: bool = False) -> Case:
    roll = rng.random()
    rules = [good_rule(rng) for _ in range(rng.randint(1, 4))]
    if roll < 0.30:
        return Case("good", toml_document({"rules": rules}).encode())
    if roll < 0.65:
        target = rng.choice(rules)
        field_name = rng.choice([*RULE_FIELDS, "threshold", "escalate_after", "colour"])
        target[field_name] = rng.choice(RULE_BAD)
        return Case(
            "one-bad-field", toml_document({"rules": rules}).encode("utf-8", "surrogatepass")
        )
    if roll < 0.73:
        text = deep(rng)
        if rng.random() < 0.5:
            text = toml_document({"rules": rules}) + text.replace("a", "rules", 1)
        return Case("deep", text.encode())
    if roll < 0.76:
        return Case("size", sized(rng, toml_document({"rules": rules}), heavy).encode())
    if roll < 0.90:
        return Case("mutated", mutate(rng, toml_document({"rules": rules})))
    doc = random_doc(rng, RULE_KEYS)
    if rng.random() < 0.5:
        doc["rules"] = [random_doc(rng, RULE_KEYS) for _ in range(rng.randint(0, 3))]
    return Case("random", toml_document(doc).encode("utf-8", "surrogatepass"))


# --- running ------------------------------------------------------------------


@dataclass
class Stats:
    inputs: int = 0
    accepted: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    slow: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    seconds: float = 0.0

    def count(self, side: str, kind: str, ok: bool, seconds: float, label: str) -> None:
        self.inputs += 1
        tally = self.accepted if ok else self.refused
        tally[f"{side} {kind}"] = tally.get(f"{side} {kind}", 0) + 1
        if seconds > self.slowest[0]:
            self.slowest = (seconds, label)
        if seconds > SLOW_SECONDS:
            self.slow.append(f"{label}: {seconds:.2f} s")


@contextlib.contextmanager
def quiet() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


class Fuzzer:
    """The targets, a store and a scratch folder; `run_config` and `run_rules`
    throw one input each and raise AssertionError on anything but an accept or a
    refusal."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.store: Store = open_store(f"sqlite:///{workdir / 'fuzz.db'}")
        self.rules_config_path = workdir / "rules-config.toml"
        self.rules_config_path.write_text(
            toml_document(
                {
                    "channels": {"ops": {"type": "webhook", "url": LOOPBACK + "/hook"}},
                    "responses": {"page": {"command": ["true"]}},
                    "accounts": {
                        "main": {
                            "endpoint_url": LOOPBACK,
                            "access_key_id": "k",
                            "secret_access_key": "s",
                        }
                    },
                }
            ),
            encoding="utf-8",
        )
        self.rules_config: Config = load_config(str(self.rules_config_path), env={})
        self.baseline = [
            rule_from(
                {
                    "name": f"Baseline {i}",
                    "metric": "monthly_cost_usd",
                    "comparison": ">",
                    "threshold": float(i),
                }
            )
            for i in range(3)
        ]
        saved.import_rules(self.store, self.baseline, replace_all=True)

    def close(self) -> None:
        self.store.close()

    def run_config(self, case: Case) -> bool:
        path = self.workdir / "config.toml"
        path.write_bytes(case.data)
        with quiet() as (_, err):
            code = main(["config", "check", "--config", str(path)])
        if code != 0:
            assert code == 2, f"config check exited {code}: {err.getvalue()[:500]}"
            assert "Traceback" not in err.getvalue()
            assert err.getvalue().startswith("r2tui: "), err.getvalue()[:500]
            return False
        self.build_plan(load_config(str(path)))
        return True

    def build_plan(self, config: Config) -> None:
        """What `r2tui collect` builds before its first job, nothing started."""
        collector = Collector(JobContext(config=config, store=self.store))
        first = collector.plan()
        now = dt.datetime.now(dt.UTC)
        for name in collector.scheduled_jobs():
            trigger = trigger_for(config.schedules[name], zone_for(name, config.timezone))
            assert first[name] is not None or trigger.get_next_fire_time(None, now), name
        for account in config.accounts:
            s3.make_client(account, config.s3)
        huge = Usage(
            standard_gb_month=Decimal(10**12),
            standard_class_a=10**15,
            standard_class_b=10**15,
            ia_gb_month=Decimal(10**12),
            ia_class_a=10**15,
            ia_class_b=10**15,
            ia_retrieval_gb=Decimal(10**12),
        )
        bill(huge, config.pricing)
        rollups.purge(self.store, config.retention)
        writes.purge(self.store, config.retention.job_runs_days, config.retention.events_days)

    def stored_rules(self) -> list[tuple[str, str]]:
        return sorted(AlertRule.select(AlertRule.name, AlertRule.body).tuples())

    def run_rules(self, case: Case, rng: random.Random) -> bool:
        path = self.workdir / "rules.toml"
        path.write_bytes(case.data)
        before = self.stored_rules()
        dry_run = rng.random() < 0.2
        args = argparse.Namespace(
            alert_action="import",
            file=str(path),
            replace=rng.random() < 0.3,
            dry_run=dry_run,
            json=False,
        )
        with quiet() as (_, err):
            code = rules_files.run(args, self.rules_config, self.store)
        after = self.stored_rules()
        if code != 0:
            assert code == 2, f"rules import exited {code}: {err.getvalue()[:500]}"
            assert err.getvalue().startswith("r2tui: rules import: "), err.getvalue()[:500]
            assert before == after, "a refused import changed the store"
            return False
        if dry_run:
            assert before == after, "a dry run changed the store"
        else:
            saved.import_rules(self.store, self.baseline, replace_all=True)
        return True


def run(
    inputs: int,
    seed: int,
    workdir: Path,
    out: Path | None = None,
    heavy: bool = True,
    progress: bool = False,
) -> Stats:
    """`inputs` cases, half config files and half rules files, from `seed`."""
    stats = Stats()
    rng = random.Random(seed)
    fuzzer = Fuzzer(workdir)
    started = time.perf_counter()
    try:
        for i in range(inputs):
            side = "config" if i % 2 == 0 else "rules"
            case = config_case(rng, heavy) if side == "config" else rules_case(rng, heavy)
            label = f"#{i} {side} {case.kind} ({len(case.data):,} bytes)"
            if progress:  # an input that hangs shows where, in the script's runs
                faulthandler.dump_traceback_later(30)
            t0 = time.perf_counter()
            try:
                ok = fuzzer.run_config(case) if side == "config" else fuzzer.run_rules(case, rng)
            except Exception:
                ok = False
                stats.failures.append(f"{label}\n{traceback.format_exc()}")
                if out is not None:
                    out.mkdir(parents=True, exist_ok=True)
                    (out / f"{i}-{side}.toml").write_bytes(case.data)
            stats.count(side, case.kind, ok, time.perf_counter() - t0, label)
            if progress:
                faulthandler.cancel_dump_traceback_later()
                if (i + 1) % 500 == 0:
                    print(
                        f"{i + 1:,} inputs, {time.perf_counter() - started:.0f} s, "
                        f"{len(stats.failures)} failures",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        fuzzer.close()
    stats.seconds = time.perf_counter() - started
    return stats


@contextlib.contextmanager
def cli_environment(base: Path) -> Iterator[None]:
    """What the CLI reads from the process, pointed at a scratch folder: no user
    config, store, log or AWS profile is touched; credentials for accounts that
    name none, and an AWS profile "fuzz". The logging `main` sets up is taken
    down again."""
    saved_env = dict(os.environ)
    root = logging.getLogger()
    handlers, level, configured = list(root.handlers), root.level, runtime._configured
    for var in (
        "R2TUI_CONFIG",
        "R2TUI_DB",
        "R2_ACCOUNT_ID",
        "R2_ENDPOINT_URL",
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_GRAPHQL_URL",
    ):
        os.environ.pop(var, None)
    os.environ.update(CREDENTIALS)
    for var in (
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
        "XDG_RUNTIME_DIR",
    ):
        os.environ[var] = str(base / var.lower())
    aws_config = base / "aws-config"
    aws_config.write_text("[profile fuzz]\nregion = auto\n", encoding="utf-8")
    os.environ["AWS_CONFIG_FILE"] = str(aws_config)
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(base / "no-aws-credentials")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
        runtime._configured = configured


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main_script(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "fuzz-failures")
    parser.add_argument(
        "--light",
        action="store_true",
        help="leave out the near-1 MiB files that are slowest to parse",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="r2tui-fuzz-") as tmp, cli_environment(Path(tmp)):
        stats = run(
            args.inputs, args.seed, Path(tmp), args.out, heavy=not args.light, progress=True
        )
    print(f"inputs:      {stats.inputs:,} (seed {args.seed})")
    print(f"time:        {stats.seconds:.1f} s")
    print(f"peak memory: {peak_rss_mb():.0f} MB (process RSS)")
    print(f"slowest:     {stats.slowest[0]:.2f} s, {stats.slowest[1]}")
    print(f"over {SLOW_SECONDS:g} s:    {len(stats.slow)}")
    print(f"accepted:    {sum(stats.accepted.values()):,}  {dict(sorted(stats.accepted.items()))}")
    print(f"refused:     {sum(stats.refused.values()):,}  {dict(sorted(stats.refused.items()))}")
    print(f"tracebacks:  {len(stats.failures)}")
    for failure in stats.failures[:20]:
        print(failure)
    return 1 if stats.failures or stats.slow else 0


if __name__ == "__main__":
    sys.exit(main_script())
