"""Composing and delivering duban's mail: messages, the queue in state.db, and the transports."""
from duban.mailer.message import Address, BadAddress, Mail, build, recipients
from duban.mailer.queue import DeliveryReport, MailQueue, QueuedMail
from duban.mailer.seam import PermanentFailure, TemporaryFailure, Transport
from duban.mailer.smtp import RateLimiter, SmtpTransport, password_for
from duban.mailer.transports import OutboxTransport, from_settings

__all__ = ["Address", "BadAddress", "Mail", "build", "recipients", "DeliveryReport", "MailQueue", "QueuedMail",
           "OutboxTransport", "PermanentFailure", "RateLimiter", "SmtpTransport", "TemporaryFailure", "Transport",
           "from_settings", "password_for"]
