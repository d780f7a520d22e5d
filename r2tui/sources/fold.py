"""Fold a stream of listed objects into an inventory in bounded memory.

Memory holds the top-N heaps, the capped breakdown tables and a capped list
of new large objects: nothing grows with the number of objects. Every kept
list is chosen by a total order (size or time, then key), so the result does
not depend on the order objects arrive in, which lets a listing be split
into ranges and folded in any order.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from r2tui.observations import BucketInventory, ObjectEntry, Tally

NO_EXTENSION = "(none)"
FOLDER_MARKER = "(folder)"
OTHER = "(other)"
NEW_LARGE_KEPT = 100
_COMPOUND = ("tar.gz", "tar.bz2", "tar.xz", "tar.zst", "json.gz", "csv.gz", "sql.gz",
             "log.gz", "ndjson.gz", "parquet.gz")


def extension_of(key: str) -> str:
    """A file type from a key: the lower-cased suffix of its last path part."""
    name = key.rsplit("/", 1)[-1]
    if not name:
        return FOLDER_MARKER
    lower = name.lower()
    for compound in _COMPOUND:
        if lower.endswith("." + compound) and len(lower) > len(compound) + 1:
            return compound
    dot = lower.rfind(".")
    if dot <= 0:
        return NO_EXTENSION
    ext = lower[dot + 1:]
    if not ext or len(ext) > 10 or not ext.isalnum() or ext.isdigit():
        return NO_EXTENSION
    return ext


@dataclass
class _Counter:
    objects: int = 0
    bytes: int = 0


class InventoryFold:
    def __init__(self, bucket: str, *, top_n: int = 20, newest_n: int = 20,
                 large_object_bytes: int = 1_000_000_000, max_extensions: int = 500,
                 since: float | None = None) -> None:
        self.bucket = bucket
        self.top_n = top_n
        self.newest_n = newest_n
        self.large_object_bytes = large_object_bytes
        self.max_extensions = max_extensions
        self.since = since
        self.objects = 0
        self.bytes = 0
        self.by_extension: dict[str, _Counter] = {}
        self.by_class: dict[str, _Counter] = {}
        self.other_extensions = False
        self._largest: list[tuple[int, str, float, str]] = []
        self._newest: list[tuple[float, str, int, str]] = []
        self._new_large: list[tuple[int, str, float, str]] = []
        self.new_large_count = 0

    def add(self, key: str, size: int, last_modified: float, storage_class: str) -> None:
        self.objects += 1
        self.bytes += size
        ext = extension_of(key)
        counter = self.by_extension.get(ext)
        if counter is None:
            if len(self.by_extension) >= self.max_extensions:
                self.other_extensions = True
                ext = OTHER
                counter = self.by_extension.get(ext)
            if counter is None:
                counter = self.by_extension[ext] = _Counter()
        counter.objects += 1
        counter.bytes += size
        cls = self.by_class.get(storage_class)
        if cls is None:
            cls = self.by_class[storage_class] = _Counter()
        cls.objects += 1
        cls.bytes += size
        _push(self._largest, self.top_n, (size, key, last_modified, storage_class))
        _push(self._newest, self.newest_n, (last_modified, key, size, storage_class))
        if (self.since is not None and last_modified > self.since
                and size >= self.large_object_bytes):
            self.new_large_count += 1
            _push(self._new_large, NEW_LARGE_KEPT, (size, key, last_modified, storage_class))

    def merge(self, other: InventoryFold) -> None:
        """Fold another range's fold into this one (for split listings)."""
        self.objects += other.objects
        self.bytes += other.bytes
        for ext, c in other.by_extension.items():
            if ext not in self.by_extension and len(self.by_extension) >= self.max_extensions:
                self.other_extensions = True
                ext = OTHER
            mine = self.by_extension.setdefault(ext, _Counter())
            mine.objects += c.objects
            mine.bytes += c.bytes
        for cls, c in other.by_class.items():
            mine = self.by_class.setdefault(cls, _Counter())
            mine.objects += c.objects
            mine.bytes += c.bytes
        self.other_extensions |= other.other_extensions
        for item in other._largest:
            _push(self._largest, self.top_n, item)
        for item2 in other._newest:
            _push(self._newest, self.newest_n, item2)
        for item in other._new_large:
            _push(self._new_large, NEW_LARGE_KEPT, item)
        self.new_large_count += other.new_large_count

    def result(self, started_at: float, finished_at: float, list_requests: int
               ) -> BucketInventory:
        # Shown in the very order the heaps keep by, (value, key) descending, so each
        # list is exactly the first N of the whole bucket in that order, ties included.
        largest = [ObjectEntry(k, s, t, c) for s, k, t, c in sorted(self._largest, reverse=True)]
        newest = [ObjectEntry(k, s, t, c) for t, k, s, c in sorted(self._newest, reverse=True)]
        new_large = [ObjectEntry(k, s, t, c) for s, k, t, c in
                     sorted(self._new_large, reverse=True)]
        return BucketInventory(
            bucket=self.bucket, started_at=started_at, finished_at=finished_at,
            objects=self.objects, bytes=self.bytes,
            by_extension={k: Tally(v.objects, v.bytes) for k, v in self.by_extension.items()},
            by_storage_class={k: Tally(v.objects, v.bytes) for k, v in self.by_class.items()},
            largest=largest, newest=newest, new_large=new_large,
            new_large_count=self.new_large_count, list_requests=list_requests,
            other_extensions=self.other_extensions,
        )


def _push(heap: list, limit: int, item: tuple) -> None:
    """Keep the `limit` greatest items under tuple order (value, then key)."""
    if len(heap) < limit:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)
