"""Turn S3 client failures into one-line reasons a user can act on.

Messages never carry credentials: they are built from error codes, hosts and
bucket names only.
"""

from __future__ import annotations

from urllib.parse import urlparse

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Unauthorized",
               "InvalidToken", "ExpiredToken", "403", "401"}


class Cancelled(Exception):
    """The job was asked to stop (app quitting, Ctrl-C)."""


def describe_error(exc: BaseException, endpoint: str = "", bucket: str | None = None) -> str:
    host = urlparse(endpoint).netloc or endpoint or "the endpoint"
    where = f"bucket {bucket}: " if bucket else ""
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        op = exc.operation_name
        if code in _AUTH_CODES or status in (401, 403):
            return (f"{where}access denied ({status or code}) on {op}: check the access key, "
                    "its secret and the token's permissions")
        if code in ("NoSuchBucket", "404") and op.startswith("List"):
            return f"{where}no such bucket (deleted while r2tui was listing it?)"
        if code in ("SlowDown", "503", "TooManyRequests") or status == 429:
            return f"{where}rate limited by {host} ({code or status}); will retry next run"
        message = str(err.get("Message", "")).strip()
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
        return f"{where}{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError):
        return f"{where}{exc.strerror or exc}"
    return f"{where}{type(exc).__name__}: {exc}"
