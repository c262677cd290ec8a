"""A workbook's read as JSON and back, exactly: what the read cache keeps in the state folder.

Loading must cost a small part of parsing the workbook again, so records are kept column by
column (one list per column key), a column of repeated texts or name lists as its distinct values
and an index per row, dates as day numbers. Only plain data is ever written or accepted: texts,
numbers, true/false, blanks, dates, times, tuples, lists and dicts of these (never pickle: the
state folder is on a share others can write). A read holding anything else is not kept
(`Unstorable`); an entry that does not decode to a well-formed read raises, and the workbook is
read again.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time
from itertools import repeat
from pathlib import Path

import orjson

from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.problems import CATALOGUE, Problem
from duban.workbooks.model.records import WorkbookRead, record_class

_NONE = type(None)
_PLAIN_SET = {str, int, float, bool, _NONE}


class Unstorable(Exception):
    """The read holds a value the cache does not keep: it is simply read again next time."""


# ---- one value, tagged: plain JSON scalars as they are, everything else as [tag, ...] ----------
def value(v):
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return v
    if t is float:
        if not math.isfinite(v):
            raise Unstorable("float")
        return v
    if t is date:
        return ["d", v.toordinal()]
    if t is datetime and v.tzinfo is None:
        return ["dt", v.isoformat()]
    if t is time and v.tzinfo is None:
        return ["tm", v.isoformat()]
    if t is tuple:
        return ["t", *map(value, v)]
    if t is list:
        return ["l", *map(value, v)]
    if t is dict and all(type(k) is str for k in v):
        return {k: value(x) for k, x in v.items()}
    raise Unstorable(t.__name__)


def unvalue(v):
    t = type(v)
    if t is list:
        tag = v[0]
        if tag == "d":
            return date.fromordinal(v[1])
        if tag == "t":
            return tuple(map(unvalue, v[1:]))
        if tag == "l":
            return list(map(unvalue, v[1:]))
        if tag == "dt":
            return datetime.fromisoformat(v[1])
        if tag == "tm":
            return time.fromisoformat(v[1])
        raise ValueError(f"unknown tag {tag!r}")
    if t is dict:
        return {k: unvalue(x) for k, x in v.items()}
    return v


# ---- a column of records ---------------------------------------------------------------------
def _column(values: list) -> list:
    """["d", day numbers] / ["u", distinct values, index per row] / ["p", plain values] / ["t", lists of
    texts for tuples] / ["x", tagged]."""
    kinds = set(map(type, values))
    if kinds <= {date, _NONE}:
        return ["d", [v.toordinal() if v is not None else None for v in values]]
    if kinds <= {str, tuple, _NONE} and (str in kinds or tuple in kinds):
        distinct: dict = {}
        index = [distinct.setdefault(v, len(distinct)) for v in values]
        if len(distinct) * 2 <= len(values):
            return ["u", [value(v) for v in distinct], index]
    if kinds <= _PLAIN_SET and (float not in kinds or all(map(math.isfinite, filter(_is_float, values)))):
        return ["p", values]
    if kinds <= {tuple, _NONE} and all(type(x) is str for v in values if v is not None for x in v):
        return ["t", [list(v) if v is not None else None for v in values]]   # names: ("张伟", "王芳")
    return ["x", [value(v) for v in values]]


def _is_float(v) -> bool:
    return type(v) is float


def _uncolumn(column: list, n: int) -> list:
    tag = column[0]
    if tag == "d":
        fromordinal = date.fromordinal
        out = [fromordinal(v) if v is not None else None for v in column[1]]
    elif tag == "u":
        distinct = [unvalue(v) for v in column[1]]
        out = list(map(distinct.__getitem__, column[2]))
    elif tag == "p":
        out = column[1]
        if not set(map(type, out)) <= _PLAIN_SET:
            raise ValueError("a plain column holds something else")
    elif tag == "t":
        out = [tuple(v) if v is not None else None for v in column[1]]
        if not all(type(x) is str for v in out if v is not None for x in v):
            raise ValueError("a column of names holds something else")
    elif tag == "x":
        out = [unvalue(v) for v in column[1]]
    else:
        raise ValueError(f"unknown column tag {tag!r}")
    if len(out) != n:
        raise ValueError("a column of the wrong length")
    return out


# ---- the whole read ----------------------------------------------------------------------------
def dump(read: WorkbookRead) -> bytes:
    """The read as bytes (raises Unstorable when it holds anything but plain data)."""
    records = read.records
    body: dict = {"kind": read.kind.key if read.kind is not None else None, "lang": read.lang,
                  "sheet": read.sheet, "header_row": read.header_row, "columns": value(read.columns),
                  "headers": value(read.headers), "meta": value(read.meta), "path": str(read.path),
                  "problems": [_problem(p, str(read.path)) for p in read.problems], "n": len(records)}
    if records:
        if read.kind is None:
            raise Unstorable("records without a kind")
        cls = record_class(read.kind)
        keys = tuple(records[0])
        if any(type(r) is not cls or tuple(r) != keys for r in records):
            raise Unstorable("records of mixed shapes")
        body["keys"] = list(keys)
        try:
            body["cols"] = [_column([r[k] for r in records]) for k in keys]
        except TypeError as exc:      # a value that cannot be told apart from others (unhashable)
            raise Unstorable(str(exc)) from None
    try:
        return orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise Unstorable(str(exc)) from None


def _problem(p: Problem, path: str) -> list:
    if type(p) is not Problem:
        raise Unstorable("problem")
    return [p.code, None if p.file == path else p.file, p.sheet, p.cell, p.row, p.column, value(p.value),
            value(p.params)]


def load(data: bytes | memoryview, path: Path) -> WorkbookRead:
    """The read `dump` wrote, for the file now at `path` (raises ValueError, TypeError, KeyError, …
    on anything that is not such a read)."""
    body = orjson.loads(data)
    kind = KINDS[body["kind"]] if body["kind"] is not None else None
    here = str(path)
    problems = []
    for code, file, sheet, cell, row, column, val, params in body["problems"]:
        if code not in CATALOGUE:
            raise ValueError(f"unknown problem {code!r}")
        params = unvalue(params)
        if type(params) is not dict:
            raise ValueError("problem params")
        problems.append(Problem(_text(code), here if file is None else _text(file), _opt(sheet), _opt(cell),
                                _int(row), _opt(column), unvalue(val), params))
    n = body["n"]
    records = []
    if n:
        keys = body["keys"]
        if kind is None or not all(type(k) is str for k in keys) or len(keys) != len(body["cols"]):
            raise ValueError("record keys")
        columns = [_uncolumn(c, n) for c in body["cols"]]
        records = list(map(record_class(kind), map(zip, repeat(keys), zip(*columns))))
    read = WorkbookRead(path, kind, _text(body["lang"]), _opt(body["sheet"]), _int(body["header_row"]),
                        _str_dict(unvalue(body["columns"]), int), _str_dict(unvalue(body["headers"]), str),
                        records, problems, _str_dict(unvalue(body["meta"]), object))
    return read


def _text(v) -> str:
    if type(v) is not str:
        raise ValueError("text expected")
    return v


def _opt(v) -> str | None:
    return v if v is None else _text(v)


def _int(v) -> int | None:
    if v is not None and type(v) is not int:
        raise ValueError("whole number expected")
    return v


def _str_dict(v, of) -> dict:
    if type(v) is not dict or not all(type(x) is of or of is object for x in v.values()):
        raise ValueError("a mapping expected")
    return v
