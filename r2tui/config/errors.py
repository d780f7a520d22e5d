"""Config errors: each names the file, the key and what would be valid."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    source: str  # a file path, "environment" or "command line"
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.message}"


class ConfigError(Exception):
    """One or more problems; the app refuses to start on any of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        head = "configuration error" if len(self.problems) == 1 else (
            f"{len(self.problems)} configuration errors"
        )
        lines = [f"{head}:"] + [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def source_name(path: Path | None) -> str:
    return str(path) if path is not None else "environment"
