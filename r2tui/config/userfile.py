"""Reading a file that a setting or a command names, which anyone may have put
there: a regular file, at most so many bytes, opened without blocking.

Opened non-blocking and checked on the open descriptor: a FIFO would otherwise
wait for a writer forever (every command would hang), and a path swapped for
one between a check and the open cannot make it wait either. At most `limit`
+ 1 bytes are read, so /dev/zero or a huge file costs nothing. Secrets
(`*_file` settings), the config file and rules files are read this way.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["FileRefused", "FileTooLarge", "read_regular"]

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class FileRefused(ValueError):
    """The file cannot be used: the message says why (never what it holds)."""


class FileTooLarge(FileRefused):
    """The file holds more than the limit."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them;
    FileRefused (FileTooLarge) naming what is wrong otherwise."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        raise FileRefused(exc.strerror or str(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a file")
            raise FileRefused(f"it is {kind}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise FileRefused(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    if size > limit:
        raise FileTooLarge(f"it holds more than {limit:,} bytes")
    return b"".join(chunks)
