"""The rules' thresholds as the workbooks state them (the Guide sheet, a cell's input prompt).

The help texts of flags, columns and kinds say "{due_soon}个工作日内到期" / "Due within
{due_soon_days}."; `fill_in` puts a folder's configured values in (duban.toml [rules], handed
down by the jobs as plain values: the workbooks never read the settings), the shipped defaults
when none are given. Chinese placeholders are bare numbers; English ones carry their unit, in
the singular for 1 ("1 working day").
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

WEEKDAYS_ZH = {"monday": "周一", "tuesday": "周二", "wednesday": "周三", "thursday": "周四", "friday": "周五",
               "saturday": "周六", "sunday": "周日"}


@dataclass(frozen=True)
class Thresholds:
    """The values of duban.toml [rules] that the workbooks' own words mention (defaults as shipped)."""

    due_soon_working_days: int = 2
    escalate_working_days: int = 3
    ack_working_hours: float = 2
    first_plan_hours: float = 24
    incident_response_minutes: float = 10
    incident_report_hours: float = 24
    minutes_hours: float = 2
    stale_weekday: str = "friday"
    stale_time: str = "17:00"
    customer_cadence_days: Mapping[str, int] = field(default_factory=lambda: {"strategic": 7, "key": 14, "regular": 30})
    tier_thresholds: Mapping[str, float] = field(default_factory=lambda: {"strategic": 500, "key": 100})

    def words(self, lang: str) -> dict[str, str]:
        """The placeholders of the help texts, for `lang`."""
        cadence, tiers = self.customer_cadence_days, self.tier_thresholds
        numbers = {"due_soon": _n(self.due_soon_working_days), "escalate": _n(self.escalate_working_days),
                   "ack": _n(self.ack_working_hours), "first_plan": _n(self.first_plan_hours),
                   "response": _n(self.incident_response_minutes), "report": _n(self.incident_report_hours),
                   "minutes": _n(self.minutes_hours), "stale_time": self.stale_time,
                   "strategic_days": _n(cadence.get("strategic", 7)), "key_days": _n(cadence.get("key", 14)),
                   "regular_days": _n(cadence.get("regular", 30)),
                   "strategic_at": _n(tiers.get("strategic", 500)), "key_at": _n(tiers.get("key", 100))}
        weekday = self.stale_weekday.lower()
        if lang == "zh":
            return {**numbers, "stale_day": WEEKDAYS_ZH.get(weekday, weekday)}
        return {**numbers, "stale_day": weekday.capitalize(),
                "due_soon_days": _en(self.due_soon_working_days, "working day"),
                "escalate_days": _en(self.escalate_working_days, "working day"),
                "ack_hours": _en(self.ack_working_hours, "working hour"),
                "ack_plain_hours": _en(self.ack_working_hours, "hour"),
                "first_plan_hours": _en(self.first_plan_hours, "hour"),
                "response_minutes": _en(self.incident_response_minutes, "minute"),
                "report_hours": _en(self.incident_report_hours, "hour"),
                "minutes_hours": _en(self.minutes_hours, "hour"),
                "strategic_at_m": f"{tiers.get('strategic', 500) / 100:g}M", "key_at_m": f"{tiers.get('key', 100) / 100:g}M",
                "key_at_m_bare": f"{tiers.get('key', 100) / 100:g}"}


DEFAULT = Thresholds()


def fill_in(text: str, lang: str, thresholds: Thresholds | None = None) -> str:
    """`text` with the thresholds' values in its placeholders (the defaults without `thresholds`)."""
    if "{" not in text:
        return text
    return text.format_map((thresholds or DEFAULT).words(lang))


def _n(value: float) -> str:
    return f"{value:g}"


def _en(value: float, unit: str) -> str:
    return f"{value:g} {unit}" + ("" if value == 1 else "s")
