"""The work calendar and the clock's zone as the settings define them (time itself knows no settings)."""
from __future__ import annotations

from datetime import datetime

from duban.jobs.settings.limits import EXAMPLE_COUNTRIES, known_country
from duban.jobs.settings.typed import Settings
from duban.jobs.time.workcal import WorkCalendar
from duban.workbooks.model.errors import ConfigError


def from_settings(settings: Settings) -> WorkCalendar:
    """[company]'s calendar, zone, office hours and language; a ConfigError naming the key when one is bad."""
    company = settings.company
    try:
        opens, closes = (datetime.strptime(t, "%H:%M").time() for t in company.office_hours)
    except (ValueError, TypeError):
        raise ConfigError(f"duban.toml: company.office_hours should be two times like [\"09:00\", \"18:00\"], "
                          f"found {list(company.office_hours)!r}.") from None
    if opens >= closes:
        raise ConfigError("duban.toml: company.office_hours must open before it closes, e.g. [\"09:00\", \"18:00\"].")
    if not known_country(company.calendar):
        raise ConfigError(f"duban.toml: 'company.calendar' should be a country code such as {EXAMPLE_COUNTRIES}, "
                          f"like \"CN\"; found {company.calendar!r}, an unknown country.")
    return WorkCalendar(company.calendar, company.tz, opens, closes, lang=company.language)
