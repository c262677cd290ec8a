"""What a mail about many rows shows and what it only counts (issue 22: a digest of 100,000 rows).

A row's line (`lines`) is what the whole mail needs of it, shown or not: its place in the order
(most urgent first), its rule for the subject's counts, its workbook for "N more", whether its
reader may answer it by reply. Only the `mail.max_items` lines shown become entries with text
(mailer/render.py). The "more" section names the ten workbooks with most rows not shown, then
how many other workbooks hold the rest, so a mail stays small whatever the folder holds.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from duban.mailer.message import plain
from duban.mailer.share import Share
from duban.mailer.words import LABELS, count
from duban.workbooks.share.commandline import folder_arg

MORE_BOOKS = 10           # workbooks the "more" section names; then how many more
OTHER_BOOKS = {"zh": "另有{n}个工作簿（共{m}项）", "en": "and {books} ({items})"}


def lines(items, share: Share) -> list[dict]:
    """One line per row, with all its flags, and one per meeting for its minutes; most urgent first.
    `members` are the row's items, most severe first, for the entry of a line shown."""
    rows: dict[tuple, list] = {}
    for item in items:
        key = (item.workbook, "meeting", item.meeting, show(item.started)) if item.rule == "minutes_late" \
            else (item.workbook, "row", item.row)
        rows.setdefault(key, []).append(item)
    books: dict[str, str] = {}
    found = []
    for members in rows.values():
        members.sort(key=lambda i: (i.rank, i.row))
        first = members[0]
        book = books.get(first.workbook)
        if book is None:
            book = books[first.workbook] = plain(first.workbook)
        found.append({"order": (first.rank, show(deadline_of(first)) or "9999", first.workbook, first.row),
                      "members": members, "rule": first.rule, "rules": list(dict.fromkeys(i.rule for i in members)),
                      "workbook": book, "key": first.key, "item_kind": first.kind, "people": first.people,
                      "owner": first.owner, "still": getattr(first, "still_open", "")})
    found.sort(key=lambda e: e["order"])
    return found


def more(rest: list[dict], shown: int, lang: str, share: Share) -> dict | None:
    """The "more" section: how many rows are not listed and where to see them, by workbook."""
    if not rest:
        return None
    labels = LABELS[lang]
    books = Counter(e["workbook"] for e in rest)
    named = books.most_common(MORE_BOOKS)
    others = len(books) - len(named)
    left = len(rest) - sum(n for _book, n in named)
    return {"text": labels["more"].format(n=len(rest), shown=shown, more=count(len(rest), "more item"),
                                          folder=folder_arg(share.folder or share.root)),
            "books": [{"path": share.path(book), "url": share.url(book), "n": labels["more_book"].format(
                n=n, items=count(n, "item"))} for book, n in named],
            "others": OTHER_BOOKS[lang].format(n=others, books=count(others, "more workbook"), m=left,
                                               items=count(left, "item")) if others else ""}


def deadline_of(item):
    """The deadline an item's flag is about: a blocked or escalated row's own due date, else the flag's."""
    if item.rule in ("escalated", "blocked") and item.due is not None:
        return item.due
    return item.deadline if item.deadline is not None else item.due


def show(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(moment, date):
        return moment.isoformat()
    return str(moment)
