"""duban.toml as typed, frozen objects: one dataclass per table, made once from the checked dict.

The loader (`config.load`) checks every key against `defaults.toml` and `limits.LIMITS`, then calls
`Settings.from_dict`; nothing below the settings package reads a raw settings dict. Tests change a
value with `dataclasses.replace` (or by writing a duban.toml), never by editing a dict in place.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from duban.jobs.settings import jobs, secrets
from duban.jobs.time.clock import zone
from duban.workbooks.model.flags import PALETTE, Colour


@dataclass(frozen=True)
class Company:
    timezone: str = "Asia/Shanghai"
    calendar: str = "CN"
    office_hours: tuple[str, str] = ("09:00", "18:00")
    language: str = "zh"

    @property
    def tz(self) -> ZoneInfo:
        """The company's zone (a ConfigError naming company.timezone when it is not one)."""
        return zone(self.timezone)


@dataclass(frozen=True)
class Reader:
    header_scan_rows: int = 20
    max_unzipped_mb: float = 500
    max_grid_mb: float = 1000
    assume_year_window_days: int = 183
    plausible_years: int = 20


@dataclass(frozen=True)
class Rules:
    """The thresholds the rules, explain, the summary and the Guide sheet use."""

    due_soon_working_days: int = 2
    stale_weekday: str = "friday"
    stale_time: str = "17:00"
    ack_working_hours: float = 2
    first_plan_hours: float = 24
    incident_response_minutes: float = 10
    incident_report_hours: float = 24
    minutes_hours: float = 2
    escalate_working_days: int = 3
    # issue 20, settings only (no rule reads them yet): the days the due-soon reminder goes (working days
    # before the due date, largest first; () = every day of the window), escalation up the line (1 = the
    # department head only), the digest's "still open" section (0 = off) and the cap on unchanged reminders (0 = none)
    due_soon_offsets: tuple[int, ...] = ()
    escalation_levels: int = 1
    escalation_level_working_days: int = 2
    still_open_after_days: int = 0
    max_unchanged_reminders: int = 0
    # read-only by type (Mapping); plain dicts so that serve can hand the settings to its worker process
    customer_cadence_days: Mapping[str, int] = field(default_factory=lambda: {"strategic": 7, "key": 14, "regular": 30})
    tier_thresholds: Mapping[str, float] = field(default_factory=lambda: {"strategic": 500, "key": 100})


@dataclass(frozen=True)
class Palette:
    """The flag colours by palette name, as `Colour` objects (the template's status colours too)."""

    red: Colour = PALETTE["red"]
    orange: Colour = PALETTE["orange"]
    amber: Colour = PALETTE["amber"]
    purple: Colour = PALETTE["purple"]
    grey: Colour = PALETTE["grey"]
    green: Colour = PALETTE["green"]

    def by_name(self) -> dict[str, Colour]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class State:
    path: str = ".duban/state.db"
    backups: int = 10
    lock_wait_seconds: float = 600
    keep_mail_days: int = 90
    keep_events_days: int = 1825
    keep_runs_days: int = 90
    vacuum_days: int = 7


def _default_times() -> dict[str, str]:
    return {job.name: job.schedule for job in jobs.scheduled() if job.schedule is not None}


@dataclass(frozen=True)
class Schedule:
    """[schedule]: when serve runs each job, by the job's name. The jobs table (jobs/settings/jobs.py)
    lists the jobs, so a job added there is scheduled here by its name, with no field of its own;
    `settings.schedule.remind` reads one job's value."""

    times: Mapping[str, str] = field(default_factory=_default_times)

    def of(self, job: str, default: str) -> str:
        return self.times.get(job, default)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self.times:
            raise AttributeError(name)
        return self.times[name]


@dataclass(frozen=True)
class Serve:
    catch_up_hours: float = 12
    job_timeout_minutes: float = 30
    heartbeat_seconds: int = 60
    admins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dashboard:
    """[dashboard]: the page every check writes at the folder root (看板.html / dashboard.html)."""
    enabled: bool = True


@dataclass(frozen=True)
class Performance:
    """[performance]: how many processes share a check, and how much a folder's read cache may keep."""
    workers: int = 0            # 0: one per core of the machine
    cache_mb: int = 512         # the parsed records of unchanged workbooks kept in the state folder

    @property
    def processes(self) -> int:
        """The number of worker processes this machine gets (at least one)."""
        import os
        return self.workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                   else os.cpu_count() or 1)


@dataclass(frozen=True)
class Smtp:
    host: str = "127.0.0.1"
    port: int = 465
    security: str = "ssl"
    user: str = ""
    password_env: str = "DUBAN_SMTP_PASSWORD"
    timeout: float = 30
    data_timeout: float = 600


@dataclass(frozen=True)
class Mail:
    transport: str = "outbox"
    sender: str = "duban@example.com"
    sender_name: str = "督办助手"
    clerks: tuple[str, ...] = ()
    max_per_minute: int = 60
    give_up_days: float = 3
    escalation_repeat_working_days: int = 2
    hold_outside_office_hours: bool = True
    share_path: str = ""
    max_items: int = 50
    smtp: Smtp = field(default_factory=Smtp)


@dataclass(frozen=True)
class ImGroup:
    """One [im.groups.<name>] table: a group bot, its platform and the names of the variables that hold
    its webhook URL and signing secret (read by `webhook_url` and `secret` only when a message goes)."""

    name: str
    platform: str
    webhook_env: str
    secret_env: str = ""
    keyword: str = ""

    def webhook_url(self, environ: Mapping[str, str] | None = None) -> str:
        """The webhook URL, from the environment (or the keyring); a ConfigError naming the variable if unset."""
        return secrets.webhook_url(self.webhook_env, f"im.groups.{self.name}.webhook_env",
                                   (f"The webhook URL of the group {self.name}", f"群「{self.name}」的 webhook 地址"),
                                   environ)

    def secret(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The signing secret (加签), None when the group has none; a ConfigError naming the variable if unset."""
        if not self.secret_env:
            return None
        return secrets.read(self.secret_env, f"im.groups.{self.name}.secret_env",
                            (f"The signing secret of the group {self.name}", f"群「{self.name}」的加签密钥"), environ)


@dataclass(frozen=True)
class Im:
    """[im]: the group bots. No group (a mail-only installation): `groups` is empty and nothing is sent."""

    urgent_group: str = ""
    admins_group: str = ""
    urgent_repeat_minutes: float = 30
    departments: Mapping[str, str] = field(default_factory=dict)     # department -> group name
    groups: Mapping[str, ImGroup] = field(default_factory=dict)      # group name -> its bot

    def group(self, name: str) -> ImGroup | None:
        """The named group; None for "" (none configured)."""
        return self.groups.get(name) if name else None

    @property
    def urgent(self) -> ImGroup | None:
        return self.group(self.urgent_group)

    @property
    def admins(self) -> ImGroup | None:
        return self.group(self.admins_group)

    def of_department(self, department: str) -> ImGroup | None:
        """The department's group, None when [im.departments] gives it none."""
        return self.group(self.departments.get(department, ""))


@dataclass(frozen=True)
class Imap:
    """[reply.imap]: the mailbox replies are read from. The password is read by `password` when the
    inbox is opened, from the variable `password_env` names (or the keyring), never from duban.toml."""

    host: str = ""
    port: int = 993
    security: str = "ssl"
    user: str = ""
    password_env: str = ""
    folder: str = "INBOX"
    done_folder: str = "duban-handled"

    def password(self, environ: Mapping[str, str] | None = None) -> str:
        """The IMAP password; a ConfigError naming the variable when it is unset."""
        return secrets.read(self.password_env, "reply.imap.password_env",
                            (f"The IMAP password of {self.user}", f"{self.user} 的 IMAP 密码"), environ)


@dataclass(frozen=True)
class Reply:
    """[reply]: updating a row by replying to its mail. Off by default: a mail-only installation's mail
    carries no reply address and nothing reads a mailbox. On: the mails carry reply links
    (mailer/replylinks.py) and `duban inbox` (jobs/inbox/) reads the mailbox over IMAP."""

    enabled: bool = False
    address: str = ""
    plus_addressing: bool = True
    valid_days: int = 14
    imap: Imap = field(default_factory=Imap)


@dataclass(frozen=True)
class Settings:
    """One folder's duban.toml, checked, in types."""

    company: Company = field(default_factory=Company)
    reader: Reader = field(default_factory=Reader)
    rules: Rules = field(default_factory=Rules)
    colours: Palette = field(default_factory=Palette)
    state: State = field(default_factory=State)
    schedule: Schedule = field(default_factory=Schedule)
    serve: Serve = field(default_factory=Serve)
    summary: Summary = field(default_factory=Summary)
    mail: Mail = field(default_factory=Mail)
    im: Im = field(default_factory=Im)
    reply: Reply = field(default_factory=Reply)
    dashboard: Dashboard = field(default_factory=Dashboard)
    performance: Performance = field(default_factory=Performance)

    @property
    def lang(self) -> str:
        """The company's language, zh unless it is one duban speaks."""
        return self.company.language if self.company.language in ("zh", "en") else "zh"

    def changed(self, **tables: Mapping[str, Any]) -> Settings:
        """A copy with some values replaced, unchecked (tests and benchmarks: a rate no user may set):
        `settings.changed(mail={"max_per_minute": 100_000, "smtp": {"port": 2525}})`."""
        sections = {name: _replaced(getattr(self, name), values) for name, values in tables.items()}
        return replace(self, **sections)

    @classmethod
    def from_dict(cls, checked: Mapping[str, Any]) -> Settings:
        """From the loader's checked dict (every table present, every value within its limit)."""
        def table(name: str) -> Mapping[str, Any]:
            value = checked.get(name, {})
            return value if isinstance(value, Mapping) else {}

        rules = dict(table("rules"))
        rules["customer_cadence_days"] = dict(rules.get("customer_cadence_days", {}))
        rules["tier_thresholds"] = dict(rules.get("tier_thresholds", {}))
        mail = dict(table("mail"))
        mail["smtp"] = _section(Smtp, mail.get("smtp", {}))
        return cls(company=_section(Company, table("company")), reader=_section(Reader, table("reader")),
                   rules=_section(Rules, rules), colours=_palette(table("colours")),
                   state=_section(State, table("state")), schedule=Schedule({**_default_times(), **table("schedule")}),
                   serve=_section(Serve, table("serve")), summary=_section(Summary, table("summary")),
                   mail=_section(Mail, mail), im=_im(table("im")), reply=_reply(table("reply")),
                   dashboard=_section(Dashboard, table("dashboard")),
                   performance=_section(Performance, table("performance")))


def _replaced(section: Any, values: Mapping[str, Any]) -> Any:
    """`section` with `values` in place; a table for a nested section (mail.smtp) changes that section."""
    def value(key: str, new: Any) -> Any:
        if isinstance(new, Mapping) and is_dataclass(getattr(section, key)):
            return _replaced(getattr(section, key), new)
        return tuple(new) if isinstance(new, list) else dict(new) if isinstance(new, Mapping) else new
    return replace(section, **{k: value(k, v) for k, v in values.items()})


def _section(kind: Any, values: Mapping[str, Any]) -> Any:
    """`kind` from the keys it declares (lists become tuples, so the object stays frozen)."""
    known = {f.name for f in fields(kind)}
    return kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known})


def _im(table: Mapping[str, Any]) -> Im:
    groups = {name: ImGroup(name=name, **keys) for name, keys in table.get("groups", {}).items()}
    return _section(Im, {**table, "departments": dict(table.get("departments", {})), "groups": groups})


def _reply(table: Mapping[str, Any]) -> Reply:
    return _section(Reply, {**table, "imap": _section(Imap, table.get("imap", {}))})


def _palette(table: Mapping[str, Any]) -> Palette:
    colours = {}
    for name, default in Palette().by_name().items():
        given = table.get(name, {})
        fill, font = str(given.get("fill", default.fill)), str(given.get("font", default.font))
        colours[name] = Colour(fill.lstrip("#").upper(), font.lstrip("#").upper(),
                               str(given.get("pattern", default.pattern)), name)
    return Palette(**colours)
