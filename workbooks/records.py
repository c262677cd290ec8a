"""Typed records and the result of reading one workbook: what the rules and jobs work on."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .problems import Problem
from .schema import Choice, Kind, Role


@dataclass(slots=True)
class Record:
    """One data row: its true Excel row number and its values by column key (None when blank)."""

    kind: Kind
    row: int
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)

    def role(self, role: Role) -> Any:
        key = self.kind.role_key(role)
        return self.values.get(key) if key else None

    @property
    def id(self) -> str | None:
        return self.values.get("id")

    @property
    def status(self) -> Choice | None:
        column = self.kind.status_column
        key = self.values.get(column.key) if column else None
        return column.choice(key) if key else None

    @property
    def done(self) -> bool:
        status = self.status
        return bool(status and status.done)


@dataclass
class WorkbookRead:
    """Everything learnt from one file; `kind` is None when the file could not be used at all."""

    path: Path
    kind: Kind | None = None
    lang: str = "zh"
    sheet: str | None = None
    header_row: int | None = None          # true Excel row number of the header
    columns: dict[str, int] = field(default_factory=dict)  # column key -> 0-based column index
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind is not None

    @property
    def rows_read(self) -> int:
        return len(self.records)
