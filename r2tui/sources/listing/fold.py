"""Fold a stream of listed objects into an inventory in bounded memory.

Memory holds the top-N heaps, the capped breakdown tables and a capped list
of new large objects: nothing grows with the number of objects. Every kept
list is chosen by a total order (size or time, then key), so the result does
not depend on the order objects arrive in, which lets a listing be split
into ranges and folded in any order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from r2tui.observations import BucketInventory, ObjectEntry, Tally
from r2tui.sources.listing.page import timestamp
from r2tui.sources.listing.prefixes import PrefixTally

NO_EXTENSION = "(none)"
FOLDER_MARKER = "(folder)"
OTHER = "(other)"
NEW_LARGE_KEPT = 100
_COMPOUND = (
    "tar.gz",
    "tar.bz2",
    "tar.xz",
    "tar.zst",
    "json.gz",
    "csv.gz",
    "sql.gz",
    "log.gz",
    "ndjson.gz",
    "parquet.gz",
)
_COMPOUND_LAST = {c.rsplit(".", 1)[1] for c in _COMPOUND}  # a type that needs the part before
TRACKED_EXTENSIONS_MIN = 256
_SUFFIX_CACHE = 4096  # distinct suffixes remembered; keys ending in serials would grow it


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
    ext = lower[dot + 1 :]
    if not ext or len(ext) > 10 or not ext.isalnum() or ext.isdigit():
        return NO_EXTENSION
    return ext


@dataclass
class _Counter:
    objects: int = 0
    bytes: int = 0


class InventoryFold:
    def __init__(
        self,
        bucket: str,
        *,
        top_n: int = 20,
        newest_n: int = 20,
        large_object_bytes: int = 1_000_000_000,
        max_extensions: int = 500,
        since: float | None = None,
        prefix_depth: int = 3,
        prefix_entries: int = 2000,
    ) -> None:
        self.bucket = bucket
        self.top_n = top_n
        self.newest_n = newest_n
        self.large_object_bytes = large_object_bytes
        self.max_extensions = max_extensions
        # Types tracked while folding; the result keeps the first max_extensions of
        # them. The margin lets a key range's fold count types an earlier range
        # made the cut with (a merge in key order is then exact), while memory
        # stays bounded.
        self.tracked_extensions = max(4 * max_extensions, TRACKED_EXTENSIONS_MIN)
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
        self._suffix_ext: dict[str, str] = {}  # "JPG" -> "jpg": a file type per key suffix
        self._pair_ext: dict[str, str] = {}  # "tar.GZ" -> "tar.gz"
        self.prefixes = PrefixTally(prefix_depth, prefix_entries)

    def add(self, key: str, size: int, last_modified: float, storage_class: str) -> None:
        self.objects += 1
        self.bytes += size
        self.prefixes.add(key, size)
        ext = extension_of(key)
        counter = self.by_extension.get(ext)
        if counter is None:
            if len(self.by_extension) >= self.tracked_extensions:
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
        if (
            self.since is not None
            and last_modified > self.since
            and size >= self.large_object_bytes
        ):
            self.new_large_count += 1
            _push(self._new_large, NEW_LARGE_KEPT, (size, key, last_modified, storage_class))

    def add_page(
        self, keys: list[str], sizes: list[int], dates: list[str], classes: list[str]
    ) -> None:
        """Fold one listed page at once, exactly as `add` would one object at a time.

        `dates` are canonical strings (listing.page), whose order is time order:
        only the dates of objects that make a kept list are converted to seconds.
        Per object, only the file type is worked out in Python; totals, storage
        classes and the candidates for the kept lists come from C-level passes.
        """
        n = len(keys)
        if not n:
            return
        self.objects += n
        page_bytes = sum(sizes)
        self.bytes += page_bytes
        self._add_classes(sizes, classes, page_bytes)
        self._add_extensions(keys, sizes)
        self.prefixes.add_page(keys, sizes)
        index = range(n)
        if len(self._largest) < self.top_n or max(sizes) >= self._largest[0][0]:
            for size, key, i in heapq.nlargest(self.top_n, zip(sizes, keys, index, strict=True)):
                _push(self._largest, self.top_n, (size, key, timestamp(dates[i]), classes[i]))
        if len(self._newest) < self.newest_n or timestamp(max(dates)) >= self._newest[0][0]:
            for date, key, i in heapq.nlargest(self.newest_n, zip(dates, keys, index, strict=True)):
                _push(self._newest, self.newest_n, (timestamp(date), key, sizes[i], classes[i]))
        if self.since is not None and max(sizes) >= self.large_object_bytes:
            for i in index:
                size = sizes[i]
                if size >= self.large_object_bytes:
                    when = timestamp(dates[i])
                    if when > self.since:
                        self.new_large_count += 1
                        _push(self._new_large, NEW_LARGE_KEPT, (size, keys[i], when, classes[i]))

    def _add_classes(self, sizes: list[int], classes: list[str], page_bytes: int) -> None:
        first = classes[0]
        if classes.count(first) == len(classes):  # the usual page: one class
            tallies = {first: [len(classes), page_bytes]}
        else:
            tallies = _tally(classes, sizes)
        for cls, (count, total) in tallies.items():
            counter = self.by_class.get(cls)
            if counter is None:
                counter = self.by_class[cls] = _Counter()
            counter.objects += count
            counter.bytes += total

    def _add_extensions(self, keys: list[str], sizes: list[int]) -> None:
        # Page-local tallies in first-seen order, then merged in that order: the
        # same extensions are tracked as with one `add` per object.
        cache = self._suffix_ext
        exts = []
        for key in keys:
            dot = key.rfind(".")
            if dot > 0 and key[dot - 1] != "/" and key.find("/", dot) < 0:
                exts.append(cache.get(key[dot + 1 :]) or self._extension(key, dot))
            else:
                exts.append(FOLDER_MARKER if key.endswith("/") else NO_EXTENSION)
        self._merge_extensions(
            (ext, count, total) for ext, (count, total) in _tally(exts, sizes).items()
        )

    def _extension(self, key: str, dot: int) -> str:
        """extension_of(key) for a name with a dot, remembered by what decides it: the
        last suffix, or the last two for a possible compound type such as log.gz."""
        suffix = key[dot + 1 :]
        cache = self._suffix_ext
        if suffix.lower() in _COMPOUND_LAST:
            slash = key.rfind("/", 0, dot)
            dot2 = key.rfind(".", slash + 1, dot)
            if dot2 <= slash + 1:  # one dot only, or a name starting with its dot
                return extension_of(key)
            suffix = key[dot2 + 1 :]
            cache = self._pair_ext
        ext = cache.get(suffix)
        if ext is None:
            ext = extension_of(key)
            if len(cache) < _SUFFIX_CACHE:
                cache[suffix] = ext
        return ext

    def _merge_extensions(self, tallies: Iterable[tuple[str, int, int]]) -> None:
        for ext, count, total in tallies:
            if ext not in self.by_extension and len(self.by_extension) >= self.tracked_extensions:
                self.other_extensions = True
                ext = OTHER
            mine = self.by_extension.get(ext)
            if mine is None:
                mine = self.by_extension[ext] = _Counter()
            mine.objects += count
            mine.bytes += total

    def merge(self, other: InventoryFold) -> None:
        """Fold in the fold of the key range that follows this one's. Merged in key
        order, the result is the one a single sequential fold would give."""
        self.objects += other.objects
        self.bytes += other.bytes
        self._merge_extensions((e, c.objects, c.bytes) for e, c in other.by_extension.items())
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
        self.prefixes.merge(other.prefixes)

    def result(self, started_at: float, finished_at: float, list_requests: int) -> BucketInventory:
        # Shown in the very order the heaps keep by, (value, key) descending, so each
        # list is exactly the first N of the whole bucket in that order, ties included.
        largest = [ObjectEntry(k, s, t, c) for s, k, t, c in sorted(self._largest, reverse=True)]
        newest = [ObjectEntry(k, s, t, c) for t, k, s, c in sorted(self._newest, reverse=True)]
        new_large = [
            ObjectEntry(k, s, t, c) for s, k, t, c in sorted(self._new_large, reverse=True)
        ]
        by_extension: dict[str, Tally] = {}
        other = [0, 0]
        for ext, c in self.by_extension.items():  # first seen first: the cut is theirs
            if ext != OTHER and len(by_extension) < self.max_extensions:
                by_extension[ext] = Tally(c.objects, c.bytes)
            else:
                other[0] += c.objects
                other[1] += c.bytes
        if other[0]:
            by_extension[OTHER] = Tally(other[0], other[1])
        prefixes, root_files, dropped = self.prefixes.result()
        return BucketInventory(
            bucket=self.bucket,
            started_at=started_at,
            finished_at=finished_at,
            objects=self.objects,
            bytes=self.bytes,
            by_extension=by_extension,
            by_storage_class={k: Tally(v.objects, v.bytes) for k, v in self.by_class.items()},
            largest=largest,
            newest=newest,
            new_large=new_large,
            new_large_count=self.new_large_count,
            list_requests=list_requests,
            other_extensions=self.other_extensions or OTHER in by_extension,
            prefixes=prefixes,
            root_files=root_files,
            prefix_depth=self.prefixes.depth,
            prefixes_dropped=dropped,
        )


def _tally(labels: list[str], sizes: list[int]) -> dict[str, list[int]]:
    """[count, bytes] per label, in first-seen order."""
    tallies: dict[str, list[int]] = {}
    for label, size in zip(labels, sizes, strict=True):
        acc = tallies.get(label)
        if acc is None:
            tallies[label] = [1, size]
        else:
            acc[0] += 1
            acc[1] += size
    return tallies


# A kept object: (the value it is ranked by, key, the other of size and time, class).
_Kept = TypeVar("_Kept", bound=tuple[float, str, float, str])


def _push(heap: list[_Kept], limit: int, item: _Kept) -> None:
    """Keep the `limit` greatest items under tuple order (value, then key)."""
    if len(heap) < limit:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)
