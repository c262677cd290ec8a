"""The report's trend chart as a PNG (matplotlib, Agg backend: no display needed).

Chinese labels need a CJK font: `cjk_font()` looks for one on the machine (Noto Sans CJK,
Source Han Sans, WenQuanYi, Microsoft YaHei, SimHei, PingFang …; `.ci/run` installs
fonts-noto-cjk) and the job logs which one it used. Without one, the chart is drawn with the
default font and the log says that Chinese labels will show as boxes.
"""
from __future__ import annotations

import io
import logging
import math
from functools import cache

log = logging.getLogger("duban.summary")

PREFERRED = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Microsoft YaHei",
             "PingFang SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Noto Sans CJK JP",
             "Noto Sans CJK TC", "Source Han Sans", "Droid Sans Fallback", "AR PL UMing CN", "Noto Serif CJK SC")
COLOURS = {"created": "#8fb3d9", "completed": "#2e7d32", "open": "#1f4e79", "overdue": "#c00000", "rate": "#c55a11"}
WIDTH, HEIGHT, DPI = 6.4, 2.7, 150    # 960 x 405 pixels, shown 640 wide in the mail (sharp on HiDPI)


def _matplotlib():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return matplotlib, plt


@cache
def cjk_font() -> tuple[str | None, str | None]:
    """(family, file) of a font with Chinese glyphs found on this machine, or (None, None)."""
    _matplotlib()
    from matplotlib import font_manager
    fonts = font_manager.fontManager.ttflist
    by_name: dict[str, str] = {}
    for entry in fonts:
        by_name.setdefault(entry.name, entry.fname)
    for family in PREFERRED:
        if family in by_name:
            return family, by_name[family]
    for entry in fonts:     # any other font whose name says CJK / Chinese
        if any(word in entry.name for word in ("CJK", "Hei", "Song", "Kai", "Ming", "YaHei", "SC")):
            return entry.name, entry.fname
    return None, None


def font_note() -> str:
    family, path = cjk_font()
    if family:
        return f"chart font: {family} ({path})"
    return "chart font: no CJK font found (install fonts-noto-cjk); Chinese labels will show as boxes"


def trend_png(labels: list[str], bars: list[tuple[str, str, list]], lines: list[tuple[str, str, list]],
              title: str, rate: tuple[str, list] | None = None) -> bytes:
    """The chart (see `figure`) as PNG bytes."""
    matplotlib, _plt = _matplotlib()
    fig = figure(labels, bars, lines, title, rate)
    try:
        buffer = io.BytesIO()
        with matplotlib.rc_context(_style()):
            fig.savefig(buffer, format="png", facecolor="white")
        return buffer.getvalue()
    finally:
        fig.clear()


def _style() -> dict:
    family, _path = cjk_font()
    return {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "font.size": 8,
            "axes.unicode_minus": False}


def figure(labels: list[str], bars: list[tuple[str, str, list]], lines: list[tuple[str, str, list]],
           title: str, rate: tuple[str, list] | None = None):
    """A small trend chart: grouped bars (created, completed …), lines (open, overdue …) on the
    same count axis, and optionally a rate (0–1) as a dashed line on a right-hand percent axis.
    Series are (colour key, legend label, values); None values leave a gap. The caller leaves out
    charts of fewer than two periods and lines of a single value (jobs/summary/view.py `_chart`)."""
    matplotlib, plt = _matplotlib()
    with matplotlib.rc_context(_style()):
        from matplotlib.figure import Figure
        fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)     # no pyplot: nothing global to register or close
        ax = fig.subplots()
        x = list(range(len(labels)))
        width = 0.8 / max(len(bars), 1)
        for n, (colour, label, values) in enumerate(bars):
            offset = (n - (len(bars) - 1) / 2) * width
            ax.bar([i + offset for i in x], [_v(v, 0) for v in values], width * 0.92, label=label,
                   color=COLOURS.get(colour, colour), zorder=2)
        for colour, label, values in lines:
            ax.plot(x, [_v(v) for v in values], marker="o", markersize=3, linewidth=1.6, label=label,
                    color=COLOURS.get(colour, colour), zorder=3)
        ax.set_xticks(x, labels)
        ax.set_title(title, fontsize=10, loc="left", color="#1f1f1f")
        ax.grid(axis="y", color="#e5e5e5", zorder=0)
        ax.spines[["top", "right"]].set_visible(False)
        # counts: whole-number ticks, from 0, at least 0–1 (all-zero data would otherwise get 0.00–0.05)
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_ylim(0, max(ax.get_ylim()[1], 1))
        handles, names = ax.get_legend_handles_labels()
        if rate is not None:
            right = ax.twinx()
            right.plot(x, [_v(v) for v in rate[1]], linestyle="--", marker="s", markersize=3, linewidth=1.4,
                       color=COLOURS["rate"], label=rate[0], zorder=3)
            right.set_ylim(0, 1.05)
            right.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
            right.spines[["top"]].set_visible(False)
            h2, n2 = right.get_legend_handles_labels()
            handles, names = handles + h2, names + n2
        ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(names),
                  frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


def _v(value, missing=math.nan):
    return missing if value is None else value
