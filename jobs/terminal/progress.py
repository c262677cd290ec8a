"""The progress of a long run on a terminal: a rich bar that says what duban is doing (reading,
then checking), how many workbooks of how many, the time so far and the workbook at hand.

Nothing at all when the output goes to a file or a program (stdout or stderr not a terminal) or
with --json, and nothing for a run done in a moment (the bar appears after `after_seconds`).
The jobs tell it `begin(phase, total)` and then call it once per workbook (`tick(path)`).
"""
from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

PHASES = {
    "zh": {"reading": "读取工作簿", "checking": "检查并写回"},
    "en": {"reading": "Reading workbooks", "checking": "Checking and writing back"},
}


class Tick:
    """The jobs' progress callback: `begin(phase, total)`, then `tick(path)` per workbook."""

    def __init__(self, lang: str, console: Console, shown: bool, after_seconds: float = 0.5):
        self.words = PHASES.get(lang, PHASES["zh"])
        self.console, self.shown, self.after = console, shown, after_seconds
        self.started = time.monotonic()
        self.phase, self.total, self.done = "reading", None, 0
        self.bar: Progress | None = None
        self.task = None

    def begin(self, phase: str, total: int | None) -> None:
        self.phase, self.total, self.done = phase, total, 0
        if self.bar is not None:
            self.bar.reset(self.task, total=total, description=self._label(""))

    def __call__(self, path: Path) -> None:
        self.done += 1
        if self.bar is None and self.shown and time.monotonic() - self.started > self.after:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self._label(""), total=self.total)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, description=self._label(path.name))

    def _label(self, name: str) -> str:
        return f"{self.words[self.phase]} {escape(name)}".rstrip()

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
