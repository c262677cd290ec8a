"""Turning notices into mail text: Jinja2 templates (HTML for Outlook's Word engine, plus text).

HTML templates autoescape every value, so a task called `<script>` or `=HYPERLINK(...)` shows
as the text it is. Every workbook value (titles, names, file and sheet names, problem texts) is
`plain` before it reaches a template or the subject: bidi controls (a right-to-left override
U+202E that turns "xcod.exe" into "exe.docx") are dropped and control characters become spaces;
the environment's `finalize` drops bidi controls from anything else a template prints. Layout is tables with inline CSS and no images or scripts: Outlook renders
HTML with Word, which ignores style sheets, and phone clients block remote content.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from workbooks.flags import FLAGS, PALETTE

from .message import BIDI_CONTROLS, CONTROLS, plain

# For every printed value, macro output included (whose line breaks are the layout): bidi
# controls dropped, control characters other than line breaks and tabs made spaces.
_FINAL = {**dict.fromkeys((c for c in CONTROLS if chr(c) not in "\n\t"), " "),
          **dict.fromkeys(map(ord, BIDI_CONTROLS))}


def _final(value):
    return value.translate(_FINAL) if isinstance(value, str) else value


ENV = Environment(loader=PackageLoader("mailer", "templates"), autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                  finalize=_final)

LABELS = {
    "zh": {"brand": "督办", "hello": "{name}，您好：", "id": "编号", "item": "事项", "what": "提示",
           "deadline": "截止/期限", "where": "位置", "row": "第{row}行", "cc": "抄送",
           "digest_intro": "以下事项需要您处理（共{n}项），处理后请在工作簿中更新状态和反馈时间：",
           "escalation_intro": "以下事项逾期或阻塞已超过规定的工作日，按首接负责制升级给您，请协调处理（共{n}项）：",
           "alert_intro": "紧急：以下事项需要立即处理（共{n}项）：",
           "problems_intro": "督办检查时发现以下数据问题（共{n}个），请通知相关人员按说明修正：",
           "problems_none": "本次检查未发现数据问题。",
           "owner": "负责人", "problem": "问题", "file": "工作簿",
           "unreachable": "以下人员无法送达邮件：",
           "footer": "此邮件由督办助手根据共享盘中的跟进表自动发送。事项处理完毕后，请在表中将状态改为“已完成”，提醒会自动停止。",
           "subject_digest": "【督办】您有{counts} — {day}", "subject_escalation": "【督办】升级提醒：{n}项逾期或阻塞超期 — {day}",
           "subject_alert": "【督办·紧急】{what}", "subject_problems": "【督办】数据问题报告：{n}个问题 — {day}",
           "count": "{n}项{label}", "join": "、", "alert_many": "{n}项紧急事项需立即处理"},
    "en": {"brand": "duban", "hello": "Dear {name},", "id": "ID", "item": "Item", "what": "Alert",
           "deadline": "Deadline", "where": "Where", "row": "row {row}", "cc": "Cc",
           "digest_intro": "These items need your attention ({n} in all). Once handled, update the status and the last-update date in the workbook:",
           "escalation_intro": "These items have been overdue or blocked beyond the agreed working days and are escalated to you ({n} in all):",
           "alert_intro": "Urgent: these items need action now ({n} in all):",
           "problems_intro": "The check found these data problems ({n} in all). Please have them corrected as described:",
           "problems_none": "The check found no data problems.",
           "owner": "Owner", "problem": "Problem", "file": "Workbook",
           "unreachable": "Mail could not be addressed to:",
           "footer": "Sent by duban from the tracking workbooks on the shared drive. Set the status to Done in the workbook and the reminders stop.",
           "subject_digest": "[duban] You have {counts} — {day}", "subject_escalation": "[duban] Escalation: {n} items overdue or blocked too long — {day}",
           "subject_alert": "[duban URGENT] {what}", "subject_problems": "[duban] Data problems: {n} — {day}",
           "count": "{n} {label}", "join": ", ", "alert_many": "{n} urgent items need action now"},
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def render(notice, lang: str, today: date, problems_extra: list | None = None) -> Rendered:
    """Subject, HTML and plain text of one notice (see jobs.notify.Notice) in `lang`."""
    labels = LABELS[lang]
    context = {"notice": notice, "lang": lang, "L": labels, "today": today.isoformat(),
               "groups": _groups(notice.items, lang), "name": plain(notice.recipient.name),
               "problems": [_problem(p, lang) for p in notice.problems],
               "unreachable": [_problem(p, lang) for p in (problems_extra or [])]}
    html = ENV.get_template(f"{notice.kind}.html.j2").render(**context)
    text = ENV.get_template(f"{notice.kind}.txt.j2").render(**context)
    return Rendered(plain(_subject(notice, lang, today)), html, text)


def _groups(items, lang: str) -> list[dict]:
    """Items grouped by rule, most urgent rule first, with the rule's label and colours."""
    groups = []
    for rule, members in groupby(sorted(items, key=lambda i: (i.rank, i.rule, i.workbook, i.row)), key=lambda i: i.rule):
        members = list(members)
        flag = FLAGS[rule]
        colour = PALETTE[flag.colour]
        groups.append({"rule": rule, "label": flag.label(lang), "fill": colour.fill, "font": colour.font,
                       "items": [_item(i, lang) for i in members]})
    return groups


def _item(item, lang: str) -> dict:
    return {"id": plain(item.key) if "!" not in item.key else "", "title": plain(item.title),
            "project": plain(item.project or ""), "what": plain(item.text(lang)), "deadline": plain(show(item.deadline)),
            "workbook": plain(item.workbook), "where": plain(f"{item.sheet}!{LABELS[lang]['row'].format(row=item.row)}"),
            "details": [plain(p.text(lang)) for p in item.details], "people": plain("、".join(item.people))}


def _problem(problem, lang: str) -> dict:
    return {"where": plain(problem.where), "text": plain(problem.text(lang)),
            "file": plain(problem.file.rsplit("/", 1)[-1])}


def show(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(moment, date):
        return moment.isoformat()
    return str(moment)


def _subject(notice, lang: str, today: date) -> str:
    labels, day = LABELS[lang], today.isoformat()
    if notice.kind == "digest":
        counts = labels["join"].join(labels["count"].format(n=len(g["items"]), label=g["label"].lower() if lang == "en"
                                                            else g["label"])
                                     for g in _groups(notice.items, lang))
        return labels["subject_digest"].format(counts=counts, day=day)
    if notice.kind == "escalation":
        return labels["subject_escalation"].format(n=len(notice.items), day=day)
    if notice.kind == "alert":
        if len(notice.items) == 1:
            item = notice.items[0]
            what = f"{FLAGS[item.rule].label(lang)}：{item.title}" if lang == "zh" else f"{FLAGS[item.rule].label(lang)}: {item.title}"
        else:
            what = labels["alert_many"].format(n=len(notice.items))
        return labels["subject_alert"].format(what=what)
    return labels["subject_problems"].format(n=len(notice.problems), day=day)
