"""Typed settings from a TOML file and the environment."""

from r2tui.config.errors import ConfigError, Problem
from r2tui.config.load import load_config, resolve_config_path
from r2tui.config.model import (
    DEFAULT_GRAPHQL_URL,
    DEFAULT_SCHEDULES,
    JOB_NAMES,
    AccountConfig,
    Config,
    InventorySettings,
    ProbeSettings,
    Retention,
    S3Settings,
    Schedule,
)
from r2tui.config.secrets import Secret

__all__ = [
    "DEFAULT_GRAPHQL_URL",
    "DEFAULT_SCHEDULES",
    "JOB_NAMES",
    "AccountConfig",
    "Config",
    "ConfigError",
    "InventorySettings",
    "ProbeSettings",
    "Problem",
    "Retention",
    "S3Settings",
    "Schedule",
    "Secret",
    "load_config",
    "resolve_config_path",
]
