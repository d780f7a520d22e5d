"""How a command ends: its exit code, and the one line on stderr that says why
it refused or failed.

0 done, 1 failed (a job, an unknown name, a delivery that did not go out),
2 refused (a configuration or store error, invalid input, `--read-only`),
130 interrupted. Errors read `r2tui: WHAT: message`."""

from __future__ import annotations

from r2tui.output import say

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def fail(where: str, message: str, code: int = EXIT_USAGE) -> int:
    """`message` on stderr; values from outside in it are already `visible`
    (or quoted with `repr`), and `say` guards the rest."""
    say(f"r2tui: {where}: {message}", err=True)
    return code


def read_only(what: str) -> int:
    return fail(
        "read-only", f"{what} would change the store or send; run without --read-only to do it"
    )
