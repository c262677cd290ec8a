"""Who hears about what: flagged rows in, notices per recipient out. Pure: no files, no mail.

The check job produces flags per row; this module turns them into
- digests: one per person named on a flag (owner, receiver, responder, recorder, …),
- escalations: escalated rows to the owner's department head, the RACI Accountable person of
  the task, and for blocked rows the head of the department whose help is needed; the
  initiators are copied; each item carries why it reached that reader (`Item.why`),
- urgent alerts: unanswered incidents and blocked rows of high priority, to the responsible
  person and their department head,
- the problems report for the clerks: data problems and unreadable workbooks.
Nobody is dropped here for want of an address: every notice is made, and the outbox
(jobs/notify/outbox.py) asks the notice's channel whether it can reach the person; the channel
says why not, and the problems report lists it. The ledger (jobs/notify/ledger.py) drops what
was already told.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from duban.jobs.notify import upline
from duban.jobs.rules import Flag
from duban.workbooks.model.directory import Directory, Person
from duban.workbooks.model.flags import FLAGS
from duban.workbooks.model.problems import Problem
from duban.workbooks.model.records import Record, WorkbookRead
from duban.workbooks.model.schema import Choice, Role

NOT_MAILED = {"done", "escalated"}     # done is no news; escalations have their own mail


@dataclass(frozen=True)
class Item:
    """One flag on one row, with what a reader of the mail needs to find the row."""

    key: str                 # the row's ID, or workbook!row while it has none in the file
    workbook: str
    sheet: str
    row: int
    kind: str
    title: str
    project: str | None
    rule: str
    rank: int
    zh: str
    en: str
    deadline: date | datetime | None
    people: tuple[str, ...]
    details: tuple[Problem, ...] = ()
    # what a reader needs besides the flag, taken from the row (mailer/render.py shows them)
    book_lang: str = "zh"                        # the workbook's language: next steps quote its headers
    headers: tuple[tuple[str, str], ...] = ()    # (column key, header as the workbook writes it)
    due: date | datetime | None = None           # the row's own deadline (a blocked item shows it too)
    owner: str = ""                              # the owner's name(s), for escalations
    status: Choice | None = None
    last_update: date | datetime | None = None   # 反馈时间
    started: date | datetime | None = None       # when the clock started: occurred, submitted, held at
    meeting: str = ""                            # minutes: the meeting (its action rows are one item)
    cause: str = ""                              # escalated: "overdue" or "blocked"
    note: str = ""                               # the row's own words on where it stands (完成情况简述 …)
    help_from: str = ""                          # the department asked to help (需协助部门), as filled in
    why: tuple[tuple[str, str], ...] = ()        # escalated: (role, department) that brought it to this reader
    level: int = 1                               # escalated: the level up the reporting line (Flag.level)
    still_open: str = ""                          # a quiet digest's row: "open" (one line), "last" (its last reminder)

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def header(self, column) -> str:
        """`column` (a schema Column) as the workbook heads it: its own header text, else the
        template's in the workbook's language. A mail in any language quotes this, the cell its
        reader will look for."""
        own = dict(self.headers).get(column.key)
        return own or column.header(self.book_lang if self.book_lang in ("zh", "en") else "zh")

    @property
    def deadline_key(self) -> str:
        return self.deadline.isoformat() if self.deadline is not None else ""


@dataclass
class Notice:
    """One message to be, as data: its recipient, what it is about, whom to copy, when it may go.

    The outbox (jobs/notify/outbox.py) checks it against the ledger, renders it for its channel
    and queues it. Notices about items are told once per the ledger's rules for their kind; one
    about no single item is told once a day (`once="day"`: the problems report) or once ever
    (`"ever"`: a period's summary) per recipient and `topics[0]`, or, `once=""`, as often as its
    `key` is new (serve's notices)."""

    kind: str                # digest, escalation, alert, problems, summary, notice
    recipient: Person
    items: list[Item] = field(default_factory=list)
    cc: list[Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    extra: list[Problem] = field(default_factory=list)       # the problems report: people, mail, notices
    urgent: bool = False     # goes at once, also outside office hours
    once: str = "items"      # items | day | ever | "" (see above)
    topics: tuple[str, ...] = ()      # what the ledger notes besides items
    key: str = ""            # the queue key, when not made from the items
    content: dict | None = None       # what the renderer says besides items: a summary's view, a serve problem
    attachments: tuple[tuple[str, bytes, str], ...] = ()     # (content id, PNG, file name)
    channel: str = "mail"
    # A group bot's notice (channel "group"): the group it goes to (an [im.groups] name), its
    # recipient the group itself (`group_recipient`), and who the message @-mentions.
    group: str = ""
    mentions: list[Person] = field(default_factory=list)
    # a stand-in's notice (presence.py): the absent person it is for (in cc too; until their away_until)
    on_behalf: Person | None = None

    @property
    def lang(self) -> str:
        return self.recipient.lang if self.recipient.lang in ("zh", "en") else "zh"


def group_recipient(group: str, lang: str) -> Person:
    """The recipient of a group's notices: the group, named "#<group>" so that the ledger keeps
    what a group was told apart from what a person of the same name was told."""
    return Person(f"#{group}", None, None, False, None, lang)


@dataclass(frozen=True)
class Named:
    """A name a notice is for, as first named: where (the workbook or setting), and whether the
    directory lists them. The channel says from it why it cannot reach them."""

    person: Person
    context: str
    listed: bool


@dataclass
class Plan:
    notices: list[Notice] = field(default_factory=list)
    named: dict[str, Named] = field(default_factory=dict)     # everyone the notices are for or copy

    def of_kind(self, kind: str) -> list[Notice]:
        return [n for n in self.notices if n.kind == kind]


@dataclass(frozen=True)
class Source:
    """A checked workbook as routing needs it (decoupled from the check job's result type)."""

    relpath: str
    read: WorkbookRead
    flags: dict[int, list[Flag]]
    provisional: frozenset[int] = frozenset()   # rows whose new ID did not reach the file
    refused: tuple[str, str] | None = None      # why the check's write into it was refused (zh, en)
    pairs: tuple | None = None      # items_of(...) as taken during a streamed check, whose records are gone


# ---- items -------------------------------------------------------------------------------
def items_of(source: Source) -> list[tuple[Record, Item]]:
    """Every flag of every row as an Item (done flags included; callers choose); not a due-soon flag
    on a day rules.due_soon_offsets leaves out (Flag.remind): the cell shows it, no mail does."""
    if source.pairs is not None:
        return list(source.pairs)
    read = source.read
    if read.kind is None:
        return []
    problems: dict[int, list[Problem]] = {}
    for problem in read.problems:
        if problem.row is not None and problem.scope == "row":
            problems.setdefault(problem.row, []).append(problem)
    out = []
    headers, lang = tuple(read.headers.items()), read.lang or "zh"    # one tuple for the workbook's items (memory)
    for rec in read.records:
        for flag in (found for found in source.flags.get(rec.row, ()) if found.remind):
            key = rec.id if rec.id and rec.row not in source.provisional else f"{source.relpath}!{rec.row}"
            due = rec.role(Role.DUE)
            out.append((rec, Item(
                key, source.relpath, read.sheet, rec.row, read.kind.key, _text(rec.role(Role.TITLE)),
                _text(rec.role(Role.PROJECT)) or None, flag.rule, flag.rank, flag.zh, flag.en, flag.deadline,
                flag.people, tuple(problems.get(rec.row, ())) if flag.rule == "data_problem" else (),
                book_lang=lang, headers=headers, due=due, owner=_text(rec.role(Role.OWNER)), status=rec.status,
                last_update=rec.role(Role.LAST_UPDATE),
                started=rec.role(Role.OCCURRED) or rec.role(Role.SUBMITTED) or rec.role(Role.HELD_AT),
                meeting=_text(rec["meeting"]) if flag.rule == "minutes_late" else "",
                cause=("overdue" if flag.deadline == due else "blocked") if flag.rule == "escalated" else "",
                note=_text(rec.role(Role.NOTE)), help_from=_text(rec.role(Role.HELP_FROM)), level=flag.level)))
    return out


def _text(value) -> str:
    if isinstance(value, tuple):
        return "、".join(value)
    return "" if value is None else str(value)


# ---- routing -----------------------------------------------------------------------------------
class Router:
    """Looks people up and notes, once per name, where each was first named."""

    def __init__(self, directory: Directory):
        self.directory = directory
        self.named: dict[str, Named] = {}

    def person(self, name: str | None, context: str) -> Person | None:
        """The person called `name` (one the directory does not list: a person with no address),
        noted with `context`, the workbook or setting that named them. Whether a channel can reach
        them is the channel's to say (jobs/notify/channels.py), so nobody is dropped here."""
        if not name:
            return None
        listed = self.directory.people.get(name)
        person = listed or Person(name, None, None, False, None, "zh")
        self.named.setdefault(name, Named(person, context, listed is not None))
        return person

    def heads_of(self, department: str | None) -> list[Person]:
        if not department:
            return []
        return [p for p in self.directory.heads(department) if p.email]

    def department_of(self, name: str | None) -> str | None:
        person = self.directory.people.get(name or "")
        return person.department if person else None


def plan(sources: list[Source], directory: Directory, clerks: list[str], presence=None) -> Plan:
    """Digests, escalations and the problems report (the daily `duban remind`). `presence`
    (jobs/notify/presence.Presence, today's): snoozed rows and reminder modes shape the digests,
    and an away person's digests and escalations go to their stand-in; None: as if nobody were."""
    router = Router(directory)
    pairs = [pair for source in sources for pair in items_of(source)]
    raci = Raci.from_sources(sources)
    result = Plan()
    result.notices += _digests(pairs, router, presence)
    result.notices += _escalations(pairs, router, raci)
    if presence is not None:
        result.notices = presence.redirect(result.notices, router)
    result.notices += _problem_reports(sources, router, clerks)
    result.named = router.named
    return result


def plan_alerts(sources: list[Source], directory: Directory, presence=None) -> Plan:
    """Urgent alerts (the every-few-minutes `duban alert`): no snooze or reminder mode holds one
    back; an away person's go to their stand-in (`presence`, as in `plan`)."""
    router = Router(directory)
    by_person: dict[str, Notice] = {}
    for rec, item in (pair for source in sources for pair in items_of(source)):
        if not is_urgent(rec, item):
            continue
        names = list(item.people)
        for name in item.people:
            names += [h.name for h in router.heads_of(router.department_of(name))]
        if not item.people:
            names += [h.name for h in router.heads_of(_department(rec))]
        for name in dict.fromkeys(names):
            if person := router.person(name, item.workbook):
                by_person.setdefault(name, Notice("alert", person, urgent=True)).items.append(item)
    notices = list(by_person.values())
    if presence is not None:
        notices = presence.redirect(notices, router)
    return Plan(notices, router.named)


def is_urgent(rec: Record, item: Item) -> bool:
    """Mailed at once: as the flag type declares (workbooks.model.flags, `urgency`)."""
    return item.rule in FLAGS and FLAGS[item.rule].alerts(rec)


def _department(rec: Record) -> str | None:
    value = rec.role(Role.DEPARTMENT)
    return value[0] if isinstance(value, tuple) and value else value


def _digests(pairs, router: Router, presence=None) -> list[Notice]:
    """A digest per person named on a flag: no snoozed row; their reminder mode says which go today."""
    by_person: dict[str, Notice] = {}
    for rec, item in pairs:
        if item.rule in NOT_MAILED or presence is not None and presence.snoozed(rec):
            continue
        for name in item.people:
            if presence is not None and not presence.mails(name, rec, router):
                continue
            if person := router.person(name, item.workbook):
                by_person.setdefault(name, Notice("digest", person)).items.append(item)
    for notice in by_person.values():
        notice.items.sort(key=lambda i: (i.rank, i.workbook, i.row))
    return list(by_person.values())


def _escalations(pairs, router: Router, raci: "Raci") -> list[Notice]:
    by_person: dict[str, Notice] = {}
    for rec, item in pairs:
        if item.rule != "escalated":
            continue
        initiators = names(rec.role(Role.INITIATOR))
        for name, why in escalation_roles(rec, router, raci, item.level).items():
            if person := router.person(name, item.workbook):
                notice = by_person.setdefault(name, Notice("escalation", person))
                notice.items.append(replace(item, why=why))
                for cc in initiators:
                    if cc != name and (copied := router.person(cc, item.workbook)) and copied not in notice.cc:
                        notice.cc.append(copied)
    return list(by_person.values())


def escalation_targets(rec: Record, router: Router, raci: "Raci", level: int = 1) -> list[str]:
    """Whom an escalated row goes to, by name: the head of the owner's department (else of the
    row's department), the RACI Accountable, and for help needed the head of that department;
    from `level` 2 the managers above that head (jobs/notify/upline.py); never the owner.
    jobs/notify/escalation.py asks the same to tell when it reaches nobody."""
    return list(escalation_roles(rec, router, raci, level))


def escalation_roles(rec: Record, router: Router, raci: "Raci", level: int = 1) -> dict[str, tuple[tuple[str, str], ...]]:
    """escalation_targets, each with why: ("department", its name) for the head of the item's
    department, ("help", its name) for the head of the department asked to help (需协助部门),
    ("accountable", "") for the RACI Accountable, and ("manager", whose) for each 直属上级 up the
    line to `level` (upline.Step.why). The mail tells each reader their part."""
    owner = _first(rec.role(Role.OWNER))
    found: dict[str, list[tuple[str, str]]] = {}
    department = owner_department(rec, router)
    for head in router.heads_of(department):
        found.setdefault(head.name, []).append(("department", department or ""))
    for name in raci.accountable(rec):
        found.setdefault(name, []).append(("accountable", ""))
    help_from = _first(rec.role(Role.HELP_FROM))
    for head in router.heads_of(help_from):
        found.setdefault(head.name, []).append(("help", help_from or ""))
    for step in upline.climb(router.directory, department, level).steps:
        found.setdefault(step.person, []).append(step.why)
    return {name: tuple(dict.fromkeys(why)) for name, why in found.items() if name != owner}


def owner_department(rec: Record, router: Router) -> str | None:
    """The department an escalation of `rec` goes up in: the owner's, else the row's own."""
    return router.department_of(_first(rec.role(Role.OWNER))) or _department(rec)


def _problem_reports(sources: list[Source], router: Router, clerks: list[str]) -> list[Notice]:
    problems = [Problem("write-refused", s.relpath, params={"reason": {"zh": s.refused[0], "en": s.refused[1]}})
                for s in sources if s.refused]
    problems += [p for s in sources for p in s.read.problems if p.severity != "note"]
    notices = []
    for name in clerks:
        if person := router.person(name, "duban.toml [mail] clerks"):
            notices.append(Notice("problems", person, problems=problems, once="day", topics=("problems",)))
    return notices


def _first(value) -> str | None:
    if isinstance(value, tuple):
        return value[0] if value else None
    return value


def names(value) -> list[str]:
    """A cell's names as a list (one name, several, or none)."""
    if value is None:
        return []
    return list(value) if isinstance(value, tuple) else [value]


# ---- RACI ------------------------------------------------------------------------------------
@dataclass
class Raci:
    """Accountable people by (project, task title) and by task title alone, from RACI workbooks."""

    by_task: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    by_title: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_sources(cls, sources: list[Source]) -> "Raci":
        return cls.from_reads([source.read for source in sources])

    @classmethod
    def from_reads(cls, reads: list[WorkbookRead]) -> "Raci":
        raci = cls()
        for read in reads:
            if read.kind is None or read.kind.key != "raci":
                continue
            for rec in read.records:
                title, project = norm(rec.role(Role.TITLE)), norm(rec.role(Role.PROJECT))
                accountable = names(rec.role(Role.ACCOUNTABLE))
                if title and accountable:
                    raci.by_task.setdefault((project, title), []).extend(accountable)
                    raci.by_title.setdefault(title, []).extend(accountable)
        return raci

    def accountable(self, rec: Record) -> list[str]:
        title, project = norm(rec.role(Role.TITLE)), norm(rec.role(Role.PROJECT))
        if not title:
            return []
        return self.by_task.get((project, title)) or self.by_title.get(title, [])


def norm(value) -> str:
    """A project or task title as compared: without spaces, case-folded."""
    return "".join(_text(value).split()).casefold()
