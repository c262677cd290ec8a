"""A missed run as serve records it: fields (how many slots, the first and last of them, the run
that caught them up or the grace they were older than), said in the reader's language only when
shown (`duban status`, serve's log). Rows written before the fields were kept hold the English
sentence instead; `from_sentence` reads those back into the same fields.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime

# the sentence older versions stored as the run's error (and `status --json` still shows)
SENTENCE = re.compile(r"missed (?P<count>\d+) scheduled run\(s\) \((?P<first>[\d-]+ [\d:]+)(?: to (?P<last>[\d-]+ [\d:]+))?\) "
                      r"while serve was not running; (?:caught up by the run of (?P<run>[\d-]+ [\d:]+)|"
                      r"older than serve\.catch_up_hours \((?P<hours>[\d.]+) h\): not run)")

TEXT = {
    "zh": {"missed": "错过 {n} 次计划运行（{span}），当时后台服务未运行；", "caught_up": "已由 {run} 的运行补上",
           "too_old": "超过 serve.catch_up_hours（{hours} 小时），未补运行", "span": "{first} 至 {last}"},
    "en": {"missed": "missed {n} scheduled {runs} ({span}) while serve was not running; ",
           "caught_up": "caught up by the run of {run}", "too_old": "older than serve.catch_up_hours ({hours} h): not run",
           "span": "{first} to {last}"},
}


def _minute(moment: datetime | None) -> str | None:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else None


@dataclass(frozen=True)
class Missed:
    count: int
    first: str                  # company time, "2026-11-20 09:00"
    last: str | None = None     # the last missed slot, when more than one
    run: str | None = None      # the run that caught them up, or None (too old: not run)
    hours: float | None = None  # serve.catch_up_hours, when too old

    @classmethod
    def of(cls, count: int, first: datetime, last: datetime | None, run: datetime | None,
           hours: float) -> Missed:
        return cls(count, _minute(first), _minute(last) if last and last != first else None, _minute(run),
                   None if run else hours)

    @classmethod
    def from_json(cls, data: dict) -> Missed:
        return cls(int(data["count"]), data["first"], data.get("last"), data.get("run"), data.get("hours"))

    @classmethod
    def from_sentence(cls, text: str | None) -> Missed | None:
        """The fields of an old row's sentence; None for any other error."""
        found = SENTENCE.fullmatch(text or "")
        if not found:
            return None
        return cls(int(found["count"]), found["first"], found["last"], found["run"],
                   float(found["hours"]) if found["hours"] else None)

    def as_json(self) -> dict:
        return asdict(self)

    def text(self, lang: str) -> str:
        """For people: zh, or English with "1 scheduled run" / "3 scheduled runs"."""
        return self._said("zh" if lang == "zh" else "en", "run" if self.count == 1 else "runs")

    def sentence(self) -> str:
        """The English sentence `status --json` has always given as the run's error."""
        return self._said("en", "run(s)")

    def _said(self, lang: str, runs: str) -> str:
        t = TEXT[lang]
        span = t["span"].format(first=self.first, last=self.last) if self.last else self.first
        tail = t["caught_up"].format(run=self.run) if self.run else t["too_old"].format(hours=f"{self.hours:g}")
        return t["missed"].format(n=self.count, span=span, runs=runs) + tail
