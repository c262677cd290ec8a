"""Composing and delivering duban's mail: messages, the queue in state.db, and the transports."""
from duban.mailer.message import Address, BadAddress, Mail, build, recipients
from duban.mailer.queue import DeliveryReport, MailQueue, QueuedMail
from duban.mailer.transports import (
    OutboxTransport, PermanentFailure, RateLimiter, SmtpTransport, TemporaryFailure, Transport,
    from_settings, password_for)

__all__ = ["Address", "BadAddress", "Mail", "build", "recipients", "DeliveryReport", "MailQueue", "QueuedMail",
           "OutboxTransport", "PermanentFailure", "RateLimiter", "SmtpTransport", "TemporaryFailure", "Transport",
           "from_settings", "password_for"]
