"""serve's clocks: the real one (company zone, sleeps that a stop request cuts short) and a
simulated one for `--from/--until` (time jumps from one scheduled time to the next; never sleeps)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, tzinfo


class RealClock:
    simulated = False

    def __init__(self, tz: tzinfo):
        self.tz = tz
        self.wake = threading.Event()

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def sleep(self, seconds: float) -> None:
        """Sleep, unless woken (a stop request sets `wake`)."""
        if seconds > 0:
            self.wake.wait(seconds)


class SimClock:
    simulated = True

    def __init__(self, start: datetime):
        self.tz = start.tzinfo
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        if moment > self.current:
            self.current = moment

    def sleep(self, seconds: float) -> None:
        pass


def day_from(moment: datetime) -> str:
    """`--from 2026-11-23T09:00 --until 2026-11-24T09:00`: a simulated day from 09:00, for an example command."""
    start = moment.replace(hour=9, minute=0, second=0, microsecond=0)
    return f"--from {start:%Y-%m-%dT%H:%M} --until {start + timedelta(days=1):%Y-%m-%dT%H:%M}"
