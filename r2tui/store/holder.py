"""This process as the store knows it: its host, pid and a random id drawn once
per process. The id names the holder of a collector lease (store/lease.py) and
the process that opened a job run: a host and pid are not enough, since a
container restarted with the same hostname runs as pid 1 again."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

HOST = socket.gethostname()
_IDS: dict[int, str] = {}


@dataclass(frozen=True)
class Holder:
    """A process that may hold leases: every collector in one process is the same one."""

    host: str
    pid: int
    id: str

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}"


def me() -> Holder:
    """This process. Its id is drawn again in a forked child: a child is another process."""
    pid = os.getpid()
    if pid not in _IDS:
        _IDS[pid] = secrets.token_hex(8)
    return Holder(HOST, pid, _IDS[pid])
