"""What `duban explain` says about who hears of a row today: its snooze, its owner's reminder mode,
an away owner's stand-in, and an away person its escalation goes to (see presence.py for the rules).
Sentences in both languages, each saying what happens instead and what stays as it is."""
from __future__ import annotations

from duban.jobs.notify.presence import Presence, snoozed_until
from duban.jobs.notify.router import Raci, Router, escalation_targets, names, owner_department
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Role

TEXT = {
    "zh": {
        "snoozed": "{label} {until}：此前本行不出现在每日摘要中（个人和部门群的），{until} 当天重新出现；截止日期、颜色、升级和紧急提醒都不变。",
        "snooze_over": "{label} {until}：已到期，本行重新出现在每日摘要中。",
        "weekly": "负责人 {name} 的提醒方式为“每周”：每日摘要只在每周第一个工作日（本周为 {day}）发邮件；升级和紧急提醒照常发送。",
        "group_in": "负责人 {name} 的提醒方式为“仅群消息”：本行列在部门群「{group}」的日报中，不再发邮件给本人；升级和紧急提醒照常发送。",
        "group_out": "负责人 {name} 的提醒方式为“仅群消息”，但本行不在其部门群「{group}」的日报中，仍发邮件给本人。",
        "group_none": "负责人 {name} 的提醒方式为“仅群消息”，但其部门“{department}”在 duban.toml 的 [im.departments] 中没有群，每日摘要仍发邮件。",
        "away": "负责人 {name} 休假至 {until}：本行的每日摘要和紧急提醒发给代理人 {hearer}，抄送 {name}。",
        "away_broken": "负责人 {name} 休假至 {until}，但提醒仍发给本人：{why}",
        "head_away": "升级提醒的接收人 {name} 休假至 {until}：本行的升级提醒改发代理人 {hearer}，抄送 {name}。",
    },
    "en": {
        "snoozed": "{label} {until}: the row stays out of the daily digests (people's and groups') until then and is "
                   "back on {until}; its due date, colour, escalation and urgent alerts do not change.",
        "snooze_over": "{label} {until}: reached; the row is back in the daily digests.",
        "weekly": "The owner {name} takes reminders weekly: the digest is mailed on the first working day of the week "
                  "only (this week {day}); escalations and urgent alerts still go.",
        "group_in": "The owner {name} takes reminders by group only: this row is in the group {group}'s daily digest, "
                    "so it is not mailed to them; escalations and urgent alerts still go.",
        "group_out": "The owner {name} takes reminders by group only, but this row is not in their group {group}'s "
                     "daily digest, so it is still mailed to them.",
        "group_none": "The owner {name} takes reminders by group only, but their department \"{department}\" has no "
                      "group in [im.departments] of duban.toml, so the daily digest still goes by mail.",
        "away": "The owner {name} is away until {until}: this row's digests and urgent alerts go to the stand-in "
                "{hearer}, with {name} in cc.",
        "away_broken": "The owner {name} is away until {until}, but reminders still go to them: {why}",
        "head_away": "{name}, whom this row's escalation goes to, is away until {until}: it goes to the stand-in "
                     "{hearer} instead, with {name} in cc.",
    },
}


def lines(rec: Record, presence: Presence, raci: Raci, lang: str) -> list[str]:
    """The sentences for `rec` (none when nothing of this applies)."""
    t = TEXT[lang if lang in TEXT else "zh"]
    said = []
    until = snoozed_until(rec)
    if until is not None:
        label = rec.kind.by_role[Role.SNOOZED].header(lang)
        said.append(t["snoozed" if presence.snoozed(rec) else "snooze_over"].format(label=label, until=until))
    router = Router(presence.directory)
    for name in names(rec.role(Role.OWNER)):
        said += _owner(rec, name, presence, router, t, lang)
    for name in escalation_targets(rec, router, raci):
        got = presence.standing(name)
        if got.delegated:
            said.append(t["head_away"].format(name=name, until=presence.directory.people[name].away_until,
                                              hearer=got.hearer))
    return said


def _owner(rec: Record, name: str, presence: Presence, router: Router, t: dict, lang: str) -> list[str]:
    person = presence.directory.people.get(name)
    if person is None:
        return []
    said = []
    if person.reminders == "weekly":
        said.append(t["weekly"].format(name=name, day=presence.weekly_day()))
    elif person.reminders == "group":
        group = presence.own_group(name)
        if group is None:
            said.append(t["group_none"].format(name=name, department=person.department or "—"))
        else:
            listed = presence.group_of(owner_department(rec, router) or "") == group
            said.append(t["group_in" if listed else "group_out"].format(name=name, group=group))
    if person.away(presence.today):
        got = presence.standing(name)
        if got.delegated:
            said.append(t["away"].format(name=name, until=person.away_until, hearer=got.hearer))
        else:
            why = presence.broken(got)
            said.append(t["away_broken"].format(name=name, until=person.away_until, why=why.text(lang)))
    return said
