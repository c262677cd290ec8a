"""What a person typed in a reply, as one command: done, progress, acknowledge, snooze, help or a note.

People answer on their phones: full-width digits, colons, percent signs and spaces, a full stop or
an emoji at the end, `Done` or `DONE`. The first non-empty line is read after folding those away
(NFKC, case); only a line that is a command as a whole becomes one ("完成了" is done, "完成度很低"
is not), and what is clearly meant as a command but cannot be done ("进度 120%", "暂缓至 13-45")
is `Unknown`, which says why and lists the commands, so the answer mail can. Everything else is a
note: appending a note destroys nothing, so when in doubt the reply is kept as the person's words.
A note keeps the person's own characters (a folded "，" would read as ","), on one line.

The date of today is passed in, never read: a date without a year is the next such day on or after it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

NOTE_CHARS = 500
DEPARTMENT_CHARS = 30
QUOTE_CHARS = 40                 # how much of the person's line an Unknown repeats

Kind = Literal["done", "progress", "acknowledge", "snooze", "help", "note"]

DONE = frozenset({"已完成", "完成", "完成了", "已完成了", "已办结", "办结", "done", "finished", "completed",
                  "complete"})
ACKNOWLEDGE = frozenset({"已收到", "收到", "收到了", "已接收", "确认收到", "已响应", "ack", "acknowledged",
                         "acknowledge", "received", "responded"})

_SPACE = re.compile(r"\s+")
_PROGRESS = re.compile(r"(?:进度|完成度|progress)\s*(?:[:=]|为|是|到)?\s*(?P<rest>.*)", re.I)
_PERCENT = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*%?")
_BARE_PERCENT = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*%")
_REMARK = re.compile(r"(?<=[\d%])\s*[(\[【].*$")     # after NFKC, （ is ( and 【 stays
_SNOOZE = re.compile(r"(?:暂缓|snooze)\s*(?:[:=]|至|到|直到|until|till|to)?\s*(?P<rest>.*)", re.I)
_HELP = re.compile(r"(?:需要协助|需协助|需要帮助|求助)\s*(?:[:=]|部门)?\s*(?P<rest>.*)"
                   r"|(?:help|blocked)(?:\s*:\s*|\s+)(?:(?:from|by|needed from)\s+)?(?P<en>.*)|(?:help|blocked)", re.I)
_HELP_AFTER = re.compile(r"需要?(?P<rest>.{1,%d}?)协助" % DEPARTMENT_CHARS)
_DEPARTMENT_END = re.compile(r"[,;.!?，；。！？、]")
_YMD = re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?")
_MD = re.compile(r"(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?")
_NAME_D = re.compile(r"(?P<name>[a-z]{3,9})\.?\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s*,?\s*(?P<y>\d{4}))?", re.I)
_D_NAME = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*(?P<name>[a-z]{3,9})\.?(?:\s*,?\s*(?P<y>\d{4}))?", re.I)
_MONTHS = {name: i for i, names in enumerate(
    [(), ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")]) for name in names}
_SIGNATURE = re.compile(r"^(?:--|发自我的|来自我的|sent from my|get outlook for)", re.I)

HINT = {
    "zh": "可以回复的指令：已完成；进度 75%；已收到；暂缓至 12-10；需协助 财务部；其他文字会作为备注记入该事项。",
    "en": "Commands you can reply with: done; progress 75%; received; snooze until 12-10; help Finance; "
          "any other text is added to the item as a note.",
}


@dataclass(frozen=True)
class Command:
    """One change a reply asks for; `value` is None (done, acknowledge), an int 0–100 (progress), a date
    (snooze), a department's name (help) or the note's text (note)."""

    kind: Kind
    value: int | date | str | None = None

    def describe(self, lang: str = "zh", item_kind: str | None = None) -> str:
        """What will be written, for the confirmation mail; `item_kind` ("requests", "incidents") names
        the column an acknowledgement fills."""
        en = lang == "en"
        if self.kind == "done":
            return "Status set to Done." if en else "状态改为“已完成”。"
        if self.kind == "progress":
            return f"Progress set to {self.value}%." if en else f"进度改为{self.value}%。"
        if self.kind == "acknowledge":
            return _acknowledged(en, item_kind)
        if self.kind == "snooze":
            day = self.value.isoformat() if isinstance(self.value, date) else ""
            return (f"Snoozed until {day}: the item leaves your digest until then; its due date, colour and "
                    "escalation do not change." if en else
                    f"暂缓至{day}：在此之前该事项不出现在您的待办摘要中；截止日期、颜色和升级不变。")
        if self.kind == "help":
            return (f"Status set to Blocked, help needed from {self.value}." if en else
                    f"状态改为“阻塞”，需协助部门填写“{self.value}”。")
        return (f"Added to the note column, with the date and your name: {self.value}" if en else
                f"在备注列追加（附日期和您的姓名）：{self.value}")


def _acknowledged(en: bool, item_kind: str | None) -> str:
    if item_kind == "incidents":
        return "Responded time filled in with the time of your reply." if en else "响应时间填写为您回复的时间。"
    if item_kind == "requests":
        return ("Acknowledged time filled in with the time of your reply." if en else
                "确认接收时间填写为您回复的时间。")
    return "Marked as received, at the time of your reply." if en else "记录为已收到（您回复的时间）。"


@dataclass(frozen=True)
class Unknown:
    """A reply that is no command duban can carry out: a stable `code`, and what to tell the person in
    both languages (why, then the commands that exist)."""

    code: str
    zh: str
    en: str

    def sentence(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


def _unknown(code: str, zh: str, en: str) -> Unknown:
    return Unknown(code, f"{zh}{HINT['zh']}", f"{en} {HINT['en']}")


def parse(text: str, today: date) -> Command | Unknown:
    """The command in a reply's own text (quoted text already removed); never raises."""
    lines = _body_lines(text)
    if not lines:
        return _unknown("empty", "回复中没有文字。", "The reply has no text.")
    line = _fold(lines[0])
    found = _command(line, today)
    if found is not None:
        return found
    return Command("note", _SPACE.sub(" ", " ".join(lines)).strip()[:NOTE_CHARS].rstrip())


def _body_lines(text: str) -> list[str]:
    """The reply's non-empty lines, cleaned, up to a signature ("-- ", "发自我的iPhone", "Sent from my phone")."""
    kept: list[str] = []
    for raw in str(text).splitlines():
        line = _clean(raw)
        if kept and _SIGNATURE.match(line):
            break
        if line:
            kept.append(line)
        if sum(map(len, kept)) > NOTE_CHARS:        # enough for the longest note
            break
    return kept


def _clean(line: str) -> str:
    """A line without control, format (zero-width, bidi) or unpaired surrogate characters, trimmed:
    they are invisible to the writer, and a workbook's XML cannot hold some of them."""
    kept = "".join(" " if unicodedata.category(c) == "Cc" else "" if _invisible(c) else c for c in line)
    return _SPACE.sub(" ", kept).strip()


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Cf", "Cs") or char in "\ufffe\uffff"


def _fold(line: str) -> str:
    """Full-width to half-width, one space, no punctuation or emoji at either end (but a trailing %)."""
    folded = _SPACE.sub(" ", unicodedata.normalize("NFKC", line)).strip()
    return _trim(folded)


def _trim(text: str) -> str:
    """Without punctuation, symbols or spaces at the ends; a leading "-" stays (-5 is not 5)."""
    start, end = 0, len(text)
    while start < end and _edge(text[start]) and text[start] not in "-+":
        start += 1
    while end > start and _edge(text[end - 1]) and text[end - 1] != "%":
        end -= 1
    return text[start:end].strip()


def _edge(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PS"


def _command(line: str, today: date) -> Command | Unknown | None:
    """The command this folded line is, an Unknown when it is meant as one but cannot be, else None."""
    word = line.casefold()
    if word in DONE:
        return Command("done")
    if word in ACKNOWLEDGE:
        return Command("acknowledge")
    if m := _PROGRESS.fullmatch(line):
        return _progress(line, m["rest"])
    if m := _BARE_PERCENT.fullmatch(line):
        return _progress(line, m[0])
    if m := _SNOOZE.fullmatch(line):
        return _snooze(m["rest"], today)
    if m := _HELP.fullmatch(line):
        return _help(m["rest"] if m["rest"] is not None else m["en"])
    if m := _HELP_AFTER.fullmatch(line):
        return _help(m["rest"])
    return None


def _progress(line: str, rest: str) -> Command | Unknown | None:
    """进度 75% -> 75; a number outside 0–100 is Unknown; 进度很好 (no number) is a note. A remark in
    brackets after the number (进度 75%（王芳代回）, progress 75% (on it)) is the writer's aside."""
    m = _PERCENT.fullmatch(_trim(_REMARK.sub("", rest)))
    if m is None:
        if rest and not rest[0].isdigit() and not rest.startswith("-"):
            return None
        return _unknown("bad-progress", f"进度请写0到100之间的数，例如：进度 75%。您写的是“{_quote(line)}”。",
                        f"Progress must be a number from 0 to 100, e.g. progress 75%. You wrote \"{_quote(line)}\".")
    number = float(m["n"])
    if not 0 <= number <= 100:
        return _unknown("bad-progress", f"进度应在0到100之间，您写的是{_quote(m['n'])}。",
                        f"Progress must be between 0 and 100; you wrote {_quote(m['n'])}.")
    return Command("progress", int(number + 0.5))


def _snooze(rest: str, today: date) -> Command | Unknown:
    """暂缓至 12-10: the next 10 December on or after today; in the past or over a year away: Unknown."""
    text = _trim(rest)
    day = _date(text, today)
    if day is None:
        said = f"“{_quote(text)}”不是日期。" if text else "没有写暂缓到哪一天。"
        said_en = f"\"{_quote(text)}\" is not a date." if text else "The reply does not say until when."
        return _unknown("bad-date", f"{said}请写成：暂缓至 12-10 或 暂缓至 {today.year + 1}-01-15。",
                        f"{said_en} Write it as: snooze until 12-10, or snooze until {today.year + 1}-01-15.")
    if day < today:
        return _unknown("past-date", f"{day.isoformat()}已经过去，暂缓日期须是今天或以后。",
                        f"{day.isoformat()} has passed; a snooze must end today or later.")
    limit = _year_after(today)
    if day > limit:
        return _unknown("far-date", f"{day.isoformat()}超过一年，暂缓最多到{limit.isoformat()}。",
                        f"{day.isoformat()} is more than a year away; a snooze can last until {limit.isoformat()}.")
    return Command("snooze", day)


def _date(text: str, today: date) -> date | None:
    """2026-12-10, 2026年12月10日, 12-10, 12/10, 12月10日, Dec 10, 10 December; month before day."""
    if m := _YMD.fullmatch(text):
        return _day(int(m["y"]), int(m["m"]), int(m["d"]))
    if m := _MD.fullmatch(text):
        return _next(int(m["m"]), int(m["d"]), today)
    for pattern in (_NAME_D, _D_NAME):
        if (m := pattern.fullmatch(text)) and (month := _MONTHS.get(m["name"].lower())):
            return _day(int(m["y"]), month, int(m["d"])) if m["y"] else _next(month, int(m["d"]), today)
    return None


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next(month: int, day: int, today: date) -> date | None:
    """The next month-day on or after today (a 29 February may be years away: the caller refuses it)."""
    for year in range(today.year, today.year + 5):
        found = _day(year, month, day)
        if found is not None and found >= today:
            return found
    return None


def _year_after(today: date) -> date:
    """The same day a year on (from 29 February, the 28th); past year 9999, the last date there is."""
    return _day(today.year + 1, today.month, today.day) or _day(today.year + 1, today.month, 28) or date.max


def _help(rest: str | None) -> Command | Unknown | None:
    """需协助 财务部 -> help from 财务部 (up to the first comma); no department: Unknown; a long
    sentence after "help" is a note, not a department."""
    department = _trim(_DEPARTMENT_END.split(rest, maxsplit=1)[0]) if rest else ""
    if not department:
        return _unknown("no-department", "请写上需要哪个部门协助，例如：需协助 财务部。",
                        "Say which department you need help from, e.g. help Finance.")
    if len(department) > DEPARTMENT_CHARS:
        return None
    return Command("help", department)


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"
