"""Flag colours: the fill patterns duban.toml's [colours] may name, and the palette by name."""
from __future__ import annotations

from typing import TYPE_CHECKING

from duban.workbooks.model.flags import Colour

if TYPE_CHECKING:
    from duban.jobs.settings.typed import Settings

PATTERNS = {"solid", "lightUp", "lightDown", "lightGrid", "lightTrellis", "darkUp", "darkDown", "gray125", "gray0625"}


def palette(settings: Settings) -> dict[str, Colour]:
    """The configured colours by palette name (red, amber, …), checked when the settings were loaded."""
    return settings.colours.by_name()
