"""The canary probe against moto over HTTP and against peers that fail: every
outcome is a recorded result with its reason, never an exception."""

from __future__ import annotations

from typing import Any

import pytest

from r2tui.config import S3Settings
from r2tui.observations import RequestTally
from r2tui.sources import s3
from tests.support.configs import account_for
from tests.support.peers import Obj, closed_port, error_server, seed_bucket, silent_server

STEPS = ["PutObject", "GetObject", "HeadObject", "DeleteObject"]
PREFIX = ".r2tui-probe/"


def _client(endpoint: str, tally: RequestTally | None = None, **kw: Any) -> Any:
    settings = S3Settings(**{"connect_timeout": 2, "read_timeout": 5, "max_attempts": 1, **kw})
    return s3.make_client(account_for(endpoint), settings, tally)


def test_probe_success_records_four_timed_steps(s3_backend: Any, moto_endpoint: str) -> None:
    seed_bucket(s3_backend, "canary", [Obj("keep.txt", 5, 1_700_000_000)])
    tally = RequestTally()
    result = s3.probe_bucket(_client(moto_endpoint, tally), "canary", PREFIX, clock=lambda: 1234.5)
    assert result.bucket == "canary" and result.at == 1234.5
    assert [s.operation for s in result.steps] == STEPS
    assert result.ok and result.error is None
    assert all(s.ok and s.error is None and s.ms > 0 for s in result.steps)
    # The canary cleaned up after itself; the bucket holds what it held.
    assert sorted(s3_backend.get_bucket("canary").keys) == ["keep.txt"]
    # PUT is Class A, GET and HEAD Class B, DELETE free: one attempt each.
    assert tally.by_operation == dict.fromkeys(STEPS, 1)
    assert (tally.class_a, tally.class_b, tally.free) == (1, 2, 1)


def test_probe_keys_live_under_the_prefix(s3_backend: Any, moto_endpoint: str) -> None:
    seed_bucket(s3_backend, "canary", [])
    client = _client(moto_endpoint)
    written: list[str] = []
    client.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: written.append(params["Key"])
    )
    first = s3.probe_bucket(client, "canary", "probes/x-")
    second = s3.probe_bucket(client, "canary", "probes/x-")
    assert first.ok and second.ok
    assert len(written) == 2 and len(set(written)) == 2  # a fresh key every time
    assert all(k.startswith("probes/x-") for k in written)


def test_missing_bucket_is_a_failed_step_not_an_exception(
    s3_backend: Any, moto_endpoint: str
) -> None:
    result = s3.probe_bucket(_client(moto_endpoint), "no-such-bucket", PREFIX)
    assert not result.ok
    assert [s.operation for s in result.steps] == ["PutObject"]  # nothing after a failed PUT
    step = result.steps[0]
    assert not step.ok and step.ms >= 0
    assert "no-such-bucket" in step.error and "NoSuchBucket" in step.error
    assert result.error == f"PutObject: {step.error}"


def test_endpoint_down_is_recorded_with_its_reason() -> None:
    port = closed_port()
    result = s3.probe_bucket(_client(f"http://127.0.0.1:{port}"), "canary", PREFIX)
    assert not result.ok and len(result.steps) == 1
    assert (
        result.error == f"PutObject: bucket canary: cannot reach 127.0.0.1:{port}: "
        "connection failed"
    )


def test_access_denied_is_recorded_with_its_reason() -> None:
    with error_server(403) as peer:
        result = s3.probe_bucket(_client(peer.endpoint), "canary", PREFIX)
    assert not result.ok
    assert "access denied (403) on PutObject" in (result.error or "")
    assert [m for m, _ in peer.requests] == ["PUT"]


def test_read_timeout_is_recorded_with_its_reason() -> None:
    with silent_server() as peer:
        result = s3.probe_bucket(_client(peer.endpoint, read_timeout=0.3), "canary", PREFIX)
    assert not result.ok
    assert (
        result.error == f"PutObject: bucket canary: timed out waiting for "
        f"127.0.0.1:{peer.port} to answer"
    )


def test_corrupted_read_back_fails_get_and_still_cleans_up(
    s3_backend: Any, moto_endpoint: str
) -> None:
    """Something altered the object between PUT and GET: the GET step fails with a
    reason, HEAD and DELETE still run, so no canary is left behind."""
    seed_bucket(s3_backend, "canary", [])
    client = _client(moto_endpoint)

    keys: list[str] = []
    client.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: keys.append(params["Key"])
    )

    def tamper(**_: Any) -> None:
        s3_backend.get_object("canary", keys[-1]).value = b"tampered"

    client.meta.events.register("before-call.s3.GetObject", tamper)
    result = s3.probe_bucket(client, "canary", PREFIX)
    assert [(s.operation, s.ok) for s in result.steps] == [
        ("PutObject", True),
        ("GetObject", False),
        ("HeadObject", True),
        ("DeleteObject", True),
    ]
    assert "differ" in (result.steps[1].error or "")
    assert list(s3_backend.get_bucket("canary").keys) == []


@pytest.mark.parametrize("failing", ["HeadObject", "DeleteObject"])
def test_a_late_step_failing_is_reported_by_name(
    s3_backend: Any, moto_endpoint: str, failing: str
) -> None:
    seed_bucket(s3_backend, "canary", [])
    client = _client(moto_endpoint)

    def drop_bucket(**_: Any) -> None:
        # The bucket disappears (someone deleted it) just before this step.
        for key in list(s3_backend.get_bucket("canary").keys):
            s3_backend.delete_object("canary", key)
        s3_backend.delete_bucket("canary")

    client.meta.events.register(f"before-call.s3.{failing}", drop_bucket)
    result = s3.probe_bucket(client, "canary", PREFIX)
    assert not result.ok
    assert (result.error or "").startswith(f"{failing}: bucket canary: ")
    assert [s.operation for s in result.steps][-1] == "DeleteObject"
