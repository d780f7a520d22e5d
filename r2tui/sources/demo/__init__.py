"""The embedded demo account: a moto S3 server on loopback, seeded with
realistic buckets and kept busy by a traffic generator."""

from __future__ import annotations

import logging
from typing import Any

from r2tui.config import AccountConfig, ProbeSettings, S3Settings, Secret
from r2tui.sources.demo.seed import seed
from r2tui.sources.demo.traffic import TrafficGenerator

# moto accepts any credentials; these name themselves so nobody mistakes them.
DEMO_KEY = "demo-access-key"
DEMO_SECRET = "demo-secret-key"
DEMO_QUOTA = 1_200 * 10**9  # ~78 % used: the quota gauge has something to show


class DemoAccount:
    def __init__(self, scale: float = 1.0, traffic: bool = True, seed_value: int = 2026) -> None:
        self.scale = scale
        self.with_traffic = traffic
        self.seed_value = seed_value
        self.server: Any = None
        self.traffic: TrafficGenerator | None = None
        self.endpoint = ""
        self.counts: dict[str, int] = {}

    def start(self) -> AccountConfig:
        # Imported here: moto is heavy, and only the demo needs it.
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        try:
            host, port = self.server.get_host_and_port()
            self.endpoint = f"http://{host}:{port}"
            # moto's backend is process-wide: the demo owns it while it runs.
            backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
            backend.reset()
            self.counts = seed(backend, self.scale, self.seed_value)
            if self.with_traffic:
                from r2tui.sources.s3 import make_client

                client = make_client(self.account(probes=False), S3Settings(max_attempts=1))
                self.traffic = TrafficGenerator(client, backend, sorted(self.counts))
                self.traffic.start()
        except BaseException:
            self.stop()  # a half-started demo must not leave a server on a port
            raise
        return self.account()

    def account(self, probes: bool = True) -> AccountConfig:
        return AccountConfig(
            name="demo",
            endpoint_url=self.endpoint,
            region="us-east-1",  # moto refuses R2's "auto" for some calls
            access_key_id=Secret(DEMO_KEY, "demo"),
            secret_access_key=Secret(DEMO_SECRET, "demo"),
            quota_bytes=DEMO_QUOTA,
            probe=ProbeSettings(enabled=probes, buckets=("*",), prefix=".r2tui-probe/"),
        )

    def stop(self) -> None:
        if self.traffic is not None:
            self.traffic.stop()
            self.traffic = None
        if self.server is not None:
            self.server.stop()
            self.server = None
