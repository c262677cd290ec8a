"""A check that streams (`duban check`, serve's check) and what it keeps of each workbook: the IDs
of its flagged and newly numbered rows, whether each flag alerts, and the dashboard's facts, so a
check of a thousand workbooks holds one workbook's records at a time and still prints (or gives as
JSON) every flag and writes the same page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Shown:
    ids: dict[int, str | None]          # Excel row -> the row's ID (flagged rows, rows given an ID)
    urgent: dict[int, list[bool]]       # Excel row -> for each of its flags, whether it alerts
    facts: Any = None                   # the dashboard's facts of the workbook (summary.facts.rows_of)

    @classmethod
    def of(cls, checked, facts: Any = None) -> "Shown":
        """From a checked workbook whose records are still there."""
        wanted = {row for row, found in checked.flags.items() if found} | set(checked.provisional)
        records = [rec for rec in checked.read.records if rec.row in wanted]
        return cls({rec.row: rec.id for rec in records},
                   {rec.row: [f.type.alerts(rec) for f in checked.flags.get(rec.row, ())] for rec in records},
                   facts)


def keeping(facts: Callable) -> Callable:
    """The `each` of a streamed check: what the report prints, and `facts(workbook)` beside it."""
    return lambda checked: Shown.of(checked, facts(checked))


def shown(checked) -> Shown:
    """The workbook's Shown: what its streamed check kept, else made from its records."""
    return checked.kept if isinstance(checked.kept, Shown) else Shown.of(checked)


def check_streamed(folder, settings, moment, dry_run: bool, progress=None, off: bool = False):
    """`duban check` and serve's check: the check streamed (one workbook's records held at a time),
    keeping what the report prints and the dashboard's facts, then the dashboard written from them."""
    from duban.jobs.check import check_folder
    from duban.jobs.dashboard.write import after_check, keeping as facts
    each = keeping(facts(settings, dry_run, off))
    return after_check(folder, settings, check_folder(folder, settings, moment, dry_run, progress, each=each),
                       dry_run, off)
