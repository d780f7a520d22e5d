"""Background traffic against the demo account: real S3 requests over HTTP.

Uploads, downloads, HEADs, listings, deletes and some requests that fail
(missing keys and buckets, about 3 % of all), now and then a large upload.
Every request is logged with its outcome so the demo can serve analytics computed from it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    ts: float
    bucket: str
    action: str
    status: int


class TrafficGenerator:
    def __init__(
        self,
        client: Any,
        backend: Any,
        buckets: list[str],
        seed: int = 7,
        mean_interval: float = 0.5,
        large_every: int = 400,
    ) -> None:
        self.client = client
        self.backend = backend
        self.buckets = buckets
        self.rng = random.Random(seed)
        self.mean_interval = mean_interval
        self.large_every = large_every
        self.log: deque[Request] = deque(maxlen=200_000)
        self._mine: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._n = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="demo-traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.rng.expovariate(1 / self.mean_interval)):
            try:
                self.step()
            except Exception as exc:  # the demo's traffic must never take the app down
                log.debug("demo traffic step failed: %s", exc)

    def step(self) -> None:
        self._n += 1
        roll = self.rng.random()
        if roll < 0.30 or not self._mine:
            self._upload()
        elif roll < 0.72:
            bucket, key = self.rng.choice(self._mine)
            self._call(
                bucket,
                "GetObject",
                lambda: self.client.get_object(Bucket=bucket, Key=key)["Body"].read(),
            )
        elif roll < 0.82:
            bucket, key = self._mine.pop(self.rng.randrange(len(self._mine)))
            self._call(
                bucket, "DeleteObject", lambda: self.client.delete_object(Bucket=bucket, Key=key)
            )
        elif roll < 0.97:
            bucket = self.rng.choice(self.buckets)
            self._call(
                bucket,
                "ListObjectsV2",
                lambda: self.client.list_objects_v2(Bucket=bucket, MaxKeys=50),
            )
        elif roll < 0.995:
            # About 3 % of requests fail (these 2.5 % and the missing bucket's
            # 0.5 %): below the 5 % warning. Bursts come from the analytics script.
            bucket = self.rng.choice(self.buckets)
            key = f"missing/{self.rng.randrange(10**6)}.bin"
            self._call(bucket, "GetObject", lambda: self.client.get_object(Bucket=bucket, Key=key))
        else:
            self._call(
                "no-such-bucket",
                "ListObjectsV2",
                lambda: self.client.list_objects_v2(Bucket="no-such-bucket"),
            )

    def _upload(self) -> None:
        bucket = self.rng.choice(["user-uploads", "media-assets", "logs-archive"])
        stamp = datetime.now(UTC).strftime("%Y/%m/%d")
        key = f"incoming/{stamp}/upload-{self._n:06d}.{self.rng.choice(['jpg', 'pdf', 'json'])}"
        body = self.rng.randbytes(self.rng.randint(100, 32_000))
        if self._call(
            bucket, "PutObject", lambda: self.client.put_object(Bucket=bucket, Key=key, Body=body)
        ):
            self._mine.append((bucket, key))
            if self._n % self.large_every == 0:
                # A large upload, simulated: only its listed size is large.
                fake = self.backend.get_object(bucket, key)
                if fake is not None:
                    fake.contentsize = self.rng.randint(1_200, 4_000) * 1_000_000

    def _call(self, bucket: str, action: str, fn: Any) -> bool:
        status = 200
        try:
            fn()
        except ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
        self.log.append(Request(time.time(), bucket, action, status))
        return status < 300
