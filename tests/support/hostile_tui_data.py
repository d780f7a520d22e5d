"""A store filled with the hostile corpus through r2tui's real paths, for the
TUI's one Pilot session over all of it (test_hostile_tui.py).

- Every `hostile.KEYS` entry is an object key in moto, listed over HTTP by the
  inventory job (which asks for `encoding-type=url`). The bucket is listed
  empty first, so the keys are new uploads: ten of them are "large upload"
  events, whose messages hold the keys (the 1,024-byte one the newest).
- Every `hostile.NAMES` entry is a bucket of Cloudflare's analytics, served by
  the loopback GraphQL peer to collect_metrics: hourly series per name, and a
  failed-access burst event per name. S3 cannot hold such bucket names.
- A hostile rule (markup, a link, a bidi override in its name; an escape and a
  line break in an annotation) watches every bucket, so check_alerts fires it
  for every hostile name: the Alerts pane and the alert history hold both. A
  silence with a hostile comment quiets it.
- A later collect_metrics gets a GraphQL error whose message is hostile: the
  job fails, and its error is the header's collector detail and an event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from r2tui.alerts import saved
from r2tui.alerts.rules import Rule
from r2tui.alerts.silences import add_silence
from r2tui.config import AccountConfig, InventorySettings, Secret
from r2tui.jobs.base import JobContext
from r2tui.jobs.runner import run_job
from r2tui.observations import OperationGroup, StorageSnapshot
from r2tui.store import Store, state
from tests.support.configs import account_for, make_config
from tests.support.graphql_peer import ACCOUNT as ACCOUNT_ID
from tests.support.graphql_peer import TOKEN, GraphQLPeer, errors_answer
from tests.support.hostile import KEYS, NAMES
from tests.support.tui_data import NOW

BUCKET = "hostile-keys"
# The account's name comes from the user's config: shown in the header and the
# screens' titles, it is data too.
ACCOUNT_NAME = "acct[/] \u202etset"
JURISDICTION = "eu"  # analytics names arrive as "eu_<name>": a name may hold "_" then
HOUR = 3600
# The last full hour the analytics hold at NOW: the newest minutes are still arriving.
LAST_HOUR = int(NOW) - int(NOW) % HOUR - 2 * HOUR
# A rule name within the rules' own limits (no C0 control, at most 80 characters)
# that is still markup, a link, a bidi override and wide text.
RULE_NAME = "[bold red]FIRE[/] [link=http://evil.example/]x[/link] \u202egpj.exe 漢字"
ANNOTATION = "\x1b[2Jcleared\nsecond line [b]bold[/b]"
SILENCE_COMMENT = "[/]maintenance\x1b]52;c;cm0K\x07 by \u202eevil"
SERVER_ERROR = "[/]denied[ \x1b[31mred\x1b[0m \u202egpj.exe " + "long " * 60
LONG_KEY = next(h.text for h in KEYS if h.id == "long-ascii")
LF_KEY = next(h.text for h in KEYS if h.id == "lf")
LARGE = 1_000_000  # the inventory's large-upload size here


@dataclass(frozen=True)
class Seeded:
    account: AccountConfig  # what the jobs used
    names: dict[str, str]  # analytics bucket name, as stored → hostile id
    keys: dict[str, str]  # object key → hostile id


def stored_name(name: str) -> str:
    """A bucket name as the analytics keep it: a lone surrogate (no store can
    hold one) as its escape."""
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", name)


def _size(key: str, i: int) -> int:
    """The first nine keys (markup of every kind) and the 1,024-byte key are
    large uploads, that one the smallest of them: its event, written last, is
    the Activity pane's second entry (under the job's own)."""
    if key == LONG_KEY:
        return 2 * LARGE
    return 5 * LARGE + 1000 * i if i < 9 else 1000 + i


def seed(store: Store, backend: Any, moto_endpoint: str, peer: GraphQLPeer) -> Seeded:
    """Fill `store` with the corpus through the inventory, collect_metrics,
    rollup, calculate_costs and check_alerts jobs; `backend` is moto's
    in-process S3 (fast to write to; the listing goes over HTTP)."""
    keys = {h.text: h.id for h in KEYS}
    names = {stored_name(h.text): h.id for h in NAMES}
    account = account_for(
        moto_endpoint,
        ACCOUNT_NAME,
        api_token=Secret(TOKEN, "test"),
        account_id=ACCOUNT_ID,
        graphql_url=peer.url,
        jurisdiction=JURISDICTION,
    )
    config = make_config(
        (account,),
        inventory=InventorySettings(top_n=len(keys), newest_n=len(keys), large_object_bytes=LARGE),
    )
    clock = [NOW - 2 * HOUR]
    ctx = JobContext(config=config, store=store, clock=lambda: clock[0], analytics_backoff=0.001)

    def run(job: str, ok: bool = True) -> None:
        result = run_job(job, ctx)
        assert result.ok is ok, f"{job}: {result.errors}"

    backend.create_bucket(BUCKET, region_name="us-east-1")
    run("inventory")  # empty: what is listed next is new
    clock[0] = NOW
    for i, key in enumerate(keys):
        obj = backend.put_object(BUCKET, key, b"", storage="STANDARD")
        obj.contentsize = _size(key, i)
        # moto keeps naive UTC datetimes; a minute apart, newest last.
        obj.last_modified = datetime(1970, 1, 1) + timedelta(seconds=int(NOW) - 3600 + 60 * i)
    peer.operations[:] = [
        OperationGroup(LAST_HOUR, f"{JURISDICTION}_{h.text}", "GetObject", "userError", 403, 12)
        for h in NAMES
    ]
    peer.storage[:] = [
        StorageSnapshot(LAST_HOUR, f"{JURISDICTION}_{h.text}", 3, 0, 1_000_000 * (i + 1), 100)
        for i, h in enumerate(NAMES)
    ]
    # Analytics stored up to three hours ago: the first run reads a few hours, not
    # the 31 days of a first start (each hour a zero row per bucket and series).
    state.put(store, state.analytics_key(account.name), LAST_HOUR - HOUR)
    for job in ("collect_metrics", "rollup", "calculate_costs"):
        run(job)
    saved.save_rule(
        store,
        Rule(
            RULE_NAME,
            "failed_access",
            ">",
            0.0,
            scope="?*",
            severity="critical",
            annotations=(("summary", ANNOTATION),),
        ),
        now=NOW,
    )
    run("check_alerts")
    add_silence(store, [("rule", "=", RULE_NAME)], 3600, SILENCE_COMMENT, now=NOW)
    # The next read fails with a hostile message: the collector's detail says it.
    peer.push(200, errors_answer(SERVER_ERROR, code="hostile"))
    run("collect_metrics", ok=False)
    run("inventory")  # last: its upload events are the newest entries of the Activity pane
    return Seeded(account, names, keys)
