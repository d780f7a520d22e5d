"""The two GraphQL queries r2tui sends to Cloudflare's analytics API, and the
shape of their answers. The demo's loopback endpoint answers exactly these.

Variables, both queries: ``accountTag`` (the account id), ``start`` and
``end`` (RFC 3339 UTC, "2026-11-29T04:00:00Z"; the window is start <= t <
end), ``limit`` (rows per page; a full page means the window must be split).

Answer: ``{"data": {"viewer": {"accounts": [{DATASET: [row, ...]}]}},
"errors": null}``, rows ordered by ``dimensions.datetimeHour``.
Operations row: ``{"sum": {"requests": N}, "dimensions": {"bucketName",
"actionType", "actionStatus", "responseStatusCode", "datetimeHour"}}``.
Storage row: ``{"max": {"objectCount", "uploadCount", "payloadSize",
"metadataSize"}, "dimensions": {"bucketName", "datetimeHour"}}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from r2tui.observations import OperationGroup, StorageSnapshot

OPERATIONS_DATASET = "r2OperationsAdaptiveGroups"
STORAGE_DATASET = "r2StorageAdaptiveGroups"
PAGE_LIMIT = 10_000  # the datasets' maxPageSize

OPERATIONS_QUERY = """
query R2Operations($accountTag: string!, $start: Time!, $end: Time!, $limit: uint64!) {
  viewer {
    accounts(filter: {accountTag: $accountTag}) {
      r2OperationsAdaptiveGroups(
        limit: $limit
        filter: {datetime_geq: $start, datetime_lt: $end}
        orderBy: [datetimeHour_ASC]
      ) {
        sum { requests }
        dimensions { bucketName actionType actionStatus responseStatusCode datetimeHour }
      }
    }
  }
}
""".strip()

STORAGE_QUERY = """
query R2Storage($accountTag: string!, $start: Time!, $end: Time!, $limit: uint64!) {
  viewer {
    accounts(filter: {accountTag: $accountTag}) {
      r2StorageAdaptiveGroups(
        limit: $limit
        filter: {datetime_geq: $start, datetime_lt: $end}
        orderBy: [datetimeHour_ASC]
      ) {
        max { objectCount uploadCount payloadSize metadataSize }
        dimensions { bucketName datetimeHour }
      }
    }
  }
}
""".strip()


def rfc3339(epoch: int) -> str:
    """How the API writes times: "2026-11-29T04:00:00Z"."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def operation_row(g: OperationGroup) -> dict[str, Any]:
    """One operations row as the API answers it (the demo serves these)."""
    return {"sum": {"requests": g.requests},
            "dimensions": {"bucketName": g.bucket, "actionType": g.action,
                           "actionStatus": g.status, "responseStatusCode": g.code,
                           "datetimeHour": rfc3339(g.hour)}}


def storage_row(s: StorageSnapshot) -> dict[str, Any]:
    """One storage row as the API answers it."""
    return {"max": {"objectCount": s.objects, "uploadCount": s.pending_uploads,
                    "payloadSize": s.payload_bytes, "metadataSize": s.metadata_bytes},
            "dimensions": {"bucketName": s.bucket, "datetimeHour": rfc3339(s.hour)}}
