"""One line for a failure, as the TUI shows it."""

from __future__ import annotations


def reason(exc: BaseException) -> str:
    """One line for a failure, in the sources' words."""
    # Deferred for start-up time: sources.errors imports botocore, which is heavy,
    # and the app paints before any failure can happen.
    from r2tui.sources.errors import describe_error

    return describe_error(exc)
