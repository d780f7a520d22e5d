"""The embedded demo account: a moto S3 server on loopback, seeded with
realistic buckets and kept busy by a traffic generator, a GraphQL analytics
endpoint on loopback that reports on both, and a webhook receiver on loopback
that is the demo's notification channel.

The seeded objects are a function of the seed, the scale and `seeded_at`, the
time they are dated from: the demo's start keeps that time in its store, so a
restart finds the very same objects (`r2tui.runtime`)."""

from __future__ import annotations

import logging
import time
from typing import Any

from r2tui.config import AccountConfig, ProbeSettings, S3Settings, Secret
from r2tui.config.alert_model import ChannelConfig
from r2tui.config.model import DEMO_QUOTA
from r2tui.config.secrets import secret_url
from r2tui.sources.demo.analytics import DemoAnalytics, DemoGraphQLServer, bucket_totals
from r2tui.sources.demo.inbox import INBOX_CHANNEL, DemoInbox
from r2tui.sources.demo.seed import seed
from r2tui.sources.demo.traffic import TrafficGenerator
from r2tui.sources.s3 import make_client

# moto accepts any credentials; these name themselves so nobody mistakes them.
DEMO_KEY = "demo-access-key"
DEMO_SECRET = "demo-secret-key"
# Only the demo's own GraphQL server accepts these; the id is not even hex, so
# it can never name a real Cloudflare account.
DEMO_API_TOKEN = "demo-analytics-token"
DEMO_ACCOUNT_ID = "demo0000000000000000000000000000"


# The demo probes each of its five buckets at every 30-second run: 5 x 86,400
# probes of 4 requests a month (1,728,000) fit in its budget.
DEMO_PROBE_REQUESTS = 2_000_000


class DemoAccount:
    def __init__(
        self,
        scale: float = 1.0,
        traffic: bool = True,
        seed_value: int = 2026,
        seeded_at: float | None = None,
    ) -> None:
        """`seeded_at`: the time the seeded objects are dated from (now when None);
        none is dated after it."""
        self.scale = scale
        self.with_traffic = traffic
        self.seed_value = seed_value
        self.seeded_at = seeded_at
        self.server: Any = None
        self.traffic: TrafficGenerator | None = None
        self.endpoint = ""
        self.counts: dict[str, int] = {}
        self.analytics: DemoAnalytics | None = None
        self.graphql: DemoGraphQLServer | None = None
        self.inbox: DemoInbox | None = None

    def start(self) -> AccountConfig:
        # Imported here: moto is heavy, and only the demo needs it.
        from moto.core.models import DEFAULT_ACCOUNT_ID
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
            self.counts = seed(backend, self.scale, self.seed_value, now=self.seeded_at)
            sizes = {b: t[1] for b, t in bucket_totals(backend, sorted(self.counts)).items()}
            started_at = time.time()
            traffic = None
            if self.with_traffic:
                client = make_client(self.account(probes=False), S3Settings(max_attempts=1))
                traffic = TrafficGenerator(client, backend, sorted(self.counts))
            self.analytics = DemoAnalytics(
                self.counts, sizes, traffic, started_at, self.seed_value, backend=backend
            )
            graphql = DemoGraphQLServer(self.analytics, DEMO_API_TOKEN, DEMO_ACCOUNT_ID)
            graphql.start()
            self.graphql = graphql
            inbox = DemoInbox()
            inbox.start()
            self.inbox = inbox
            if traffic is not None:
                self.traffic = traffic
                self.traffic.start()
        except BaseException:
            self.stop()  # a half-started demo must not leave a server on a port
            raise
        return self.account()

    def account(self, probes: bool = True) -> AccountConfig:
        analytics: dict[str, Any] = {}
        if self.graphql is not None:
            # Without the demo's own server, no analytics: the demo token must
            # never travel to Cloudflare's real endpoint.
            analytics = {
                "api_token": Secret(DEMO_API_TOKEN, "demo"),
                "account_id": DEMO_ACCOUNT_ID,
                "graphql_url": self.graphql.url,
            }
        return AccountConfig(
            name="demo",
            endpoint_url=secret_url(self.endpoint, "endpoint_url"),
            region="us-east-1",  # moto refuses R2's "auto" for some calls
            access_key_id=Secret(DEMO_KEY, "demo"),
            secret_access_key=Secret(DEMO_SECRET, "demo"),
            quota_bytes=DEMO_QUOTA,
            probe=ProbeSettings(
                enabled=probes,
                buckets=("*",),
                prefix=".r2tui-probe/",
                requests_per_month=DEMO_PROBE_REQUESTS,
            ),
            **analytics,
        )

    def channel(self) -> ChannelConfig:
        """The demo's notification channel: a webhook to its own receiver. The URL
        is held as a secret like any webhook's, though it names only loopback."""
        if self.inbox is None:
            raise RuntimeError("the demo's webhook receiver is not running")
        return ChannelConfig(
            name=INBOX_CHANNEL,
            type="webhook",
            url=secret_url(self.inbox.url, "demo"),
            timeout=5.0,
        )

    def stop(self) -> None:
        if self.inbox is not None:
            self.inbox.stop()
            self.inbox = None
        if self.traffic is not None:
            self.traffic.stop()
            self.traffic = None
        if self.graphql is not None:
            self.graphql.stop()
            self.graphql = None
        if self.server is not None:
            self.server.stop()
            self.server = None
