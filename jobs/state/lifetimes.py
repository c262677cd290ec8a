"""The journal's row lifetimes for the summaries and the dashboard, kept small (see Lifetimes)."""
from __future__ import annotations

from collections.abc import Mapping


class Lifetimes(Mapping):
    """(workbook, ID) -> (first_seen, first_done), held as one dict per workbook and each distinct
    pair once: a first check stamps every row alike, so 200,000 rows share a few hundred pairs
    (a flat dict of key and value tuples held ~90 MB at 1,000 workbooks)."""

    def __init__(self):
        self.books: dict[str, dict[str, tuple[str, str | None]]] = {}
        self.pairs: dict[tuple[str, str | None], tuple[str, str | None]] = {}

    @classmethod
    def of(cls, rows) -> "Lifetimes":
        """From (workbook, ID, first_seen, first_done) rows (one loop: 200,000 of them)."""
        lives = cls()
        books, pairs = lives.books, lives.pairs
        book, name = None, None
        for workbook, ident, seen, done in rows:
            if workbook != name:
                book, name = books.setdefault(workbook, {}), workbook
            pair = (seen, done)
            book[ident] = pairs.setdefault(pair, pair)
        return lives

    def add(self, workbook: str, ident: str, seen: str, done: str | None) -> None:
        pair = (seen, done)
        self.books.setdefault(workbook, {})[ident] = self.pairs.setdefault(pair, pair)

    def __getitem__(self, key: tuple[str, str]) -> tuple[str, str | None]:
        workbook, ident = key
        return self.books[workbook][ident]

    def __iter__(self):
        return ((workbook, ident) for workbook, rows in self.books.items() for ident in rows)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.books.values())
