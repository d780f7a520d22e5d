"""Read one ListObjectsV2 answer into parallel lists, without building a tree.

botocore turns every object into a dict and every LastModified into a
datetime: about 60 % of a listing's CPU. Here each field is pulled out of the
whole body by one C-level regex pass, sizes become ints in one `map`, and
dates stay strings in one fixed-width form whose order is time order, so only
the few dates a fold keeps are ever converted. An answer the fast path cannot
vouch for (a field missing from some object, an unusual date form) is read by
ElementTree instead, so the result is the same either way.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote_plus

_KEY = re.compile(r"<Key>([^<]*)</Key>")
_SIZE = re.compile(r"<Size>\s*(\d+)\s*</Size>")
_DATE = re.compile(r"<LastModified>([^<]*)</LastModified>")
_CLASS = re.compile(r"<StorageClass>([^<]*)</StorageClass>")
_PREFIX = re.compile(r"<CommonPrefixes>\s*<Prefix>([^<]*)</Prefix>")
_TRUNCATED = re.compile(r"<IsTruncated>\s*true\s*</IsTruncated>")
_TOKEN = re.compile(r"<NextContinuationToken>([^<]*)</NextContinuationToken>")
_URL_ENCODED = re.compile(r"<EncodingType>\s*url\s*</EncodingType>")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# One date in the form S3, R2, rclone and moto all send; any run of them matches.
_CANONICAL_DATES = re.compile(r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)*")
_WHOLE_SECONDS = re.compile(r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)*")
DEFAULT_CLASS = "STANDARD"


class PageError(ValueError):
    """The body is not a ListObjectsV2 answer we can read."""


@dataclass
class Page:
    keys: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)  # canonical: 2024-05-01T12:00:00.000Z
    classes: list[str] = field(default_factory=list)
    truncated: bool = False
    token: str | None = None


def timestamp(date: str) -> float:
    """Unix seconds of a canonical date, equal to botocore's datetime.timestamp()."""
    return datetime.fromisoformat(date).timestamp()


def canonical_date(text: str) -> str:
    """Any ISO 8601 date-time as the canonical UTC form (milliseconds kept, which is
    all S3 sends). Raises PageError for what is not a date."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PageError(f"LastModified {text[:40]!r} is not an ISO 8601 date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def _canonical_dates(dates: list[str]) -> list[str]:
    joined = "".join(dates)
    if _CANONICAL_DATES.fullmatch(joined):
        return dates
    if _WHOLE_SECONDS.fullmatch(joined):  # rclone, for files with whole-second times
        return [d[:-1] + ".000Z" for d in dates]
    return [canonical_date(d) for d in dates]


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name[0] != "#":
            return _NAMED[name]
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))

    return _ENTITY.sub(one, text)


def parse_page(body: bytes) -> Page:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PageError(f"the answer is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if "<ListBucketResult" not in text[:2000]:
        raise PageError(
            "the answer is not a ListBucketResult: "
            f"{text[:120].strip()!r}{'...' if len(text) > 120 else ''}"
        )
    count = text.count("<Contents>")
    keys = _KEY.findall(text)
    sizes = _SIZE.findall(text)
    dates = _DATE.findall(text)
    classes = _CLASS.findall(text)
    if not (len(keys) == len(sizes) == len(dates) == count) or (classes and len(classes) != count):
        return _parse_tree(text)
    dates = _canonical_dates(dates)
    # The page's own fields sit before the first object or after the last one.
    outside = text[: text.find("<Contents>")] + text[text.rfind("</Contents>") :] if count else text
    blob = "\n".join(keys)  # one C-level scan for escapes instead of one per key
    if "&" in blob:
        keys = [_unescape(k) if "&" in k else k for k in keys]
    if _URL_ENCODED.search(outside) and ("%" in blob or "+" in blob):
        keys = [unquote_plus(k) for k in keys]
    token = _TOKEN.search(outside)
    return Page(
        keys=keys,
        sizes=list(map(int, sizes)),
        dates=dates,
        classes=classes or [DEFAULT_CLASS] * count,
        truncated=_TRUNCATED.search(outside) is not None,
        token=_unescape(token.group(1)) if token else None,
    )


def parse_prefixes(body: bytes) -> list[str]:
    """The CommonPrefixes of a delimiter listing, decoded as the keys are."""
    text = body.decode("utf-8", "replace")
    if "<ListBucketResult" not in text[:2000]:
        raise PageError(f"the answer is not a ListBucketResult: {text[:120].strip()!r}")
    prefixes = [_unescape(p) for p in _PREFIX.findall(text)]
    if _URL_ENCODED.search(text):
        prefixes = [unquote_plus(p) for p in prefixes]
    return prefixes


def _parse_tree(text: str) -> Page:
    """The slow, general reader: namespaces, missing fields, odd date forms."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise PageError(f"the answer is not well-formed XML ({exc})") from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    page = Page()
    url_encoded = False
    for child in root:
        name = local(child.tag)
        if name == "IsTruncated":
            page.truncated = (child.text or "").strip() == "true"
        elif name == "NextContinuationToken":
            page.token = child.text or None
        elif name == "EncodingType":
            url_encoded = (child.text or "").strip() == "url"
        elif name == "Contents":
            fields = {local(f.tag): (f.text or "") for f in child}
            if "Key" not in fields or "Size" not in fields or "LastModified" not in fields:
                raise PageError("an object in the answer lacks its Key, Size or LastModified")
            page.keys.append(fields["Key"])
            try:
                page.sizes.append(int(fields["Size"]))
            except ValueError:
                raise PageError(f"Size {fields['Size'][:30]!r} is not a whole number") from None
            page.dates.append(canonical_date(fields["LastModified"]))
            page.classes.append(fields.get("StorageClass") or DEFAULT_CLASS)
    if url_encoded:
        page.keys = [unquote_plus(k) for k in page.keys]
    return page
