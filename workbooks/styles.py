"""openpyxl fills and fonts for the palette colours (flags.PALETTE), shared by the templates."""
from __future__ import annotations

from openpyxl.styles import Font, PatternFill

from .flags import PALETTE


def fill(colour: str) -> PatternFill:
    """The fill for a palette colour. Solid: fg = bg, so cells and conditional formats agree;
    hatched: lines in the font colour over the fill colour."""
    c = PALETTE[colour]
    lines = c.fill if c.pattern == "solid" else c.font
    return PatternFill(patternType=c.pattern, fgColor=lines, bgColor=c.fill)


def font(colour: str, bold: bool = False) -> Font:
    return Font(color=PALETTE[colour].font, bold=bold)
