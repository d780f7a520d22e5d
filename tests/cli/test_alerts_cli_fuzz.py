"""Rules files from anywhere: `r2tui rules import` fed generated TOML-ish
documents (good tables, bad tables, wrong types, huge numbers, broken syntax)
never crashes, exits 0 or 2 only, and changes nothing when it exits 2. And any
valid rules survive export → import unchanged, whatever text they hold."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from r2tui.alerts.rules import COMPARISONS, FIELDS, SEVERITIES, RuleError, rule_from
from r2tui.alerts.toml_io import _key, _value, dump_rules, read_rules
from r2tui.metrics import CATALOG
from r2tui.store import open_store

Run = Callable[..., tuple[int, str, str]]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values a rule field could plausibly hold, and many it could not.
PLAUSIBLE = st.sampled_from(
    [
        "error_rate_pct",
        "total_bytes",
        "monthly_cost_usd",
        ">",
        "<=",
        "==",
        "5m",
        "1h30m",
        "0",
        "1 GB",
        "*",
        "logs-*",
        "media",
        "high",
        "low",
        "hook",
        "page",
        "keep",
        "alert",
        "",
        " ",
    ]
)
SCALARS = st.one_of(
    PLAUSIBLE,
    st.text(max_size=12),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**6),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just("9" * 400 + " GB"),
)  # a size whose float is infinite
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
KEYS = st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=8))
JUNK_TABLE = st.dictionaries(KEYS, VALUES, max_size=8)
GOOD_TABLE = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["Alpha", "beta", "ALPHA", "Gamma ray", "Δ rule"]),
        "metric": st.sampled_from(sorted(CATALOG)),
        "comparison": st.sampled_from(list(COMPARISONS)),
        "threshold": st.floats(min_value=-1e6, max_value=1e6),
    },
    optional={
        "severity": st.sampled_from(SEVERITIES),
        "for": st.sampled_from(["5m", 60, 0]),
        "channels": st.sampled_from([["hook"], [], ["nope"]]),
        "responses": st.sampled_from([["page"], []]),
        "labels": st.dictionaries(
            st.sampled_from(["team", "env", "9bad"]), st.text(max_size=5), max_size=2
        ),
    },
)


def toml_doc(tables: list[dict], extra: dict) -> str:
    """Tables written with the exporter's own value writer: valid TOML for
    anything it can spell (a mixed array included, which TOML 1.0 allows)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in extra.items()]
    for table in tables:
        lines.append("[[rules]]")
        lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


@st.composite
def documents(draw: st.DrawFn) -> str:
    tables = draw(st.lists(st.one_of(GOOD_TABLE, JUNK_TABLE), max_size=4))
    extra = draw(
        st.one_of(st.just({}), st.dictionaries(st.sampled_from(["rules", "x"]), VALUES, max_size=1))
    )
    text = toml_doc(tables, {} if tables and "rules" in extra else extra)
    if draw(st.integers(0, 4)) == 0:  # now and then, break the syntax somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at:]
    return text


def stored(db: Path) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return sorted(conn.execute("SELECT name, body FROM alert_rule").fetchall())


@FUZZ
@given(text=documents(), replace=st.booleans())
def test_import_never_crashes_and_refuses_whole(
    cli: Run, tmp_path: Path, text: str, replace: bool
) -> None:
    db = tmp_path / "fuzz.db"
    config = tmp_path / "r2tui.toml"
    if not config.exists():
        config.write_text(
            f"""
[store]
url = "sqlite:///{db}"
[channels.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"
[responses.page]
command = ["true"]
[accounts.acme]
endpoint_url = "http://127.0.0.1:9"
region = "us-east-1"
access_key_id = "k"
secret_access_key = "s"
""",
            encoding="utf-8",
        )
        open_store(f"sqlite:///{db}").close()
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = stored(db)
    code, _, err = cli(
        "rules", "import", str(path), "--config", str(config), *(["--replace"] if replace else [])
    )
    assert code in (0, 2), err
    event(f"exit {code}{' (syntax)' if 'not valid TOML' in err else ''}")
    if code == 2:
        assert err.startswith("r2tui: rules import: ")
        assert stored(db) == before
    else:
        assert err == ""


NAMES = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
RULES = st.fixed_dictionaries(
    {
        "name": NAMES,
        "metric": st.sampled_from(sorted(CATALOG)),
        "comparison": st.sampled_from(list(COMPARISONS)),
        "threshold": st.floats(allow_nan=False, allow_infinity=False),
    },
    optional={
        "scope": st.sampled_from(["*", "media", "logs-*", "a?[bc]"]),
        "for": st.integers(0, 10**7),
        "keep_firing_for": st.integers(0, 10**6),
        "annotations": st.dictionaries(st.text(min_size=1, max_size=10), TEXT, max_size=3),
        "labels": st.dictionaries(
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), TEXT, max_size=3
        ),
        "repeat_interval": st.integers(1, 10**6),
        "max_per_hour": st.integers(1, 99),
        "missing_data": st.sampled_from(["keep", "alert", "resolve"]),
        "enabled": st.booleans(),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(RULES, max_size=5, unique_by=lambda d: d["name"].casefold()))
def test_export_then_import_gives_the_same_rules(data: list[dict]) -> None:
    try:
        rules = [rule_from(d) for d in data]
    except RuleError:
        assume(False)
    text = dump_rules(rules)
    assert dump_rules(list(reversed(rules))) == text  # the order is the file's own
    back = read_rules(text, "x.toml", (), ())
    assert sorted(back, key=lambda r: r.name.casefold()) == sorted(
        rules, key=lambda r: r.name.casefold()
    )
