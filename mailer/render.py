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

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from duban.workbooks.share.commandline import folder_arg
from duban.workbooks.model.flags import FLAGS, PALETTE
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.model.schema import Role

from duban.mailer.message import BIDI_CONTROLS, CONTROLS, plain
from duban.mailer.nextsteps import helping_step, next_step

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

LABELS = {
    "zh": {"brand": "督办", "hello": "{name}，您好：", "id": "编号", "item": "事项", "what": "提示",
           "deadline": "期限", "where": "位置", "row": "第{row}行", "cc": "抄送", "colon": "：",
           "open": "（", "close": "）", "sep": "，", "what_join": "；", "sheet_row": "工作表“{sheet}”{rows}", "rows_join": "、",
           "file": "文件", "link": "链接", "next": "下一步", "owner": "负责人", "status": "状态",
           "last_update": "反馈时间", "never": "未填写", "held_at": "会议时间", "actions": "行动项",
           "group_count": "{n}项", "for_owner": "请督促负责人{owner}尽快处理：",
           "digest_intro": "以下{n}项需要您处理：",
           "escalation_intro": "以下{n}项逾期或阻塞已超过规定的工作日，按首接负责制升级给您，请协调处理：",
           "alert_intro": "紧急：以下{n}项需要立即处理：",
           "problems_intro": "督办检查时发现以下{n}个问题，请通知相关人员按说明处理：",
           "problems_none": "本次检查未发现数据问题。",
           "problem": "问题", "problems_heading": "数据问题报告", "cell": "单元格", "whole_file": "整个文件",
           "unreachable": "以下人员无法送达邮件：", "undelivered": "以下邮件未能按时送达：",
           "notices": "督办的其他提示：",
           "more": "另有{n}项未列出（上面是最紧急的{shown}项）。其余事项可在以下工作簿的“系统提示”列中看到（对该列筛选“非空白”即可），"
                   "也可请文员运行 duban check {folder} 查看：",
           "more_book": "{n}项",
           "more_problems": "另有{n}个问题未列出（上面是前{shown}个）。运行 duban validate {folder} 可查看全部。",
           "footer": "此邮件由督办助手根据共享盘中的跟进表自动发送。按每项的“下一步”更新工作簿后，下次检查时提醒会自动停止。",
           "footer_escalation": "此邮件由督办助手根据共享盘中的跟进表自动发送。负责人在工作簿中更新（完成，或与发起人商定新的期限）后，升级提醒会自动停止。",
           "footer_problems": "此邮件由督办助手根据共享盘中的跟进表自动发送。单元格改正后，下次检查时该问题就不会再出现在报告中。",
           "subject_digest": "【督办】您有{counts} — {day}", "subject_escalation": "【督办】升级提醒：{n}项逾期或阻塞超期 — {day}",
           "subject_alert": "【督办·紧急】{what}", "subject_problems": "【督办】数据问题报告：{n}个问题 — {day}",
           "why": "您收到这一项，因为{reasons}。", "why_join": "；",
           "why_department": "这是您部门（{dept}）的事项", "why_help": "您部门（{dept}）被列为{column}",
           "why_accountable": "您是此任务在RACI权责表中的审批人（A）",
           "count": "{n}项{label}", "join": "、", "digest_many": "{n}项待办：{counts}",
           "alert_many": "{what} 等{n}项紧急事项"},
    "en": {"brand": "duban", "hello": "Dear {name},", "id": "ID", "item": "Item", "what": "Why",
           "deadline": "Deadline", "where": "Where", "row": "row {row}", "cc": "Cc", "colon": ": ",
           "open": " (", "close": ")", "sep": ", ", "what_join": "; ", "sheet_row": "sheet \"{sheet}\", {rows}", "rows_join": ", ",
           "file": "File", "link": "Link", "next": "Next step", "owner": "Owner", "status": "Status",
           "last_update": "Last update", "never": "never", "held_at": "Held at", "actions": "Actions",
           "group_count": "{n}", "for_owner": "Please make sure {owner}, the owner, does this now: ",
           "digest_intro": "{items} {need} your attention:",
           "escalation_intro": "{items} {have} been overdue or blocked for longer than the agreed number of working days, "
                               "so {they} {are} escalated to you. Please help resolve {them}:",
           "alert_intro": "Urgent: {items} {need} action now:",
           "problems_intro": "The check found {problems}. Please have each dealt with as described:",
           "problems_none": "The check found no data problems.",
           "problem": "Problem", "problems_heading": "Problems report", "cell": "Cell", "whole_file": "whole file",
           "unreachable": "No mail could be sent to these people:", "undelivered": "Mail that did not go as it should:",
           "notices": "Other notices from duban:",
           "more": "{more} not listed here (these are the {shown} most urgent). You can see the rest in the Alerts "
                   "(系统提示) column of these workbooks (filter that column for non-blank cells), or ask a clerk to "
                   "run duban check {folder}:",
           "more_book": "{items}",
           "more_problems": "{more} not listed here (these are the first {shown}). Run duban validate {folder} to see them all.",
           "footer": "Sent by duban from the tracking workbooks on the shared drive. Do each item's next step in its "
                     "workbook and its reminder stops at the next check.",
           "footer_escalation": "Sent by duban from the tracking workbooks on the shared drive. The escalation stops once "
                                "the owner updates the workbook (done, or a new deadline agreed with the initiator).",
           "footer_problems": "Sent by duban from the tracking workbooks on the shared drive. Once a cell is corrected, "
                              "its problem drops out of the next report.",
           "subject_digest": "[duban] You have {counts} — {day}",
           "subject_escalation": "[duban] Escalation: {items} overdue or blocked too long — {day}",
           "subject_alert": "[duban URGENT] {what}", "subject_problems": "[duban] Problems report: {problems} — {day}",
           "why": "You get this because {reasons}.", "why_join": "; ",
           "why_department": "it is an item of your department ({dept})",
           "why_help": "your department ({dept}) is asked to help ({column})",
           "why_accountable": "you are Accountable (A) for this task in the RACI",
           "count": "{n} {label}", "join": ", ", "digest_many": "{items}: {counts}",
           "alert_many": "{what} and {more}"},
}

# English noun phrases per rule for counts ("1 blocked item", "2 overdue items"): (singular, plural)
NOUNS = {
    "incident_unanswered": ("unanswered incident", "unanswered incidents"),
    "escalated": ("escalated item", "escalated items"),
    "overdue": ("overdue item", "overdue items"),
    "not_acknowledged": ("unacknowledged request", "unacknowledged requests"),
    "no_first_plan": ("request without a first plan", "requests without a first plan"),
    "blocked": ("blocked item", "blocked items"),
    "due_soon": ("item due soon", "items due soon"),
    "incident_report_late": ("late incident report", "late incident reports"),
    "minutes_late": ("meeting without minutes", "meetings without minutes"),
    "customer_followup_late": ("late customer follow-up", "late customer follow-ups"),
    "data_problem": ("row with data problems", "rows with data problems"),
    "stale": ("item not updated on time", "items not updated on time"),
}


def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 item', '2 items', '12,000 items'."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


# ---- where the file is ---------------------------------------------------------------------
_DRIVE = re.compile(r"[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class Share:
    """How staff reach the folder: `mail.share_path` (\\\\fileserver\\督办, S:\\督办, /Volumes/督办), else
    the folder's absolute path. Names a workbook by its full path and gives the file:// URL that opens it."""

    root: str
    folder: Path | None = None     # the folder as duban sees it, to place the problems' absolute paths
    named: Path | None = None      # the folder as the user named it (`duban remind demo`: demo)

    @classmethod
    def of(cls, share_path: str | None, folder: Path) -> Share:
        named = Path(folder)
        return cls((share_path or "").strip() or str(named.absolute()), named.absolute(), named)

    @property
    def windows(self) -> bool:
        return self.root.startswith(("\\\\", "//")) or bool(_DRIVE.match(self.root))

    def _pure(self, relpath: str):
        parts = [p for p in relpath.replace("\\", "/").split("/") if p]
        return (PureWindowsPath if self.windows else PurePosixPath)(self.root, *parts)

    def path(self, relpath: str) -> str:
        return str(self._pure(relpath))

    def url(self, relpath: str) -> str:
        """file://fileserver/%E7%9D%A3%E5%8A%9E/任务跟进表.xlsx (UTF-8, percent-encoded, as RFC 8089 and
        Outlook want); empty for a share path that is not absolute, which is then shown but not linked."""
        try:
            return self._pure(relpath).as_uri()
        except ValueError:
            return ""

    def relative(self, file: str) -> str | None:
        """A problem's file as a path inside the folder; None when it is no file there (the outbox, duban.toml).

        A problem names its file as the reader opened it, the folder as the user named it joined
        with the path inside (`demo/任务跟进表.xlsx` after `duban remind demo`), or, for what the
        journal and the write-back report, by the path inside alone (`任务跟进表.xlsx`). The
        folder's name is taken off the first, so `path()` does not put it after the root twice."""
        path = Path(file)
        if path.is_absolute():
            if self.folder is None:
                return None
            try:
                return path.relative_to(self.folder).as_posix()
            except ValueError:
                return None
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".csv"):
            return None
        named = self.named
        if named is not None and not named.is_absolute() and named.parts and path.is_relative_to(named):
            return path.relative_to(named).as_posix()
        return path.as_posix()


# ---- rendering ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    items: int = 0      # entries listed or counted: rows (a meeting's minutes: one), or problems


def render(notice, lang: str, now: date | datetime, problems_extra: list | None = None,
           share: Share | None = None, max_items: int = MAX_ITEMS) -> Rendered:
    """Subject, HTML and plain text of one notice (see jobs.notify.Notice) in `lang`."""
    share = share or Share.of("", Path.cwd())
    today = now.date() if isinstance(now, datetime) else now
    moment = now if isinstance(now, datetime) else None
    limit = max(1, max_items)
    while True:
        rendered = _render(notice, lang, today, moment, problems_extra or [], share, limit)
        if limit == 1 or len(rendered.html.encode()) + len(rendered.text.encode()) <= MAX_BYTES:
            return rendered
        limit //= 2


def _render(notice, lang, today, now, extra, share: Share, limit: int) -> Rendered:
    labels = LABELS[lang]
    entries = _entries(notice.items, lang, today, now, share, notice.kind, notice.recipient.name)
    shown, rest = entries[:limit], entries[limit:]
    groups = _groups(shown, lang)
    problems, more_problems = _problem_files(notice.problems, lang, share, limit)
    context = {"notice": notice, "lang": lang, "L": labels, "today": today.isoformat(), "groups": groups,
               "name": plain(notice.recipient.name), "n": len(entries),
               "intro": _intro(notice, lang, len(entries), len(notice.problems) + len(extra)),
               "footer": labels["footer_escalation"] if notice.kind == "escalation" else
               labels["footer_problems"] if notice.kind == "problems" else labels["footer"],
               "more": _more(rest, len(shown), lang, share), "problem_files": problems,
               "more_problems": more_problems,
               "problems": [_problem(p, lang) for p in notice.problems],
               "extra": _extra(extra, lang)}
    html = ENV.get_template(f"{notice.kind}.html.j2").render(**context)
    text = ENV.get_template(f"{notice.kind}.txt.j2").render(**context)
    told = len(entries) if notice.kind != "problems" else len(notice.problems) + len(extra)
    return Rendered(plain(_subject(notice, lang, today, entries, len(notice.problems) + len(extra))), html, text, told)


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


def _entries(items, lang: str, today: date, now: datetime | None, share: Share, kind: str,
             recipient: str = "") -> list[dict]:
    """One entry per row, with all its flags, and one per meeting for its minutes; most urgent first."""
    rows: dict[tuple, list] = {}
    for item in items:
        key = (item.workbook, "meeting", item.meeting, show(item.started)) if item.rule == "minutes_late" \
            else (item.workbook, "row", item.row)
        rows.setdefault(key, []).append(item)
    entries = [_entry(sorted(members, key=lambda i: (i.rank, i.row)), lang, today, now, share, kind, recipient)
               for members in rows.values()]
    entries.sort(key=lambda e: e["order"])
    return entries


def _entry(members: list, lang: str, today: date, now: datetime | None, share: Share, kind: str,
           recipient: str) -> dict:
    labels, first = LABELS[lang], members[0]
    meeting = first.rule == "minutes_late"
    flag = FLAGS[first.rule]
    colour = PALETTE[flag.colour]
    rules = list(dict.fromkeys(i.rule for i in members))
    what = list(dict.fromkeys(_what(i, lang, today, now) for i in members if not meeting or i is first))
    deadline = _deadline(first)
    deadlines = list(dict.fromkeys((show(_deadline(i)), FLAGS[i.rule].label(lang)) for i in members
                                   if _deadline(i) is not None and (not meeting or i is first)))
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
    }


def _deadline(item):
    """The deadline an item's flag is about: a blocked or escalated row's own due date, else the flag's."""
    if item.rule in ("escalated", "blocked") and item.due is not None:
        return item.due
    return item.deadline if item.deadline is not None else item.due


def _what(item, lang: str, today: date, now: datetime | None) -> str:
    """What is wrong, in real numbers where the flag's own text says only the rule's limit."""
    zh = lang == "zh"
    if item.rule == "escalated":
        if item.cause == "overdue" and item.due is not None:
            days = (today - _day(item.due)).days
            return f"逾期{days}天" if zh else f"{count(days, 'day')} overdue"
        if isinstance(item.deadline, (date, datetime)):
            since = _day(item.deadline)
            days = (today - since).days
            return f"阻塞已{days}天（自{since.isoformat()}起）" if zh else \
                f"blocked for {count(days, 'day')} (since {since.isoformat()})"
    if item.rule in ("incident_unanswered", "minutes_late") and now is not None and item.started is not None:
        elapsed = duration(now - _aware(item.started, now), lang)
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
    reasons = [labels[f"why_{role}"].format(dept=plain(dept), column=column) for role, dept in item.why]
    return labels["why"].format(reasons=labels["why_join"].join(reasons)) if reasons else ""


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


def _more(rest: list[dict], shown: int, lang: str, share: Share) -> dict | None:
    if not rest:
        return None
    labels = LABELS[lang]
    books = Counter(e["workbook"] for e in rest)
    return {"text": labels["more"].format(n=len(rest), shown=shown, more=count(len(rest), "more item"),
                                          folder=folder_arg(share.folder or share.root)),
            "books": [{"path": share.path(book), "url": share.url(book), "n": labels["more_book"].format(
                n=n, items=count(n, "item"))} for book, n in books.most_common()]}


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


def duration(delta: timedelta, lang: str) -> str:
    """832 minutes -> 13小时52分钟 / 13 h 52 min; 2 days 3 hours -> 2天3小时 / 2 d 3 h."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    units = (("天", "d"), ("小时", "h"), ("分钟", "min"))
    values = (days, hours, mins if not days else 0)
    parts = [(v, u) for v, u in zip(values, units) if v] or [(0, units[2])]
    if lang == "zh":
        return "".join(f"{v}{u[0]}" for v, u in parts)
    return " ".join(f"{v} {u[1]}" for v, u in parts)


def _day(moment) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _aware(moment, now: datetime) -> datetime:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment


def show(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(moment, date):
        return moment.isoformat()
    return str(moment)


def _subject(notice, lang: str, today: date, entries: list[dict], problems: int) -> str:
    labels, day = LABELS[lang], today.isoformat()
    n = len(entries)
    if notice.kind == "digest":     # items by the group the body lists them under: they add up to the items
        counted = Counter(e["rule"] for e in entries)
        order = sorted(counted, key=lambda r: FLAGS[r].rank)
        if lang == "zh":
            counts = labels["join"].join(labels["count"].format(n=counted[r], label=FLAGS[r].zh) for r in order)
        else:
            phrases = [count(counted[r], *NOUNS[r]) for r in order]
            counts = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
        if len(order) > 1:
            counts = labels["digest_many"].format(n=n, items=count(n, "item"), counts=counts)
        return labels["subject_digest"].format(counts=counts, day=day)
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
