"""Typed records and the result of reading one workbook: what the rules and jobs work on."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from duban.workbooks.model.problems import Problem
from duban.workbooks.model.schema import Choice, Kind, Role


class Record(dict):
    """One data row: values by column key (None when blank or absent), and its true Excel row number.

    A dict subclass (one subclass per kind, see `record_class`) so that the reader builds
    100,000 of them in C-level loops; `kind` is a class attribute, the row sits under `_row`.
    """

    __slots__ = ()
    kind: Kind
    # set per kind by `record_class`, so the rules' hot path is two dict lookups, not a walk
    _roles: dict = {}
    _status_key: str | None = None
    _choices: dict = {}

    def __missing__(self, key: str) -> None:
        return None

    @property
    def row(self) -> int:
        return dict.__getitem__(self, "_row")

    @property
    def values(self) -> dict[str, Any]:  # type: ignore[override]  # the cells, without the row number
        return {k: v for k, v in self.items() if k != "_row"}

    def role(self, role: Role) -> Any:
        key = self._roles.get(role)
        return dict.get(self, key) if key else None

    @property
    def id(self) -> str | None:
        return self["id"]

    @property
    def status(self) -> Choice | None:
        return self._choices.get(dict.get(self, self._status_key))

    @property
    def done(self) -> bool:
        status = self._choices.get(dict.get(self, self._status_key))
        return status is not None and status.done


@cache
def record_class(kind: Kind) -> type[Record]:
    status = kind.status_column
    return type(f"{kind.key.title()}Record", (Record,), {
        "__slots__": (), "kind": kind, "_roles": kind.role_keys, "_choices": kind.status_choices,
        "_status_key": status.key if status else None})


def make_record(kind: Kind, row: int, values: dict[str, Any]) -> Record:
    """A record built by hand (tests, demo data)."""
    return record_class(kind)({"_row": row, **values})


@dataclass
class WorkbookRead:
    """Everything learnt from one file; `kind` is None when the file could not be used at all."""

    path: Path
    kind: Kind | None = None
    lang: str = "zh"
    sheet: str | None = None
    header_row: int | None = None          # true Excel row number of the header
    columns: dict[str, int] = field(default_factory=dict)  # column key -> 0-based column index
    headers: dict[str, str] = field(default_factory=dict)  # column key -> its header as the workbook writes it
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    let_go: int = 0     # rows whose records a streamed check let go once checked (still rows read)

    @property
    def ok(self) -> bool:
        return self.kind is not None

    @property
    def rows_read(self) -> int:
        return len(self.records) + self.let_go
