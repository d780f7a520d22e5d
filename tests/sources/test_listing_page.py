"""The ListObjectsV2 page reader against what botocore reads from the same body,
and the page-at-once fold against the object-at-a-time one."""

from __future__ import annotations

import random
from urllib.parse import quote_plus
from xml.sax.saxutils import escape

import pytest
from botocore.utils import parse_timestamp
from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.page import (
    PageError,
    canonical_date,
    parse_page,
    parse_prefixes,
    timestamp,
)


def _body(
    objects: list[tuple[str, int, str, str | None]],
    *,
    url: bool = True,
    pretty: bool = False,
    truncated: bool = False,
    token: str | None = None,
    order: tuple[str, ...] = ("Key", "LastModified", "ETag", "Size", "StorageClass"),
    prefixes: tuple[str, ...] = (),
) -> bytes:
    nl = "\n  " if pretty else ""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
        f"{nl}<Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>",
        f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>",
    ]
    for key, size, date, cls in objects:
        fields = {
            "Key": escape(quote_plus(key, safe="/") if url else key),
            "LastModified": date,
            "ETag": "&quot;abc&quot;",
            "Size": str(size),
            "StorageClass": cls,
        }
        inner = "".join(
            f"{nl}  <{f}>{fields[f]}</{f}>"
            for f in order
            if not (f == "StorageClass" and cls is None)
        )
        parts.append(f"{nl}<Contents>{inner}{nl}</Contents>")
    for p in prefixes:
        parts.append(
            f"<CommonPrefixes><Prefix>{escape(quote_plus(p, safe='/'))}</Prefix></CommonPrefixes>"
        )
    if url:
        parts.append("<EncodingType>url</EncodingType>")
    if token:
        parts.append(f"<NextContinuationToken>{escape(token)}</NextContinuationToken>")
    parts.append(f"<KeyCount>{len(objects)}</KeyCount></ListBucketResult>")
    return "".join(parts).encode()


def test_a_plain_page() -> None:
    body = _body(
        [
            ("a/b.jpg", 12, "2024-05-01T10:00:00.123Z", "STANDARD"),
            ("a/c d+e.txt", 0, "2024-05-02T10:00:00.000Z", "STANDARD_IA"),
        ],
        truncated=True,
        token="YS9jIGQrZS50eHQ=",
    )
    page = parse_page(body)
    assert page.keys == ["a/b.jpg", "a/c d+e.txt"]
    assert page.sizes == [12, 0]
    assert page.dates == ["2024-05-01T10:00:00.123Z", "2024-05-02T10:00:00.000Z"]
    assert page.classes == ["STANDARD", "STANDARD_IA"]
    assert page.truncated and page.token == "YS9jIGQrZS50eHQ="


@pytest.mark.parametrize("pretty", [False, True])
@pytest.mark.parametrize(
    "order",
    [
        ("Key", "LastModified", "ETag", "Size", "StorageClass"),
        ("StorageClass", "Size", "ETag", "LastModified", "Key"),
    ],
)
def test_layout_and_field_order_do_not_matter(pretty: bool, order: tuple[str, ...]) -> None:
    objects = [(f"k{i}", i, "2024-05-01T10:00:00.000Z", "STANDARD") for i in range(5)]
    page = parse_page(_body(objects, pretty=pretty, order=order))
    assert page.keys == [o[0] for o in objects] and page.sizes == list(range(5))


def test_dates_in_other_forms_are_made_canonical() -> None:
    objects = [
        ("a", 1, "2024-05-01T10:00:00Z", "STANDARD"),  # rclone: whole seconds
        ("b", 1, "2024-05-01T12:00:00+02:00", "STANDARD"),
        ("c", 1, "2024-05-01T10:00:00.5Z", "STANDARD"),
    ]
    page = parse_page(_body(objects))
    assert page.dates == [
        "2024-05-01T10:00:00.000Z",
        "2024-05-01T10:00:00.000Z",
        "2024-05-01T10:00:00.500Z",
    ]


def test_whole_second_pages_take_the_fast_form() -> None:
    objects = [(f"k{i}", 1, f"2024-05-01T10:00:{i:02d}Z", "STANDARD") for i in range(60)]
    assert parse_page(_body(objects)).dates[7] == "2024-05-01T10:00:07.000Z"


def test_a_missing_storage_class_is_standard() -> None:
    objects = [
        ("a", 1, "2024-05-01T10:00:00.000Z", None),
        ("b", 2, "2024-05-01T10:00:00.000Z", "STANDARD_IA"),
    ]
    page = parse_page(_body(objects))
    assert page.classes == ["STANDARD", "STANDARD_IA"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"\xff\xfe<x/>", "not UTF-8"),
        (b"<Error><Code>AccessDenied</Code></Error>", "not a ListBucketResult"),
        (b"<ListBucketResult><Contents><Key>a</Key>", "not well-formed"),
        (_body([("a", 1, "yesterday", "STANDARD")]), "not an ISO 8601 date"),
    ],
)
def test_unreadable_answers_are_named(body: bytes, says: str) -> None:
    with pytest.raises(PageError, match=says):
        parse_page(body)


def test_folders_of_a_delimiter_listing() -> None:
    body = _body([], prefixes=("logs/", "media files/", "x+y/"))
    assert parse_prefixes(body) == ["logs/", "media files/", "x+y/"]


keys_st = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
)


@given(st.lists(keys_st, min_size=1, max_size=30, unique=True), st.booleans())
@settings(max_examples=150, deadline=None)
def test_any_key_comes_back_as_botocore_reads_it(keys: list[str], url: bool) -> None:
    """Entities, URL escapes, spaces, pluses and astral characters alike."""
    keys.sort()
    objects = [(k, len(k), "2024-05-01T10:00:00.000Z", "STANDARD") for k in keys]
    body = _body(objects, url=url)
    assert parse_page(body).keys == keys
    assert parse_page(body).keys == _botocore_keys(body)


def _botocore_keys(body: bytes) -> list[str]:
    """What boto3's own client makes of the body: its parser, then its URL decoding."""
    from botocore.handlers import decode_list_object_v2
    from botocore.loaders import Loader
    from botocore.model import ServiceModel
    from botocore.parsers import RestXMLParser

    model = ServiceModel(Loader().load_service_model("s3", "service-2"), "s3")
    shape = model.operation_model("ListObjectsV2").output_shape
    parsed = RestXMLParser().parse({"body": body, "headers": {}, "status_code": 200}, shape)
    decode_list_object_v2(parsed, {"encoding_type_auto_set": True})
    return [c["Key"] for c in parsed.get("Contents", [])]


@pytest.mark.parametrize(
    "text", ["2024-05-01T10:00:00.000Z", "2021-12-31T23:59:59.999Z", "1970-01-01T00:00:00.000Z"]
)
def test_timestamps_equal_botocores(text: str) -> None:
    assert timestamp(text) == parse_timestamp(text).timestamp()
    assert canonical_date(text) == text


# ---- the fold of a whole page --------------------------------------------------------------

NAMES = (
    "a.jpg",
    "B.JPG",
    "c.tar.gz",
    ".hidden",
    "dir/",
    "d/e.log.gz",
    "x.y.GZ",
    "noext",
    "f/.tar.gz",
    "g.12345",
    "h.verylongextension",
    "i.",
    "j/k.parquet",
    "l/m.Zst",
)


def _objects(rng: random.Random, n: int) -> list[tuple[str, int, str, str]]:
    out = {}
    while len(out) < n:
        key = f"{rng.randrange(500):03d}/{rng.choice(NAMES)}"
        size = rng.choice((0, 5, 5, 100, rng.randrange(10**9)))
        date = f"2024-0{rng.randrange(1, 10)}-1{rng.randrange(10)}T0{rng.randrange(10)}:00:00.000Z"
        out[key] = (key, size, date, rng.choice(("STANDARD", "STANDARD_IA")))
    return sorted(out.values())


@given(st.integers(0, 10**6), st.integers(1, 400), st.integers(1, 60), st.integers(1, 8))
@settings(max_examples=60, deadline=None)
def test_add_page_equals_add_one_by_one(seed: int, n: int, page: int, cap: int) -> None:
    objects = _objects(random.Random(seed), n)
    since = timestamp("2024-05-01T00:00:00.000Z")
    kw = {
        "top_n": 4,
        "newest_n": 3,
        "large_object_bytes": 10**8,
        "max_extensions": cap,
        "since": since,
    }
    one, paged, ranged = (InventoryFold("b", **kw) for _ in range(3))  # type: ignore[arg-type]
    for key, size, date, cls in objects:
        one.add(key, size, timestamp(date), cls)
    for i in range(0, n, page):
        chunk = objects[i : i + page]
        paged.add_page(*(list(col) for col in zip(*chunk, strict=True)))
    # The same pages folded in separate ranges, merged in key order.
    folds = []
    for i in range(0, n, page):
        fold = InventoryFold("b", **kw)  # type: ignore[arg-type]
        chunk = objects[i : i + page]
        fold.add_page(*(list(col) for col in zip(*chunk, strict=True)))
        folds.append(fold)
    for fold in folds:
        ranged.merge(fold)
    want = one.result(0, 1, 0)
    assert paged.result(0, 1, 0) == want
    assert ranged.result(0, 1, 0) == want
