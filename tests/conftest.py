"""Fixtures shared by several test files."""
from smtp_server import smtp_server  # noqa: F401  (the real SMTP server on loopback, as a fixture)
