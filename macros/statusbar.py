"""The console's status bar, throttled: at most one update every quarter second.

Why: each update is a COM call into Excel (and a repaint); a check of 1,000 workbooks said
"checking n of 1,000" 1,003 times, seconds of Excel's time for text nobody can read that fast.
A message that comes sooner than `EVERY` after the last one shown waits; the next one shown
replaces it. Nothing is lost that matters: a progress count's last step (n of n) and every other
message (a new phase: "writing the result", serve's hand-off, the fall-back) are shown at once,
and `flush()` shows what is still waiting, so the status bar always ends on the last message.
The clock is `now` (time.monotonic), read at each call so a test can put a fake one in.
"""
from __future__ import annotations

import time
from typing import Callable

EVERY = 0.25          # seconds between two updates at most once
now: Callable[[], float] = time.monotonic


class StatusBar:
    """`put(text)` (Excel.status) behind the throttle; `shown` counts the updates made."""

    def __init__(self, put: Callable[[str | None], None], every: float = EVERY):
        self.put, self.every = put, every
        self.last: float | None = None       # when the last update was made
        self.waiting: str | None = None      # a throttled message not shown yet
        self.shown = 0

    def show(self, text: str | None) -> None:
        """At once: a phase's message, or None (the status bar back to Excel)."""
        self.waiting = None
        self._put(text)

    def progress(self, text: str, last: bool = False) -> None:
        """A progress step: shown when a quarter second has passed since the last update, or
        when it is the `last` step; otherwise it waits (and the next step replaces it)."""
        if last or self.last is None or now() - self.last >= self.every:
            self.show(text)
        else:
            self.waiting = text

    def flush(self) -> None:
        """Show the message still waiting, if any."""
        if self.waiting is not None:
            self.show(self.waiting)

    def _put(self, text: str | None) -> None:
        self.last = now()
        self.shown += 1
        self.put(text)
