"""What a console action answers: a Result (a sentence, lines, tables), as the console writes it
into its sheet and as serve sends it back over the hand-off (`result_data`, JSON); and the
Result of the jobs that send mail (remind, the summaries)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from duban.macros import layout as L
from duban.macros.words import TEXT


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]
    title: str = ""
    total: int | None = None     # rows in all, when `rows` holds only the first (serve sends what can be shown)


@dataclass
class Result:
    sentence: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    error: bool = False
    moment: datetime | None = None
    problems: list[list[Any]] | None = None     # validate's rows for the Problems sheet


def result_data(result: Result) -> dict:
    """The Result as JSON-able data, each table cut to the rows the console can show (L.MAX_ROWS;
    a check of 1,000 workbooks flags some 60,000 rows) with its count in all."""
    return {"sentence": result.sentence, "lines": list(result.lines), "error": result.error,
            "moment": result.moment.isoformat() if result.moment else None, "problems": result.problems,
            "tables": [{"header": t.header, "rows": t.rows[:L.MAX_ROWS], "title": t.title,
                        "total": t.total if t.total is not None else len(t.rows)} for t in result.tables]}


def mail_result(run, lang: str, moment: datetime, sentence_first: str = "", folder: Path | str = "DIR") -> Result:
    from duban.mailer.reasons import error_text, setting_text
    from duban.workbooks.share.commandline import folder_arg

    t = TEXT[lang]
    rows = []
    for m in run.outgoing:
        status = t["status"].get(m.status, m.status)
        if m.status == "held" and m.not_before:
            status = status.format(at=m.not_before.strftime("%m-%d %H:%M"))
        to = m.to + (f" (cc {', '.join(m.cc)})" if m.cc else "")
        rows.append([t["kinds"].get(m.kind, m.kind), to, m.subject, m.items, status])
    d = run.delivery
    lines = []
    if run.outgoing or d is not None:
        sent = len(d.sent) if d else 0
        waiting = len(d.still_queued) if d else 0
        failed = len(d.failed) + len(d.given_up) + len(d.set_aside) if d else 0
        dest = t["dest"].format(where=run.destination) if run.destination else ""
        sentence = t["mailed"].format(n=len(run.outgoing), sent=sent, waiting=waiting, failed=failed, dest=dest)
        for m in d.set_aside if d else []:
            lines.append(t["set_aside"].format(to=", ".join(m.recipients), subject=m.subject))
        if d is not None and d.error and d.setting:
            lines.append(t["mail_setup"].format(error=error_text(d.error, lang), setting=setting_text(d.setting, lang),
                                                folder=folder_arg(folder)))
        elif d is not None and d.error:
            lines.append(t["server_down"].format(error=error_text(d.error, lang)))
    else:
        sentence = t["nothing"]
    if run.skipped:
        lines.append(t["skipped_people"].format(n=run.skipped))
    refused = getattr(run, "refused", [])
    for wb in refused:
        lines.append(t["refused_book"].format(file=wb.relpath, why=wb.why.text(lang) if wb.why else "?"))
    if sentence_first:
        lines.insert(0, sentence)
        sentence = sentence_first
    undelivered = getattr(run, "undelivered", False)      # mail that could not go is an error, as on the terminal
    return Result(sentence, lines, [Table(t["mail_head"], rows)] if rows else [], error=bool(refused) or undelivered,
                  moment=moment)
