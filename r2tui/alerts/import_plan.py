"""What importing a rules file would change, by rule name, without changing it
(`r2tui rules import --dry-run`, and the list an import prints)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from r2tui.alerts import saved
from r2tui.alerts.rules import Rule
from r2tui.store import Store
from r2tui.store.models import AlertRule


@dataclass
class Plan:
    """What an import changes, by rule name."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def plan(store: Store, rules: Sequence[Rule], replace_all: bool) -> Plan:
    """What `saved.import_rules(rules, replace_all)` would do, without doing it."""
    store.bound()
    # peewee's stubs type a `.tuples()` query's rows as models.
    names = cast("Iterable[tuple[str]]", AlertRule.select(AlertRule.name).tuples())
    rows = {name.casefold(): name for (name,) in names}
    readable = {r.name.casefold(): r for r in saved.list_rules(store)}
    out = Plan()
    for rule in rules:
        key = rule.name.casefold()
        if key not in rows:
            out.added.append(rule.name)
        elif readable.get(key) != rule:  # an unreadable stored rule is overwritten too
            out.updated.append(rule.name)
        else:
            out.unchanged.append(rule.name)
        rows.pop(key, None)
    if replace_all:
        out.deleted = sorted(rows.values(), key=str.casefold)
    return out
