"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 in a thread, recording what it receives.

`SmtpServer` keeps its port across stop()/start(), so a test can take the server down and bring
it back at the same address. The handler can refuse chosen recipients (550), defer chosen
recipients once and accept them on the next try (451, as greylisting does), or answer 421 to
everything; it can store a chosen recipient's mail and then drop the connection without an
answer (a content filter, a DLP proxy), answer DATA only after a delay, refuse every login (535),
or run a hook (e.g. kill the client) between storing a mail and answering it; it counts TCP
connections and records AUTH logins. `delivered_to(address)` is what
one mailbox really got: every accepted message whose envelope names that address. `tls_contexts` makes a self-signed
certificate for 127.0.0.1 so SMTPS and STARTTLS run for real too.
(Named smtp_server, not smtpd, so it never shadows the standard library module of that name.)
"""
from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


class Recorder:
    """The aiosmtpd handler: stores envelopes, refuses on request, counts connections and logins."""

    def __init__(self):
        self.received: list[Received] = []
        self.connections: list[object] = []  # one SMTP protocol object per TCP connection
        self.logins: list[tuple[bytes, bytes]] = []
        self.refuse: dict[str, str] = {}  # recipient -> reply, e.g. "550 5.1.1 no such user"
        self.defer: dict[str, str] = {}   # recipient -> reply for its first RCPT only, e.g. "451 4.7.1 greylisted"
        self.deferred: list[str] = []     # the recipients answered with their `defer` reply, in order
        self.reply_all: str | None = None  # e.g. "421 4.3.2 shutting down" for every MAIL FROM
        self.drop_after_data: set[str] = set()  # recipients whose mail is stored, then the connection dropped unanswered
        self.answer_delay: dict[str, float] = {}  # recipient -> seconds between storing its mail and answering
        self.after_store = None            # called with the Received between storing and answering
        self.refuse_login = False          # 535 for every AUTH

    def _connected(self, server) -> None:
        if not any(s is server for s in self.connections):
            self.connections.append(server)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self._connected(server)
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        self._connected(server)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.reply_all:
            return self.reply_all
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        if address.lower() in self.defer and address.lower() not in self.deferred:
            self.deferred.append(address.lower())
            return self.defer[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        got = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        self.received.append(got)
        to = {t.lower() for t in envelope.rcpt_tos}
        if self.after_store is not None:
            self.after_store(got)
        if to & self.drop_after_data:      # kept it, and went away before saying so
            server.transport.abort()
            return "250 never heard"
        delay = max((self.answer_delay.get(t, 0) for t in to), default=0)
        if delay:
            await asyncio.sleep(delay)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True) if not self.refuse_login else AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self, **smtp_options):
        self.port, self.handler, self.options = free_port(), Recorder(), smtp_options
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def delivered_to(self, address: str) -> list[Received]:
        """The messages this server accepted for `address` (what that mailbox really got)."""
        return [r for r in self.handler.received if address.lower() in (t.lower() for t in r.rcpt_tos)]

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     authenticator=self.handler.authenticate, auth_require_tls=False, **self.options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


def tls_contexts(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting only it) for a fresh self-signed 127.0.0.1 certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))
