"""What each group bot is told: the run's plan in, group notices out. Pure: no files, no mail.

The mail plan (jobs/notify/router.py) says what each person hears; a group hears the same news
gathered, once per group, never one message per row:
- the urgent group (`im.urgent_group`), from `duban alert`: every urgent item not yet told to it,
  with @ of the people who must respond and their department heads; and, when an item is still
  flagged `im.urgent_repeat_minutes` after the group's first alert was sent, once more with @ of the
  heads ("必达": the ladder mail -> group -> head, until the response cell is filled);
- each department's group (`im.departments`), from `duban remind`: one digest a day of the
  flagged rows whose owner's department (else the row's) maps to it; and the escalations that
  went to a head of that department, with @ of the head;
- each department's group, from `duban summary --week`: its department's report.
The outbox posts these like any notice: the ledger keeps them once per group (the recipient is
the pseudo-person "#<group>", router.group_recipient) and the queue keeps each group in its lane.
Nothing at all when no group is configured (a mail-only installation is unchanged).
"""
from __future__ import annotations

import difflib
from dataclasses import replace
from datetime import datetime, timedelta

from duban.jobs.notify import groupchannel
from duban.jobs.notify.presence import with_stand_ins
from duban.jobs.notify.router import (
    NOT_MAILED,
    Item,
    Notice,
    Plan,
    Router,
    Source,
    group_recipient,
    items_of,
    owner_department,
)
from duban.jobs.settings.config import CONFIG_NAME
from duban.mailer.im.platforms import PLATFORMS
from duban.workbooks.model.directory import Directory, Person
from duban.workbooks.model.problems import Problem

GROUP = groupchannel.GROUP.name    # the channel of a group's notices, named where it is declared
DIGEST_TOPIC = "group-digest"   # a department group's daily digest, told once a day
REPEAT = "repeat"               # content key: an urgent group told again (the ledger files it apart)


def told(item: Item) -> tuple[str, str, str]:
    """What the ledger tells once: an item, its rule and its deadline."""
    return item.key, item.rule, item.deadline_key


def _notice(kind: str, group: str, settings, **kw) -> Notice:
    return Notice(kind, group_recipient(group, settings.lang), channel=GROUP, group=group, **kw)


def _ranked(items) -> list[Item]:
    return sorted(items, key=lambda i: (i.rank, i.workbook, i.row))


def _person(directory: Directory, name: str) -> Person:
    """The directory's person (their @-mention IDs), else a bare name (no @)."""
    return directory.people.get(name) or Person(name, None, None, False, None, "zh")


def _heads(directory: Directory, names) -> list[Person]:
    """The department heads of the named people, in order, each once."""
    found: dict[str, Person] = {}
    for name in names:
        person = directory.people.get(name)
        if person is not None and person.department:
            found.update((h.name, h) for h in directory.heads(person.department))
    return list(found.values())


# ---- duban alert: the urgent group ------------------------------------------------------------------
def urgent(planned: Plan, directory: Directory, settings, now: datetime, ledger) -> list[Notice]:
    """The urgent group's alert (every urgent item of this run; the ledger keeps the new ones) and
    its repeat (items still flagged `urgent_repeat_minutes` after the alert that first told the group
    was sent, and not repeated yet). `planned` is router.plan_alerts' plan; `ledger` is read for
    whether each item was told to the group, and when that alert went."""
    group = settings.im.urgent
    if group is None:
        return []
    items: dict[tuple, Item] = {}
    mentioned: dict[tuple, dict[str, Person]] = {}
    for notice in planned.of_kind("alert"):
        for item in notice.items:
            items.setdefault(told(item), item)
            people = mentioned.setdefault(told(item), {})
            for person in [_person(directory, n) for n in item.people] + _heads(directory, item.people):
                people.setdefault(person.name, person)
            people.setdefault(notice.recipient.name, notice.recipient)     # a head (or stand-in) it went to
    recipient = group_recipient(group.name, settings.lang).name
    wait = timedelta(minutes=settings.im.urgent_repeat_minutes)
    new, due = [], []
    for item in items.values():     # an alert is told once ever: new items, or items told long enough ago
        if ledger.first_told(recipient, item, "alert") is None:
            new.append(item)
            continue
        since = ledger.first_sent(recipient, item, "alert")     # no repeat before the group saw the alert
        if since is not None and now - since >= wait and \
                ledger.first_told(recipient, item, f"alert-{REPEAT}") is None:
            due.append((item, since))
    notices = []
    if new:     # @ only the people of what is new
        notices.append(_notice("alert", group.name, settings, items=_ranked(new), urgent=True,
                               mentions=_union(mentioned[told(i)] for i in _ranked(new))))
    if due:     # @ the heads; with no head known, the responsible people again
        again = _ranked(i for i, _s in due)
        everyone = _union(mentioned[told(i)] for i in again)
        heads = with_stand_ins([p for p in everyone if p.head], directory, now.date())    # an away head's too
        minutes = int((now - min(s for _i, s in due)).total_seconds() // 60)
        notices.append(_notice("alert", group.name, settings, items=again, urgent=True,
                               mentions=heads or everyone,
                               content={REPEAT: True, "minutes": minutes}))     # its key: outbox.item_key
    return notices


def _union(groups) -> list[Person]:
    found: dict[str, Person] = {}
    for people in groups:
        for person in people.values():
            found.setdefault(person.name, person)
    return list(found.values())


# ---- duban remind: each department's group ----------------------------------------------------------
def daily(sources: list[Source], planned: Plan, directory: Directory, settings, presence=None) -> list[Notice]:
    """Each department group's digest of the day and its escalations (see module doc); `presence`
    (presence.Presence, today's) keeps snoozed rows out of the digests, as out of the people's."""
    if not settings.im.groups:
        return []
    return _digests(sources, directory, settings, presence) + _escalations(planned, directory, settings)


def _digests(sources: list[Source], directory: Directory, settings, presence=None) -> list[Notice]:
    """One digest per group: every flagged item (done, escalated and snoozed aside, as in the
    people's digests) of the rows whose owner's department, else the row's own, maps to the group."""
    router = Router(directory)
    by_group: dict[str, dict[tuple, Item]] = {}
    departments: dict[str, list[str]] = {}
    where: dict[str, dict[str, str]] = {}     # per group: "workbook!row" -> its department (a line says it)
    for source in sources:
        for rec, item in items_of(source):
            department = owner_department(rec, router)
            group = settings.im.of_department(department) if department else None
            if group is None or item.rule in NOT_MAILED or presence is not None and presence.snoozed(rec):
                continue
            by_group.setdefault(group.name, {}).setdefault(told(item), item)
            where.setdefault(group.name, {})[f"{item.workbook}!{item.row}"] = department
            if department not in departments.setdefault(group.name, []):
                departments[group.name].append(department)
    notices = []
    for name, items in by_group.items():
        content = {"departments": departments[name]}
        if len(departments[name]) == 1:
            content["department"] = departments[name][0]
        else:
            content["department_of"] = where[name]
        notices.append(_notice("digest", name, settings, items=_ranked(items.values()), once="day",
                               topics=(DIGEST_TOPIC,), content=content))
    return notices


def _escalations(planned: Plan, directory: Directory, settings) -> list[Notice]:
    """An escalation to a department head also goes to that head's department's group, with @ of
    the head (and of who stands in for an away head): one notice per group, each item once with why
    it reached each head."""
    by_group: dict[str, Notice] = {}
    for notice in planned.of_kind("escalation"):
        head = directory.people.get((notice.on_behalf or notice.recipient).name)
        group = settings.im.of_department(head.department) if head and head.head and head.department else None
        # only what reached them as that department's head: a row that climbed to them as someone's
        # manager (up the line) or as a RACI Accountable is another department's, not for this group
        items = [i for i in notice.items if any(role in ("department", "help") and where == head.department
                                                for role, where in i.why)] if group else []
        if not items:
            continue
        found = by_group.setdefault(group.name, _notice("escalation", group.name, settings))
        for person in (head, notice.recipient) if notice.on_behalf else (head,):
            if person.name not in {p.name for p in found.mentions}:
                found.mentions.append(person)
        known = {told(i): n for n, i in enumerate(found.items)}
        for item in items:
            if told(item) in known:
                same = found.items[known[told(item)]]
                found.items[known[told(item)]] = replace(same, why=tuple(dict.fromkeys(same.why + item.why)))
            else:
                known[told(item)] = len(found.items)
                found.items.append(item)
    for notice in by_group.values():
        notice.items[:] = _ranked(notice.items)
    return list(by_group.values())


# ---- duban summary --week: each department's group --------------------------------------------------
def weekly(departments: list[str], settings, topic) -> list[Notice]:
    """Each department's group one weekly report: a group that several departments map to gets one
    post with a line per department (content `names`), as it gets one digest a day, not one post a
    department. `topic(scope, name)` is the ledger topic the mail uses for a report; the group's is
    told once ever per group and set of departments (scope "group"). The content is filled by the
    summary job (jobs/summary/groupview.py)."""
    by_group: dict[str, list[str]] = {}
    for department in departments:
        group = settings.im.of_department(department) if department else None
        if group is not None:
            by_group.setdefault(group.name, []).append(department)
    notices = []
    for name, names in by_group.items():
        subject = topic("department", names[0]) if len(names) == 1 else topic("group", "+".join(names))
        recipient = group_recipient(name, settings.lang).name
        notices.append(_notice("summary", name, settings, once="ever", topics=(subject,),
                               key=f"summary:{recipient}:{subject}",
                               content={"scope": "department", "name": names[0], "names": names}))
    return notices


def shows_images(settings, group: str) -> bool:
    """Whether the group's platform shows a PNG in the group (WeCom does; the others cannot): the
    platform's limits give the image a size."""
    found = settings.im.group(group)
    module = PLATFORMS.get(found.platform) if found else None
    return module is not None and bool(module.LIMITS.image_bytes)


def unknown_departments(directory: Directory, settings) -> list[Problem]:
    """The departments of [im.departments] that the directory does not have ("市场" for 市场部): their
    line does nothing, so the clerks are told (with the likely name, as for a mistyped setting).
    Nothing while the directory lists no department at all (that is the directory's own problem)."""
    known = sorted(directory.departments)
    if not known:
        return []
    found = []
    for department, group in settings.im.departments.items():
        if department in known:
            continue
        like = difflib.get_close_matches(department, known, n=1, cutoff=0.75)   # 市场 -> 市场部, not 法务部 -> 财务部
        hint = {"zh": f"是不是 {like[0]}？", "en": f" Did you mean {like[0]}?"} if like else {"zh": "", "en": ""}
        found.append(Problem("im-department-unknown", CONFIG_NAME, value=department,
                             params={"group": group, "hint": hint}))
    return found
