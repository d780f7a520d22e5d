"""Small protocol peers on loopback for fault tests (a port nobody listens on, a
TCP server that accepts and never answers, an HTTP server that answers every
request with a fixed S3 error and counts them), and seeding helpers for moto's
in-process backend."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self


def closed_port() -> int:
    """A loopback port with no listener: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SilentServer:
    """Accepts TCP connections, reads what comes, never writes a byte back."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        # Set once a client has connected: its request is on the wire, unanswered.
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="silent-peer", daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)  # held open, unanswered
            self.connected.set()

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self.connections:
            conn.close()
        self.sock.close()


def _error_xml(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>peer-1</RequestId></Error>"
    ).encode()


class LoopbackHTTP:
    """An HTTP server on 127.0.0.1 in a daemon thread, for a handler class; a
    context manager that starts and stops it."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str, port: int = 0) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        # A short poll: shutdown() waits up to one poll interval.
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name=name, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=2)


class ErrorS3Server(LoopbackHTTP):
    """Answers every request, whatever its method and path, with one S3 error."""

    def __init__(
        self, status: int = 403, code: str = "AccessDenied", message: str = "Access Denied"
    ) -> None:
        body = _error_xml(code, message)
        self.requests: list[tuple[str, str]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                peer.requests.append((self.command, self.path))
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

            def log_message(self, *_: object) -> None:  # keep test output clean
                pass

        super().__init__(Handler, "s3-error-peer")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def silent_server() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


@contextmanager
def error_server(
    status: int = 403, code: str = "AccessDenied", message: str = "Access Denied"
) -> Iterator[ErrorS3Server]:
    with ErrorS3Server(status, code, message) as server:
        yield server


# ---- seeding moto's in-process backend ------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """One seeded object as the test knows it: the source of every expected value."""

    key: str
    size: int
    mtime: int  # whole epoch seconds: S3 listings carry second precision
    storage_class: str = "STANDARD"


def seed_bucket(backend: Any, bucket: str, objects: Iterable[Obj]) -> list[Obj]:
    """Create `bucket` in moto's backend and write `objects` into it, with their
    listed sizes and times set on the keys (bodies stay empty: memory is small)."""
    if bucket not in backend.buckets:  # seeding more into an existing bucket is fine
        backend.create_bucket(bucket, region_name="us-east-1")
    written = []
    for o in objects:
        fake = backend.put_object(bucket, o.key, b"", storage=o.storage_class)
        fake.contentsize = o.size
        # moto keeps naive UTC datetimes.
        fake.last_modified = datetime(1970, 1, 1) + timedelta(seconds=o.mtime)
        written.append(o)
    return written


def delete_bucket(backend: Any, bucket: str) -> None:
    """Remove a bucket with everything in it (moto refuses to drop a non-empty one)."""
    for key in list(backend.get_bucket(bucket).keys):
        backend.delete_object(bucket, key)
    assert backend.delete_bucket(bucket) is not None, f"moto kept bucket {bucket}"


EXTENSIONS = ("jpg", "JPG", "png", "tar.gz", "json.gz", "csv", "log", "", "parquet", "mp4")


def random_objects(
    rng: random.Random,
    n: int,
    now: int,
    prefix: str = "",
    ia_share: float = 0.3,
    max_size: int = 50_000_000,
) -> list[Obj]:
    """`n` objects with unique keys, mixed types, sizes (with ties), classes and ages."""
    out = []
    for i in range(n):
        ext = rng.choice(EXTENSIONS)
        folder = rng.choice(("a", "b/c", "d/e/f"))
        key = f"{prefix}{folder}/obj-{i:06d}" + (f".{ext}" if ext else "")
        # A coarse grid of sizes makes ties, which the top-N order must settle by key.
        size = rng.choice((0, 1, 1000, rng.randrange(1, max_size), rng.randrange(1, 50) * 100_000))
        mtime = now - rng.randrange(0, 400 * 86400)
        cls = "STANDARD_IA" if rng.random() < ia_share else "STANDARD"
        out.append(Obj(key, size, mtime, cls))
    return out


def collector_config(tmp_path: Path, endpoint: str, db: Path, **sections: str) -> Path:
    """A config file for a headless `r2tui collect` subprocess: one test account
    at `endpoint`, a SQLite store at `db`, plus extra TOML per section name."""
    extra = "".join(f"\n[{name}]\n{body.strip()}\n" for name, body in sections.items())
    path = tmp_path / "collect.toml"
    path.write_text(
        f"""
[store]
url = "sqlite:///{db}"
{extra}
[accounts.test]
endpoint_url = "{endpoint}"
region = "us-east-1"
access_key_id = "test-access-key"
secret_access_key = "test-secret-key"
""",
        encoding="utf-8",
    )
    return path


class HtmlText(HTMLParser):
    """The tags an HTML document uses and its text (entities decoded): what a
    reader sees, to check that data never turned into markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
