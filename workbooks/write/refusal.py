"""How a write-back ended, and why one did not happen: the outcome (`WriteResult`), the
catalogue of reasons in the clerk's language (`REASONS`, zh and en), and `Refused`, raised
anywhere in a write to leave the file as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

WRITTEN, UNCHANGED, SKIPPED, REFUSED = "written", "unchanged", "skipped", "refused"

# Why a write did not happen, in the clerk's language: (zh, en) templates by code.
REASONS = {
    "open": ("正被{who}用 {program} 打开，本次未写入，下次运行时再写", "open in {program} by {who} (will retry next run)"),
    "open-unnamed": ("正被他人用 {program} 打开（锁文件中没有写明是谁），本次未写入，下次运行时再写",
                     "open in {program} by someone the lock file does not name (will retry next run)"),
    "gone": ("读取后文件被移动或删除，未写入", "the file was moved or deleted since it was read"),
    "locked": ("文件正被 Excel 或其他程序占用，本次未写入，下次运行时再写", "open in Excel or another program (will retry next run)"),
    "rescued": ("读取后文件被连续保存了两次：最新的一次在工作簿中，较早的一次已存入备份 {file}；本次未写入，下次运行时再写",
                "changed twice since it was read: the latest save is in the workbook, the earlier one is kept in "
                "the backups as {file} (will retry next run)"),
    "changed": ("读取后文件又被保存过，本次未写入，下次运行时再写", "changed since it was read (will retry next run)"),
    "no-fingerprint": ("无法读取文件内容，未写入，下次运行时再试", "could not be fingerprinted"),
    "no-sheet": ("找不到工作表“{sheet}”，未写入", "sheet {sheet} not found"),
    "rows-gone": ("第{rows}行在读取后被删除，未写入，下次运行时再写", "rows {rows} were deleted after duban read the sheet; nothing was written, and duban writes on the next run"),
    "lost-rows": ("写入后的文件将只有{now}行而不是{before}行，已放弃写入，原文件未改动",
                  "the new file would have {now} rows instead of {before}; nothing was written"),
    "ambiguous-cell": ("单元格{cell}在工作表中被写了不止一次（生成这个文件的程序不合规范），无法确定哪一个才是 Excel 显示的，"
                       "已放弃写入，原文件未改动；请用 Excel 打开并保存一次，下次运行时再写",
                       "cell {cell} is written more than once in the sheet (the program that made the file broke the "
                       "format), so which one Excel shows cannot be known; nothing was written. Open the file in Excel "
                       "and save it once, and the next run will write it"),
    "style-gap": ("单元格格式引用了 {section} 中的第 {index} 项，但文件中只有 {count} 项（生成这个文件的程序不合规范），"
                  "督办无法安全地加入颜色，已放弃写入，原文件未改动；请用 Excel 打开并保存一次，下次运行时再写",
                  "a cell format names entry {index} of {section}, but the file has only {count} (the program that "
                  "made it broke the format), so duban cannot add its colours safely; nothing was written. Open the "
                  "file in Excel and save it once, and the next run will write it"),
    "misread": ("单元格{cells}写入后读回不一致，已放弃写入，原文件未改动",
                "cells {cells} did not read back as written; nothing was written"),
    "damaged": ("新文件未通过自检（{error}），已放弃写入，原文件未改动；请把这条信息转给负责督办的同事",
                "the new file failed its own check ({error}); nothing was written. "
                "Please pass this message on to whoever runs duban"),
    "corrupt": ("工作簿文件本身已损坏（{error}），未写入；请用 Excel 打开、修复并另存后再运行",
                "the workbook file itself is damaged ({error}); nothing was written. "
                "Open it in Excel, let it repair the file, save it, then run again"),
    "read-only": ("工作簿是只读文件（所有者没有写权限），督办不写入。如需督办写入编号和提示，请去掉只读属性"
                  "（Windows：文件“属性”中取消“只读”；Linux：chmod u+w）；如它本应只读（如已归档），请把它移出督办的文件夹",
                  "the workbook is read-only (its owner may not write it), so duban does not write it. To let duban "
                  "write IDs and alerts, clear the read-only attribute (Windows: the file's Properties, untick "
                  "Read-only; Linux: chmod u+w); if it is meant to stay read-only (archived), move it out of the folder"),
    "owner": ("督办以用户 {user} 运行，无法让新文件保持原来的所有者 {owner}（否则只有 {user} 才能保存它），未写入。"
              "请以文件所有者或 root 的身份运行督办服务，或允许服务保持文件所有者"
              "（systemd 单元中加 AmbientCapabilities=CAP_CHOWN CAP_FOWNER）",
              "duban runs as {user} and cannot give the new file its owner {owner} (only {user} could then save "
              "it), so it was not written. Run the duban service as the file's owner or as root, or allow it to "
              "keep owners (in the systemd unit: AmbientCapabilities=CAP_CHOWN CAP_FOWNER)"),
    # duban already runs as the file's owner here (access._chown): only joining the group, root or
    # the capability changes anything
    "group": ("督办以用户 {user} 运行，无法让新文件保持原来的组 {group}（写入后该组的成员将不能保存它），未写入。"
              "请把运行督办的用户 {user} 加入组 {group}，或以 root 的身份运行督办服务，或允许服务保持文件的组"
              "（systemd 单元中加 AmbientCapabilities=CAP_CHOWN CAP_FOWNER）",
              "duban runs as {user} and cannot give the new file its group {group} (the group's members could then "
              "no longer save it), so it was not written. Add the user duban runs as ({user}) to the group {group}, "
              "or run the duban service as root, or allow it to keep groups (in the systemd unit: "
              "AmbientCapabilities=CAP_CHOWN CAP_FOWNER)"),
    "attribute": ("无法把文件的权限设置 {name} 复制到新文件（{error}），未写入，以免改变谁能保存它。"
                  "请以文件所有者或 root 的身份运行督办服务（现为 {user}）",
                  "the file's permission setting {name} could not be copied to the new file ({error}), so it was not "
                  "written (that would change who may save it). Run the duban service as the file's owner or as "
                  "root (it runs as {user})"),
    "outside": ("这个工作簿经链接指向督办所查文件夹之外的 {target}，督办从不在该文件夹之外写入，未写入。"
                "请把工作簿移到文件夹内，或把链接换成文件或文件夹本身",
                "the workbook is reached through a link and lies outside the folder duban checks ({target}); duban "
                "never writes outside that folder, so it was not written. Move the workbook into the folder, or "
                "replace the link by the file or folder itself"),
    "hard-link": ("{path} 和 {other} 是同一个文件的两个名字（硬链接）。督办写入时会在 {path} 放上新文件，两个名字就会分成"
                  "两个不同的工作簿（{other} 留在旧版本，同样的任务会被算两次），所以未写入。请只保留一个名字："
                  "删除 {other}，或把它换成指向 {path} 的符号链接（ln -s）",
                  "{path} and {other} are two names of one file (a hard link). A write puts a new file at {path}, "
                  "which would split them into two workbooks ({other} keeping the old version, its tasks counted "
                  "twice), so it was not written. Keep one name: delete {other}, or make it a symbolic link to "
                  "{path} (ln -s)"),
    "storage": ("{zh}", "{en}"),      # a full disk, a read-only share: faults.translate's sentence
    "unexpected": ("写入时出现意外错误（{error}），已放弃写入，原文件未改动；其他工作簿照常处理。"
                   "请把这条信息转给负责督办的同事",
                   "an unexpected error stopped the write ({error}); nothing was written and the file is as it "
                   "was; the other workbooks went on. Please pass this message on to whoever runs duban"),
}


@dataclass(frozen=True)
class Reason:
    code: str
    params: tuple = ()          # (name, value) pairs

    @classmethod
    def of(cls, code: str, **params) -> "Reason":
        return cls(code, tuple(params.items()))

    def text(self, lang: str = "en") -> str:
        zh, en = REASONS[self.code]
        joiner = "、" if lang == "zh" else ", "        # a list of values (rows 3, 4) in the reader's way
        params = {k: joiner.join(map(str, v)) if isinstance(v, tuple) else v for k, v in self.params}
        return (zh if lang == "zh" else en).format(**params)

    def __str__(self) -> str:
        return self.text("en")


@dataclass
class WriteResult:
    status: str
    why: Reason | None = None
    originals: dict[str, dict] = field(default_factory=dict)  # painted ref -> the format it had before
    backup: Path | None = None      # where the version duban read went (backups folder)
    race: str = ""                  # a user's save raced the write: commit.BEFORE / TAKEN_BACK / AFTER / RESCUED
    rescued: Path | None = None     # RESCUED: that user's version, kept in the backups

    @property
    def reason(self) -> str:
        return str(self.why) if self.why else ""


class Refused(Exception):
    """The write would be unsafe; `why` says so (the file is left as it was)."""

    def __init__(self, code: str, **params):
        self.why = Reason.of(code, **params)
        super().__init__(str(self.why))
