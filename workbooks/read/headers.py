"""Finding the header row and telling which kind a sheet is, from its headers alone.

Workbooks made by hand or copied from old files have a title row above the header, columns in
another order, English headers, stray spaces or full-width brackets. The header is the first
row, among the first few, that matches a kind's columns well enough.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Iterable, Sequence

from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.schema import Kind
from duban.workbooks.read.parse import norm


@dataclass
class HeaderMatch:
    kind: Kind
    row_index: int                 # 0-based index into the sheet's rows
    columns: dict[str, int]        # column key -> 0-based column index (first occurrence)
    duplicates: dict[str, list[int]]
    lang: str

    @property
    def score(self) -> int:
        return len(self.columns)

    @property
    def missing_required(self) -> list:
        return [c for c in self.kind.required if c.key not in self.columns]


@cache
def _labels(kind_key: str) -> dict[str, tuple[str, str]]:
    """normalised header text -> (column key, language it is written in)."""
    kind = KINDS[kind_key]
    out: dict[str, tuple[str, str]] = {}
    for col in kind.columns:
        for label, lang in ((col.zh, "zh"), (col.en, "en"), *((a, "zh") for a in col.aliases), (col.key, "en")):
            out.setdefault(norm(label), (col.key, lang))
    return out


def match_row(kind: Kind, row_index: int, cells: Sequence) -> HeaderMatch | None:
    found = _matched(kind, row_index, cells)
    return found if _plausible(kind, found.columns) else None


def _matched(kind: Kind, row_index: int, cells: Sequence) -> HeaderMatch:
    """The kind's columns this row's cells name, plausible or not."""
    labels = _labels(kind.key)
    columns: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    votes = {"zh": 0, "en": 0}
    for j, cell in enumerate(cells):
        if not isinstance(cell, str) or not cell.strip():
            continue
        hit = labels.get(norm(cell))
        if hit is None:
            continue
        key, lang = hit
        votes[lang] += 1
        if key in columns:
            duplicates.setdefault(key, []).append(j)
        else:
            columns[key] = j
    lang = "en" if votes["en"] > votes["zh"] else "zh"
    return HeaderMatch(kind, row_index, columns, duplicates, lang)


MIN_OWN = 3


def _plausible(kind: Kind, columns: dict[str, int]) -> bool:
    """Enough of the kind's own columns (not ID and Alerts, which every kind has) to be its
    header row: at least three, two of them required (or half the kind's columns), and one of its
    signature columns if it has any. Two common words are not enough: a timesheet headed Project,
    Task, Date, Hours is no RACI table (its required columns are Project and Task)."""
    own = [k for k in columns if k not in ("id", "alerts")]
    required = sum(1 for c in kind.required if c.key in columns)
    signed = not kind.signature or any(k in columns for k in kind.signature)
    return len(own) >= MIN_OWN and (required >= 2 or len(own) * 2 >= len(kind.columns)) and signed


def near_miss(rows: Sequence[Sequence], scan_rows: int) -> HeaderMatch | None:
    """The closest header that was not taken for a kind: two or more of its own columns named."""
    best, best_key = None, None
    for kind in KINDS.values():
        for i, cells in enumerate(rows[:scan_rows]):
            found = _matched(kind, i, cells)
            own = sum(1 for k in found.columns if k not in ("id", "alerts"))
            key = (len(found.columns), len(kind.required) - len(found.missing_required))   # more required: closer
            if own >= 2 and (best_key is None or key > best_key):
                best, best_key = found, key
    return best


def near_miss_hint(found: HeaderMatch) -> dict[str, str]:
    """Why a header row that names some of a kind's columns was not taken for it, and what it lacks."""
    kind, lang = found.kind, found.lang
    matched = sorted(found.columns, key=found.columns.__getitem__)
    n, row = len(matched), found.row_index + 1
    names = {"zh": "、".join(kind.column(k).header(lang) for k in matched),
             "en": ", ".join(kind.column(k).header(lang) for k in matched)}
    required = {"zh": "、".join(c.zh for c in kind.required), "en": ", ".join(c.en for c in kind.required)}
    zh = (f"第{row}行的表头与{kind.sheet('zh')}有 {n} 列相同（{names['zh']}），但要认作{kind.sheet('zh')}，"
          f"至少需要它的 {MIN_OWN} 列，其中 2 列是必填列（{required['zh']}）")
    en = (f" Row {row} shares {n} columns with {kind.sheet('en')} ({names['en']}), but to be taken for it a header "
          f"needs at least {MIN_OWN} of its columns, 2 of them required ({required['en']})")
    if kind.signature:
        zh += "，并且有" + "、".join(kind.column(k).zh for k in kind.signature) + "中的至少一列"
        en += ", and one of " + ", ".join(kind.column(k).en for k in kind.signature)
    return {"zh": zh + "。", "en": en + "."}


def detection(kind: Kind, columns: dict[str, int], header_row: int, lang: str, declared: bool) -> dict[str, str]:
    """Why a sheet was taken for `kind`, in both languages: which of its columns the header row
    (1-based) matched, and whether the hidden _duban sheet declared the kind."""
    matched = sorted(columns, key=columns.__getitem__)
    names = {"zh": "、".join(kind.column(k).header(lang) for k in matched),
             "en": ", ".join(kind.column(k).header(lang) for k in matched)}
    n, total = len(matched), len(kind.columns)
    zh = f"认作{kind.sheet('zh')}：第{header_row}行表头匹配到 {n}/{total} 列：{names['zh']}"
    en = f"taken for {kind.sheet('en')}: header row {header_row} matches {n} of its {total} columns: {names['en']}"
    if declared:
        zh += "（种类由隐藏工作表 _duban 声明）"
        en += " (the kind is declared in the hidden _duban sheet)"
    return {"zh": zh, "en": en}


def find_header(rows: Sequence[Sequence], scan_rows: int, kinds: Iterable[Kind] | None = None) -> HeaderMatch | None:
    """The best (kind, header row) among the first `scan_rows` rows; earliest row wins a tie."""
    best: HeaderMatch | None = None
    for kind in kinds or KINDS.values():
        found = next((m for i, cells in enumerate(rows[:scan_rows]) if (m := match_row(kind, i, cells))), None)
        if found and (best is None or (found.score, -found.row_index) > (best.score, -best.row_index)):
            best = found
    return best
