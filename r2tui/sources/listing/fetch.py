"""One ListObjectsV2 page over HTTP, signed by the boto3 client, body left raw.

The client keeps what it is good at: credentials (refreshed as they expire),
the endpoint, SigV4 signing and its connection pool with the user's proxies
and CA bundle. Only the answer's parsing is ours (listing.page). Every HTTP
attempt is announced on the client's own `response-received` event, so the
request tally the jobs register (sources.s3.make_client) counts it as it
counts every other call.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from botocore.awsrequest import AWSRequest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from r2tui.sources.errors import Cancelled

OPERATION = "ListObjectsV2"
_RETRY_STATUS = {429, 500, 502, 503, 504}
_THROTTLE = {429, 503}
_RETRY_ERRORS = (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")
_MESSAGE = re.compile(rb"<Message>([^<]{1,300})</Message>")
MAX_BACKOFF = 20.0  # seconds, as botocore's standard retry mode


@dataclass
class Answer:
    body: bytes
    throttles: int  # attempts the server refused with 429 or 503 before this answer


def can_fetch(client: Any) -> bool:
    """Whether `client` is a botocore client whose signer and HTTP session we can use
    (private attributes, for want of a public way: see `Fetcher`)."""
    return hasattr(client, "_request_signer") and hasattr(client, "_endpoint")


class Fetcher:
    def __init__(
        self, client: Any, bucket: str, page_size: int, stop: threading.Event | None = None
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.page_size = page_size
        self.stop = stop or threading.Event()
        # Private botocore, stable since 1.0: the client's signer and HTTP session.
        # No public way gives them: `client.meta` has the endpoint's URL, config and
        # events but neither. A signer and a session of our own would not be the
        # client's (its credentials' refresh, its pool, its proxies and timeouts),
        # and `client.list_objects_v2` parses every page in botocore, which is what
        # our own page parser is here to avoid.
        self._signer = client._request_signer
        self._http = client._endpoint.http_session
        retries = client.meta.config.retries or {}
        self.attempts = max(
            1, int(retries.get("total_max_attempts") or retries.get("max_attempts", 4) + 1)
        )
        self._base = f"{client.meta.endpoint_url.rstrip('/')}/{quote(bucket, safe='')}"

    def url(self, start_after: str, token: str | None, prefix: str | None = None) -> str:
        params = {"list-type": "2", "max-keys": str(self.page_size), "encoding-type": "url"}
        if prefix is not None:  # a probe: the folders ahead, one level down
            params["delimiter"] = "/"
            if prefix:
                params["prefix"] = prefix
        if token:
            params["continuation-token"] = token
        elif start_after:
            params["start-after"] = start_after
        return f"{self._base}?{urlencode(sorted(params.items()), quote_via=quote, safe='-_.~')}"

    def fetch(self, start_after: str, token: str | None, prefix: str | None = None) -> Answer:
        url = self.url(start_after, token, prefix)
        throttles = 0
        for attempt in range(1, self.attempts + 1):
            request = AWSRequest("GET", url, headers={})
            self._signer.sign(OPERATION, request)  # per attempt: the date is signed
            prepared = request.prepare()
            # The event botocore emits before its own sends: whoever watches the
            # client's requests (the header's "waiting N s for HOST") sees ours too.
            self.client.meta.events.emit(f"before-send.s3.{OPERATION}", request=prepared)
            try:
                response = self._http.send(prepared)
            except _RETRY_ERRORS:
                self._announce(None)
                if attempt == self.attempts:
                    raise
                self._back_off(attempt)
                continue
            except BaseException:
                self._announce(None)  # whatever failed, the request is no longer waited on
                raise
            status = response.status_code
            self._announce(status)
            if status == 200:
                return Answer(response.content, throttles)
            if status in _RETRY_STATUS and attempt < self.attempts:
                throttles += status in _THROTTLE
                self._back_off(attempt, response.headers.get("retry-after"))
                continue
            raise _client_error(status, response.content)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _announce(self, status: int | None) -> None:
        response = {"status_code": status} if status is not None else None
        self.client.meta.events.emit(
            f"response-received.s3.{OPERATION}", response_dict=response, exception=None, context={}
        )

    def _back_off(self, attempt: int, retry_after: str | None = None) -> None:
        delay = random.uniform(0, min(MAX_BACKOFF, 2.0 ** (attempt - 1)))
        if retry_after and retry_after.isdigit():
            delay = max(delay, min(MAX_BACKOFF, float(retry_after)))
        if self.stop.wait(delay):
            raise Cancelled()


def _client_error(status: int, body: bytes) -> ClientError:
    code = _CODE.search(body)
    message = _MESSAGE.search(body)
    error = {
        "Code": code.group(1).decode("utf-8", "replace") if code else str(status),
        "Message": message.group(1).decode("utf-8", "replace") if message else "",
    }
    return ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}, OPERATION)
