"""SMTP through yagmail: connecting, TLS and login, and the SMTP dialogue of one mail, step by step.

Which failures mean what is said in mailer/seam.py; the settings a `SetupError` names are the
constants below (the terminal says them in the company's language).
"""
from __future__ import annotations

import os
import re
import smtplib
import ssl
import time
from collections import deque
from email.message import EmailMessage
from typing import Callable

import yagmail

from duban.mailer.seam import (
    CERTIFICATE,
    LOGIN_OR_TLS,
    PLAIN_SERVER,
    PORTS,
    Connection,
    ConnectionCut,
    PermanentFailure,
    Refused,
    SetupError,
    TemporaryFailure,
    as_bytes,
)
from duban.workbooks.model.errors import ConfigError


class RateLimiter:
    """At most `per_minute` sends in any 60 seconds; clock and sleep are passed in so tests never wait."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.per_minute, self.clock, self.sleep = per_minute, clock, sleep
        self.recent: deque[float] = deque()

    def wait(self) -> float:
        """Sleep until one more send is allowed, note it, and return the seconds slept."""
        now, waited = self.clock(), 0.0
        while self.recent and now - self.recent[0] >= 60:
            self.recent.popleft()
        if len(self.recent) >= self.per_minute:
            waited = 60 - (now - self.recent[0])
            self.sleep(waited)
            now = self.clock()
            self.recent.popleft()
        self.recent.append(now)
        return waited


def password_for(smtp: dict) -> str | None:
    """The SMTP password from the environment variable `password_env`, else the keyring; never a prompt."""
    user, env = smtp.user.strip(), smtp.password_env
    if not user:
        return None
    if os.environ.get(env):
        return os.environ[env]
    try:
        import keyring
        found = keyring.get_password("duban", user)
    except Exception:  # not installed, or no usable keyring backend on this machine
        found = None
    if found:
        return found
    raise ConfigError(f"duban.toml: mail.smtp.user is '{user}' but no password was found. Set the environment "
                      f"variable {env}, or store it in the system keyring (service 'duban', user '{user}'). "
                      f"duban runs unattended, so it never asks for a password on the terminal.",
                      f"duban.toml 中 mail.smtp.user 是 '{user}'，但找不到它的密码。请把密码放进环境变量 {env}，"
                      f"或存入系统密钥环（服务 'duban'，用户 '{user}'）。督办无人值守地运行，从不在终端上询问密码。")


class _NoPromptSMTP(yagmail.SMTP):
    """yagmail asks on the terminal (getpass) when it has no password; a scheduled job must fail instead."""

    @staticmethod
    def handle_password(user: str, password: str | None) -> str:
        if password is None:
            raise ConfigError(f"no SMTP password for '{user}'; duban never asks on the terminal.",
                              f"没有 '{user}' 的 SMTP 密码；督办从不在终端上询问密码。")
        return password


class SmtpTransport(Connection):
    """SMTP with the `[mail.smtp]` settings: yagmail connects, wraps TLS and logs in; we send bytes.

    yagmail's `send()` is not used, on purpose. It builds its own message from `contents`, where a
    string that happens to be an existing file path becomes an attachment; after three failed tries
    (sleeping 3 and 6 s) it returns False instead of raising; and our resends must be byte-identical
    to what was queued. So `open()` is `yagmail.SMTP.login()` (connection, STARTTLS or SMTPS, AUTH)
    and each mail is handed as finished bytes over its smtplib connection by `_hand_over` (smtplib's
    `sendmail`, step by step, so that we know whether the mail itself had gone when something
    failed, and can wait `data_timeout` for the answer to it). One connection serves the batch.

    yagmail traps handled here: a user name without '@' would get '@gmail.com' appended, so the user
    is passed in yagmail's {address: alias} form, which it takes verbatim; an empty user means an
    internal relay, so `smtp_skip_login`; a missing password raises `ConfigError` (never getpass);
    TLS always verifies certificates (smtplib's default context for STARTTLS/SMTPS does not).
    """

    def __init__(self, settings: dict, password: str | None, *, ssl_context: ssl.SSLContext | None = None,
                 limiter: RateLimiter | None = None):
        mail, self.smtp_settings = settings.mail, settings.mail.smtp
        self.security = self.smtp_settings.security
        if self.security not in ("ssl", "starttls", "none"):
            raise ConfigError(f"duban.toml: mail.smtp.security is '{self.security}'; use \"ssl\", \"starttls\" "
                              f"or \"none\".")
        if mail.max_per_minute < 1:
            raise ConfigError("duban.toml: mail.max_per_minute must be 1 or more.")
        self.user, self.sender = self.smtp_settings.user.strip(), mail.sender
        self.data_timeout = float(self.smtp_settings.data_timeout)
        self.patience = self.data_timeout + 3 * float(self.smtp_settings.timeout)
        s = self.smtp_settings
        self.setup = f"smtp {s.host}:{s.port} {self.security} {self.user} {s.password_env}"
        self.password = (password or password_for(self.smtp_settings)) if self.user else None
        self.context = ssl_context or ssl.create_default_context()
        self.limiter = limiter or RateLimiter(mail.max_per_minute)
        self.yag: yagmail.SMTP | None = None

    def _client(self) -> yagmail.SMTP:
        s, login = self.smtp_settings, self.user or self.sender
        extra = {"context": self.context} if self.security == "ssl" else {}
        return _NoPromptSMTP(user={login: login}, password=self.password, host=s.host, port=s.port,
                             smtp_ssl=self.security == "ssl",
                             smtp_starttls={"context": self.context} if self.security == "starttls" else False,
                             smtp_skip_login=not self.user, soft_email_validation=False,
                             timeout=s.timeout, **extra)

    def open(self) -> None:
        yag = self._client()
        try:
            yag.login()
        except (smtplib.SMTPException, OSError) as exc:  # refused, timeout, TLS, AUTH, 4xx greeting
            _quit(yag)
            raise self._failure(exc) from exc
        self.yag = yag

    def _failure(self, exc: Exception) -> TemporaryFailure:
        """What a failed connect or login means: a setting a person must change (`SetupError`:
        a 5xx login refusal, no STARTTLS or AUTH on offer, TLS that cannot match), or a passing fault."""
        where = f"{self.smtp_settings.host}:{self.smtp_settings.port}"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            if exc.smtp_code < 500:                       # 454 "temporary authentication failure"
                return TemporaryFailure(f"{where} could not check the login now ({_answer(exc)})")
            return SetupError(f"{where} refused the login of '{self.user}' ({_answer(exc)})",
                              f"[mail.smtp] user, and the password in the environment variable "
                              f"{self.smtp_settings.password_env} (or the keyring)")
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            what = "STARTTLS" if "STARTTLS" in str(exc) else "a login (AUTH)"
            return SetupError(f"{where} does not offer {what} ({_answer(exc)})", f"{PORTS}, and user")
        if isinstance(exc, ssl.SSLError) and _tls_mismatch(exc):
            if isinstance(exc, ssl.SSLCertVerificationError):
                setting = CERTIFICATE
            elif self.security == "ssl" and getattr(exc, "reason", None) in PLAIN_ANSWERS:
                setting = PLAIN_SERVER          # TLS at connect, answered in plain text: STARTTLS is the cure
            else:
                setting = PORTS
            return SetupError(f"TLS with {where} failed ({_answer(exc)})", setting)
        return TemporaryFailure(f"cannot connect to {where} ({_answer(exc)})")

    def close(self) -> None:
        yag, self.yag = self.yag, None
        if yag is not None:
            _quit(yag)

    def send(self, message: EmailMessage | bytes, recipients: list[str], key: str | None = None,
             before_content: Callable[[], None] | None = None) -> Refused:
        """Hand one mail over; `before_content` runs once the server is ready for the mail itself
        (after its 354), right before the mail goes: the queue notes the mail "in flight" there."""
        if self.yag is None:
            raise TemporaryFailure("the SMTP connection is not open")
        self.limiter.wait()
        stage = ["envelope"]
        try:
            refused = _hand_over(self.yag.smtp, self.sender, recipients, as_bytes(message), self.data_timeout,
                                 before_content, stage)
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused
            codes = [code for code, _ in exc.recipients.values()]
            reason = "; ".join(f"{r}: {_answer(a)}" for r, a in exc.recipients.items())
            if 530 in codes:
                raise SetupError(reason, LOGIN_OR_TLS) from exc
            if all(code >= 500 for code in codes):
                raise PermanentFailure(reason) from exc
            raise TemporaryFailure(reason, server_down=421 in codes) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 530:                    # "authentication required", "must issue STARTTLS first"
                raise SetupError(_answer(exc), LOGIN_OR_TLS) from exc
            if exc.smtp_code >= 500:
                raise PermanentFailure(_answer(exc)) from exc
            raise TemporaryFailure(_answer(exc), server_down=exc.smtp_code == 421) from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnected, timeout, connection reset
            gone = stage[0] == "content"
            why = _answer(exc)
            if gone:
                why = (f"no answer after the mail was sent ({why}; waited up to {self.data_timeout:g} s, "
                       f"[mail.smtp] data_timeout)")
            raise ConnectionCut(why, content_sent=gone) from exc
        return {r: _answer(a) for r, a in refused.items()}


def _tls_mismatch(exc: ssl.SSLError) -> bool:
    """A TLS failure that retrying cannot fix: an untrusted certificate, or the two sides not
    speaking TLS alike (TLS to a plain port, no common protocol version)."""
    return isinstance(exc, ssl.SSLCertVerificationError) or getattr(exc, "reason", None) in (
        "WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION",
        "NO_PROTOCOLS_AVAILABLE", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")


# The settings a SetupError names (`setting`), as constants: the terminal says them in the company's
# language (jobs.mailreport.setting_text), and mail_hold keeps the English.
# what OpenSSL says when TLS is spoken at connect and the server answers in plain text ("220 …")
PLAIN_ANSWERS = ("WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG",
                 "RECORD_LAYER_FAILURE")


def _hand_over(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes, data_timeout: float,
               before_content: Callable[[], None] | None, stage: list[str]) -> dict:
    """smtplib's `sendmail(sender, recipients, data)`, step by step: `stage[0]` becomes "content"
    when the mail itself starts to go (after `before_content`), and the answer to it is awaited
    for `data_timeout` seconds rather than the command timeout. Raises as `sendmail` does."""
    smtp.ehlo_or_helo_if_needed()
    options = [f"SIZE={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, answer = smtp.mail(sender, options)
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    refused = {}
    for address in recipients:
        code, answer = smtp.rcpt(address)
        if code not in (250, 251):
            refused[address] = (code, answer)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _abandon(smtp, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    smtp.putcmd("data")
    code, answer = smtp.getreply()
    if code != 354:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, answer)
    if before_content:
        before_content()
    stage[0] = "content"
    body = re.sub(rb"(?m)^\.", b"..", data)
    body += b"" if body.endswith(b"\r\n") else b"\r\n"
    smtp.sock.settimeout(data_timeout)
    smtp.send(body + b".\r\n")
    code, answer = smtp.getreply()
    smtp.sock.settimeout(smtp.timeout)
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, answer)
    return refused


def _abandon(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal: 421 means the server is closing; otherwise reset for the next mail."""
    if code == 421:
        smtp.close()
    else:
        smtp._rset()


def _quit(yag: yagmail.SMTP) -> None:
    try:
        yag.close()
    except (smtplib.SMTPException, OSError):  # accepted mails stay accepted; a rude goodbye changes nothing
        if yag.smtp is not None:
            yag.smtp.close()


def _answer(answer) -> str:
    """An SMTP answer ((code, bytes) or an exception) as one readable line."""
    if isinstance(answer, smtplib.SMTPResponseException):
        answer = (answer.smtp_code, answer.smtp_error)
    if isinstance(answer, tuple):
        code, text = answer
        return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    return f"{type(answer).__name__}: {answer}" if str(answer) else type(answer).__name__
