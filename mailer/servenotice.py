"""serve's notices to its admins as mail text: the problem in the reader's language, the folder, and
where to see what ran (jobs/serve/selfalert.py finds the problems)."""
from __future__ import annotations

from html import escape
from pathlib import Path

from duban.mailer.render import Rendered
from duban.workbooks.share.commandline import folder_arg


def render_notice(name: str, zh: str, en: str, lang: str, folder: Path) -> Rendered:
    """Subject, HTML and text of one serve notice to `name`."""
    chinese = lang != "en"
    subject = (f"【督办】服务需要处理：{zh}" if chinese else f"[duban] serve needs attention: {en}")[:180]
    body = zh if chinese else en
    more = (f"文件夹：{folder}\n查看运行状态：duban status {folder_arg(folder)}\n同一问题每天最多提醒一次。" if chinese else
            f"Folder: {folder}\nSee what ran: duban status {folder_arg(folder)}\nThe same problem is mailed at most "
            f"once a day.")
    text = f"{name}{'，您好：' if chinese else ','}\n\n{body}\n\n{more}\n"
    html = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.strip().split("\n\n"))
    return Rendered(subject, html, text, 1)
