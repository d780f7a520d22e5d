"""The GraphQL queries r2tui sends to Cloudflare's analytics API, built from the
fields they ask, and the shape of their answers. The demo's loopback endpoint
and the tests' peer answer exactly these (r2tui.sources.graphql_answer).

Variables: ``accountTag`` (the account id), ``start`` and ``end`` (RFC 3339
UTC, "2026-11-29T04:00:00Z"; the window is start <= t < end), ``limit`` (rows
per page; a full page means rows may be missing) and, for a query cut by
bucket, ``buckets`` (names as the API spells them, used with ``bucketName_in``
or ``bucketName_notin``).

Answer: ``{"data": {"viewer": {"accounts": [{DATASET: [row, ...]}]}},
"errors": null}``, rows ordered by ``dimensions.datetimeHour``.
Operations row: ``{"sum": {"requests", "responseBytes", "responseObjectSize"},
"avg": {"sampleInterval"}, "dimensions": {"bucketName", "actionType",
"actionStatus", "responseStatusCode", "datetimeHour", "storageClass"}}``.
Storage row: ``{"max": {"objectCount", "uploadCount", "payloadSize",
"metadataSize"}, "dimensions": {"bucketName", "datetimeHour",
"storageClass"}}``.

Fields beyond the documented ones, each optional (left out of the query when
the API refuses it, see OPTIONAL_FIELDS):

- ``storageClass`` ("Standard", "InfrequentAccess"), a dimension of both
  datasets: Cloudflare's own R2 usage notebook (cloudflare/notebook-examples,
  notebooks/analytics_r2_usage.py) groups by ``{ storageClass bucketName }``
  and filters on ``storageClass: "Standard"``, though the R2 metrics page does
  not list it. A bucket holding both classes has one storage row per class
  per hour; without the dimension the two are merged by ``max``, which is how
  a mixed bucket looked like one class.
- ``sum { responseBytes responseObjectSize }``: bytes sent in the responses
  (0 for a PutObject, what was sent for a GetObject, the range only for a
  range read) and the size of the objects concerned (the uploaded object for
  a PutObject, the object read for a GetObject).
- ``avg { sampleInterval }``: both R2 datasets are "Adaptive", so their sums
  can be estimates from a sample, already scaled up (5,000 sampled at 10 %
  are reported as 50,000); the interval says so: 1 for every event counted,
  10 for one in ten (developers.cloudflare.com/analytics/graphql-api/sampling/).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Literal

from r2tui.observations import OperationGroup, StorageSnapshot

OPERATIONS_DATASET = "r2OperationsAdaptiveGroups"
STORAGE_DATASET = "r2StorageAdaptiveGroups"
# The datasets' maxPageSize (developers.cloudflare.com/analytics/graphql-api/limits/):
# a bigger limit is refused with "limit must be positive number and not greater than".
PAGE_LIMIT = 10_000
# notOlderThan for R2 as r2tui uses it: older hours are refused ("cannot request
# data older than 2678400s").
NOT_OLDER_THAN = 31 * 86400

BucketOp = Literal["in", "notin"]
BucketFilter = BucketOp | None


@dataclass(frozen=True)
class Selection:
    """The fields a query asks of a dataset, block by block, in query order."""

    dimensions: tuple[str, ...]
    sum: tuple[str, ...] = ()
    avg: tuple[str, ...] = ()
    max: tuple[str, ...] = ()

    @functools.cached_property
    def _blocks(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        out = [(f.name, getattr(self, f.name)) for f in fields(self) if f.name != "dimensions"]
        return (*((b, names) for b, names in out if names), ("dimensions", self.dimensions))

    def blocks(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(block, fields) for each block that asks something; dimensions last."""
        return self._blocks

    def names(self) -> frozenset[str]:
        return frozenset(n for _, names in self.blocks() for n in names)

    def without(self, names: Iterable[str]) -> Selection:
        gone = frozenset(names)
        return Selection(
            *(tuple(n for n in getattr(self, f.name) if n not in gone) for f in fields(self))
        )


OPERATIONS = Selection(
    dimensions=(
        "bucketName",
        "actionType",
        "actionStatus",
        "responseStatusCode",
        "datetimeHour",
        "storageClass",
    ),
    sum=("requests", "responseBytes", "responseObjectSize"),
    avg=("sampleInterval",),
)
STORAGE = Selection(
    dimensions=("bucketName", "datetimeHour", "storageClass"),
    max=("objectCount", "uploadCount", "payloadSize", "metadataSize"),
)
SELECTIONS = {OPERATIONS_DATASET: OPERATIONS, STORAGE_DATASET: STORAGE}
# Asked when the API offers them, left out (and the rows' defaults used) when it
# answers that it does not know them.
OPTIONAL_FIELDS = frozenset(
    {"storageClass", "responseBytes", "responseObjectSize", "sampleInterval"}
)


def query(dataset: str, selection: Selection | None = None, buckets: BucketFilter = None) -> str:
    """The query text for `dataset` asking `selection` (all fields by default),
    optionally limited to (``in``) or leaving out (``notin``) the ``$buckets``."""
    sel = SELECTIONS[dataset] if selection is None else selection
    name = "R2Operations" if dataset == OPERATIONS_DATASET else "R2Storage"
    params = "$accountTag: string!, $start: Time!, $end: Time!, $limit: uint64!"
    where = "datetime_geq: $start, datetime_lt: $end"
    if buckets is not None:
        params += ", $buckets: [string!]!"
        where += f", bucketName_{buckets}: $buckets"
    body = "\n".join(f"        {block} {{ {' '.join(names)} }}" for block, names in sel.blocks())
    return f"""query {name}({params}) {{
  viewer {{
    accounts(filter: {{accountTag: $accountTag}}) {{
      {dataset}(
        limit: $limit
        filter: {{{where}}}
        orderBy: [datetimeHour_ASC]
      ) {{
{body}
      }}
    }}
  }}
}}"""


OPERATIONS_QUERY = query(OPERATIONS_DATASET)
STORAGE_QUERY = query(STORAGE_DATASET)


@functools.lru_cache(maxsize=4096)
def rfc3339(epoch: int) -> str:
    """How the API writes times: "2026-11-29T04:00:00Z" (cached: an answer's rows
    share a few hours)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shape(selection: Selection, values: dict[str, Any]) -> dict[str, Any]:
    return {block: {n: values[n] for n in names} for block, names in selection.blocks()}


def operation_row(g: OperationGroup, selection: Selection = OPERATIONS) -> dict[str, Any]:
    """One operations row as the API answers it, with the asked fields only. A
    byte sum the row does not know is answered 0, as the API sums no bytes."""
    return _shape(
        selection,
        {
            "requests": g.requests,
            "responseBytes": g.response_bytes or 0,
            "responseObjectSize": g.object_bytes or 0,
            "sampleInterval": float(g.sample_interval),
            "bucketName": g.bucket,
            "actionType": g.action,
            "actionStatus": g.status,
            "responseStatusCode": g.code,
            "datetimeHour": rfc3339(g.hour),
            "storageClass": g.storage_class,
        },
    )


def storage_row(s: StorageSnapshot, selection: Selection = STORAGE) -> dict[str, Any]:
    """One storage row as the API answers it, with the asked fields only."""
    return _shape(
        selection,
        {
            "objectCount": s.objects,
            "uploadCount": s.pending_uploads,
            "payloadSize": s.payload_bytes,
            "metadataSize": s.metadata_bytes,
            "bucketName": s.bucket,
            "datetimeHour": rfc3339(s.hour),
            "storageClass": s.storage_class,
        },
    )
