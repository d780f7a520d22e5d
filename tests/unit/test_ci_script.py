""".ci/run checks cheapest first and ends with the README's test command, word for word."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def commands() -> list[str]:
    """The script's command lines, comments and shell settings left out."""
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    return [
        line.split("  #")[0].strip()
        for line in lines
        if line.strip() and not line.startswith(("#", "set ", "cd ", "rm "))
    ]


def readme_test_command() -> str:
    (line,) = [
        line for line in (REPO / "README.md").read_text().splitlines() if "-m pytest" in line
    ]
    return line


def test_checks_run_in_order_before_the_tests() -> None:
    assert commands()[1:] == [
        ".venv/bin/ruff check r2tui tests bench",
        ".venv/bin/ruff format --check r2tui tests bench",
        ".venv/bin/mypy",
        ".venv/bin/lint-imports",
        ".venv/bin/python -m pytest -n 2",
    ]


def test_install_and_tests_are_the_readmes() -> None:
    venv, install, tests = readme_test_command().split(" && ")
    assert tests == commands()[-1]
    # CI installs quietly; otherwise the same words.
    assert commands()[0] == venv + " && " + install.replace("install ", "install -q ", 1)
