"""Answers r2tui's analytics queries from OperationGroup / StorageSnapshot rows
the way Cloudflare's GraphQL API does. The demo's endpoint and the tests' peer
both answer through `answer`, so they cannot drift apart in shape.

It is no GraphQL engine: it reads our own queries (graphql_queries.query)
with a few patterns, namely the dataset, the fields of each block, the filter's
operators and the variables they name, and refuses anything else. What it does
as Cloudflare does:

- rows with start <= hour < end, and within ``bucketName_in`` /
  ``bucketName_notin`` when the filter has them;
- rows GROUPED BY the asked dimensions: rows that differ only in a dimension
  not asked are merged, sums added, ``max`` taken field by field (so a
  two-class bucket asked without ``storageClass`` reports the larger class's
  figures, not their sum), ``avg { sampleInterval }`` averaged over the
  sampled events;
- ordered by datetimeHour, cut at ``limit``; a limit above the page size and
  a field the dataset does not offer are refused with HTTP 400 and a message
  in Cloudflare's words (developers.cloudflare.com/analytics/graphql-api/errors/:
  "limit must be positive number and not greater than...", "unknown field...").
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from r2tui.observations import OperationGroup, StorageSnapshot
from r2tui.sources.graphql_queries import (
    OPERATIONS_DATASET,
    PAGE_LIMIT,
    SELECTIONS,
    STORAGE_DATASET,
    Selection,
    operation_row,
    storage_row,
)

Row = TypeVar("Row", OperationGroup, StorageSnapshot)
HOUR = 3600
# (dataset, start, end) -> the rows of that window, in any order; the demo computes
# them, the peer filters what it holds.
Rows = Callable[[str, float, float], Iterable[OperationGroup | StorageSnapshot]]

_DATASET = re.compile(r"\b(r2OperationsAdaptiveGroups|r2StorageAdaptiveGroups)\s*\(")
_BLOCK = re.compile(r"\b(\w+)\s*\{([^{}]*)\}")
_FILTER = re.compile(r"\bfilter\s*:\s*\{([^{}]*)\}")
_PAIR = re.compile(r"(\w+)\s*:\s*\$(\w+)")
_LIMIT = re.compile(r"\blimit\s*:\s*\$(\w+)")
_KNOWN_FILTERS = frozenset({"datetime_geq", "datetime_lt", "bucketName_in", "bucketName_notin"})


class GraphQLRefusal(Exception):
    """A query Cloudflare would refuse: HTTP `status` with an errors array."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def errors_document(message: str, code: int | str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "path": None}
    if code is not None:
        error["extensions"] = {"code": code}
    return {"data": None, "errors": [error]}


def parse_time(value: object) -> float:
    """RFC 3339 ("2026-11-29T04:00:00Z", or with an offset) to epoch seconds."""
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 time, got {value!r}")
    t = datetime.fromisoformat(value.strip())
    if t.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone")
    return t.timestamp()


def answer(
    query: str,
    variables: object,
    rows: Rows,
    *,
    account_id: str,
    page_limit: int = PAGE_LIMIT,
    unknown_fields: Iterable[str] = (),
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON document) for one query; authentication is the caller's."""
    try:
        return 200, _run(query, variables, rows, account_id, page_limit, frozenset(unknown_fields))
    except GraphQLRefusal as exc:
        return exc.status, errors_document(str(exc))


def _run(
    query: str,
    variables: object,
    rows: Rows,
    account_id: str,
    page_limit: int,
    unknown: frozenset[str],
) -> dict[str, Any]:
    if not isinstance(variables, dict):
        raise GraphQLRefusal("variables must be a JSON object")
    found = _DATASET.findall(query)
    if len(found) != 1:
        raise GraphQLRefusal(
            f"this endpoint answers one of {OPERATIONS_DATASET} or {STORAGE_DATASET} per query"
        )
    dataset = found[0]
    body = query[query.index(dataset) :]  # the dataset's arguments and fields
    selection = _selection(dataset, body, unknown)
    window, buckets = _filter(body, variables)
    limit = _limit(body, variables, page_limit)
    if variables.get("accountTag") != account_id:
        # An account the token cannot see simply is not in the list.
        return {"data": {"viewer": {"accounts": []}}, "errors": None}
    group = _group_operations if dataset == OPERATIONS_DATASET else _group_storage
    groups: list[Any] = []
    for lo, hi in _pieces(*window, by_hour="datetimeHour" in selection.dimensions):
        groups += group([r for r in rows(dataset, lo, hi) if buckets(r.bucket)], selection)
        if len(groups) >= limit:
            break  # grouped by hour, ordered by hour: later hours come after the cut
    shape: Callable[[Any, Selection], dict[str, Any]] = (
        operation_row if dataset == OPERATIONS_DATASET else storage_row
    )
    shaped = [shape(g, selection) for g in groups[:limit]]
    return {"data": {"viewer": {"accounts": [{dataset: shaped}]}}, "errors": None}


# ---- reading the query ----------------------------------------------------------------


def _selection(dataset: str, body: str, unknown: frozenset[str]) -> Selection:
    offered = SELECTIONS[dataset]
    asked: dict[str, tuple[str, ...]] = {}
    for block, text in _BLOCK.findall(body):
        names = tuple(text.split())
        if block not in ("dimensions", "sum", "avg", "max"):
            raise GraphQLRefusal(f'unknown field "{block}"')
        for name in names:
            if name in unknown or name not in getattr(offered, block):
                raise GraphQLRefusal(f'unknown field "{name}"')
        asked[block] = names
    if "dimensions" not in asked:
        raise GraphQLRefusal(f"{dataset} needs dimensions {{ ... }}")
    return Selection(**asked)


def _filter(
    body: str, variables: dict[str, Any]
) -> tuple[tuple[float, float], Callable[[str], bool]]:
    where = _FILTER.findall(body)
    if len(where) != 1:
        raise GraphQLRefusal("filter is required")
    pairs = dict(_PAIR.findall(where[0]))
    if extra := sorted(set(pairs) - _KNOWN_FILTERS):
        raise GraphQLRefusal(f"error parsing args: this endpoint knows no filter {extra[0]}")
    try:
        start = parse_time(variables.get(pairs.get("datetime_geq", "")))
        end = parse_time(variables.get(pairs.get("datetime_lt", "")))
    except ValueError as exc:
        raise GraphQLRefusal(f"error parsing args: variables start and end: {exc}") from None
    for op in ("in", "notin"):
        var = pairs.get(f"bucketName_{op}")
        if var is None:
            continue
        names = variables.get(var)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise GraphQLRefusal(f"error parsing args: ${var} must be a list of strings")
        chosen = frozenset(names)
        return (start, end), (chosen.__contains__ if op == "in" else lambda b, c=chosen: b not in c)
    return (start, end), lambda _: True


def _limit(body: str, variables: dict[str, Any], page_limit: int) -> int:
    named = _LIMIT.search(body)
    limit = variables.get(named.group(1)) if named else None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= page_limit:
        raise GraphQLRefusal(f"limit must be positive number and not greater than {page_limit}")
    return limit


def _pieces(start: float, end: float, by_hour: bool) -> list[tuple[float, float]]:
    """The window hour by hour when rows are grouped by hour (so an answer stops
    reading rows once its page is full), else whole. Rows belong to the hour they
    start: a piece is [hour, next hour)."""
    if not by_hour:
        return [(start, end)]
    first = math.ceil(start / HOUR) * HOUR
    return [(h, min(h + HOUR, end)) for h in range(int(first), math.ceil(end), HOUR)]


# ---- grouping, as the API's GROUP BY does ---------------------------------------------

_OP_DIMENSIONS = {
    "bucketName": "bucket",
    "actionType": "action",
    "actionStatus": "status",
    "responseStatusCode": "code",
    "datetimeHour": "hour",
    "storageClass": "storage_class",
}
_STORE_DIMENSIONS = {
    "bucketName": "bucket",
    "datetimeHour": "hour",
    "storageClass": "storage_class",
}


def _key(selection: Selection, names: dict[str, str]) -> Callable[[Any], tuple[Any, ...]]:
    """The row's values of the asked dimensions, as one tuple."""
    attrs = [names[d] for d in selection.dimensions]
    if len(attrs) == 1:  # attrgetter of one name gives the value, not a tuple
        one = operator.attrgetter(attrs[0])
        return lambda row: (one(row),)
    return operator.attrgetter(*attrs)


def _in_hour_order(groups: Sequence[Row]) -> list[Row]:
    # Stable: groups of one hour keep the order their first rows came in.
    return sorted(groups, key=lambda r: r.hour)


def _group_operations(rows: list[Any], selection: Selection) -> list[OperationGroup]:
    merged: dict[tuple[Any, ...], list[OperationGroup]] = {}
    key = _key(selection, _OP_DIMENSIONS)
    for g in rows:
        merged.setdefault(key(g), []).append(g)
    return _in_hour_order([_sum(same) for same in merged.values()])


def _sum(same: list[OperationGroup]) -> OperationGroup:
    if len(same) == 1:
        return same[0]
    requests = sum(g.requests for g in same)
    # avg { sampleInterval } is an average over the events kept in the sample:
    # a row of N requests at interval k stands for N / k of them.
    kept = sum(g.requests / max(1.0, g.sample_interval) for g in same)
    interval = requests / kept if kept else 1.0
    return replace(
        same[0],
        requests=requests,
        response_bytes=sum(g.response_bytes or 0 for g in same),
        object_bytes=sum(g.object_bytes or 0 for g in same),
        sample_interval=interval if math.isfinite(interval) and interval >= 1 else 1.0,
    )


def _group_storage(rows: list[Any], selection: Selection) -> list[StorageSnapshot]:
    merged: dict[tuple[Any, ...], StorageSnapshot] = {}
    key_of = _key(selection, _STORE_DIMENSIONS)
    for s in rows:
        key = key_of(s)
        seen = merged.get(key)
        # max { ... } is taken field by field over the merged rows.
        merged[key] = (
            s
            if seen is None
            else replace(
                seen,
                objects=max(seen.objects, s.objects),
                pending_uploads=max(seen.pending_uploads, s.pending_uploads),
                payload_bytes=max(seen.payload_bytes, s.payload_bytes),
                metadata_bytes=max(seen.metadata_bytes, s.metadata_bytes),
            )
        )
    return _in_hour_order(list(merged.values()))
