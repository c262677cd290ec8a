"""openpyxl fills and fonts for the palette colours, shared by the templates.

A palette maps a colour name (red, amber, …) to its `Colour`: the folder's configured one (duban.toml
[colours], handed down by the jobs) or flags.PALETTE, as shipped."""
from __future__ import annotations

from collections.abc import Mapping

from openpyxl.styles import Font, PatternFill

from duban.workbooks.model.flags import PALETTE, Colour

# Every cell of a duban workbook names its font. 微软雅黑 (Microsoft YaHei) is installed with
# every Windows since Vista and with WPS, so every Chinese office has it, and it covers Latin
# text too; an xlsx names one font per style (no fallback list such as 等线, YaHei), and a
# style without a name (or Excel's theme font, Calibri/等线) is drawn by LibreOffice and WPS
# in whatever serif they substitute. Excel and WPS know it by this name and by "Microsoft YaHei".
FONT_NAME = "微软雅黑"
FONT_SIZE = 10
# charset 134 (GB2312) and family 2 (sans) are what Chinese Excel writes beside this name


def fill(colour: str, palette: Mapping[str, Colour] | None = None) -> PatternFill:
    """The fill for a palette colour. Solid: fg = bg, so cells and conditional formats agree;
    hatched: lines in the font colour over the fill colour."""
    c = (palette or PALETTE)[colour]
    lines = c.fill if c.pattern == "solid" else c.font
    return PatternFill(patternType=c.pattern, fgColor=lines, bgColor=c.fill)


def font(colour: str | None = None, bold: bool = False, named: bool = True, size: float | None = None,
         palette: Mapping[str, Colour] | None = None) -> Font:
    """A cell font: duban's font, optionally in a palette colour. `named=False` for conditional
    formats, which change the colour only (Excel's own rules never set a font name)."""
    colour_rgb = (palette or PALETTE)[colour].font if colour else None
    if not named:
        return Font(color=colour_rgb, bold=bold)
    return Font(name=FONT_NAME, sz=size or FONT_SIZE, family=2, charset=134, color=colour_rgb, bold=bold)
