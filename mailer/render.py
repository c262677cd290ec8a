"""Turning notices into mail text: Jinja2 templates (HTML for Outlook's Word engine, plus text).

What a recipient needs to act on an item is in the item itself: the workbook by its full path
as staff reach it (`mail.share_path`, else the folder's absolute path) with a file:// link that
opens it, the sheet and row, what is wrong in real numbers (逾期9天, 已过13小时52分钟), and the
one thing to do next for its rule and kind (mailer/nextsteps.py). A row appears once, with all
its flags; the minutes reminders of one meeting are one item. A mail lists at most
`mail.max_items` items, the most urgent, and says how many more there are and where to see them;
cell text is shortened, so no mail comes near 1 MB.

HTML templates autoescape every value, so a task called `<script>` or `=HYPERLINK(...)` shows
as the text it is. Every workbook value (titles, names, file and sheet names, problem texts) is
`plain` before it reaches a template or the subject: bidi controls (a right-to-left override
U+202E that turns "xcod.exe" into "exe.docx") are dropped and control characters become spaces;
the environment's `finalize` drops bidi controls from anything else a template prints. Layout is tables with inline CSS and no images or scripts: Outlook renders
HTML with Word, which ignores style sheets, and phone clients block remote content.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from duban.mailer.message import BIDI_CONTROLS, CONTROLS, plain
from duban.mailer.moments import aware, day_of
from duban.mailer.nextsteps import helping_step, next_step
from duban.mailer.replylinks import WORDS as REPLY_WORDS, ReplyWay, hints, offer, reply_to, still_subject, text_line
from duban.mailer.share import Share
from duban.mailer.shown import deadline_of, lines as rows, more, show
from duban.mailer.words import LABELS, behalf, count, duration, weekly
from duban.workbooks.model.flags import FLAGS, PALETTE
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.schema import Role
from duban.workbooks.share.commandline import folder_arg

# For every printed value, macro output included (whose line breaks are the layout): bidi
# controls dropped, control characters other than line breaks and tabs made spaces.
_FINAL = {**dict.fromkeys((c for c in CONTROLS if chr(c) not in "\n\t"), " "),
          **dict.fromkeys(map(ord, BIDI_CONTROLS))}


def _final(value):
    return value.translate(_FINAL) if isinstance(value, str) else value


ENV = Environment(loader=PackageLoader("duban.mailer", "templates"), autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                  finalize=_final)
ENV.filters["capfirst"] = lambda text: text[:1].upper() + text[1:] if isinstance(text, str) else text   # "blocked" -> "Blocked"

MAX_ITEMS = 50            # default of mail.max_items
MAX_TEXT = 300            # characters of one cell value shown (a 32,767-character cell is not mailed whole)
MAX_BYTES = 600_000       # HTML + text in UTF-8; base64 makes it a third bigger: well under 1 MB on the wire


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    items: int = 0      # entries listed or counted: rows (a meeting's minutes: one), or problems
    reply_to: str = ""  # [reply] enabled: the address a plain Reply goes to (mailer/replylinks.py)


def render(notice, lang: str, now: date | datetime, problems_extra: list | None = None,
           share: Share | None = None, max_items: int = MAX_ITEMS, reply: ReplyWay | None = None) -> Rendered:
    """Subject, HTML and plain text of one notice (see jobs.notify.Notice) in `lang`; with `reply`,
    each item the reader can act on carries its reply links (mailer/replylinks.py)."""
    share = share or Share.of("", Path.cwd())
    today = now.date() if isinstance(now, datetime) else now
    moment = now if isinstance(now, datetime) else None
    limit = max(1, max_items)
    lines = rows(notice.items, share)
    while True:
        rendered = _render(notice, lines, lang, today, moment, problems_extra or [], share, limit, reply)
        if limit == 1 or len(rendered.html.encode()) + len(rendered.text.encode()) <= MAX_BYTES:
            return rendered
        limit //= 2


def _render(notice, lines: list[dict], lang, today, now, extra, share: Share, limit: int,
            reply: ReplyWay | None = None) -> Rendered:
    """The mail, from `lines` (mailer/shown.py): every row counts (subject, "N more", reply hints), only
    the `limit` shown are built into entries."""
    labels = LABELS[lang]
    behalf_of = getattr(notice, "on_behalf", None)
    entries = [{**line, "reply": offer(reply, notice.recipient.name, line, notice.kind, lang, today, behalf_of)}
               for line in lines]
    lead, still = [e for e in entries if not e["still"]], [e for e in entries if e["still"]]
    shown = [_built(e, lang, today, now, share, notice.kind, notice.recipient.name) for e in lead[:limit]]
    rest = lead[limit:]
    address, tag = reply_to(reply, entries)
    groups = _groups(shown, lang)
    problems, more_problems = _problem_files(notice.problems, lang, share, limit)
    opening, ending = behalf(getattr(notice, "on_behalf", None), lang)     # a stand-in's mail says whose
    opening += weekly(notice, lang)
    opening += " " if opening and lang == "en" else ""
    context = {"notice": notice, "lang": lang, "L": labels, "today": today.isoformat(), "groups": groups,
               "name": plain(notice.recipient.name), "n": len(entries),
               "intro": opening + (_intro(notice, lang, len(lead), len(notice.problems) + len(extra))
                                   if lead or not still else REPLY_WORDS[lang]["still_intro"]),
               "hints": hints(reply, notice.kind, entries, lang), "R": REPLY_WORDS[lang],
               "still": [_built(e, lang, today, now, share, notice.kind, notice.recipient.name) for e in still[:limit]],
               "still_more": REPLY_WORDS[lang]["still_more"].format(n=len(still) - limit)
               if len(still) > limit else "",
               "footer": labels["footer_escalation"] if notice.kind == "escalation" else
               labels["footer_problems"] if notice.kind == "problems" else labels["footer"],
               "more": more(rest, len(shown), lang, share), "problem_files": problems,
               "more_problems": more_problems,
               "problems": [_problem(p, lang) for p in notice.problems],
               "extra": _extra(extra, lang)}
    html = ENV.get_template(f"{notice.kind}.html.j2").render(**context)
    text = ENV.get_template(f"{notice.kind}.txt.j2").render(**context)
    told = len(entries) if notice.kind != "problems" else len(notice.problems) + len(extra)
    subject = plain(_subject(notice, lang, today, shown + rest, len(notice.problems) + len(extra), len(still)) + ending)
    return Rendered(f"{subject} {tag}" if tag else subject, html, text, told, address)


def _intro(notice, lang: str, n: int, problems: int) -> str:
    labels = LABELS[lang]
    if notice.kind == "problems":
        if not problems:
            return labels["problems_none"]
        return labels["problems_intro"].format(n=problems, problems=count(problems, "problem"))
    one = n == 1
    words = {"n": n, "items": count(n, "item").capitalize() if notice.kind != "alert" else count(n, "item"),
             "need": "needs" if one else "need", "have": "has" if one else "have", "they": "it" if one else "they",
             "are": "is" if one else "are", "them": "it" if one else "them"}
    return labels[f"{notice.kind}_intro"].format(**words)


def _short(text: str, limit: int = MAX_TEXT) -> str:
    text = plain(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _built(line: dict, lang: str, today: date, now: datetime | None, share: Share, kind: str,
           recipient: str) -> dict:
    """The entry of a line that is shown, with its reply links (`line["reply"]`) as text too."""
    entry = _entry(line["members"], lang, today, now, share, kind, recipient)
    entry["reply"] = line["reply"]
    entry["reply_text"] = text_line(line["reply"], lang) if line["reply"] else ""
    return entry


def _entry(members: list, lang: str, today: date, now: datetime | None, share: Share, kind: str,
           recipient: str) -> dict:
    labels, first = LABELS[lang], members[0]
    meeting = first.rule == "minutes_late"
    flag = FLAGS[first.rule]
    colour = PALETTE[flag.colour]
    rules = list(dict.fromkeys(i.rule for i in members))
    what = list(dict.fromkeys(_what(i, lang, today, now) for i in members if not meeting or i is first))
    deadline = deadline_of(first)
    deadlines = list(dict.fromkeys((show(deadline_of(i)), FLAGS[i.rule].label(lang)) for i in members
                                   if deadline_of(i) is not None and (not meeting or i is first)))
    if meeting:
        rows = sorted({i.row for i in members})
        title = _short(first.meeting or first.title)
        sub = f"{labels['held_at']}{labels['colon']}{show(first.started)}" if first.started else ""
        ids = [plain(i.key) for i in members if "!" not in i.key]
        actions = [_short(f"{plain(i.key) + ' ' if '!' not in i.key else ''}{i.title}", 120) for i in members]
    else:
        rows = [first.row]
        title, sub = _short(first.title).rstrip("。.；;，,、 ") or _short(first.title), _short(first.project or "")
        ids = [plain(first.key)] if "!" not in first.key else []
        actions = []
    where = labels["sheet_row"].format(sheet=plain(first.sheet), rows=labels["row"].format(
        row=labels["rows_join"].join(map(str, rows))))
    steps = list(dict.fromkeys(next_step(rule, first.kind, lang, first.book_lang, plain(first.owner),
                                         plain(first.help_from), dict(getattr(first, "headers", ())),
                                         first.status is not None and first.status.blocked)
                               for rule in rules if rule != "done"))
    if kind == "alert" and recipient not in first.people and first.owner:   # a head, alerted with the owner
        steps = [labels["for_owner"].format(owner=plain(first.owner)) + step for step in steps]
    if kind == "escalation" and first.why and {role for role, _d in first.why} == {"help"}:
        steps = [helping_step(lang, plain(first.owner))]
    return {
        "order": (first.rank, show(deadline) or "9999", first.workbook, first.row),
        "rule": first.rule, "rules": rules, "fill": colour.fill, "font": colour.font,
        "id": "\n".join(ids), "ids": ids, "title": title, "sub": sub, "what": what, "deadline": plain(show(deadline)),
        "deadlines": [{"at": plain(at), "label": label} for at, label in deadlines]
        if len({at for at, _label in deadlines}) > 1 else [],     # several flags, several deadlines: each
        "details": list(dict.fromkeys(_advice(p, lang) for i in members for p in i.details)),
        "facts": _facts(first, lang) if kind in ("escalation", "alert") else [],
        "why": _why(first, lang) if kind == "escalation" else "",
        "note": _note(first, lang) if kind in ("escalation", "alert") else "",
        "steps": steps, "actions": actions, "workbook": plain(first.workbook), "where": where,
        "path": plain(share.path(first.workbook)), "url": share.url(first.workbook),
        "key": first.key, "item_kind": first.kind, "people": first.people, "owner": first.owner,
        "still": getattr(first, "still_open", ""),
    }


def _what(item, lang: str, today: date, now: datetime | None) -> str:
    """What is wrong, in real numbers where the flag's own text says only the rule's limit."""
    zh = lang == "zh"
    if item.rule == "escalated":
        if item.cause == "overdue" and item.due is not None:
            days = (today - day_of(item.due)).days
            return f"逾期{days}天" if zh else f"{count(days, 'day')} overdue"
        if isinstance(item.deadline, (date, datetime)):
            since = day_of(item.deadline)
            days = (today - since).days
            return f"阻塞已{days}天（自{since.isoformat()}起）" if zh else \
                f"blocked for {count(days, 'day')} (since {since.isoformat()})"
    if item.rule in ("incident_unanswered", "minutes_late") and now is not None and item.started is not None:
        elapsed = duration(now - aware(item.started, now), lang)
        if item.rule == "incident_unanswered":
            return f"发生后已过{elapsed}，仍无人响应" if zh else f"no response {elapsed} after it occurred"
        # the meetings workbook has the time a meeting began (会议时间) and no end or duration:
        # the clock says from when it counts rather than pass the start off as the end
        return f"会议开始后已过{elapsed}，纪要仍未发出" if zh else f"minutes still not sent {elapsed} after the meeting began"
    return _short(item.text(lang))


def _advice(problem, lang: str) -> str:
    """A data problem's how-to-fix, by cell: the flag already says what is wrong (its first sentence)."""
    text = plain(problem.text(lang))
    end = "。" if lang == "zh" else ". "
    head, found, rest = text.partition(end)
    advice = rest.strip() if found and rest.strip() else text
    cell = f"{problem.cell}{LABELS[lang]['colon']}" if problem.cell else ""
    return _short(cell + advice)


def _why(item, lang: str) -> str:
    """Which part brought an escalated item to this reader: their department's item, their
    department asked to help (需协助部门), or their being Accountable in the RACI."""
    labels = LABELS[lang]
    kind = KINDS.get(item.kind)
    helping = kind.by_role.get(Role.HELP_FROM) if kind else None
    column = item.header(helping) if helping else ""
    column = f"“{column}”" if lang == "zh" else f'"{column}"'
    reasons = [labels[f"why_{role}"].format(dept=plain(dept), column=column) if role != "manager"
               else _why_manager(labels, dept, item.level) for role, dept in item.why]
    return labels["why"].format(reasons=labels["why_join"].join(reasons)) if reasons else ""


def _why_manager(labels: dict, whose: str, level: int) -> str:
    """Up the reporting line (jobs/notify/upline.py Step.why): "王强", or "王强@研发部" when 王强 heads it."""
    name, _at, dept = whose.partition("@")
    return labels["why_manager_head" if dept else "why_manager"].format(name=plain(name), dept=plain(dept), level=level)


def _note(item, lang: str) -> str:
    """The row's own note (完成情况简述: "等财务审批"), under its header as the workbook shows it."""
    kind = KINDS.get(item.kind)
    column = kind.by_role.get(Role.NOTE) if kind else None
    if column is None or not item.note.strip():
        return ""
    header = item.header(column)
    return f"{plain(header)}{LABELS[lang]['colon']}{_short(item.note, 200)}"


def _facts(item, lang: str) -> list[str]:
    """Owner, status and last update: what a head or an alerted person asks first."""
    labels = LABELS[lang]
    facts = [f"{labels['owner']}{labels['colon']}{_short(item.owner, 60) or '—'}"]
    if item.status is not None:
        facts.append(f"{labels['status']}{labels['colon']}{item.status.label(lang)}")
    kind = KINDS.get(item.kind)
    if kind is not None and kind.role_key(Role.LAST_UPDATE):
        updated = show(item.last_update) or labels["never"]
        facts.append(f"{labels['last_update']}{labels['colon']}{updated}")
    if item.help_from and kind is not None and (helping := kind.by_role.get(Role.HELP_FROM)):
        header = item.header(helping)
        facts.append(f"{plain(header)}{labels['colon']}{_short(item.help_from, 60)}")
    return facts


def _groups(entries: list[dict], lang: str) -> list[dict]:
    """Entries grouped by their most severe rule, most urgent rule first."""
    groups: dict[str, dict] = {}
    for entry in sorted(entries, key=lambda e: e["order"]):
        rule = entry["rule"]
        if rule not in groups:
            flag = FLAGS[rule]
            colour = PALETTE[flag.colour]
            groups[rule] = {"rule": rule, "fill": colour.fill, "font": colour.font, "entries": [],
                            "label": flag.label(lang)}
        groups[rule]["entries"].append(entry)
    return list(groups.values())


def _problem(problem, lang: str) -> dict:
    return {"where": plain(problem.where), "text": _short(problem.text(lang), 1000),
            "file": plain(problem.file.rsplit("/", 1)[-1])}


PEOPLE_CODES = ("unknown-recipient", "no-email", "bad-email")


def _extra(extra: list, lang: str) -> list[dict]:
    """What the report adds to the data problems, each under its own heading: people mail cannot
    reach, mail that did not go as it should, and duban's other notices (a new state file, a gone
    workbook), so that no notice sits under "these people cannot be mailed"."""
    labels = LABELS[lang]
    sections = {"unreachable": [], "undelivered": [], "notices": []}
    for p in extra:
        key = "unreachable" if p.code in PEOPLE_CODES else "undelivered" if p.code.startswith("mail-") else "notices"
        sections[key].append(_problem(p, lang))
    return [{"heading": labels[key], "rows": rows} for key, rows in sections.items() if rows]


def _problem_files(problems: list, lang: str, share: Share, limit: int) -> tuple[list[dict], str]:
    """The problems by workbook (full path and link), in report order; at most `limit` of them."""
    labels = LABELS[lang]
    files: dict[str, dict] = {}
    for problem in problems[:limit]:
        rel = share.relative(problem.file)
        name = rel or problem.file
        entry = files.setdefault(name, {"name": plain(Path(name).name), "path": plain(share.path(rel) if rel else name),
                                        "url": share.url(rel) if rel else "", "rows": []})
        where = f"{problem.sheet}!{problem.cell}" if problem.sheet and problem.cell else \
            f"[{problem.sheet}]" if problem.sheet else labels["whole_file"]
        entry["rows"].append({"where": plain(where), "text": _short(problem.text(lang), 1000)})
    more = ""
    if len(problems) > limit:
        rest = len(problems) - limit
        more = labels["more_problems"].format(n=rest, shown=limit, more=count(rest, "more problem"),
                                              folder=folder_arg(share.folder or share.root))
    return list(files.values()), more


def _subject(notice, lang: str, today: date, entries: list[dict], problems: int, still: int = 0) -> str:
    labels, day = LABELS[lang], today.isoformat()
    n = len(entries)
    if notice.kind == "digest" and not entries:      # a quiet digest of still-open lines only
        return labels["subject_digest"].format(counts=still_subject("", still, lang), day=day)
    if notice.kind == "digest":     # items by the group the body lists them under: they add up to the items
        counted = Counter(e["rule"] for e in entries)
        order = sorted(counted, key=lambda r: FLAGS[r].rank)
        if lang == "zh":
            counts = labels["join"].join(labels["count"].format(n=counted[r], label=FLAGS[r].zh) for r in order)
        else:
            phrases = [count(counted[r], *FLAGS[r].nouns) for r in order]
            counts = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
        if len(order) > 1:
            counts = labels["digest_many"].format(n=n, items=count(n, "item"), counts=counts)
        return labels["subject_digest"].format(counts=still_subject(counts, still, lang), day=day)
    if notice.kind == "escalation":
        return labels["subject_escalation"].format(n=n, items=count(n, "item"), day=day)
    if notice.kind == "alert":
        label = FLAGS[entries[0]["rule"]].label(lang)       # the most urgent item by name, as the body's first
        title = _short(entries[0]["title"], 80)
        what = f"{label}：{title}" if lang == "zh" else f"{label}: {title}"
        if n > 1:
            what = labels["alert_many"].format(what=what, n=n, more=count(n - 1, "more urgent item"))
        return labels["subject_alert"].format(what=what)
    return labels["subject_problems"].format(n=problems, problems=count(problems, "data problem"), day=day)
