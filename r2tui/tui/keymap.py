"""Every binding the app has, for the help screen, the palette and keymap checks."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from textual.binding import Binding
from textual.keys import ASCII_KEY_NAMES, KEY_NAME_REPLACEMENTS

from r2tui.config import ConfigError, Problem
from r2tui.tui.bindings import (  # the app's, apart from the app: it imports this
    APP_BINDINGS,
    LIST_BINDINGS,
)
from r2tui.tui.panes.activity import ActivityPane
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.panes.storage import StoragePane
from r2tui.tui.screens.accounts import AccountsScreen
from r2tui.tui.screens.alert_history import AlertHistoryScreen
from r2tui.tui.screens.command_line import CommandLineScreen
from r2tui.tui.screens.deliveries import DeliveriesScreen
from r2tui.tui.screens.dialogs import ConfirmScreen, SilenceScreen
from r2tui.tui.screens.folders import FoldersScreen
from r2tui.tui.screens.history import HistoryScreen
from r2tui.tui.screens.rule_form import RuleForm
from r2tui.tui.screens.rules import RulesScreen
from r2tui.tui.widgets.card import Card
from r2tui.tui.widgets.table import FilterTable

# Terminals and tmux take these before an app sees them (XOFF, newline, ...).
SWALLOWED = {
    "ctrl+s": "XOFF flow control",
    "ctrl+j": "a newline in most terminals",
    "ctrl+enter": "plain enter in most terminals",
    "ctrl+m": "enter",
    "ctrl+i": "tab",
    "ctrl+z": "suspend",
    "ctrl+b": "tmux's prefix",
}


# Where a modal's keys work: the help lists them, the palette cannot reach them.
MODALS = ("rule form", "silence dialog", "confirmation", "account picker", "command line")
# Where a metric card's keys work: on the focused card.
CARD = "metric card"


def screen_classes() -> dict[str, type]:
    """Screens whose keys work only while they are open, by their help "where"."""
    return {
        "history screen": HistoryScreen,
        "rules screen": RulesScreen,
        "alert history": AlertHistoryScreen,
        "deliveries": DeliveriesScreen,
        "folders screen": FoldersScreen,
    }


def all_bindings() -> list[tuple[str, Binding]]:
    """(where, binding) for every binding with an id, in help order."""
    out: list[tuple[str, Binding]] = []
    for where, bindings in (
        ("everywhere", APP_BINDINGS),
        ("any list", LIST_BINDINGS),
        ("metrics pane", MetricsPane.BINDINGS),
        (CARD, Card.BINDINGS),
        ("storage pane", StoragePane.BINDINGS),
        ("activity pane", ActivityPane.BINDINGS),
        ("history screen", HistoryScreen.BINDINGS),
        ("any table", FilterTable.BINDINGS),
        ("rules screen", RulesScreen.BINDINGS),
        ("alert history", AlertHistoryScreen.BINDINGS),
        ("deliveries", DeliveriesScreen.BINDINGS),
        ("folders screen", FoldersScreen.BINDINGS),
        ("rule form", RuleForm.BINDINGS),
        ("silence dialog", SilenceScreen.BINDINGS),
        ("confirmation", ConfirmScreen.BINDINGS),
        ("account picker", AccountsScreen.BINDINGS),
        ("command line", CommandLineScreen.BINDINGS),
    ):
        for b in bindings:
            if isinstance(b, Binding) and b.id:
                out.append((where, b))
    return out


# Scopes whose keys work at the same time: the app's keys (and j/k/g/G, which
# the app binds) work under every screen, and a pane's or a screen's own keys
# only where it has the focus.
TOGETHER: dict[str, tuple[str, ...]] = {
    "main screen": ("everywhere", "any list", "any table"),
    "metrics pane": ("everywhere", "any list", "metrics pane", "any table"),
    CARD: ("everywhere", "any list", "metrics pane", CARD),
    "storage pane": ("everywhere", "any list", "storage pane", "any table"),
    "activity pane": ("everywhere", "any list", "activity pane", "any table"),
    "history screen": ("everywhere", "any list", "history screen"),
    "rules screen": ("everywhere", "any list", "rules screen", "any table"),
    "alert history": ("everywhere", "any list", "alert history", "any table"),
    "deliveries": ("everywhere", "any list", "deliveries", "any table"),
    "folders screen": ("everywhere", "any list", "folders screen", "any table"),
    "rule form": ("everywhere", "any list", "rule form"),
    "silence dialog": ("everywhere", "any list", "silence dialog"),
    "confirmation": ("everywhere", "any list", "confirmation"),
    "account picker": ("everywhere", "any list", "account picker"),
    "command line": ("everywhere", "any list", "command line"),
}


Clash = tuple[str, str, str, str]  # (where they meet, key, one binding id, the other)


def _clashes(keymap: dict[str, str]) -> dict[Clash, tuple[str, str]]:
    """Every key two bindings share where both work, with each binding's scope,
    the keymap's keys replacing a binding's own."""
    keys_of: dict[str, tuple[str, list[str]]] = {}
    for where, b in all_bindings():
        assert b.id is not None
        given = keymap.get(b.id)
        keys = given.split(",") if given is not None else b.key.split(",")
        keys_of[b.id] = (where, [_key_name(k.strip()) for k in keys])
    found: dict[Clash, tuple[str, str]] = {}
    for group, scopes in TOGETHER.items():
        seen: dict[str, str] = {}  # key -> the first binding id holding it here
        for binding_id, (where, keys) in keys_of.items():
            if where not in scopes:
                continue
            for key in dict.fromkeys(keys):
                first = seen.setdefault(key, binding_id)
                if first != binding_id:
                    found[(group, key, first, binding_id)] = (keys_of[first][0], where)
    return found


def _clash_problems(keymap: dict[str, str], where: str) -> list[Problem]:
    """Clashes the keymap brings: two bindings on one key where both work (one
    would shadow the other). The default keys' own overlaps are by design (the
    Rules screen's space toggles a rule instead of collecting)."""
    defaults = _clashes({})
    problems = []
    said: set[tuple[str, str, str]] = set()
    for (group, key, one, other), (one_where, other_where) in _clashes(keymap).items():
        if (group, key, one, other) in defaults or (key, one, other) in said:
            continue
        said.add((key, one, other))
        mine = one if one in keymap else other
        problems.append(
            Problem(
                where,
                f"keymap.{mine}",
                f"{key} would be both {one} ({one_where}) and {other} ({other_where}), "
                f"which work together in the {group}: pick another key",
            )
        )
    return problems


def check_keymap(keymap: dict[str, str], source: Path | None) -> None:
    known = {b.id for _, b in all_bindings() if b.id}
    problems = []
    where = str(source) if source else "config"
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            problems.append(
                Problem(
                    where,
                    f"keymap.{binding_id}",
                    f"unknown binding id; valid: {', '.join(sorted(known))}",
                )
            )
            continue
        for key in (k.strip() for k in keys.split(",")):
            if key in SWALLOWED:
                problems.append(
                    Problem(
                        where,
                        f"keymap.{binding_id}",
                        f"{key} is {SWALLOWED[key]}: pick another key",
                    )
                )
    if not problems:
        problems = _clash_problems(keymap, where)
    if problems:
        raise ConfigError(problems)


def bound_keymap(keymap: dict[str, str]) -> dict[str, str]:
    """The keymap as Textual binds it: a one-character key by its name ("?" is
    "question_mark"), each key of a list stripped. Textual normalizes a keymap
    this way in `App.set_keymap` but keeps the result private (`App._keymap`,
    `keys._normalize_key_list`) and has no public getter: this follows its rule,
    so that what the app says of its keys is what it binds."""
    return {
        binding_id: ",".join(_key_name(k.strip()) for k in keys.split(","))
        for binding_id, keys in keymap.items()
    }


def _key_name(key: str) -> str:
    if len(key) != 1:
        return key
    if not key.isalnum():
        try:
            key = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
        except ValueError:
            key = ASCII_KEY_NAMES.get(key, key)
    return KEY_NAME_REPLACEMENTS.get(key, key)
