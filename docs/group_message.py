"""Regenerate docs/group-message.png: the demo's department digest as a WeCom group shows it.

The demo folder gets two department groups (WeCom bots) in duban.toml whose webhook variables are
left unset, so `duban remind` queues each group's digest and the lane is held, and nothing leaves
the machine; the queued digest shaped for WeCom (exactly what would be posted) is drawn as a chat bubble
in a page like WeCom's and photographed by headless Chromium. Needs `chromium` and a CJK font.

Usage: python docs/group_message.py
"""
from __future__ import annotations

import html
import re
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
GROUPS = '''
[im.departments]
"研发部" = "研发群"
"市场部" = "市场群"

[im.groups."研发群"]
platform = "wecom"
webhook_env = "DUBAN_DOCS_UNSET_RD_URL"

[im.groups."市场群"]
platform = "wecom"
webhook_env = "DUBAN_DOCS_UNSET_MARKET_URL"
'''
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #f3f4f6; font: 15px/1.6 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }}
.bar {{ background: #fff; border-bottom: 1px solid #ddd; padding: 12px 20px; font-size: 16px; font-weight: 600; }}
.row {{ display: flex; padding: 18px 20px; }}
.avatar {{ width: 40px; height: 40px; border-radius: 6px; background: #2b7de9; color: #fff; font-weight: 700;
          display: flex; align-items: center; justify-content: center; flex: none; margin-right: 12px; }}
.who {{ color: #888; font-size: 13px; margin-bottom: 4px; }}
.bot {{ background: #e8f0fd; color: #2b7de9; border-radius: 3px; padding: 0 4px; margin-left: 4px; font-size: 12px; }}
.bubble {{ background: #fff; border-radius: 6px; padding: 12px 16px; max-width: 820px; box-shadow: 0 1px 2px #0001; }}
.bubble p {{ margin: 0 0 6px; }} .bubble b {{ font-size: 16px; }}
.at {{ color: #2b7de9; }} .info {{ color: #2ba245; }} .comment {{ color: #888; }} .warning {{ color: #f08c00; }}
.quote {{ border-left: 3px solid #ddd; padding-left: 8px; color: #666; }} a {{ color: #2b7de9; text-decoration: none; }}
</style></head><body><div class="bar">{group}</div><div class="row"><div class="avatar">督</div><div>
<div class="who">督办 duban<span class="bot">机器人</span> · {time}</div><div class="bubble">{body}</div></div></div>
</body></html>"""


def duban(*args: str) -> None:
    subprocess.run([sys.executable, "-c", "from duban.jobs.cli import main; main()", *args],
                   cwd=HERE.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def markdown_html(text: str) -> str:
    """WeCom's markdown subset as the client shows it: bold, font colours, links, quotes, <@userid>."""
    lines = []
    for line in html.escape(text, quote=False).splitlines():
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        line = re.sub(r'&lt;font color="(info|comment|warning)"&gt;(.*?)&lt;/font&gt;', r'<span class="\1">\2</span>',
                      line)
        line = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', line)
        line = re.sub(r"&lt;@([^&\s]+)&gt;", r'<span class="at">@\1</span>', line)
        quoted = line.startswith("&gt; ")
        line = f'<span class="quote">{line[5:]}</span>' if quoted else line
        lines.append(f"<p>{line}</p>")
    return "\n".join(lines)


def queued_digests(db: Path) -> list[tuple[str, str]]:
    """(group, WeCom markdown) of every group digest the queue holds."""
    from duban.mailer.im.lane import Envelope, group_of
    from duban.mailer.queue import MailQueue

    found = []
    with MailQueue(db, read_only=True) as queue:
        for m in queue.entries():
            if group_of(m.channel) and m.kind == "digest":    # shaped as its WeCom bot posts it
                body = Envelope.unpack(queue.message(m.key)).bodies("wecom")[0]
                found.append((group_of(m.channel), body["markdown"]["content"]))
    return found


def main() -> None:
    demo = Path(tempfile.mkdtemp(prefix="duban-group-")) / "demo"
    duban("init", str(demo), "--demo")
    toml = demo / "duban.toml"
    text = toml.read_text(encoding="utf-8").replace('share_path = ""', "share_path = '\\\\fileserver\\督办'", 1)
    text = re.sub(r"^\[im\.departments\][^\n]*\n", "", text, flags=re.M)
    text = re.sub(r"^\[im\.groups\][^\n]*\n", "", text, flags=re.M)
    toml.write_text(text + GROUPS, encoding="utf-8")
    day = date.today()                   # the demo's rows are dated around today; a digest goes on a working day
    while day.weekday() >= 5:
        day += timedelta(days=1)
    duban("remind", str(demo), "--now", f"{day}T09:30")     # the groups' lanes hold: nothing is posted
    group, markdown = max(queued_digests(demo / ".duban" / "state.db"), key=lambda d: d[1].count("\n"))
    page = demo.parent / "group.html"
    page.write_text(PAGE.format(group=html.escape(group), time="09:30", body=markdown_html(markdown)),
                    encoding="utf-8")
    height = 130 + 30 * sum(1 + len(line) // 66 for line in markdown.splitlines())    # long lines wrap
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={HERE / 'group-message.png'}", f"--window-size=980,{height}", page.as_uri()],
                   check=True, capture_output=True)
    print(HERE / "group-message.png")


if __name__ == "__main__":
    main()
