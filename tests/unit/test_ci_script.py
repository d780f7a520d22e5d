""".ci/run checks cheapest first and ends with the README's test command, word for word."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


CHROMIUM_STEP = "[ -x /usr/bin/chromium ] || "


def commands(chromium: bool = False) -> list[str]:
    """The script's command lines, comments and shell settings left out (and the
    chromium install step unless asked)."""
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    skipped = ("#", "set ", "cd ", "rm ") + (() if chromium else (CHROMIUM_STEP,))
    return [
        line.split("  #")[0].strip()
        for line in lines
        if line.strip() and not line.startswith(skipped)
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


def test_chromium_is_installed_with_apt_before_the_tests_when_missing() -> None:
    """The browser test (tests/e2e/test_browser.py) needs Debian's chromium; a failed
    apt-get must not fail CI: that test skips and says why."""
    lines = commands(chromium=True)
    (step,) = [line for line in lines if line.startswith(CHROMIUM_STEP)]
    assert "apt-get install -y -qq chromium" in step
    assert step.endswith(">&2") and "|| echo" in step  # never fails the script
    assert lines.index(step) == len(lines) - 2  # right before the tests
