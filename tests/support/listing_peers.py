"""Peers for the listing tests: key layouts, a simulated bucket for the planner
(every request takes one time unit, so speed-ups are counted in round trips,
not timed), and a counting proxy in front of moto's S3 server."""

from __future__ import annotations

import base64
import bisect
import heapq
import http.client
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from r2tui.sources.listing.fold import InventoryFold
from r2tui.sources.listing.hints import Hints, split_keys
from r2tui.sources.listing.page import Page
from r2tui.sources.listing.planner import Planner
from r2tui.sources.listing.ranges import Probe
from tests.support.peers import LoopbackHTTP, _error_xml

# ---- layouts ----------------------------------------------------------------------------


def flat(n: int) -> list[str]:
    return [f"obj-{i:08d}" for i in range(n)]


def hex_keys(n: int) -> list[str]:
    r = random.Random(3)
    return sorted({f"{r.getrandbits(64):016x}" for _ in range(n)})


def deep(n: int) -> list[str]:
    r = random.Random(4)
    out: set[str] = set()
    while len(out) < n:
        out.add("/".join(f"d{r.randrange(6)}" for _ in range(6)) + f"/f{r.randrange(10**9)}.bin")
    return sorted(out)


def one_prefix(n: int) -> list[str]:
    return [f"logs/2024/app/{i:09d}.log" for i in range(n)]


def skewed(n: int) -> list[str]:
    """Nine keys in ten under one prefix, the rest spread thinly on both sides."""
    r = random.Random(5)
    out: set[str] = set()
    while len(out) < n:
        if r.random() < 0.9:
            out.add(f"hot/{r.randrange(10**9):09d}")
        else:
            out.add(f"{chr(97 + r.randrange(26))}{r.randrange(10**6)}/x")
    return sorted(out)


AWKWARD = "aé€𝄞 /%+&<>\"'日本~=?#"


def awkward(n: int) -> list[str]:
    """Unicode, XML and URL metacharacters, spaces and pluses, at any position."""
    r = random.Random(6)
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(r.choice(AWKWARD) for _ in range(r.randrange(1, 24))))
    return sorted(out)


LAYOUTS: dict[str, Callable[[int], list[str]]] = {
    "flat": flat,
    "hex": hex_keys,
    "deep": deep,
    "one_prefix": one_prefix,
    "skewed": skewed,
    "awkward": awkward,
}


# ---- the planner against a simulated bucket ---------------------------------------------


@dataclass
class Run:
    round_trips: float
    requests: int
    pages: int  # of one sequential listing
    planner: Planner


def simulate(
    keys: list[str],
    page_size: int = 1000,
    concurrency: int = 16,
    hints: Hints | None = None,
    seed: int = 1,
) -> Run:
    """List sorted `keys` with the real planner; each request answers one time unit
    (and a little jitter) after it is sent."""
    rnd = random.Random(seed)
    planner = Planner(
        lambda: InventoryFold("sim"), page_size=page_size, max_concurrency=concurrency, hints=hints
    )
    queue: list[tuple[float, int, object, str]] = []
    now = 0.0
    sent = 0

    def page_after(after: str) -> Page:
        i = bisect.bisect_right(keys, after)
        got = keys[i : i + page_size]
        return Page(
            got,
            [len(k) for k in got],
            ["2024-01-01T00:00:00.000Z"] * len(got),
            ["STANDARD"] * len(got),
            i + page_size < len(keys),
            None,
        )

    def ask(step: object) -> None:
        nonlocal sent
        sent += 1
        after = step.range.cursor if isinstance(step, Probe) else planner.start(step)[0]
        heapq.heappush(queue, (now + 1 + rnd.random() * 0.05, sent, step, after))

    ask(planner.ranges[0])
    for new in planner.plan(in_flight=len(queue)):
        ask(new)
    while queue:
        now, _, step, after = heapq.heappop(queue)
        if isinstance(step, Probe):
            planner.take_probe(step, folders(keys, step.prefix, after, page_size))
        else:
            planner.take(step, page_after(after))  # type: ignore[arg-type]
            if not step.done:  # type: ignore[attr-defined]
                ask(step)
        for new in planner.plan(in_flight=len(queue)):
            ask(new)
    return Run(now, planner.requests, max(1, -(-len(keys) // page_size)), planner)


def folders(keys: list[str], prefix: str, after: str, limit: int) -> list[str]:
    """The CommonPrefixes of a delimiter listing of `keys` (what S3 would answer)."""
    out: list[str] = []
    i = bisect.bisect_right(keys, after)
    while i < len(keys) and len(out) < limit:
        key = keys[i]
        if not key.startswith(prefix):
            if key > prefix:
                break
            i += 1
            continue
        slash = key.find("/", len(prefix))
        if slash < 0:
            i += 1
            continue
        out.append(key[: slash + 1])
        i = bisect.bisect_left(keys, key[: slash + 1] + "\U0010ffff")
    return out


def warm_hints(run: Run, objects: int) -> Hints:
    cuts = split_keys(run.planner.ranges, run.planner.page_size)
    return Hints(objects, tuple(c.key for c in cuts), tuple(c.position for c in cuts))


# ---- a counting proxy in front of an S3 server -------------------------------------------


@dataclass
class Counts:
    pages: int = 0  # ListObjectsV2 without a delimiter
    probes: int = 0  # ListObjectsV2 with one
    bucket_lists: int = 0  # ListBuckets
    other: Counter[str] = field(default_factory=Counter)
    by_bucket: Counter[str] = field(default_factory=Counter)  # list requests per bucket


def paged_bucket_list(
    full: bytes, query: dict[str, list[str]], size: int, style: str
) -> tuple[bytes, dict[str, str]]:
    """One page of `size` buckets of the whole ListBuckets answer `full`, as R2
    pages it (style "r2": IsTruncated and NextContinuationToken in the XML and
    the cf-is-truncated and cf-next-continuation-token headers; ContinuationToken
    echoes the request's) or AWS ("aws": the next token as ContinuationToken)."""
    blocks = sorted(
        re.findall(rb"<Bucket>.*?</Bucket>", full, re.S),
        key=lambda b: re.search(rb"<Name>(.*?)</Name>", b).group(1),  # type: ignore[union-attr]
    )
    sent = query.get("continuation-token", [""])[0]
    start = int(base64.urlsafe_b64decode(sent)) if sent else 0
    page = blocks[start : start + size]
    following = ""
    if start + size < len(blocks):
        following = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    head, tail = full.split(b"<Buckets>", 1)[0], full.rsplit(b"</Buckets>", 1)[1]
    extra = b""
    headers: dict[str, str] = {}
    if style == "r2":
        extra = b"<IsTruncated>%s</IsTruncated>" % (b"true" if following else b"false")
        if following:
            extra += b"<NextContinuationToken>%s</NextContinuationToken>" % following.encode()
            headers["cf-next-continuation-token"] = following
        if sent:
            extra += b"<ContinuationToken>%s</ContinuationToken>" % sent.encode()
        headers["cf-is-truncated"] = "true" if following else "false"
    elif following:
        extra = b"<ContinuationToken>%s</ContinuationToken>" % following.encode()
    body = head + b"<Buckets>" + b"".join(page) + b"</Buckets>" + extra + tail
    return body, headers


class CountingProxy(LoopbackHTTP):
    """Forwards every request to `target` and counts list requests; `faults` are
    answered instead of forwarding, to the first list requests, in order
    (HTTP status, S3 error code); `on_page(n, path)` runs before the n-th page
    request is forwarded; `delay` seconds pass before each list request is.
    `bucket_page` buckets at most answer a ListBuckets, paged as `bucket_style`
    says (paged_bucket_list); a bucket named in `fail_after` has that many of
    its list requests answered, and every later one refused with a 500."""

    def __init__(
        self,
        target: str,
        faults: list[tuple[int, str]] | None = None,
        on_page: Callable[[int, str], None] | None = None,
        delay: float = 0.0,
        bucket_page: int = 0,
        bucket_style: str = "r2",
        fail_after: dict[str, int] | None = None,
    ) -> None:
        self.counts = Counts()
        fail_after = dict(fail_after or {})
        self.starts: list[str] = []  # each list request's start-after, in arrival order
        self.in_flight = 0
        self.most_in_flight = 0  # list requests the server had at once, at most
        self.faults = list(faults or [])
        self.lock = threading.Lock()
        host = urlsplit(target)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                query = parse_qs(urlsplit(self.path).query)
                listing = query.get("list-type") == ["2"]
                bucket = urlsplit(self.path).path.strip("/").split("/", 1)[0]
                fault = None
                with proxy.lock:
                    if listing:
                        proxy.counts.by_bucket[bucket] += 1
                        if proxy.counts.by_bucket[bucket] > fail_after.get(bucket, 1 << 30):
                            fault = (500, "InternalError")
                    if listing and proxy.faults and fault is None:
                        fault = proxy.faults.pop(0)
                    elif listing and "delimiter" in query:
                        proxy.counts.probes += 1
                    elif listing:
                        proxy.counts.pages += 1
                        pages = proxy.counts.pages
                        proxy.starts.append(query.get("start-after", [""])[0])
                    elif self.command == "GET" and not bucket:
                        proxy.counts.bucket_lists += 1
                    else:
                        proxy.counts.other[self.command] += 1
                if fault is not None:
                    self._send(
                        fault[0],
                        {"Content-Type": "application/xml"},
                        _error_xml(fault[1], "injected by the test proxy"),
                    )
                    return
                if listing and "delimiter" not in query and on_page is not None:
                    on_page(pages, urlsplit(self.path).path)  # before it is answered
                with proxy.lock:
                    proxy.in_flight += listing
                    proxy.most_in_flight = max(proxy.most_in_flight, proxy.in_flight)
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
                try:
                    if listing and delay:
                        time.sleep(delay)  # a round trip: lets requests overlap
                    conn.request(self.command, self.path, body=body, headers=dict(self.headers))
                    answer = conn.getresponse()
                    data = answer.read()
                    headers = dict(answer.getheaders())
                    if bucket_page and self.command == "GET" and not bucket:
                        data, more = paged_bucket_list(data, query, bucket_page, bucket_style)
                        headers.update(more)
                    self._send(answer.status, headers, data)
                finally:
                    conn.close()
                    with proxy.lock:
                        proxy.in_flight -= listing

            def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "date",
                        "server",
                    ):
                        self.send_header(name, value)
                try:
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    # The client went away (a listing stopped or given up): it
                    # wants no answer, and the test's output no traceback.
                    self.close_connection = True

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

            def log_message(self, *_: object) -> None:
                pass

        super().__init__(Handler, "s3-counting-proxy")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"
