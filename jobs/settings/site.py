"""A `Site`: everything a run needs to know about one folder, built once from its duban.toml.

Jobs take the Site (or its typed `settings`) instead of threading the folder, the state path, the
calendar, the palette and the language one parameter at a time. The workbooks duban writes get
their thresholds and colours from it as plain values (`thresholds`, `palette`): they never read settings.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from duban.jobs.settings.calendar import from_settings
from duban.jobs.settings.config import load
from duban.jobs.settings.typed import Rules, Settings
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.flags import Colour
from duban.workbooks.model.thresholds import Thresholds


@dataclass(frozen=True)
class Site:
    """One folder and its settings; the calendar is made on first use (it may warn about years)."""

    folder: Path
    settings: Settings

    @classmethod
    def open(cls, folder: Path) -> Site:
        return cls(folder, load(folder))

    @cached_property
    def calendar(self) -> WorkCalendar:
        return from_settings(self.settings)

    @property
    def lang(self) -> str:
        return self.settings.lang

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.company.tz

    @property
    def palette(self) -> dict[str, Colour]:
        """The configured flag colours by name, for the check's paint and the templates."""
        return self.settings.colours.by_name()

    @property
    def rules(self) -> Rules:
        return self.settings.rules

    @property
    def thresholds(self) -> Thresholds:
        """The [rules] values the workbooks' Guide and prompts state, as the workbooks take them."""
        return Thresholds(**{f.name: getattr(self.settings.rules, f.name) for f in fields(Thresholds)})

    @property
    def state_db(self) -> Path:
        return self.folder / self.settings.state.path

    @property
    def state_dir(self) -> Path:
        return self.state_db.parent

    @property
    def backups(self) -> Path:
        return self.state_dir / "backups"

    @property
    def outbox(self) -> Path:
        return self.folder / "outbox"

    @property
    def share_path(self) -> str:
        """Where staff reach this folder (mail.share_path), "" for the folder's own path."""
        return self.settings.mail.share_path.strip()
