"""One store holding the whole hostile corpus, filled once a module through the
real paths, for the tests of every text output (test_hostile_outputs.py).

- Keys: each of `hostile.KEYS` is an object (2 GB listed, empty body) in moto,
  written after a first listing so that the second one (the inventory job,
  over HTTP) reports each as a large upload: keys reach the store's largest
  and newest objects and its upload events.
- Bucket names: each of `hostile.NAMES` (S3 cannot hold them) is a bucket in the
  loopback GraphQL peer's analytics, with refused requests (a failed-access
  burst event per name) and a storage snapshot today and two days ago (a
  growth figure), read by the collect_metrics job.
- A rule with a hostile name, labels and annotations, the only rule, watches every bucket
  (`total_bytes > 0` on the glob "?*"): the check_alerts job fires one alert a
  bucket, writes the alert history and delivers one notice to each channel: a
  webhook and a Slack webhook (a loopback receiver), e-mail (aiosmtpd), and a
  webhook nobody listens on (dead in the outbox, with its subject and error).
- A silence whose matchers and comment are hostile (it matches nothing).

The config is a TOML file that the CLI reads too; the peers keep running for
the module, so a test may send again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from r2tui.alerts import saved
from r2tui.alerts.rules import rule_from
from r2tui.alerts.silences import add_silence
from r2tui.config import load_config
from r2tui.jobs import JobContext
from r2tui.matchers import parse_matcher
from r2tui.metrics import DAY
from r2tui.observations import OperationGroup, StorageSnapshot
from r2tui.scheduler import Collector
from r2tui.store import open_store, state
from tests.support.graphql_peer import ACCOUNT as CF_ACCOUNT
from tests.support.graphql_peer import TOKEN as CF_TOKEN
from tests.support.graphql_peer import GraphQLPeer
from tests.support.hostile import KEYS, NAMES
from tests.support.peers import Obj, closed_port, seed_bucket
from tests.support.receivers import Receiver, SMTPPeer

GB = 10**9
KEY_BUCKETS = tuple(f"hostile-keys-{i}" for i in range(5))  # at most 10 upload events each
HOOK_TOKEN = "hook-token-never-shown-5678"

# A rule name may hold any printable text (no C0 control); these must stay text.
RULE_NAME = "=cmd|' [b]NEW[/] <b>x</b> *y* <!channel> \u202egpj.exe \x9b2J"
LABELS = {
    "team": "[link=http://evil.example/]ops[/link] <!here>\x1b[2J",
    "note": "line one\nalerts: nothing firing\r=1+1",
}
ANNOTATIONS = {
    "summary": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ & <i>it</i>",
    "<!here> *x*\u2066": "\u202aembedded\u202c\t<http://evil.example/|view>",
}
SILENCE_COMMENT = 'quiet\n=HYPERLINK("http://evil.example/")\x1b[2J \u202eevil'
SILENCE_MATCHER = "bucket=nothing\u202e\x1b[31m"


def stored_name(name: str) -> str:
    """A name as the analytics job keeps it: a lone surrogate (JSON can spell
    one, no store can hold it) as its escape, everything else exact."""
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", name)


@dataclass
class World:
    config: Path
    db: Path
    names: tuple[str, ...]  # analytics bucket names held in the store
    keys: tuple[str, ...]
    day: str  # the UTC day (YYYY-MM-DD) the analytics and events are in
    hook: Receiver
    slack: Receiver
    smtp: SMTPPeer

    def webhooks(self, path: str) -> list[Any]:
        return [r for r in self.hook.requests if r.path == path]


def _config(
    folder: Path, endpoint: str, graphql: str, hook: Receiver, slack: Receiver, smtp_port: int
) -> Path:
    path = folder / "r2tui.toml"
    path.write_text(
        f"""
[store]
url = "sqlite:///{folder / "hostile.db"}"

[s3]
max_attempts = 1
connect_timeout = 2
read_timeout = 10

[alerts]
max_attempts = 1

[channels.hook]
type = "webhook"
url = "{hook.url(f"/hook/{HOOK_TOKEN}")}"

[channels.slack]
type = "slack"
url = "{slack.url(f"/slack/{HOOK_TOKEN}")}"

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "r2tui@example.org"
to = ["oncall@example.org"]

[channels.down]
type = "webhook"
url = "http://127.0.0.1:{closed_port()}/down/{HOOK_TOKEN}"
timeout = 2

[accounts.acme]
endpoint_url = "{endpoint}"
region = "us-east-1"
access_key_id = "hostile-access-key"
secret_access_key = "hostile-secret-key"
jurisdiction = "eu"
account_id = "{CF_ACCOUNT}"
api_token = "{CF_TOKEN}"
graphql_url = "{graphql}"
""",
        encoding="utf-8",
    )
    return path


def _analytics(
    names: tuple[str, ...], today: int
) -> tuple[list[OperationGroup], list[StorageSnapshot]]:
    # The account is in the EU jurisdiction, whose buckets the API names "eu_NAME":
    # a name may then hold "_" too (a bucket of no jurisdiction cannot).
    ops = [
        OperationGroup(today, f"eu_{name}", "GetObject", "userError", 403, requests=25)
        for name in names
    ]
    snaps = [
        StorageSnapshot(
            at,
            f"eu_{name}",
            objects=3,
            pending_uploads=0,
            payload_bytes=(i + 1) * GB * (2 if at == today else 1),
            metadata_bytes=0,
        )
        for i, name in enumerate(names)
        for at in (today - 2 * DAY, today)
    ]
    return ops, snaps


@contextmanager
def world(folder: Path, moto_endpoint: str) -> Iterator[World]:
    """The filled store and its config, with the peers running until exit."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    httpx.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for bucket in KEY_BUCKETS:
        backend.create_bucket(bucket, region_name="us-east-1")
    today = int(time.time()) - int(time.time()) % DAY
    # The analytics job reads hours that began LAG (3 minutes) ago: in the first
    # minutes of a UTC day the jobs' clock runs up to 5 minutes ahead, so that
    # today's first hour is read and every event falls on the same day.
    ahead = max(0.0, today + 300 - time.time())

    def clock() -> float:
        return time.time() + ahead

    now = clock()
    names = tuple(h.text for h in NAMES)
    ops, snaps = _analytics(names, today)
    with ExitStack() as stack:
        peer = stack.enter_context(GraphQLPeer(operations=ops, storage=snaps))
        hook = stack.enter_context(Receiver())
        slack = stack.enter_context(Receiver())
        smtp = stack.enter_context(SMTPPeer())
        path = _config(folder, moto_endpoint, peer.url, hook, slack, smtp.port)
        config = load_config(str(path))
        store = open_store(config.store_url, config.store_url_source)
        try:
            # As if analytics had been read up to three days ago: the job reads the
            # days since (with today and the snapshots two days back), not 31 days
            # of hourly zeros for every name.
            with store.write():
                state.put(store, state.analytics_key("acme"), today - 3 * DAY)
            collector = Collector(JobContext(config=config, store=store, clock=clock), lease=False)
            _run(collector, "inventory")  # the buckets, empty: nothing new yet
            # Uploaded after that listing: the next one reports each as new.
            keys = tuple(h.text for h in KEYS)
            for i, bucket in enumerate(KEY_BUCKETS):
                seed_bucket(
                    backend,
                    bucket,
                    [Obj(k, 2 * GB, int(now) + 60) for k in keys[i :: len(KEY_BUCKETS)]],
                )
            _run(collector, "inventory")
            _run(collector, "collect_metrics")
            # Only this rule: a default one (failed access, large uploads) firing or
            # not with the time of day would change what each output lists.
            for default in saved.list_rules(store):
                saved.delete_rule(store, default.name)
            saved.save_rule(
                store,
                rule_from(
                    {
                        "name": RULE_NAME,
                        "metric": "total_bytes",
                        "comparison": ">",
                        "threshold": 0,
                        "scope": "?*",
                        "severity": "high",
                        "channels": ["hook", "slack", "mail", "down"],
                        "labels": LABELS,
                        "annotations": ANNOTATIONS,
                    }
                ),
            )
            add_silence(store, [parse_matcher(SILENCE_MATCHER)], 3600, SILENCE_COMMENT)
            _run(collector, "check_alerts", ok=False)  # "down" is dead: an error
        finally:
            store.close()
        yield World(
            path,
            folder / "hostile.db",
            tuple(map(stored_name, names)),
            keys,
            datetime.fromtimestamp(today, UTC).strftime("%Y-%m-%d"),
            hook,
            slack,
            smtp,
        )


def _run(collector: Collector, job: str, ok: bool = True) -> None:
    result = collector.run(job)
    assert result is not None and result.ok is ok, (job, result)
