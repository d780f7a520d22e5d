"""Every binding the app has, for the help screen, the palette and keymap checks."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from textual.binding import Binding
from textual.keys import ASCII_KEY_NAMES, KEY_NAME_REPLACEMENTS

from r2tui.config import ConfigError, Problem
from r2tui.tui.bindings import APP_BINDINGS  # the app's, apart from the app: it imports this
from r2tui.tui.panes.metrics import MetricsPane
from r2tui.tui.panes.storage import StoragePane
from r2tui.tui.screens.alert_history import AlertHistoryScreen
from r2tui.tui.screens.dialogs import ConfirmScreen, SilenceScreen
from r2tui.tui.screens.history import HistoryScreen
from r2tui.tui.screens.rule_form import RuleForm
from r2tui.tui.screens.rules import RulesScreen
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
MODALS = ("rule form", "silence dialog", "confirmation")


def screen_classes() -> dict[str, type]:
    """Screens whose keys work only while they are open, by their help "where"."""
    return {
        "history screen": HistoryScreen,
        "rules screen": RulesScreen,
        "alert history": AlertHistoryScreen,
    }


def all_bindings() -> list[tuple[str, Binding]]:
    """(where, binding) for every binding with an id, in help order."""
    out: list[tuple[str, Binding]] = []
    for where, bindings in (
        ("everywhere", APP_BINDINGS),
        ("metrics pane", MetricsPane.BINDINGS),
        ("storage pane", StoragePane.BINDINGS),
        ("history screen", HistoryScreen.BINDINGS),
        ("any table", FilterTable.BINDINGS),
        ("rules screen", RulesScreen.BINDINGS),
        ("alert history", AlertHistoryScreen.BINDINGS),
        ("rule form", RuleForm.BINDINGS),
        ("silence dialog", SilenceScreen.BINDINGS),
        ("confirmation", ConfirmScreen.BINDINGS),
    ):
        for b in bindings:
            if isinstance(b, Binding) and b.id:
                out.append((where, b))
    return out


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
