"""Composing and delivering duban's mail: messages, the queue in state.db, and the transports."""
from .message import Address, BadAddress, Mail, build, recipients
from .queue import DeliveryReport, MailQueue, QueuedMail
from .transports import (OutboxTransport, PermanentFailure, RateLimiter, SmtpTransport, TemporaryFailure, Transport,
                         from_settings, password_for)

__all__ = ["Address", "BadAddress", "Mail", "build", "recipients", "DeliveryReport", "MailQueue", "QueuedMail",
           "OutboxTransport", "PermanentFailure", "RateLimiter", "SmtpTransport", "TemporaryFailure", "Transport",
           "from_settings", "password_for"]
