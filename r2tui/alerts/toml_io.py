"""Alert rules as a TOML file, for `r2tui rules export|import` (config as code).

    [[rules]]
    name = "High error rate"
    metric = "error_rate_pct"
    comparison = ">"
    threshold = 5.0
    for = "5m"
    labels = { team = "storage" }

    [[rules]]                      # a change rule: the value now against 1 h ago
    name = "Objects dropped"
    metric = "total_files"
    comparison = "falls_by"        # or rises_by, changes_by
    threshold = 20.0               # more than 20 ...
    window = "1h"
    change_in = "percent"          # ... percent, or "absolute": the metric's unit
    scope = "?*"                   # every bucket

Export writes every rule in `rule_to_dict`'s field order, None values left out
and durations as text, so the same rules always give the same bytes (a file
that diffs cleanly in version control). Import reads the whole file and checks
every table before anything is saved, and reports every problem it finds at
once, each naming the table it is in: a file is fixed in one go, not one error
per run.

The writer is our own rather than a dependency: a rule holds only text,
numbers, booleans, lists of text and tables of text, which TOML spells simply.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence

from r2tui.alerts.rules import FIELDS, NAME_MAX, Rule, RuleError, rule_from, rule_to_dict
from r2tui.config.tomlfile import TomlFileError, parse
from r2tui.literal import UNSAFE, clip, quoted

DURATION_FIELDS = ("window", "for", "keep_firing_for", "repeat_interval", "escalate_after")
HEADER = (
    "# r2tui alert rules. `r2tui rules import FILE` reads this back; "
    "with --replace it also\n# deletes the rules the file does not name.\n"
)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # with fullmatch: "$" would let "a\n" by
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
PROBLEMS_SHOWN = 100  # a file with more needs fixing from the top anyway
MAX_RULES = 10_000  # in one file: far more than anyone watches, still checked in 0.2 s


class RulesFileError(ValueError):
    """Everything wrong with a rules file, one line per problem: the first
    PROBLEMS_SHOWN of them and a line saying how many more; `total` counts all."""

    def __init__(self, problems: list[str]) -> None:
        self.total = len(problems)
        if self.total > PROBLEMS_SHOWN:
            problems = [
                *problems[:PROBLEMS_SHOWN],
                f"… and {self.total - PROBLEMS_SHOWN:,} more problems",
            ]
        self.problems = problems
        super().__init__("; ".join(problems))


# --- writing ----------------------------------------------------------------


def dump_rules(rules: Sequence[Rule]) -> str:
    """The rules as a TOML document, by name (case-insensitively), deterministic."""
    out = [HEADER]
    if not rules:
        out.append("\nrules = []\n")  # still a rules file: import reads it as "none"
    for rule in sorted(rules, key=lambda r: (r.name.casefold(), r.name)):
        out.append("\n[[rules]]\n")
        for key, value in rule_to_dict(rule).items():
            if value is None:
                continue  # None is "the [alerts] default": absent says the same in TOML
            if key in DURATION_FIELDS and isinstance(value, int) and value > 0:
                value = duration_text(value)
            try:
                out.append(f"{_key(key)} = {_value(value)}\n")
            except ValueError as exc:
                raise ValueError(f"rule {quoted(rule.name)}: {key}: {exc}") from None
    return "".join(out)


def duration_text(seconds: int) -> str:
    """`5400` → `"1h30m"`: what people write, and what parse_duration reads back."""
    parts = []
    for unit, size in _UNITS:
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts) or "0s"


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate (possible from JSON input) is no Unicode scalar
            # value: TOML has no way to write it, and UTF-8 cannot encode it.
            raise ValueError(f"{quoted(text)} holds a lone surrogate, which TOML cannot hold")
        elif UNSAFE.match(ch):
            # Controls, bidirectional and invisible characters as escapes: the
            # file reads back the same and shows no such character raw.
            out.append(f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(value: object) -> str:
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # shortest round-tripping form; "1e+20" is valid TOML
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items()) + " }"
    raise ValueError(f"cannot write {type(value).__name__} as TOML")


# --- reading ----------------------------------------------------------------

REFERENCES = (("channels", "channel"), ("escalate_to", "channel"), ("responses", "response"))


def reference_problems(
    data: Mapping[str, object], channels: Collection[str], responses: Collection[str]
) -> list[tuple[str, str]]:
    """Channels and responses a rule's data names that the config does not
    define. A rule naming one that is missing would look fine and never notify
    anyone (or never run the response)."""
    problems = []
    for field, kind in REFERENCES:
        value = data.get(field)
        names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        known = channels if kind == "channel" else responses
        missing = [n for n in names if isinstance(n, str) and n not in known]
        if missing:
            have = ", ".join(sorted(known)) or f"none (add a [{kind}s.NAME] table to the config)"
            problems.append((field, f"no {kind} {quoted(missing[0])}; configured: {have}"))
    return problems


def checked_rule(
    data: Mapping[str, object], channels: Collection[str], responses: Collection[str]
) -> Rule:
    """`rule_from` plus the config's channels and responses; RuleError naming every
    problem."""
    problems: list[tuple[str, str]] = []
    rule = None
    try:
        rule = rule_from(data)
    except RuleError as exc:
        problems += exc.problems
    said = {field for field, _ in problems}  # a malformed name is not "missing" as well
    problems += [p for p in reference_problems(data, channels, responses) if p[0] not in said]
    if problems or rule is None:
        name = data.get("name")
        raise RuleError(problems, name if isinstance(name, str) else None)
    return rule


def read_rules(
    text: str, source: str, channels: Collection[str], responses: Collection[str]
) -> list[Rule]:
    """Every rule of a TOML rules file, or RulesFileError with every problem,
    each prefixed `rules[3] (name): ` (counting [[rules]] tables from 1). A file
    above 1 MiB or nested deeper than 100 levels is refused whole (see
    `r2tui.config.tomlfile`; a caller reading the file stops at the limit with
    `read_path` or `read_capped` rather than read it whole first)."""
    try:
        # tomllib says where: "Invalid value (at line 3, column 9)".
        doc = parse(text)
    except TomlFileError as exc:
        raise RulesFileError([f"{source}: {exc}"]) from None
    problems = [
        f"{source}: {key}: unknown top-level key; a rules file holds [[rules]] tables"
        for key in sorted(doc)
        if key != "rules"
    ]
    tables = doc.get("rules")
    if tables is None:
        raise RulesFileError(
            [*problems, f"{source}: no [[rules]] tables (an empty list is `rules = []`)"]
        )
    if not isinstance(tables, list):
        raise RulesFileError(
            [*problems, f"{source}: rules: expected [[rules]] tables, got {type(tables).__name__}"]
        )
    if len(tables) > MAX_RULES:
        raise RulesFileError(
            [
                *problems,
                f"{source}: rules: at most {MAX_RULES:,} rules in a file, got {len(tables):,}",
            ]
        )
    rules: list[Rule] = []
    first: dict[str, int] = {}  # casefolded name → the table that has it
    for i, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            problems.append(
                f"rules[{i}]: expected a table of {', '.join(FIELDS[:4])}…, got "
                f"{type(table).__name__}"
            )
            continue
        name = table.get("name")
        # A name may be anything here: it is shown cut, and its field says what is wrong.
        where = (
            f"rules[{i}] ({clip(name.strip(), NAME_MAX + 1)})"
            if isinstance(name, str) and name.strip()
            else f"rules[{i}]"
        )
        try:
            rule = checked_rule(table, channels, responses)
        except RuleError as exc:
            problems += [f"{where}: {field}: {message}" for field, message in exc.problems]
            continue
        key = rule.name.casefold()
        if key in first:
            problems.append(
                f"{where}: name: {quoted(rule.name)} is taken "
                f"(by rules[{first[key]}]); names are unique whatever their case"
            )
            continue
        first[key] = i
        rules.append(rule)
    if problems:
        raise RulesFileError(problems)
    return rules
