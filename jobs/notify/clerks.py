"""Nobody to tell: the problems report goes to the names in `mail.clerks`, and an empty list (what
a plain `duban init` writes) sends it to no one, silently. Every command says so, on stderr and in
the company language, naming the file and the setting to edit, until someone is named: this module
says the sentence, the terminal prints it (jobs.terminal.mail.warn_no_clerks)."""
from __future__ import annotations

from pathlib import Path

from duban.jobs.settings.config import CONFIG_NAME
from duban.jobs.settings.typed import Settings
from duban.workbooks.share.commandline import folder_arg

TEXT = {
    "zh": {"unset": "注意：没有指定接收数据问题报告的文员（{path} 中 [mail] 下的 clerks 为空），数据问题、"
                    "无法送达的邮件和未写入的工作簿不会告诉任何人。请在该文件的 [mail] 下填写通讯录中的姓名，"
                    "例如 clerks = [\"王芳\"]。",
           "no_file": "注意：{folder} 中没有 duban.toml，没有指定接收数据问题报告的文员，数据问题不会告诉任何人。"
                      "请运行 duban init {arg} --config-only，再在 duban.toml 的 [mail] 下填写通讯录中的姓名，"
                      "例如 clerks = [\"王芳\"]。"},
    "en": {"unset": "Note: nobody is named to get the problems report ([mail] clerks is empty in {path}), so data "
                    "problems, undeliverable mail and workbooks not written reach no one. Under [mail] in that "
                    "file, name them as in the directory, e.g. clerks = [\"Wang Fang\"].",
           "no_file": "Note: {folder} has no duban.toml, so nobody is named to get the problems report and data "
                      "problems reach no one. Run 'duban init {arg} --config-only', then under [mail] in "
                      "duban.toml name them as in the directory, e.g. clerks = [\"Wang Fang\"]."},
}


def unset_warning(folder: Path, settings: Settings) -> str | None:
    """The sentence to show while `mail.clerks` is empty (None once someone is named)."""
    if settings.mail.clerks:
        return None
    text = TEXT.get(settings.company.language, TEXT["zh"])
    path = folder / CONFIG_NAME
    if path.exists():
        return text["unset"].format(path=path)
    return text["no_file"].format(folder=folder, arg=folder_arg(folder))
