"""Alert rules in the store: the one place the engine, the Rules screen and
`r2tui rules` read and change them. A change is one transaction: a rule is
saved whole or not at all, and an import changes everything or nothing."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from typing import cast

from r2tui.alerts.rules import (
    Rule,
    RuleError,
    change_problems,
    check_unique,
    rule_from,
    rule_to_dict,
)
from r2tui.store.db import Store
from r2tui.store.models import AlertInstance, AlertRule


def _body(rule: Rule) -> str:
    return json.dumps(rule_to_dict(rule), sort_keys=True)


# The casts below type the rows of `.tuples()` queries, which peewee's stubs
# type as model instances.


def _load(name: str, body: str) -> Rule:
    try:
        return rule_from(json.loads(body), stored=True)
    except (RuleError, ValueError) as exc:
        # A rule written by a newer r2tui, or edited by hand in the database.
        raise RuleError([("body", f"stored rule cannot be read: {exc}")], name) from None


def _retire(store: Store, name: str, body: str, now: int) -> None:
    """Resolve the alerts of a rule that goes (deleted, or renamed: its
    fingerprints name it), then forget them."""
    from r2tui.alerts.dispatch import retire  # dispatch reads the outbox; load it late

    rows = list(AlertInstance.select().where(AlertInstance.rule == name))
    # An unreadable rule leaves nothing to describe the resolution with.
    with contextlib.suppress(RuleError):
        retire(store, _load(name, body), rows, now)
    AlertInstance.delete().where(AlertInstance.rule == name).execute()


def list_rules(store: Store) -> list[Rule]:
    """Every rule, by name. One unreadable row does not hide the others."""
    store.bound()
    out = []
    rows = cast(
        "Iterable[tuple[str, str]]",
        AlertRule.select(AlertRule.name, AlertRule.body).order_by(AlertRule.name_key).tuples(),
    )
    for name, body in rows:
        try:
            out.append(_load(name, body))
        except RuleError:
            continue
    return out


def unreadable_rules(store: Store) -> list[str]:
    store.bound()
    bad = []
    rows = cast(
        "Iterable[tuple[str, str]]", AlertRule.select(AlertRule.name, AlertRule.body).tuples()
    )
    for name, body in rows:
        try:
            _load(name, body)
        except RuleError as exc:
            bad.append(str(exc))
    return bad


def outdated_rules(store: Store) -> list[str]:
    """Rules saved before a check they now fail (they load and run as saved):
    what to fix in each, for `r2tui rules list`."""
    return [
        str(RuleError(problems, rule.name))
        for rule in list_rules(store)
        if (problems := change_problems(rule))
    ]


def get_rule(store: Store, name: str) -> Rule | None:
    store.bound()
    row = AlertRule.get_or_none(AlertRule.name_key == name.casefold())
    return None if row is None else _load(row.name, row.body)


def save_rule(
    store: Store, rule: Rule, replacing: str | None = None, now: float | None = None
) -> None:
    """Add `rule`, or replace the rule named `replacing` with it (a rename keeps
    nothing of the old name's alerts: their fingerprints name the rule)."""
    t = int(store.clock() if now is None else now)
    with store.write():
        taken = AlertRule.get_or_none(AlertRule.name_key == rule.name.casefold())
        old = None
        if replacing is not None:
            old = AlertRule.get_or_none(AlertRule.name_key == replacing.casefold())
            if old is None:
                raise RuleError([("name", f"no rule named {replacing!r}")], replacing)
        if taken is not None and (old is None or taken.id != old.id):
            raise RuleError([("name", f"{rule.name!r} is taken (by {taken.name!r})")], rule.name)
        if old is None:
            AlertRule.create(
                name=rule.name,
                name_key=rule.name.casefold(),
                body=_body(rule),
                created_at=t,
                updated_at=t,
            )
            return
        AlertRule.update(
            name=rule.name, name_key=rule.name.casefold(), body=_body(rule), updated_at=t
        ).where(AlertRule.id == old.id).execute()
        if old.name != rule.name:
            _retire(store, old.name, old.body, t)


def set_enabled(store: Store, name: str, enabled: bool) -> Rule:
    # Read and written back in one write: an edit another process commits
    # meanwhile is not undone by the old copy.
    with store.write():
        rule = get_rule(store, name)
        if rule is None:
            raise RuleError([("name", f"no rule named {name!r}")], name)
        data = {**rule_to_dict(rule), "enabled": enabled}
        new = rule_from(data, stored=True)  # disabling a rule that needs a fix is fine
        save_rule(store, new, replacing=rule.name)
    return new


def delete_rule(store: Store, name: str, now: float | None = None) -> bool:
    t = int(store.clock() if now is None else now)
    with store.write():
        row = AlertRule.get_or_none(AlertRule.name_key == name.casefold())
        if row is None:
            return False
        AlertRule.delete().where(AlertRule.id == row.id).execute()
        _retire(store, row.name, row.body, t)
    return True


def clone_name(name: str, taken: Iterable[str]) -> str:
    """`High error rate (copy)`, `(copy 2)`, … the first name not taken."""
    keys = {t.casefold() for t in taken}
    candidate, n = f"{name} (copy)", 2
    while candidate.casefold() in keys:
        candidate, n = f"{name} (copy {n})", n + 1
    return candidate


def import_rules(
    store: Store, rules: Sequence[Rule], replace_all: bool = False, now: float | None = None
) -> tuple[int, int, int]:
    """Add or update `rules` by name (and with `replace_all` delete the rest), in one
    transaction: (added, updated, deleted). Checked before anything changes."""
    check_unique(rules)
    t = int(store.clock() if now is None else now)
    added = updated = deleted = 0
    with store.write():
        existing = {row.name_key: row for row in AlertRule.select()}
        for rule in rules:
            row = existing.pop(rule.name.casefold(), None)
            if row is None:
                AlertRule.create(
                    name=rule.name,
                    name_key=rule.name.casefold(),
                    body=_body(rule),
                    created_at=t,
                    updated_at=t,
                )
                added += 1
            elif row.body != _body(rule) or row.name != rule.name:
                AlertRule.update(name=rule.name, body=_body(rule), updated_at=t).where(
                    AlertRule.id == row.id
                ).execute()
                updated += 1
        if replace_all:
            for row in existing.values():
                AlertRule.delete().where(AlertRule.id == row.id).execute()
                _retire(store, row.name, row.body, t)
                deleted += 1
    return added, updated, deleted
