"""Rendering the weekly and monthly reports (summary.html.j2 / summary.txt.j2).

The report's content arrives as a view of plain, already-worded values (jobs/summary/view.py
builds it in the reader's language); this module escapes, lays it out and names the chart's
Content-ID. Every value is `plain`ed (bidi and control characters), and the HTML template
autoescapes, as for the other mail.
"""
from __future__ import annotations

from duban.mailer.message import plain
from duban.mailer.render import ENV, Rendered

CHART_CID = "trend-chart@duban"


def _clean(value):
    if isinstance(value, str):
        return plain(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def render_summary(view: dict, lang: str) -> Rendered:
    """Subject, HTML and text of one report view."""
    context = _clean({k: v for k, v in view.items() if k != "chart"})
    context.update(lang=lang, cid=CHART_CID, L={"brand": context["brand"], "hello": "{name}", "footer": context["footer"]},
                   name=context["hello"])
    html = ENV.get_template("summary.html.j2").render(**context)
    text = ENV.get_template("summary.txt.j2").render(**context)
    return Rendered(plain(view["subject"]).strip(), html, text)
