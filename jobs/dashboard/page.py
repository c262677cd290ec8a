"""The dashboard's data drawn as one self-contained HTML file: opens from a share with no server and no network.

Everything the page needs is inside it: the vendored Apache ECharts build, the styles, the script and the
data as JSON. A Content-Security-Policy allows no network at all and runs only the two scripts whose hashes
it names, so even a cell that slipped into markup could not run or fetch anything; the script itself
puts strings into the page only as text (textContent, or ECharts data drawn on a canvas).
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from duban.jobs.dashboard.data import embed
from duban.jobs.dashboard.words import words

ENV = Environment(loader=PackageLoader("duban.jobs.dashboard", "templates"),
                  autoescape=select_autoescape(["html", "html.j2"]), keep_trailing_newline=True)


@lru_cache(maxsize=None)
def _asset(folder: str, name: str) -> str:
    """A file shipped with the package (the ECharts build, the page's CSS and script), read once per process."""
    return resources.files("duban.jobs.dashboard").joinpath(folder, name).read_text(encoding="utf-8")


def echarts_source() -> str:
    """The vendored ECharts build, checked to hold nothing that could end its inline script early."""
    text = _asset("vendor", "echarts.min.js")
    if "</script" in text.lower() or "<!--" in text:
        raise ValueError("the vendored ECharts build cannot be inlined: it contains </script or <!--")
    return text


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def policy(scripts: list[str], styles: list[str]) -> str:
    """No network at all (default-src 'none'); only these inline scripts and styles, by hash; images only
    from data: (ECharts' own save-as-image), no base URL, no form, no plugin."""
    return ("default-src 'none'; script-src " + " ".join(_hash(s) for s in scripts)
            + "; style-src " + " ".join(_hash(s) for s in styles)
            + "; img-src data:; base-uri 'none'; form-action 'none'; object-src 'none'")


def render_page(data: dict) -> str:
    """The whole page for one dashboard data object (schema: the data's version 1)."""
    echarts = echarts_source()
    script = _asset("templates", "dashboard.js")
    css = _asset("templates", "dashboard.css")
    w = words(data.get("lang", "zh"))
    words_json = json.dumps(w, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return ENV.get_template("dashboard.html.j2").render(
        w=w, csp=policy([echarts, script], [css]), css=Markup(css), echarts=Markup(echarts), script=Markup(script),
        data_json=Markup(embed(data)), words_json=Markup(words_json))
