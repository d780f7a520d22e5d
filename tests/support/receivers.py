"""Real peers on loopback for the alert channels: an HTTP receiver that records
what it is sent (webhooks, Slack, URL responses), an SMTP server (aiosmtpd)
with optional login, STARTTLS or implicit TLS, and a throwaway CA whose
server certificate says 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.peers import LoopbackHTTP, closed_port

# --- HTTP -----------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver(LoopbackHTTP):
    """Answers every request with `status` (and `reply`, `headers`) and keeps
    each request it got. Change `status` between sends to stage failures."""

    def __init__(
        self, status: int = 200, reply: str = "ok", headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.reply, self.headers = status, reply, headers or {}
        self.requests: list[Request] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.requests.append(
                    Request(
                        "POST",
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(length),
                    )
                )
                body = receiver.reply.encode()
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:  # keep test output clean
                pass

        super().__init__(Handler, "alert-receiver")

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class NoticeReceiver(LoopbackHTTP):
    """Records the group key of every notice POSTed to it, then answers
    `status`; with `hang` set it holds the request unanswered until `release`
    is set. `port` binds a given port (one a channel pointed at while nobody
    listened)."""

    def __init__(self, port: int = 0) -> None:
        self.keys: list[str] = []
        self.status = 200
        self.hang = False
        self.got = threading.Event()
        self.release = threading.Event()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                peer.keys.append(json.loads(body)["group_key"])
                peer.got.set()
                if peer.hang:
                    peer.release.wait(30)
                try:
                    self.send_response(peer.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the client was killed while we held it
                    pass

            def log_message(self, *_: object) -> None:  # keep test output clean
                pass

        super().__init__(Handler, "notice-receiver", port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def __exit__(self, *exc: object) -> None:
        self.release.set()  # a held request would keep shutdown() waiting
        super().__exit__(*exc)


# --- TLS ------------------------------------------------------------------


@dataclass(frozen=True)
class TLSFiles:
    ca: Path  # what a client trusts (SSL_CERT_FILE)
    cert: Path  # the server's chain: its certificate for 127.0.0.1
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def make_tls(folder: Path, name: str = "r2tui test CA") -> TLSFiles:
    """A CA and a server certificate it signed for 127.0.0.1 and localhost:
    a proper chain, so strict verification (Python 3.13's default flags)
    accepts it as well as a plain one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


# --- SMTP -----------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None  # who logged in, if anyone
    raw: bytes = b""  # the message as it came over the wire
    mail_options: list[str] = field(default_factory=list)  # e.g. SMTPUTF8, BODY=8BITMIME


@dataclass
class _Handler:
    """Answers as a server would; each `refuse_*` (a whole reply line such as
    "550 5.1.1 no such user") refuses that step instead. `refuse_rcpt` refuses
    every recipient; `refuse_only` refuses just the addresses it names."""

    messages: list[Received] = field(default_factory=list)
    refuse_rcpt: str | None = None
    refuse_mail: str | None = None
    refuse_data: str | None = None
    refuse_only: dict[str, str] = field(default_factory=dict)
    data_seen: list[bytes] = field(default_factory=list)  # every DATA, refused ones too

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.refuse_mail:
            return self.refuse_mail
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        if address in self.refuse_only:
            return self.refuse_only[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.data_seen.append(content)
        if self.refuse_data:
            return self.refuse_data
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.messages.append(
            Received(
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                message,
                login,
                content,
                list(envelope.mail_options),
            )
        )
        return "250 OK"


class SMTPPeer:
    """aiosmtpd on 127.0.0.1 in its own thread. `user`/`password`: the one
    login it accepts (any other is refused); `tls`: with `implicit` the socket
    is TLS from the first byte (port 465 style), else STARTTLS is offered and
    required. `smtputf8`: advertise SMTPUTF8 (and accept UTF-8 addresses).
    The handler's `refuse_*` fields may change between sends to stage
    failures."""

    def __init__(
        self,
        user: str | None = None,
        password: str | None = None,
        tls: TLSFiles | None = None,
        implicit: bool = False,
        refuse_rcpt: str | None = None,
        smtputf8: bool = False,
        port: int | None = None,
    ) -> None:
        self.handler = _Handler(refuse_rcpt=refuse_rcpt)
        # aiosmtpd's controller cannot bind port 0; `port` reuses one a channel
        # pointed at while nobody listened.
        self.port = port or closed_port()
        self.logins: list[tuple[str, bool]] = []
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
        if user is not None:
            kwargs.update(
                authenticator=self._authenticator(user, password or ""),
                auth_require_tls=tls is not None,
            )
        if tls and implicit:
            kwargs["ssl_context"] = tls.server_context()
        elif tls:
            kwargs.update(tls_context=tls.server_context(), require_starttls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticator(self, user: str, password: str) -> Any:
        def check(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            self.logins.append((auth_data.login.decode(), ok))
            # handled=False on refusal: aiosmtpd then answers 535 itself;
            # handled=True without a reply leaves the client hanging.
            return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

        return check

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def __enter__(self) -> Self:
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.controller.stop()
