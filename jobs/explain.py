"""`duban explain DIR ID`: every rule for one row, fired or not, with the facts it looked at,
returned as an `Explanation` (the terminal and the console show it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from duban.jobs import rules
from duban.jobs.check import row_problems
from duban.jobs.notify import presencewords
from duban.jobs.notify.escalation import Reach
from duban.jobs.notify.presence import Presence
from duban.jobs.rules import deadlines
from duban.jobs.rules.base import plural, timed
from duban.jobs.rules.progress import last_update_deadline
from duban.jobs.settings.calendar import from_settings
from duban.jobs.settings.typed import Settings
from duban.jobs.state.journal import Journal
from duban.jobs.validate import read_folder
from duban.workbooks.model.errors import DubanError
from duban.workbooks.model.schema import Role
from duban.workbooks.share.commandline import folder_arg

TEXT = {
    "zh": {"row": "第{row}行", "rule": "规则", "fired": "是否触发", "why": "原因", "yes": "是", "no": "否",
           "deadline": "（期限 {at}）", "unmet": "条件不满足", "blank": "（空）", "warning": "提示：",
           "now": "现在：{now}（办公时间 {opens}-{closes}）", "status": "状态：{status}",
           "due_ahead": "{label} {due}：还有 {n} 个工作日", "due_past": "{label} {due}：已过 {days} 天（{n} 个工作日）",
           "submitted": "{label} {at}：已过 {wh:.1f} 个工作小时（共 {ago}）",
           "since": "{label} {at}：已过 {ago}", "due_passed": "{label} {due}：已过 {ago}",
           "due_later": "{label} {due}：还有 {left}",
           "update": "{label} {at}；每周更新截止 {deadline}",
           "journal": "变更日志：首次出现 {first}，最后修改 {changed}，状态自 {since} 起",
           "gone": "{id} 已于 {at} 从 {workbook} 中删除；详见 duban history {folder} {id}。",
           "missing": "所有工作簿中都没有编号为 {id} 的行。编号形如 T-000123；运行 duban check {folder} 会分配编号。"},
    "en": {"row": "row {row}", "rule": "Rule", "fired": "Fired", "why": "Why", "yes": "yes", "no": "no",
           "deadline": " (deadline {at})", "unmet": "conditions not met", "blank": "(blank)", "warning": "warning:",
           "now": "now: {now} (office {opens}-{closes})", "status": "status: {status}",
           "due_ahead": "{label} {due}: {n_text} from today", "due_past": "{label} {due}: {days_text} ago, {n_text}",
           "submitted": "{label} {at}: {wh:.1f} working hours ago, {ago} ago",
           "since": "{label} {at}: {ago} ago", "due_passed": "{label} {due}: passed {ago} ago",
           "due_later": "{label} {due}: in {left}",
           "update": "{label} {at}; weekly deadline {deadline}",
           "journal": "journal: first seen {first}, last changed {changed}, status since {since}",
           "gone": "{id} was deleted from {workbook} at {at}; see 'duban history {folder} {id}'.",
           "missing": "no row with ID {id} in any workbook. IDs look like T-000123; run 'duban check {folder}' to assign them."},
}


@dataclass
class Verdict:
    """One rule on the row: its name for people, whether it fired, and why (or why not)."""

    rule: str                 # the rule's code, e.g. "overdue"
    name: str                 # "逾期 (overdue)"
    fired: bool
    why: str


@dataclass
class Explanation:
    """`explain`'s answer: the row, the facts the rules looked at, every rule's verdict, in `lang`.
    The terminal (jobs.terminal.explain) and the Excel console show it; nothing parses it back."""

    row_id: str
    relpath: str
    sheet: str
    row: int
    kind: str                 # the kind's sheet name when the workbook's sheet is named otherwise, else ""
    lang: str
    facts: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def words(self) -> dict:
        return TEXT[self.lang]

    @property
    def where(self) -> str:
        """`第3行` / `row 3`."""
        return self.words["row"].format(row=self.row)


def explain_row(folder: Path, settings: Settings, now: datetime, row_id: str) -> Explanation:
    lang = settings.company.language if settings.company.language in TEXT else "zh"
    t = TEXT[lang]
    reads = read_folder(folder, settings, now.date())
    found = [(read, rec) for read in reads if read.kind for rec in read.records if rec.id == row_id]
    journal = Journal(folder / settings.state.path)
    try:
        if not found:
            raise DubanError(_not_found(journal, row_id, t, folder))
        read, rec = found[0]
        relpath = str(read.path.relative_to(folder))
        history = journal.histories(relpath).get(row_id)
    finally:
        journal.close()
    calendar = from_settings(settings)
    problems = row_problems(read.problems)
    ctx = rules.Context(now, calendar, settings.rules, history=lambda r: history,
                        problems=lambda r: problems.get(r.row, []), lang=read.lang)
    kind = f" ({read.kind.sheet(lang)})" if read.kind.sheet(lang) != read.sheet else ""
    said = Explanation(row_id, relpath, read.sheet, rec.row, kind, lang, _facts(rec, ctx, history, lang),
                       warnings=list(calendar.warnings))
    reach = Reach.of(reads)     # an escalation that reaches nobody says so, as in the Alerts cell
    presence = Presence.of(reads, reach.directory, ctx.today, calendar, settings)     # snooze, mode, stand-in
    said.facts += presencewords.lines(rec, presence, reach.raci, lang)
    for rule in rules.rules_for(read.kind):
        flag = (found := rule(rec, ctx)) and reach.reword(rec, found)
        why = (flag.text(lang) + (t["deadline"].format(at=_show(flag.deadline, lang)) if flag.deadline else "")
               if flag else _inputs(rule, rec, lang) + _escalation_clock(rule, rec, ctx, history, lang))
        why += _level_and_days(rule, rec, ctx, flag, lang)
        said.verdicts.append(Verdict(rule.code, _rule_name(rule, lang), bool(flag), why))
    return said


def _rule_name(rule: rules.Rule, lang: str) -> str:
    return f"{rule.type.label(lang)} ({rule.code})"


def _not_found(journal: Journal, row_id: str, t: dict, folder: Path) -> str:
    """Why there is nothing to explain, with the command that shows more (runnable as printed)."""
    gone, where = journal.row(row_id), folder_arg(folder)
    if gone and gone["deleted_at"]:
        return t["gone"].format(id=row_id, workbook=gone["workbook"], at=gone["deleted_at"][:16].replace("T", " "),
                                folder=where)
    return t["missing"].format(id=row_id, folder=where)


def _facts(rec, ctx: rules.Context, history, lang: str) -> list[str]:
    t, cal, kind = TEXT[lang], ctx.calendar, rec.kind
    label = lambda role: kind.by_role[role].header(lang)       # noqa: E731 - the column as staff know it
    facts = [t["now"].format(now=f"{ctx.now:%Y-%m-%d %H:%M %Z}", opens=f"{cal.opens:%H:%M}", closes=f"{cal.closes:%H:%M}")]
    status = rec.status
    facts.append(t["status"].format(status=status.label(lang) if status else t["blank"]))
    due = rec.role(Role.DUE)
    if due is not None:
        day = due.date() if isinstance(due, datetime) else due
        # an ETA today, or passed less than a day ago: by the clock (逾期11小时), not the day
        if timed(due) and (day == ctx.today or timedelta(0) < ctx.now - ctx.aware(due) < timedelta(days=1)):
            late = ctx.now > ctx.aware(due)
            gap = span(abs(ctx.now - ctx.aware(due)), lang)
            facts.append(t["due_passed" if late else "due_later"].format(label=label(Role.DUE), due=_show(due, lang),
                                                                         ago=gap, left=gap))
        elif day >= ctx.today:
            n = cal.working_days_between(ctx.today, day)
            facts.append(t["due_ahead"].format(label=label(Role.DUE), due=_show(due, lang), n=n,
                                               n_text=plural(n, "", "working day")[1]))
        else:
            days, n = (ctx.today - day).days, cal.working_days_between(day, ctx.today)
            facts.append(t["due_past"].format(label=label(Role.DUE), due=_show(due, lang), days=days, n=n,
                                              days_text=plural(days, "", "day")[1],
                                              n_text=plural(n, "", "working day")[1]))
    if (submitted := rec.role(Role.SUBMITTED)) is not None:
        facts.append(t["submitted"].format(label=label(Role.SUBMITTED), at=_show(submitted, lang),
                                           wh=cal.working_hours_between(ctx.aware(submitted), ctx.now),
                                           ago=span(ctx.now - ctx.aware(submitted), lang)))
    for role in (Role.OCCURRED, Role.HELD_AT):
        if (start := rec.role(role)) is not None:
            facts.append(t["since"].format(label=label(role), at=_show(start, lang),
                                           ago=span(ctx.now - ctx.aware(start), lang)))
    if kind.role_key(Role.LAST_UPDATE):
        facts.append(t["update"].format(label=label(Role.LAST_UPDATE), at=_show(rec.role(Role.LAST_UPDATE), lang),
                                        deadline=f"{last_update_deadline(ctx):%Y-%m-%d %H:%M}"))
    if history:
        facts.append(t["journal"].format(first=_show(history.first_seen, lang), changed=_show(history.last_changed, lang),
                                         since=_show(history.status_since, lang)))
    return facts


def span(delta: timedelta, lang: str) -> str:
    """A time gone by as people say it: 4天7小时 / 4 days 7 hours, 3小时20分钟, 45分钟 (not 6220 minutes)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [(n, zh, en) for n, zh, en in ((days, "天", "day"), (hours, "小时", "hour"), (mins, "分钟", "minute"))
             if n][:2] or [(0, "分钟", "minute")]
    if days:
        parts = parts[:1] if not hours else parts      # whole days and hours; the minutes no longer matter
    if lang == "zh":
        return "".join(f"{n}{zh}" for n, zh, _ in parts)
    return " ".join(f"{n} {en}{'' if n == 1 else 's'}" for n, _, en in parts)


def _inputs(rule, rec, lang: str) -> str:
    roles = rule.type.needs
    shown = [f"{rec.kind.by_role[r].header(lang)}={_shown_value(rec, r, lang)}" for r in roles if r in rec.kind.by_role]
    unmet = TEXT[lang]["unmet"]
    return f"{unmet}{'：' if lang == 'zh' else ': '}" + ("，" if lang == "zh" else ", ").join(shown) if shown else unmet


def _escalation_clock(rule, rec, ctx: rules.Context, history, lang: str) -> str:
    """How far a late or blocked row is from escalation, which is what a clerk asks of that rule."""
    if rule.code != "escalated" or rec.done:
        return ""
    limit, cal = ctx.thresholds.escalate_working_days, ctx.calendar
    due = rec.role(Role.DUE)
    day = due.date() if isinstance(due, datetime) else due
    if day is not None and day < ctx.today:
        n = cal.working_days_between(day, ctx.today)
        return (f"；逾期 {n} 个工作日，满 {limit} 个工作日升级" if lang == "zh"
                else f"; overdue for {n} of the {limit} working days that escalate it")
    if ((rec.status and rec.status.blocked) or rec.role(Role.HELP_FROM)) and history and history.status_since:
        since = history.status_since.astimezone(cal.tz).date()
        n = cal.working_days_between(since, ctx.today)
        return (f"；自 {since} 起阻塞 {n} 个工作日，满 {limit} 个工作日升级" if lang == "zh"
                else f"; blocked since {since}, {n} of the {limit} working days that escalate it")
    return ""


def _level_and_days(rule, rec, ctx: rules.Context, flag, lang: str) -> str:
    """Escalated: the level up the reporting line and the day the next is reached; due soon with
    rules.due_soon_offsets: the days its reminder mail goes (the cell shows the whole window)."""
    zh = lang == "zh"
    if rule.code == "escalated" and flag and ctx.thresholds.escalation_levels > 1:
        clock = deadlines.escalation_clock(rec, ctx)
        days = deadlines.level_days(clock[1], ctx) if clock else []
        top, level = len(days), flag.level
        if level >= top:
            return f"；第{level}级（共{top}级），已是最高一级" if zh else f"; level {level} of {top}, the highest"
        nxt = days[level].isoformat()
        return (f"；第{level}级（共{top}级），{nxt} 升至第{level + 1}级" if zh
                else f"; level {level} of {top}, level {level + 1} on {nxt}")
    due, offsets = rec.role(Role.DUE), ctx.thresholds.due_soon_offsets
    if rule.code != "due_soon" or not offsets or due is None or rec.done:
        return ""
    day = due.date() if isinstance(due, datetime) else due
    dates = "、".join(d.isoformat() for d in deadlines.reminder_days(day, ctx))
    before = ("、" if zh else ", ").join(map(str, offsets))
    today = ("今天不发提醒邮件；" if zh else "no reminder mail today; ") if flag and not flag.remind else ""
    return (f"；{today}提醒邮件只在到期前 {before} 个工作日发出（{dates}）" if zh
            else f"; {today}the reminder mail goes {before} working days before only ({dates.replace('、', ', ')})")


def _shown_value(rec, role, lang: str) -> str:
    value = rec.role(role)
    column = rec.kind.by_role[role]
    if column.choices and isinstance(value, str):
        try:
            return column.choice(value).label(lang)
        except KeyError:
            pass
    return _show(value, lang)


def _show(value, lang: str = "en") -> str:
    if value is None:
        return TEXT[lang]["blank"]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
