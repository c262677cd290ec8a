"""Flag colours from duban.toml [colours], checked, as `Colour` objects by palette name."""
from __future__ import annotations

import re

from duban.workbooks.model.flags import PALETTE, Colour

from duban.workbooks.model.errors import ConfigError

_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")
PATTERNS = {"solid", "lightUp", "lightDown", "lightGrid", "lightTrellis", "darkUp", "darkDown", "gray125", "gray0625"}


def palette(settings: dict) -> dict[str, Colour]:
    colours = {}
    for name, default in PALETTE.items():
        given = settings.get("colours", {}).get(name, {})
        fill, font = given.get("fill", default.fill), given.get("font", default.font)
        pattern = given.get("pattern", default.pattern)
        for key, value in (("fill", fill), ("font", font)):
            if not isinstance(value, str) or not _HEX.match(value.lstrip("#")):
                raise ConfigError(f"duban.toml: colours.{name}.{key} should be six hex digits like "
                                  f"\"{getattr(default, key)}\", found {value!r}.")
        if pattern not in PATTERNS:
            raise ConfigError(f"duban.toml: colours.{name}.pattern should be one of {', '.join(sorted(PATTERNS))}, "
                              f"found {pattern!r}.")
        colours[name] = Colour(fill.lstrip("#").upper(), font.lstrip("#").upper(), pattern, name)
    return colours
