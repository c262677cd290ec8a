"""When the next message may go to one webhook, from the times of the ones that went before.

The 5-minute alert and the 09:00 remind run as separate jobs, so a webhook's rate has to be
kept where both see it (the state database, which is the caller's); this module is only the
arithmetic over those times. A sliding window per minute (and per second where the platform has
one), one second of margin for the difference between our clock and the platform's, and an
explicit `blocked_until` after a rate-limit answer (DingTalk: ten minutes).
"""
from __future__ import annotations

from collections.abc import Iterable

from duban.mailer.im.limits import Limits

MARGIN = 1.0     # seconds: our clock and the platform's are not the same clock


def next_slot(sent: Iterable[float], limits: Limits, now: float, blocked_until: float = 0.0) -> float:
    """The earliest moment (epoch seconds, >= now) a message may go without passing `limits`,
    given the moments `sent` of earlier messages to the same webhook."""
    times = sorted(t for t in sent if t > now - 60 - MARGIN)
    earliest = max(now, blocked_until)
    for window, most in ((60.0, limits.per_minute), (1.0, limits.per_second)):
        if most <= 0:
            continue
        recent = [t for t in times if t > earliest - window - MARGIN]
        if len(recent) >= most:
            earliest = max(earliest, recent[len(recent) - most] + window + MARGIN)
    return earliest


def blocked_until(wait: int, now: float) -> float:
    """After a RETRY answer with `wait` seconds: nothing goes to that webhook before this moment."""
    return now + wait
