"""Escalations that reach nobody: said in the row, and told to the clerks.

The escalated rule is pure and says "已升级" (escalated) when a row has been overdue or blocked
long enough; whom it goes to is decided by routing (`notify.escalation_targets`). When the
owner's department has no head in the directory (or none with an email), the escalation would
go nowhere while the row claimed it had gone up. The check asks the same routing here, before
it writes the Alerts cells: a row whose escalation reaches nobody says so instead of "已升级",
and each department without a head is a problem for the clerks naming the rows held up.
Up the reporting line (rules.escalation_levels > 1) likewise: a row due for level 3 whose line
ends at level 2 (a 直属上级 missing, or a circle A → B → A in the directory) says the level it
reached and why, and each such gap is a problem naming the people and the rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from duban.jobs.notify.channels import CHANNELS
from duban.jobs.notify.router import Raci, Router, escalation_targets, owner_department
from duban.jobs.notify.upline import Gap, climb
from duban.jobs.rules import Flag
from duban.workbooks.model.directory import Directory
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import WorkbookRead
from duban.workbooks.model.schema import Role

# how the escalated rule ends its texts (from level 2 with the level: "，已升级至第2级")
CLAIM = {"zh": re.compile(r"，已升级(至第\d+级)?$"), "en": re.compile(r": escalated( to level \d+)?$")}
SHORT = {   # the line ended before the row's level: the level reached, and why
    "no-manager": ("{claim}；通讯录中{name}没有直属上级", "{claim}; {name} has no manager in the directory"),
    "manager-cycle": ("{claim}；通讯录中的直属上级构成循环：{loop}",
                      "{claim}; the directory's managers go round in a circle: {loop}"),
}
UNSENT = {
    "no-head": ("{base}，应升级，但通讯录中没有{department}的部门负责人，升级提醒未发出",
                "{base}: due for escalation, but the directory has no head of {department}, so none was sent"),
    "own-head": ("{base}，应升级，但负责人本人就是{department}的部门负责人，通讯录中没有可再往上升级的人，升级提醒未发出",
                 "{base}: due for escalation, but the owner is the head of {department} and nobody above is on file, "
                 "so none was sent"),
    "no-department": ("{base}，应升级，但不知道负责人所在的部门，升级提醒未发出",
                      "{base}: due for escalation, but the owner's department is not known, so none was sent"),
    "no-directory": ("{base}，应升级，但文件夹中没有通讯录，升级提醒未发出",
                     "{base}: due for escalation, but the folder has no directory, so none was sent"),
    "no-address": ("{base}，应升级，但接收人在通讯录中没有可用的邮箱，升级提醒未发出",
                   "{base}: due for escalation, but nobody it goes to has a usable email in the directory, "
                   "so none was sent"),
}


@dataclass
class Reach:
    """Who escalations can reach in this run: the directory and the RACI tables of the folder."""

    directory: Directory
    raci: Raci

    @classmethod
    def of(cls, reads: list[WorkbookRead]) -> "Reach":
        return cls(Directory.from_reads(reads), Raci.from_reads(reads))

    def review(self, read: WorkbookRead, flags: dict[int, list[Flag]]) -> list[Problem]:
        """Reword each escalated flag of `read` that reaches nobody (in `flags`, in place), and
        return a no-department-head problem per department whose head an escalation lacked."""
        router = Router(self.directory)
        lacking: dict[str, list[int]] = {}
        gaps: dict[tuple, tuple[Gap, list[int]]] = {}   # one problem per person (or circle), its lowest level
        answers: dict[tuple, tuple[str | None, str | None]] = {}   # many rows share one routing question
        for rec in read.records:
            found = flags.get(rec.row)
            flag = next((f for f in found or () if f.rule == "escalated"), None)
            if flag is None:
                continue
            key = (*_routing_key(rec, self.raci), flag.level)
            if key not in answers:
                department = owner_department(rec, router)
                answers[key] = (department, self._unsent(rec, router, department, flag.level))
            department, why = answers[key]
            if department and not router.heads_of(department) and self.directory:
                lacking.setdefault(department, []).append(rec.row)
            line = climb(self.directory, department, flag.level)
            for gap in line.gaps:
                first, rows = gaps.setdefault((gap.kind, gap.people), (gap, []))
                rows.append(rec.row)
                if gap.level < first.level:
                    gaps[(gap.kind, gap.people)] = (gap, rows)
            if why or line.reached < flag.level:
                flags[rec.row] = [self._said(f, why, department, line) if f.rule == "escalated" else f for f in found]
        return ([_problem(read, department, rows) for department, rows in lacking.items()]
                + [_gap_problem(read, gap, rows) for gap, rows in gaps.values()])

    def reword(self, rec, flag: Flag, router: Router | None = None) -> Flag:
        """`flag` as the row should say it: an escalated flag whose escalation reaches nobody
        says why instead of "已升级"; every other flag as it is (`duban explain` asks this too)."""
        if flag.rule != "escalated":
            return flag
        router = router or Router(self.directory)
        department = owner_department(rec, router)
        return self._said(flag, self._unsent(rec, router, department, flag.level), department,
                          climb(self.directory, department, flag.level))

    @staticmethod
    def _said(flag: Flag, why: str | None, department: str | None, line) -> Flag:
        if why:
            return _reworded(flag, why, department)
        if line.reached >= flag.level or not line.gaps:
            return flag
        gap = line.gaps[0]
        claims = {"zh": ("已升级" if line.reached == 1 else f"已升级至第{line.reached}级"),
                  "en": ("escalated" if line.reached == 1 else f"escalated to level {line.reached}")}
        zh, en = SHORT[gap.kind]
        said = {lang: text.format(claim=claims[lang], name=gap.people[0], loop=gap.loop)
                for lang, text in (("zh", zh), ("en", en))}
        return replace(flag, zh=CLAIM["zh"].sub("，" + said["zh"], flag.zh),
                       en=CLAIM["en"].sub(": " + said["en"], flag.en))

    def _unsent(self, rec, router: Router, department: str | None, level: int = 1) -> str | None:
        """Why the row's escalation reaches nobody, or None when someone gets it."""
        targets = escalation_targets(rec, router, self.raci, level)
        if any(_addressable(self.directory, name) for name in targets):
            return None
        if not self.directory:
            return "no-directory"
        if targets:
            return "no-address"
        if department and router.heads_of(department):
            return "own-head"
        return "no-head" if department else "no-department"


def _routing_key(rec, raci: Raci) -> tuple:
    """What the escalation routing of `rec` depends on: its owner, its department, whom it
    asks for help and the RACI Accountable of its task (escalation_targets, owner_department)."""
    return (_key(rec.role(Role.OWNER)), _key(rec.role(Role.DEPARTMENT)), _key(rec.role(Role.HELP_FROM)),
            tuple(raci.accountable(rec)))


def _key(value) -> object:
    return tuple(value) if isinstance(value, list) else value


def _addressable(directory: Directory, name: str) -> bool:
    """Some channel can reach the person (each channel says how it addresses people)."""
    person = directory.people.get(name)
    return bool(person) and any(channel.address(person) for channel in CHANNELS.values())


def _reworded(flag: Flag, why: str, department: str | None) -> Flag:
    zh, en = UNSENT[why]
    return replace(flag, zh=zh.format(base=CLAIM["zh"].sub("", flag.zh), department=department),
                   en=en.format(base=CLAIM["en"].sub("", flag.en), department=department))


def _problem(read: WorkbookRead, department: str, rows: list[int]) -> Problem:
    shown = rows[:10]
    more = {"zh": f"等{len(rows)}行" if len(rows) > len(shown) else "行",
            "en": f" and {len(rows) - len(shown)} more" if len(rows) > len(shown) else ""}
    return Problem("no-department-head", str(read.path), read.sheet, params={
        "department": department,
        "rows": {"zh": "第" + "、".join(map(str, shown)) + more["zh"],
                 "en": ("row " if len(rows) == 1 else "rows ") + ", ".join(map(str, shown)) + more["en"]}})


def _gap_problem(read: WorkbookRead, gap: Gap, rows: list[int]) -> Problem:
    """A line up the directory that ended before the rows' level: who lacks a 直属上级, or the circle."""
    problem = _problem(read, "", rows)
    return Problem(gap.kind, problem.file, problem.sheet, value=gap.people[0], params={
        "rows": problem.params["rows"], "level": gap.level, "reached": gap.level - 1, "loop": gap.loop})
