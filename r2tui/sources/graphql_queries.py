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
