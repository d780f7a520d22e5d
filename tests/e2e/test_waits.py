"""A hung endpoint shows at once: S3 requests report to the jobs' Waits while in
flight (botocore's before-send / response-received events on a real client),
and the header says "waiting N s for HOST", then the reason once the attempts
end. The endpoint is a loopback TCP server that accepts and never answers."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from r2tui.config import S3Settings
from r2tui.sources import s3
from r2tui.sources.listing.fetch import Fetcher
from r2tui.store import Store, health
from r2tui.store.health import S3, SourceState
from r2tui.tui.app import build_app
from r2tui.tui.widgets.header import StatusHeader, waiting_text
from r2tui.waits import QUERY_BUDGET, Wait, Waits
from tests.support.configs import account_for, make_config
from tests.support.peers import closed_port
from tests.support.tui import SIZE, wait_for

QUICK = S3Settings(connect_timeout=1, read_timeout=0.5, max_attempts=1)


@pytest.fixture
def silent() -> Iterator[int]:
    """A port whose server takes connections (the kernel's backlog) and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def in_thread(call) -> threading.Thread:  # type: ignore[no-untyped-def]
    def run() -> None:
        with contextlib.suppress(Exception):  # the timeout is what the test waits for
            call()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_request_in_flight_is_named_by_host_and_operation(silent: int) -> None:
    waits = Waits()
    client = s3.make_client(account_for(f"http://127.0.0.1:{silent}/r2"), QUICK)
    s3.report_waits(client, waits)
    assert waits.longest() is None
    thread = in_thread(lambda: client.head_bucket(Bucket="media"))
    deadline = time.monotonic() + 5
    while waits.longest() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    wait = waits.longest()
    assert wait is not None
    # Host and port only: never the path (nor userinfo or query) of the endpoint.
    assert (wait.host, wait.what) == (f"127.0.0.1:{silent}", "HeadBucket")
    thread.join(10)
    assert not thread.is_alive() and waits.longest() is None  # ended when it timed out


def test_a_hung_listing_page_is_named_too(silent: int) -> None:
    """Listing pages go out through our own fetcher, not botocore's send: they must
    announce themselves the same way."""
    waits = Waits()
    client = s3.make_client(account_for(f"http://127.0.0.1:{silent}"), QUICK)
    s3.report_waits(client, waits)
    thread = in_thread(lambda: Fetcher(client, "media", 1000).fetch("", None))
    deadline = time.monotonic() + 5
    while waits.longest() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    wait = waits.longest()
    assert wait is not None and (wait.host, wait.what) == (f"127.0.0.1:{silent}", "ListObjectsV2")
    thread.join(10)
    assert not thread.is_alive() and waits.longest() is None


def test_a_listing_page_that_fails_otherwise_ends_its_wait(moto_endpoint: str) -> None:
    """TLS spoken to a plain HTTP server: an error the fetcher does not retry
    still ends the wait (else the header would show it waiting for ever)."""
    waits = Waits()
    https = moto_endpoint.replace("http://", "https://")
    client = s3.make_client(account_for(https), QUICK)
    s3.report_waits(client, waits)
    with pytest.raises(Exception, match="SSL"):
        Fetcher(client, "media", 1000).fetch("", None)
    assert waits.longest() is None


def test_the_header_names_the_shown_accounts_wait_and_the_budget_as_such() -> None:
    mine = {"r2.example:443", "api.example:8787"}
    slow = Wait("other.example:443", 0.0, "ListObjectsV2")  # another account's, longer
    hung = Wait("api.example:8787", 5.0, "Cloudflare analytics")
    assert waiting_text([slow, hung], mine, 17.0) == "waiting 12 s for api.example:8787"
    assert waiting_text([slow, hung], mine, 6.0) == ""  # not a while yet
    assert waiting_text([slow], mine, 60.0) == ""
    paced = Wait("api.example:8787", 5.0, QUERY_BUDGET)
    assert waiting_text([paced], mine, 45.0) == "waiting 40 s for Cloudflare's query budget"


def test_every_attempt_ends_its_wait(moto_endpoint: str, s3_backend) -> None:  # type: ignore[no-untyped-def]
    s3_backend.create_bucket("alpha", region_name="us-east-1")
    waits = Waits()
    seen: list[str] = []
    answered = s3.make_client(account_for(moto_endpoint), QUICK)
    s3.report_waits(answered, waits)
    answered.meta.events.register("before-send.s3", lambda **_: seen.append("sent"))
    assert s3.list_buckets(answered) == ["alpha"]
    with pytest.raises(Exception, match="404"):
        answered.head_bucket(Bucket="missing")
    # Refused at once, on each of three attempts.
    refused = s3.make_client(
        account_for(f"http://127.0.0.1:{closed_port()}"),
        S3Settings(connect_timeout=1, read_timeout=1, max_attempts=3),
    )
    s3.report_waits(refused, waits)
    refused.meta.events.register("before-send.s3", lambda **_: seen.append("retry"))
    with pytest.raises(Exception, match="Could not connect"):
        refused.list_buckets()
    assert seen == ["sent", "sent", "retry", "retry", "retry"]
    assert waits.longest() is None


async def test_the_header_names_a_hung_endpoint_then_the_reason(store: Store, silent: int) -> None:
    shift = [0.0]  # the app's clock, moved on instead of waiting

    def clock() -> float:
        return time.time() + shift[0]

    config = make_config(
        (account_for(f"http://127.0.0.1:{silent}", name="hung"),),
        s3=S3Settings(connect_timeout=1, read_timeout=5, max_attempts=1),
    )
    app = build_app(config, store, clock=clock)
    header = ""
    try:
        async with app.run_test(size=SIZE) as pilot:
            # The request waits, and the app has heard the job started (a message
            # from the job's thread, which may come a moment after the wait).
            await wait_for(
                pilot,
                lambda: (
                    app.embedded.collector is not None
                    and app.embedded.collector.ctx.waits.longest() is not None
                    and app.header_state().state == "running"
                ),
                timeout=10,
            )
            assert "waiting" not in app.header_state().detail  # not yet a while
            shift[0] = 12.0
            # The header's own once-a-second update shows it, no key pressed.
            # 12 s or a little more: on a loaded machine the header's next second
            # may come after the shift has grown by one.
            shown = re.compile(rf"waiting 1[2-6] s for 127\.0\.0\.1:{silent}\b")
            await wait_for(
                pilot,
                lambda: shown.search(str(app.query_one(StatusHeader).render())) is not None,
                timeout=3,
            )
            await wait_for(pilot, lambda: app.header_state().state == "failing", timeout=10)
            header = app.header_state().detail
    finally:
        collector = app.embedded.collector
        deadline = time.monotonic() + 10
        while collector is not None and collector.running_jobs and time.monotonic() < deadline:
            time.sleep(0.05)
    assert header.startswith("S3 unreachable since ")
    assert f"timed out waiting for 127.0.0.1:{silent} to answer" in header
    assert health.read(store, "hung").get(S3).state is SourceState.DOWN
