"""A queued message as the queue keeps it: deflated, so a day's digests to a thousand workbooks'
people do not add megabytes to state.db for the 90 days sent mail is kept.

The bytes sent are exactly the bytes queued (the same Message-ID on every try): deflating is
lossless, and a message stored by an older duban (never starting with the marker: a mail begins
with a header) is read as it is.
"""
from __future__ import annotations

import zlib

MARK = b"\x00deflate\x00"      # no RFC 5322 message starts with a NUL byte


def packed(message: bytes) -> bytes:
    """The message as stored."""
    return MARK + zlib.compress(message, 6)


def unpacked(stored: bytes | memoryview | None) -> bytes:
    """The message as sent, from what is stored (an old row's plain bytes; b"" once retention
    dropped a sent mail's body)."""
    data = bytes(stored or b"")
    return zlib.decompress(data[len(MARK):]) if data.startswith(MARK) else data
