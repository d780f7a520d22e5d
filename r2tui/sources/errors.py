"""Turn S3 client failures into one-line reasons a user can act on.

Messages never carry credentials: they are built from error codes, hosts and
bucket names, and a library's own words are scrubbed of the endpoint's userinfo
and query (botocore quotes the endpoint URL whole).
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from r2tui.config.secrets import SecretUrl, scrub, shown_host

_AUTH_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "Unauthorized",
    "InvalidToken",
    "ExpiredToken",
    "403",
    "401",
}


class Cancelled(Exception):
    """The job was asked to stop (app quitting, Ctrl-C)."""


# What kind of failure an S3 error is, in the words of store.health.SourceState:
# refused (the keys), down (no answer, or busy on every attempt), missing (no keys
# at all) or failing (anything else). Plain strings: sources know nothing of the store.
REFUSED, DOWN, MISSING, FAILING = "refused", "down", "missing", "failing"
_DOWN_ERRORS = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


def failure_kind(exc: BaseException) -> str:
    """The kind of `exc`, as `describe_error` words it."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _AUTH_CODES or status in (401, 403):
            return REFUSED
        if code in ("SlowDown", "503", "TooManyRequests") or status in (429, 502, 503, 504):
            return DOWN
        return FAILING
    if isinstance(exc, _DOWN_ERRORS):
        return DOWN
    if isinstance(exc, NoCredentialsError):
        return MISSING
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | PermissionError):
        return DOWN  # a socket's error, seen outside botocore's wrappers
    return FAILING


def describe_error(
    exc: BaseException, endpoint: str | SecretUrl = "", bucket: str | None = None
) -> str:
    """One line for `exc`; `endpoint` (the URL whole, or held as a SecretUrl) is
    named by its host and port only."""
    host = shown_host(endpoint) or "the endpoint"
    where = f"bucket {bucket}: " if bucket else ""
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        op = exc.operation_name
        if code in _AUTH_CODES or status in (401, 403):
            return (
                f"{where}access denied ({status or code}) on {op}: check the access key, "
                "its secret and the token's permissions"
            )
        if code in ("NoSuchBucket", "404") and op.startswith("List"):
            return f"{where}no such bucket (deleted while r2tui was listing it?)"
        if code in ("SlowDown", "503", "TooManyRequests") or status == 429:
            return f"{where}rate limited by {host} ({code or status}); will retry next run"
        message = scrub(str(err.get("Message", "")).strip(), endpoint)
        return f"{where}{op} failed: {code or status}" + (f" ({message})" if message else "")
    if isinstance(exc, EndpointConnectionError):
        return f"{where}cannot reach {host}: connection failed"
    if isinstance(exc, ConnectTimeoutError):
        return f"{where}timed out connecting to {host}"
    if isinstance(exc, ReadTimeoutError):
        return f"{where}timed out waiting for {host} to answer"
    if isinstance(exc, NoCredentialsError):
        return "no S3 credentials found for this account"
    if isinstance(exc, BotoCoreError):
        return f"{where}{type(exc).__name__}: {scrub(str(exc), endpoint)}"
    if isinstance(exc, OSError):
        return f"{where}{scrub(str(exc.strerror or exc), endpoint)}"
    return f"{where}{type(exc).__name__}: {scrub(str(exc), endpoint)}"
