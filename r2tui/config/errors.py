"""Config errors: each names the file, the key and what would be valid."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from r2tui.literal import visible

SHOWN = 100  # problems listed; a file with more needs fixing from the top anyway


@dataclass(frozen=True)
class Problem:
    source: str  # a file path, "environment" or "command line"
    key: str
    message: str

    def __str__(self) -> str:
        # A path, a key or a quoted value can hold any character: one line each,
        # with nothing that acts on a terminal.
        return f"{visible(self.source)}: {visible(self.key)}: {visible(self.message)}"


class ConfigError(Exception):
    """One or more problems; the app refuses to start on any of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        head = (
            "configuration error"
            if len(self.problems) == 1
            else (f"{len(self.problems):,} configuration errors")
        )
        lines = [f"{head}:"] + [f"  {p}" for p in self.problems[:SHOWN]]
        if len(self.problems) > SHOWN:
            lines.append(f"  … and {len(self.problems) - SHOWN:,} more")
        return "\n".join(lines)


def source_name(path: Path | None) -> str:
    return str(path) if path is not None else "environment"
