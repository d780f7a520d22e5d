"""moto's S3 server on loopback, holding the benchmark bucket; run by bench_servers.

    python moto_server.py BUCKET OBJECTS

Seeds through moto's in-process backend (tens of thousands of objects per
second, where HTTP PUTs manage about 180/s), then prints ``READY host:port``
and serves until SIGTERM. Bodies are empty: each key's size and date are set
on the backend object afterwards, so listings carry the generated sizes
without holding a terabyte in memory.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import UTC, datetime

from bench_keys import generate


def main() -> int:
    bucket, objects = sys.argv[1], int(sys.argv[2])
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        backend.create_bucket(bucket, "us-east-1")
        for obj in generate(objects):
            key = backend.put_object(bucket, obj.key, b"", storage=obj.storage_class)
            key.contentsize = obj.size  # what listings report as Size
            # moto keeps naive UTC datetimes.
            key.last_modified = datetime.fromtimestamp(obj.mtime, UTC).replace(tzinfo=None)
        print(f"READY {host}:{port}", flush=True)
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
