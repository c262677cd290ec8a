"""What a group reads for each kind of notice, as a GroupMessage (the platform modules shape it).

A group is not a mailbox: a department's daily message counts its flags by rule in the title and
lists the most important rows one line each (what, owner, days late, the file's place as a path
to type or paste, since chat apps open no file:// link), then how many more the mail and the
workbooks hold. Escalations and urgent alerts name who must act and @-mention them; a summary
gives the headline figures and the archive; serve's notice and the clerks' problems report say
one sentence and point to the mail.

Notices are taken as they come (duck-typed: kind, items, content, problems, extra, attachments),
so the mailer never imports the jobs. Cell text goes in as it is: the platform modules make it
inert (text.neutralise) and cut it to the platform's bytes.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from duban.mailer.im.message import GroupMessage, Link, Person
from duban.mailer.im.text import cut_bytes
from duban.mailer.im.words import day, listing, plural, words
from duban.mailer.moments import aware, day_of
from duban.mailer.nextsteps import next_step
from duban.mailer.share import Share
from duban.mailer.words import duration
from duban.workbooks.model.flags import FLAGS
from duban.workbooks.share.commandline import folder_arg

MAX_LINES = 10          # items a group message lists before "…另外 N 项"; the byte cut may keep fewer
MAX_PROBLEMS = 5
TITLE_BYTES = 120       # a cell's text in a line: a phone shows about two lines of it
NAME_BYTES = 60
# rules whose clock runs from when the row started (occurred, submitted, held at): say how long
CLOCKED = frozenset({"incident_unanswered", "not_acknowledged", "no_first_plan", "minutes_late",
                     "incident_report_late"})


def message(notice, lang: str, now: datetime, share: Share, mentions: tuple[Person, ...] = (),
            scope: str = "", footer: str = "") -> tuple[GroupMessage, int]:
    """The group message of `notice` in `lang`, and how many entries it tells (rows, problems).
    `footer`: the last line, else the language's (督办 duban / duban)."""
    footer = footer or words(lang)["footer"]
    say = {"digest": digest, "escalation": escalation, "alert": alert, "summary": summary,
           "notice": serve_notice, "problems": problems, "answer": answer}[notice.kind]
    title, lines, more, extra = say(notice, lang, now, share, scope)
    told = extra.pop("told", len(lines) + more)
    return GroupMessage(title, tuple(lines), mentions, more=more, language=lang, footer=footer, **extra), told


# ---- rows ---------------------------------------------------------------------------------------
def rows(items) -> list[list]:
    """The items by row (a meeting's minutes: by meeting), each row's flags most severe first; the
    rows in order of their most severe flag, then deadline, file and row."""
    found: dict[tuple, list] = {}
    for item in items:
        key = (item.workbook, "meeting", item.meeting, str(item.started)) if item.rule == "minutes_late" \
            else (item.workbook, "row", item.row)
        found.setdefault(key, []).append(item)
    grouped = [sorted(members, key=lambda i: (i.rank, i.row)) for members in found.values()]
    grouped.sort(key=lambda m: (m[0].rank, _sortable(m[0].deadline), m[0].workbook, m[0].row))
    return grouped


def _sortable(moment) -> str:
    return moment.isoformat() if isinstance(moment, (date, datetime)) else "9999"


def short(text, limit: int = TITLE_BYTES) -> str:
    return cut_bytes(" ".join(str(text or "").split()), limit)


def named(text, limit: int = 80) -> str:
    """A cell's text inside a title or a line, where more words follow it: without its own closing
    punctuation ("…用户。 等 3 项", "affected. and 2 more" read as two sentences)."""
    return short(text, limit).rstrip("。.；;，,！!、 ")


def counts(grouped: list[list], lang: str) -> str:
    """How many of each rule, most severe first: 逾期 2 · 阻塞 1 / 2 overdue items · 1 blocked item."""
    w, counted = words(lang), Counter(m[0].rule for m in grouped)
    order = sorted(counted, key=lambda r: FLAGS[r].rank if r in FLAGS else 99)
    return w["counts_join"].join(
        w["count"].format(label=FLAGS[r].label(lang) if r in FLAGS else r, n=counted[r],
                          phrase=plural(counted[r], *FLAGS[r].nouns) if r in FLAGS and FLAGS[r].nouns
                          else f"{counted[r]} {r}") for r in order)


def department_of(notice, members: list) -> str:
    """The department of a row in a group several departments share (the planner's department_of)."""
    found = (notice.content or {}).get("department_of") or {}
    return str(found.get(f"{members[0].workbook}!{members[0].row}") or "")


def place(item, members: list, lang: str, share: Share) -> str:
    """The file as staff reach it and the row(s): \\\\fileserver\\督办\\任务跟进表.xlsx 第12行."""
    w = words(lang)
    numbers = sorted({i.row for i in members})
    return w["row"].format(path=share.path(item.workbook), row=w["rows_join"].join(map(str, numbers)))


def waited(item, now: datetime, lang: str) -> str:
    """How long since the item's clock started (occurred, submitted, held at): 25分钟 / 25 min."""
    if item.started is None or not isinstance(item.started, (date, datetime)):
        return ""
    return duration(now - aware(item.started, now), lang)


def what(item, lang: str, now: datetime) -> str:
    """What is wrong, in real numbers: 逾期 3 天, 2 天后到期, 阻塞已 5 天, 已等待 25分钟."""
    w, today = words(lang), now.date()
    label = FLAGS[item.rule].label(lang) if item.rule in FLAGS else item.rule
    deadline = item.due if item.rule == "escalated" and item.cause == "overdue" and item.due is not None \
        else item.deadline
    if item.rule in ("overdue", "escalated") and item.cause != "blocked" and isinstance(deadline, (date, datetime)):
        late = (today - day_of(deadline)).days
        if late < 1 and isinstance(deadline, datetime):
            return w["overdue_time"].format(t=duration(now - aware(deadline, now), lang))
        return w["overdue_days"].format(n=max(late, 0))
    if item.rule == "escalated" and isinstance(deadline, (date, datetime)):
        return w["blocked_since"].format(n=(today - day_of(deadline)).days)
    if item.rule == "due_soon" and isinstance(deadline, (date, datetime)):
        left = (day_of(deadline) - today).days
        return w["due_today"] if left <= 0 else w["due_in"].format(n=left)
    if item.rule == "stale":
        updated = day_of(item.last_update) if isinstance(item.last_update, (date, datetime)) else None
        return f"{label}（{w['stale'].format(at=updated.isoformat())}）" if updated and lang == "zh" else \
            f"{label} ({w['stale'].format(at=updated.isoformat())})" if updated else f"{label} · {w['stale_never']}"
    if item.rule == "blocked":
        return label
    since = waited(item, now, lang) if item.rule in CLOCKED else ""
    return facts([label, w["waited"].format(waited=since) if since else ""], lang)


def facts(parts: list[str], lang: str) -> str:
    return words(lang)["facts_join"].join(p for p in parts if p)


def owner(item, lang: str) -> str:
    return words(lang)["owner"].format(who=short(item.owner or "、".join(item.people), NAME_BYTES)
                                       or words(lang)["no_one"])


def helped(item, lang: str) -> str:
    return words(lang)["help"].format(dept=short(item.help_from, NAME_BYTES)) if item.help_from.strip() else ""


# ---- each kind ----------------------------------------------------------------------------------
def digest(notice, lang: str, now: datetime, share: Share, scope: str):
    w = words(lang)
    grouped = rows(notice.items)
    counted = counts(grouped, lang)
    title = w["digest_title" if counted else "digest_none"].format(scope=scope, day=day(now.date(), lang),
                                                                    counts=counted)
    lines = [facts([department_of(notice, m), named(m[0].title, TITLE_BYTES), owner(m[0], lang), what(m[0], lang, now),
                    helped(m[0], lang) if m[0].rule == "blocked" else "", place(m[0], m, lang, share)], lang)
             for m in grouped[:MAX_LINES]]
    step = (Link(w["digest_do"], ""),) if grouped else ()      # the one thing to do next, below the list
    return title, lines, max(0, len(grouped) - MAX_LINES), {"links": step, "told": len(grouped)}


def escalation(notice, lang: str, now: datetime, share: Share, scope: str):
    w = words(lang)
    grouped = rows(notice.items)
    n = len(grouped)
    heads = [d for m in grouped for role, d in m[0].why if role in ("department", "help") and d]
    title = w["escalation_title"].format(n=n, items=plural(n, "item"), scope=listing(dict.fromkeys(heads), lang)
                                         or scope)
    lines = []
    for m in grouped[:MAX_LINES]:      # why it is escalated: how long overdue or blocked, whose help it needs
        first = m[0]
        lines.append(facts([named(first.title, TITLE_BYTES), owner(first, lang), what(first, lang, now), helped(first, lang),
                            place(first, m, lang, share)], lang))
    return title, lines, max(0, n - MAX_LINES), {"links": (Link(w["escalation_do"], ""),), "told": n}


def repeat(notice) -> bool:
    """A second call about the same unanswered alert (jobs: content {"repeat": True} or topic "repeat")."""
    return bool(notice.content and notice.content.get("repeat")) or "repeat" in (notice.topics or ())


def alert(notice, lang: str, now: datetime, share: Share, scope: str):
    w = words(lang)
    grouped = rows(notice.items)
    if not grouped:             # the outbox posts no alert without news; a caller's empty one still reads
        return w["alert_none"], [], 0, {}
    first, total = grouped[0][0], len(grouped)
    label = FLAGS[first.rule].label(lang) if first.rule in FLAGS else first.rule
    alike = len({m[0].rule for m in grouped}) == 1       # a title names a rule only when it is every item's
    if repeat(notice):
        unanswered = alike and first.rule in CLOCKED
        still = w["still_unanswered" if unanswered else "still_open"]
        if total > 1:
            title = w["repeat_many"].format(total=total, still=still, counts=counts(grouped, lang))
        else:
            minutes, since = (notice.content or {}).get("minutes"), waited(first, now, lang)
            if minutes and not since:       # no clock of its own (a blocked row): the time since the alert
                title = w["repeat_after"].format(what=named(first.title), still=still,
                                                 after=duration(timedelta(minutes=minutes), lang))
            else:
                title = w["repeat_title"].format(what=named(first.title), still=still,
                                                 waited=w["repeat_waited"].format(waited=since) if since else "")
    elif total > 1 and not alike:
        title = w["alert_mixed"].format(total=total, counts=counts(grouped, lang))
    elif total > 1:
        title = w["alert_many"].format(label=label, what=named(first.title), n=total - 1, total=total)
    else:
        title = w["alert_title"].format(label=label, what=short(first.title, 80))
    lines = [alert_line(m, lang, now, share) for m in grouped[:MAX_LINES]]
    return title, lines, max(0, len(grouped) - MAX_LINES), {}


def alert_line(members: list, lang: str, now: datetime, share: Share) -> str:
    """The incident (its title and note), who must respond, how long it has waited, what to do
    (the rule's next step, naming the cell to fill) and the file's place."""
    first, w = members[0], words(lang)
    described = named(first.title, TITLE_BYTES) + (f"（{short(first.note, 100)}）" if lang == "zh" and first.note.strip() else
                                      f" ({short(first.note, 100)})" if first.note.strip() else "")
    who = "、".join(first.people) or first.owner
    step = next_step(first.rule, first.kind, lang, first.book_lang, first.owner, first.help_from,
                     dict(first.headers), first.status is not None and first.status.blocked)
    since = waited(first, now, lang)
    return facts([described, w["responder"].format(who=short(who, NAME_BYTES) or w["no_one"]),
                  w["waited"].format(waited=since) if since else what(first, lang, now),
                  w["do"].format(step=step), place(first, members, lang, share)], lang)


def summary(notice, lang: str, now: datetime, share: Share, scope: str):
    """The headline figures of a report view (jobs/summary/view.py) and the archive: a link when
    it is on the web, else its path as text."""
    w, view = words(lang), notice.content or {}
    title = view.get("heading") or view.get("title") or view.get("subject") or w["summary_title"]
    lines = [w["counts_join"].join(f"{t['label']} {t['value']}" for t in row) for row in view.get("tiles", ())]
    if flagged := view.get("flags_now"):
        lines.append(f"{flagged['label']}{'：' if lang == 'zh' else ': '}{flagged['text']}")
    lines += [str(line) for line in view.get("lines", ())]
    url, path = view.get("archive_url") or "", view.get("archive_path") or ""
    links: tuple[Link, ...] = ()
    if url.startswith(("http://", "https://")):
        links = (Link(w["archive_link"], url),)
    elif path or url:
        links = (Link(w["archive"].format(path=path or url), ""),)
    image = notice.attachments[0][1] if notice.attachments else None
    return title, lines, 0, {"links": links, "image": image, "told": int(view.get("items") or 0)}


def serve_notice(notice, lang: str, now: datetime, share: Share, scope: str):
    w, content = words(lang), notice.content or {}
    sentence = content.get("en" if lang == "en" else "zh") or content.get("zh") or ""
    folder = share.named if share.named is not None else share.root
    return w["notice_title"], [sentence, w["status"].format(folder=folder_arg(folder))], 0, {"told": 1}


def answer(notice, lang: str, now: datetime, share: Share, scope: str):
    """The answer to a reply by mail (the inbox sends it by mail only): its subject, why, what to do."""
    content, pick = notice.content or {}, "en" if lang == "en" else "zh"
    lines = [content[key][pick] for key in ("why", "todo") if key in content]
    return (content.get("subject") or {}).get(pick, ""), lines, 0, {"told": 1}


def problems(notice, lang: str, now: datetime, share: Share, scope: str):
    w = words(lang)
    found = list(notice.problems) + list(notice.extra)
    n = len(found)
    title = w["problems_title"].format(n=n, problems=plural(n, "data problem"))
    lines = [short(p.message(lang), 300) for p in found[:MAX_PROBLEMS]]
    return title, lines, max(0, n - MAX_PROBLEMS), {"told": n}
