"""A local S3 server whose buckets are made by a seeded generator, not stored.

    python bench/gen_server.py --buckets 100 --objects 100000     # per bucket

Prints "READY <port>" once listening on 127.0.0.1, then serves until SIGTERM.
Where sparse files do not fit (10,000,000 objects are 10,000,000 inodes; the
disk here has 16 M), this answers what `rclone serve s3` would: ListBuckets
and ListObjectsV2 (max-keys, start-after, continuation-token, prefix,
delimiter, encoding-type=url), every request's SigV4 signature checked against
the key pair bench/bench (bench_servers.ACCESS_KEY). Anything else is a 501.

Bucket b's object i has a key that sorts by i (the zero-padded serial comes
before the extension), so a page from any start is found by bisection on i,
never by keeping keys: the server's memory is flat whatever the object count.
Sizes, dates and storage classes come from one hash of (bucket, i);
`totals(bucket, n)` gives the counts and bytes every listing is checked against.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import signal
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

ACCESS_KEY = "bench"
SECRET = "bench"
EXTENSIONS = (".jpg", ".jpg", ".png", ".log.gz", ".json", ".parquet", ".mp4", ".pdf", "", ".csv")
MASK = (1 << 64) - 1
T0 = 1_700_000_000  # dates fall in the year before this


def bucket_name(b: int) -> str:
    return f"gen-{b:04d}"


def _mix(x: int) -> int:
    """splitmix64: a well-spread 64-bit hash of x."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def key(i: int) -> str:
    """Object i's key: folders by thousands and tens of thousands, then the serial."""
    return f"d{i // 10_000:04d}/s{i // 1000 % 10}/obj-{i:09d}{EXTENSIONS[i % len(EXTENSIONS)]}"


def _size(h: int) -> int:
    return (h & 0xFFFFF) << ((h >> 20) & 15)  # up to 1 MiB, times up to 2^15: heavy-tailed


def _mtime(h: int) -> int:
    return T0 - (h >> 33) % (365 * 86400)


def _class(h: int) -> str:
    return "STANDARD_IA" if (h >> 40) % 20 == 0 else "STANDARD"


def size(b: int, i: int) -> int:
    return _size(_mix(b << 40 | i))


_DAYS: dict[int, str] = {}


def _date(t: int) -> str:
    day, second = divmod(t, 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%dT")
    hour, rest = divmod(second, 3600)
    return f"{prefix}{hour:02d}:{rest // 60:02d}:{rest % 60:02d}.000Z"


def totals(b: int, n: int) -> tuple[int, int]:
    return n, sum(size(b, i) for i in range(n))


def first_after(n: int, after: str) -> int:
    """The index of the first key > after."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if key(mid) <= after:
            lo = mid + 1
        else:
            hi = mid
    return lo


def first_from(n: int, start: str) -> int:
    """The index of the first key >= start."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if key(mid) < start:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _token(i: int) -> str:
    return base64.urlsafe_b64encode(f"i{i}".encode()).decode()


def _from_token(token: str) -> int:
    return int(base64.urlsafe_b64decode(token.encode())[1:])


def list_page(b: int, n: int, query: dict[str, str]) -> bytes:
    max_keys = min(1000, int(query.get("max-keys", "1000")))
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    url = query.get("encoding-type") == "url"
    if "continuation-token" in query:
        i = _from_token(query["continuation-token"])
    else:
        i = first_after(n, query.get("start-after", ""))
    i = max(i, first_from(n, prefix))
    out: list[str] = []
    count = 0
    while i < n and count < max_keys:
        k = key(i)
        if not k.startswith(prefix):
            break
        cut = k.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            group = k[: cut + len(delimiter)]
            out.append(
                f"<CommonPrefixes><Prefix>{quote(group) if url else group}</Prefix>"
                "</CommonPrefixes>"
            )
            i = first_from(n, group + "\U0010ffff")
        else:
            h = _mix(b << 40 | i)
            out.append(
                f"<Contents><Key>{k}</Key>"  # letters, digits, . / - : the same URL-encoded
                f"<LastModified>{_date(_mtime(h))}</LastModified>"
                f'<ETag>"{i:032x}"</ETag><Size>{_size(h)}</Size>'
                f"<StorageClass>{_class(h)}</StorageClass></Contents>"
            )
            i += 1
        count += 1
    truncated = i < n and key(i).startswith(prefix)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{bucket_name(b)}</Name><Prefix>{prefix}</Prefix><KeyCount>{count}</KeyCount>"
        f"<MaxKeys>{max_keys}</MaxKeys>"
        + ("<EncodingType>url</EncodingType>" if url else "")
        + f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
        + (f"<NextContinuationToken>{_token(i)}</NextContinuationToken>" if truncated else "")
    )
    return (head + "".join(out) + "</ListBucketResult>").encode()


def bucket_list(buckets: int) -> bytes:
    names = "".join(
        f"<Bucket><Name>{bucket_name(b)}</Name><CreationDate>{_date(T0)}</CreationDate></Bucket>"
        for b in range(buckets)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult '
        'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>bench</ID></Owner>'
        f"<Buckets>{names}</Buckets></ListAllMyBucketsResult>"
    ).encode()


def signature_ok(method: str, path: str, headers: dict[str, str]) -> bool:
    """Whether the request carries a valid SigV4 signature by ACCESS_KEY/SECRET."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return False
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 ") :].split(","))
    access, day, region, service, _ = fields["Credential"].split("/")
    if access != ACCESS_KEY:
        return False
    signed = fields["SignedHeaders"].split(";")
    url = urlsplit(path)
    query = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in parse_qsl(url.query, keep_blank_values=True)
    )
    canonical = "\n".join(
        [
            method,
            url.path or "/",
            "&".join(f"{k}={v}" for k, v in query),
            "".join(f"{h}:{' '.join(headers.get(h, '').split())}\n" for h in signed),
            fields["SignedHeaders"],
            headers.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            headers.get("x-amz-date", ""),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    k = ("AWS4" + SECRET).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    wanted = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(wanted, fields["Signature"])


def serve(buckets: int, objects: int, port: int) -> ThreadingHTTPServer:
    names = {bucket_name(b): b for b in range(buckets)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not signature_ok("GET", self.path, headers):
                return self._send(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>")
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            bucket = url.path.strip("/")
            if not bucket:
                return self._send(200, bucket_list(buckets))
            if bucket not in names or "/" in bucket:
                return self._send(404, b"<Error><Code>NoSuchBucket</Code></Error>")
            if query.get("list-type") != "2":
                return self._send(501, b"<Error><Code>NotImplemented</Code></Error>")
            return self._send(200, list_page(names[bucket], objects, query))

        def do_HEAD(self) -> None:
            self._send(200, b"")

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--buckets", type=int, default=100)
    ap.add_argument("--objects", type=int, default=100_000, help="objects per bucket")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    server = serve(args.buckets, args.objects, args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
