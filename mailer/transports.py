"""Mail's transports: the outbox folder (.eml files) and SMTP (mailer/smtp.py), chosen by `mail.transport`.

What a transport is and how a send fails: mailer/seam.py.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable

from duban.mailer.message import POLICY
from duban.mailer.seam import Connection, Refused, TemporaryFailure, Transport, as_bytes
from duban.mailer.smtp import SmtpTransport, password_for
from duban.workbooks.model.errors import ConfigError
from duban.workbooks.share.files import write_atomically


class OutboxTransport(Connection):
    """Writes `<folder>/<YYYYMMDD-HHMMSS>-<recipient>-<key hash>.eml`, stamped with the mail's own
    Date header and named after its first recipient, so a clerk finds a person's mail by name.

    Written to a temp file in the same folder and moved into place, so a reader never sees half a
    mail; an existing file is never replaced (a second file gets `-2`, `-3`, … instead)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.setup = f"outbox {folder}"

    def send(self, message: EmailMessage | bytes, recipients: list[str], key: str | None = None,
             before_content: Callable[[], None] | None = None) -> Refused:
        data = as_bytes(message)
        base = self._base(data, key)
        if before_content:
            before_content()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target, n = self.folder / f"{base}.eml", 1
            while target.exists():
                n += 1
                target = self.folder / f"{base}-{n}.eml"
            write_atomically(target, data)
        except OSError as exc:
            raise TemporaryFailure(f"cannot write to {self.folder}: {exc.strerror or exc}") from exc
        return {}

    def delivered(self, message: EmailMessage | bytes, key: str | None = None) -> bool:
        """Is this exact mail in the folder? (For a send cut short by a crash: here, unlike over
        SMTP, its fate can be looked up.)"""
        data = as_bytes(message)
        base = self._base(data, key)
        try:
            return any(p.read_bytes() == data for p in self.folder.glob(f"{base}*.eml"))
        except OSError:
            return False

    @staticmethod
    def _base(data: bytes, key: str | None) -> str:
        headers = BytesHeaderParser(policy=POLICY).parsebytes(data)
        try:
            stamp = parsedate_to_datetime(headers["Date"]).strftime("%Y%m%d-%H%M%S")
        except (TypeError, ValueError):
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        digest = hashlib.sha256((key or headers["Message-ID"] or "").encode()).hexdigest()[:10]
        return f"{stamp}-{_who(headers)}{digest}"


def _who(headers) -> str:
    """`王芳-` from the first To address's name (or mailbox), safe in a file name; "" if none."""
    try:
        address = headers["To"].addresses[0]
    except (AttributeError, IndexError, TypeError):
        return ""
    name = address.display_name or address.username or ""
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "._")[:40]
    return f"{safe}-" if safe else ""


def from_settings(settings: dict, folder: Path) -> Transport:
    """The transport `mail.transport` names: "outbox" (folder/outbox) or "smtp"."""
    kind = settings.mail.transport
    if kind == "outbox":
        return OutboxTransport(folder / "outbox")
    if kind == "smtp":
        return SmtpTransport(settings, password_for(settings.mail.smtp))
    raise ConfigError(f"duban.toml: mail.transport is '{kind}'; use \"outbox\" (write .eml files into "
                      f"{folder / 'outbox'}) or \"smtp\" (send through [mail.smtp]).")
