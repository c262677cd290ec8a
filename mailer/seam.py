"""The one seam between duban and the outside world for mail: what a transport is and how a send fails.

A transport only moves finished bytes. It says how a send went by returning the refused
recipients (partial delivery) or raising `TemporaryFailure` (try later) / `PermanentFailure`
(this mail will never go). Three kinds of temporary failure say more: `Wait` (not before a
given moment: a rate limit, not a fault), `ConnectionCut` (the
connection went away in the middle of this mail; `content_sent` says whether the mail itself had
gone, so that the server may have kept it: its fate is unknown) and `SetupError` (the settings
are wrong, so no retry helps until a person changes the one named). Everything else (what to
retry, when, what to record) is the queue's job.
"""
from __future__ import annotations

from email.message import EmailMessage
from typing import Callable, Protocol

from duban.mailer.message import POLICY

# The settings a SetupError names (mailer.reasons says each in Chinese): here, beside the failure
# types, so that the words of mail load without the SMTP client.
PORTS = "[mail.smtp] security and port (465: \"ssl\", 587: \"starttls\")"
PLAIN_SERVER = ("[mail.smtp] security and port: this server answers in plain text on that port, so try "
                "security = \"starttls\" (TLS after connecting, usually port 587 or 25), or keep \"ssl\" with port 465")
CERTIFICATE = "[mail.smtp] host (the name in the server's certificate), or this machine's trusted certificates"
LOGIN_OR_TLS = "[mail.smtp] user and security (the server wants a login, or TLS, before it takes mail)"

Refused = dict[str, str]  # recipient -> the server's answer ("451 4.7.1 …"), for recipients not given the mail


def temporary(answer: str) -> bool:
    """A 4xx answer ("451 4.7.1 greylisted"): that recipient may accept the mail later."""
    return answer[:1] == "4"


class TemporaryFailure(Exception):
    """Try again later. `server_down`: the connection is gone, so the rest of the batch waits too."""

    def __init__(self, reason: str, server_down: bool = True):
        super().__init__(reason)
        self.reason, self.server_down = reason, server_down


class Wait(TemporaryFailure):
    """Not now, and not a fault: the destination asked for a pause (a group bot's rate limit) or
    duban keeps to its pace. Nothing goes through this lane before `until` (an aware datetime);
    the message keeps its place, its tries are not counted (so its backoff does not grow while
    the lane only waits) and the run reports no error."""

    def __init__(self, reason: str, until):
        super().__init__(reason, server_down=True)
        self.until = until


class ConnectionCut(TemporaryFailure):
    """The connection went away (or stopped answering) while this mail was being handed over.
    `content_sent`: the mail itself had gone when it did, so the server may have stored it."""

    def __init__(self, reason: str, content_sent: bool):
        super().__init__(reason, server_down=False)
        self.content_sent = content_sent


class SetupError(TemporaryFailure):
    """A setting is wrong (password refused, TLS not offered or not trusted, login required):
    retrying the same settings cannot help. `setting` names what a person has to change."""

    def __init__(self, reason: str, setting: str):
        super().__init__(reason, server_down=True)
        self.setting = setting


class PermanentFailure(Exception):
    """The server refused this mail for good (5xx); retrying the same bytes will not help."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    def open(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc) -> None: ...
    def send(self, message: EmailMessage | bytes, recipients: list[str], key: str | None = None,
             before_content: Callable[[], None] | None = None) -> Refused: ...


class Connection:
    """`setup`: what the transport was set up with (a changed setting lifts a hold, see the queue);
    `patience`: the longest one send may take, in seconds (the queue's lease covers it);
    `resend_unknown`: a message whose fate is unknown (it went, no answer came) may be sent once
    more (mail: a mailbox copes with a rare duplicate); off, it is set aside at the first unknown."""

    setup = ""
    patience = 0.0
    resend_unknown = True

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def as_bytes(message: EmailMessage | bytes) -> bytes:
    return message if isinstance(message, bytes) else message.as_bytes(policy=POLICY)
