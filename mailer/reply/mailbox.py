"""The reply mailbox over IMAP: the raw replies waiting in one folder, and moving each one away once handled.

A thin edge over imap-tools, so that everything that decides anything (whose token, which command,
who may change what) stays in pure modules fed with bytes. `waiting()` reads with BODY.PEEK, so
reading changes no flag and a person who also reads that mailbox sees nothing happen; `handled(uid)`
moves the message into `done_folder` (made the first time it is missing) instead of deleting it, so
a clerk can still look at what duban acted on.

Reading and handling are two steps on purpose: if duban stops between them, the reply is still in
the folder and is read again next time. **Idempotency belongs to the caller**: it must record what
it applied (by Message-ID, or the token and the command) before calling `handled`, and skip a reply
it has already applied. UIDs are only good within one connection (a server may renumber the folder
between sessions, UIDVALIDITY), so call `handled` inside the same `with` block as `waiting`.

Failures speak as the rest of the mailer does (`duban.mailer.seam`): a setting a person must change
(login refused, TLS that cannot match, no such folder) is a `SetupError` naming it; a server that
cannot be reached or cuts the connection is a `TemporaryFailure`, tried again at the next run. Each
sentence says which host and what to check, in both languages (`reasons.bilingual`); none carries
the password, and the library's exception is not chained to it (its objects hold the raw command).
"""
from __future__ import annotations

import imaplib
import socket
import ssl
from typing import Literal

import imap_tools
from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted, MailMessage
from imap_tools.errors import ImapToolsError, MailboxFolderSelectError, MailboxLoginError

from duban.mailer.reasons import bilingual
from duban.mailer.seam import SetupError, TemporaryFailure

# STARTTLS: MailBoxStartTls in newer imap-tools, MailBoxTls in older ones (same arguments)
MailBoxStartTls = getattr(imap_tools, "MailBoxStartTls", None) or imap_tools.MailBoxTls
Security = Literal["ssl", "starttls", "none"]
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
DONE_FOLDER = "duban-handled"
FETCH_BULK = 50   # messages per FETCH: one round trip for a normal day, bounded memory for a flood

PORTS_SETTING = bilingual('[reply.imap] security and port (993: "ssl", 143: "starttls")',
                          '[reply.imap] security 和 port（993 端口用 "ssl"，143 端口用 "starttls"）')
LOGIN_SETTING = bilingual("[reply.imap] user, and the password in the variable [reply.imap] password_env names (or the keyring)",
                          "[reply.imap] user，以及 [reply.imap] password_env 所指环境变量中（或密钥环中）的密码")
CERTIFICATE_SETTING = bilingual("[reply.imap] host (the name in the server's certificate), or this machine's trusted "
                                "certificates", "[reply.imap] host（服务器证书上的名称），或本机信任的证书")
FOLDER_SETTING = bilingual("[reply.imap] folder (the folder replies arrive in)", "[reply.imap] folder（回复邮件所在的文件夹）")


class _Raw(MailMessage):
    """A fetched message that keeps the bytes as the server sent them (imap-tools keeps only the parse)."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


class Mailbox:
    """`with Mailbox(host, port, user, password) as box:` one logged-in connection to the reply folder.

    One connection per object: the password is dropped once the login has used it, so a later run
    makes a new Mailbox (with the password read again from where the settings say it is)."""

    def __init__(self, host: str, port: int | None, user: str, password: str, security: Security = "ssl",
                 folder: str = "INBOX", done_folder: str = DONE_FOLDER, timeout: float = 30,
                 ssl_context: ssl.SSLContext | None = None):
        if security not in DEFAULT_PORTS:
            raise ValueError(f"security must be one of {sorted(DEFAULT_PORTS)}, not {security!r}")
        self.host, self.port, self.user = host, port or DEFAULT_PORTS[security], user
        self.security, self.folder, self.done_folder, self.timeout = security, folder, done_folder, timeout
        self._password: str | None = password
        self._context = ssl_context
        self._box: BaseMailBox | None = None
        self._done_exists = False

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:             # never the password
        return f"Mailbox({self.user!r} at {self.where}, {self.security}, folder {self.folder!r})"

    def __enter__(self) -> Mailbox:
        box = self._connect()
        password, self._password = self._password or "", None     # kept no longer than the login needs
        try:
            if user_and_password_ascii(self.user, password):
                box.login(self.user, password, initial_folder=None)
            else:                          # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
                box.login_utf8(self.user, password, initial_folder=None)
        except (OSError, EOFError, imaplib.IMAP4.abort) as exc:      # the connection went, not the login
            _close(box)
            raise self._cut(exc) from None
        except (MailboxLoginError, imaplib.IMAP4.error) as exc:
            _close(box)
            raise self._refused(exc, password) from None
        try:
            box.folder.set(self.folder)
        except MailboxFolderSelectError as exc:
            _close(box)
            raise SetupError(bilingual(f"the reply mailbox {self.user} at {self.where} has no folder "
                                       f"'{self.folder}' ({_answer(exc)})",
                                       f"{self.where} 上的回复邮箱 {self.user} 没有文件夹“{self.folder}”（{_answer(exc)}）"),
                             FOLDER_SETTING) from None
        except (OSError, EOFError, imaplib.IMAP4.error) as exc:
            _close(box)
            raise self._cut(exc) from None
        box.email_message_class = _Raw
        self._box = box
        return self

    def __exit__(self, *_exc) -> None:
        box, self._box = self._box, None
        if box is not None:
            _close(box)

    def _connect(self) -> BaseMailBox:
        context = self._context or ssl.create_default_context()
        try:
            if self.security == "ssl":
                return MailBox(self.host, self.port, timeout=self.timeout, ssl_context=context)
            if self.security == "starttls":
                return MailBoxStartTls(self.host, self.port, timeout=self.timeout, ssl_context=context)
            return MailBoxUnencrypted(self.host, self.port, timeout=self.timeout)
        except ssl.SSLError as exc:
            setting = CERTIFICATE_SETTING if isinstance(exc, ssl.SSLCertVerificationError) else PORTS_SETTING
            raise SetupError(bilingual(f"TLS with the reply mailbox at {self.where} failed ({_answer(exc)})",
                                       f"与 {self.where} 上的回复邮箱建立 TLS 连接失败（{_answer(exc)}）"),
                             setting) from None
        except imaplib.IMAP4.error as exc:
            # imaplib says a missing STARTTLS with `abort('TLS not supported by server')`, the class it
            # also uses for a dropped connection, so its words tell the two apart
            if self.security != "starttls" or "TLS" not in str(exc):
                raise self._unreachable(exc) from None
            raise SetupError(bilingual(f"the reply mailbox at {self.where} does not offer STARTTLS ({_answer(exc)})",
                                       f"{self.where} 上的回复邮箱不提供 STARTTLS（{_answer(exc)}）"),
                             PORTS_SETTING) from None
        except (OSError, EOFError) as exc:   # refused, unknown host, timeout
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: BaseException) -> TemporaryFailure:
        return TemporaryFailure(bilingual(
                f"cannot connect to the reply mailbox at {self.where} ({_answer(exc)}): check [reply.imap] host and "
                "port, and that the mail server is up and reachable from this machine",
                f"无法连接 {self.where} 上的回复邮箱（{_answer(exc)}）：请检查 [reply.imap] host 和 port，"
                "以及邮件服务器是否在运行、本机能否访问它"))

    def _refused(self, exc: Exception, password: str) -> SetupError:
        answer = _answer(exc)
        if password:
            answer = answer.replace(password, "***")
        return SetupError(bilingual(f"{self.where} refused the login of '{self.user}' to the reply mailbox ({answer})",
                                    f"{self.where} 拒绝了回复邮箱 '{self.user}' 的登录（{answer}）"), LOGIN_SETTING)

    def _cut(self, exc: BaseException) -> TemporaryFailure:
        return TemporaryFailure(bilingual(f"the reply mailbox at {self.where} cut the connection ({_answer(exc)})",
                                          f"{self.where} 上的回复邮箱断开了连接（{_answer(exc)}）"))

    def _open(self) -> BaseMailBox:
        if self._box is None:
            raise RuntimeError("use the Mailbox in a with block: `with Mailbox(...) as box:`")
        return self._box

    def waiting(self) -> list[tuple[str, bytes]]:
        """(uid, the raw RFC 822 bytes) of every message in the folder, oldest first; no flag changes."""
        box = self._open()
        try:
            found = [(m.uid or "", m.raw) for m in box.fetch("ALL", mark_seen=False, bulk=FETCH_BULK)
                     if isinstance(m, _Raw)]
        except (OSError, EOFError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise self._cut(exc) from None
        return sorted(found, key=lambda pair: int(pair[0]) if pair[0].isdigit() else 0)

    def handled(self, uid: str) -> None:
        """Move message `uid` to the done folder (made once if missing): it is no longer waiting."""
        box = self._open()
        try:
            if not self._done_exists:
                if not box.folder.exists(self.done_folder):
                    box.folder.create(self.done_folder)
                self._done_exists = True
            box.move(uid, self.done_folder)
        except (OSError, EOFError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise self._cut(exc) from None


def user_and_password_ascii(user: str, password: str) -> bool:
    return user.isascii() and password.isascii()


def _close(box: BaseMailBox) -> None:
    """Log out politely if the connection still answers; a dead one is just dropped."""
    try:
        if box.client.state in ("AUTH", "SELECTED"):
            box.logout()
        else:
            box.client.shutdown()
    except (OSError, EOFError, imaplib.IMAP4.error, ImapToolsError):
        try:
            box.client.shutdown()
        except (OSError, EOFError):
            pass


def _answer(exc: BaseException) -> str:
    """The server's or the system's answer in one line, without the library's framing (or its data)."""
    if isinstance(exc, ImapToolsError) and hasattr(exc, "command_result"):
        data = exc.command_result[1] if len(exc.command_result) > 1 else None
        lines = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in (data or []) if d]
        return " ".join(lines) or str(exc.command_result[0])
    if isinstance(exc, socket.timeout):
        return "no answer (timeout)"
    if isinstance(exc, imaplib.IMAP4.error) and str(exc):   # imaplib's own sentence, its class name says nothing
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
