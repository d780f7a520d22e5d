"""A SQLite store's file as bytes: what a read-only session must leave as it was."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse


def sqlite_path(url: str) -> Path:
    """The file of a `sqlite:////absolute/path` URL."""
    return Path(urlparse(url).path[1:])


def store_bytes(path: Path) -> tuple[bytes, bytes]:
    """The file's bytes and its -wal's (none and empty are the same: a read-only
    connection may create an empty -wal, never write one). The -shm is SQLite's
    shared-memory index, rebuilt by any reader, not the store's content."""
    wal = Path(f"{path}-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""
