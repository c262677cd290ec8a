"""The catalogue of data problems: one stable code each, with zh and en message templates.

The reader, the rules, the CLI and the mail all speak from this catalogue. A message names the
place (workbook or `sheet!cell`), what was found, and what to do about it. Workbook problems
(wrong structure, unreadable file) go to the clerks; row problems also to the row's owner.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

WORKBOOK, ROW = "workbook", "row"
ERROR, WARNING, NOTE = "error", "warning", "note"


@dataclass(frozen=True)
class ProblemType:
    code: str
    scope: str
    severity: str
    zh: str
    en: str

    def template(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


_TYPES = (
    # --- the file as a whole -----------------------------------------------------------
    ProblemType("not-a-workbook", WORKBOOK, ERROR,
                "不是 Excel 工作簿（.xlsx）文件，无法读取。请在 Excel 中打开后“另存为”Excel 工作簿（.xlsx）。",
                "is not an Excel workbook (.xlsx). Open it in Excel and use Save As > Excel Workbook (.xlsx)."),
    ProblemType("old-format", WORKBOOK, ERROR,
                "是旧版 Excel 97-2003 （.xls） 文件，督办只读取 .xlsx。请在 Excel 中“另存为”Excel 工作簿（.xlsx）。",
                "is an old Excel 97-2003 (.xls) file; duban reads only .xlsx. Save it as Excel Workbook (.xlsx)."),
    ProblemType("csv-not-xlsx", WORKBOOK, ERROR,
                "是 CSV 文本文件，不是 .xlsx 工作簿。请用 duban init 生成的模板，把数据粘贴进去后保存为 .xlsx。",
                "is a CSV text file, not an .xlsx workbook. Paste the data into a template made by duban init and save it as .xlsx."),
    ProblemType("truncated", WORKBOOK, ERROR,
                "文件已损坏或不完整（可能复制或保存时中断），督办稍后再读时它也没有变化，无法读取。请在 Excel 中打开，让它修复后保存。如无法修复，不要用备份覆盖这个文件：把督办的备份（状态文件夹中的 backups）复制到别处打开，把需要的内容复制回来。",
                "the file is damaged or incomplete (perhaps a copy or a save was interrupted), and it had not changed when duban looked again. Open it in Excel, let it repair the file, and save. If that fails, do not copy a backup over this file: copy duban's backup (backups in the state folder) somewhere else, open it, and copy what you need back."),
    ProblemType("being-saved", WORKBOOK, NOTE,
                "读取时文件正在被保存或复制（刚刚改动过，内容还不完整），本次未检查，下次运行时再读。无需处理；如一直如此，会另行提示。",
                "the file was being saved or copied when duban read it (it changed moments ago and is not complete yet), so it was not checked this time and is read again on the next run. Nothing to do; if it stays so, you will be told."),
    ProblemType("encrypted", WORKBOOK, ERROR,
                "工作簿设置了打开密码，督办无法读取。请在 Excel 中“文件 > 信息 > 保护工作簿”取消密码后保存。",
                "the workbook is password-protected, so duban cannot read it. Remove the password (File > Info > Protect Workbook) and save."),
    ProblemType("too-large", WORKBOOK, ERROR,
                "解压后内容达 {size}，超过 {limit} 的安全上限（疑似压缩炸弹），已跳过。如确为正常文件，请拆分工作簿或调大 [reader] max_unzipped_mb。",
                "unpacks to {size}, over the safety limit of {limit} (possibly a zip bomb), so it was skipped. If the file is genuine, split it or raise [reader] max_unzipped_mb."),
    ProblemType("unsafe-xml", WORKBOOK, ERROR,
                "内部的 {part} 含有 Excel 从不使用的 XML 实体声明（可能是恶意文件），已跳过。请在 Excel 中打开并另存为新文件。",
                "its part {part} declares XML entities, which Excel never writes (possibly a hostile file), so it was skipped. Open it in Excel and save it as a new file."),
    ProblemType("unreadable", WORKBOOK, ERROR,
                "无法读取（{detail}）。请在 Excel 中打开后重新保存；如仍失败，不要用备份覆盖这个文件：把督办的备份（状态文件夹中的 backups）复制到别处打开，把需要的内容复制回来。",
                "cannot be read ({detail}). Open it in Excel and save it again; if that fails, do not copy a backup over this file: copy duban's backup (backups in the state folder) somewhere else, open it, and copy what you need back."),
    ProblemType("sheet-too-large", WORKBOOK, ERROR,
                "工作表“{sheet}”中表格所在的列一直用到第 {rows} 行、共 {columns} 列（到 {last}），读取需要约 {size} 内存，超过 {limit} 的上限，已跳过这个工作簿，其他工作簿照常处理。请删除表格下方或右侧远处多余的内容（在 Excel 中按 Ctrl+End 可跳到最后一个单元格），或调大 [reader] max_grid_mb。",
                "the columns of the table on sheet \"{sheet}\" are used down to row {rows} and across to column {last}; reading it would need about {size} of memory, over the limit of {limit}, so this workbook was skipped and the others were read as usual. Delete the stray content far below or right of the table (Ctrl+End in Excel jumps to the last cell), or raise [reader] max_grid_mb."),
    ProblemType("unknown-kind", WORKBOOK, ERROR,
                "在前 {rows} 行中找不到任何督办表格的表头。{hint}请使用 duban init 生成的模板，或把表头改成模板中的列名（如“任务名称”“负责人”“截止日期”）。",
                "no duban table header found in the first {rows} rows.{hint} Use a template from duban init, or rename the headers as in the template (e.g. Task, Owner, Due)."),
    ProblemType("missing-column", WORKBOOK, ERROR,
                "缺少必填列“{column}”。请在表头行（第{row}行）加上这一列，其余列已照常读取。",
                "the required column \"{column}\" is missing. Add it to the header row (row {row}); the other columns were read as usual."),
    ProblemType("second-table", WORKBOOK, WARNING,
                "工作表“{sheet}”中也有一张督办表格（{table}），但督办只读取工作表“{used}”，“{sheet}”中的行不会被检查或提醒。请把这些行移到“{used}”中，或单独存为一个工作簿。",
                "sheet \"{sheet}\" holds a second duban table ({table}), but duban reads only sheet \"{used}\", so the rows on \"{sheet}\" are not checked or reminded. Move them into \"{used}\", or save them as a workbook of their own."),
    ProblemType("duplicate-column", WORKBOOK, WARNING,
                "列“{column}”出现了两次，只读取了第一列（{first}）。请删除或改名重复的那一列。",
                "the column \"{column}\" appears twice; only the first ({first}) was read. Delete or rename the other one."),
    ProblemType("write-refused", WORKBOOK, ERROR,
                "督办没有把检查结果（编号、系统提示、颜色）写入这个工作簿：{reason}。文件保持原样，提醒邮件照常发出。"
                "原因中写明了处理办法的，请照做；否则，或下次检查仍然如此，请把这条信息转给负责督办的同事。",
                "duban did not write the check's results (IDs, Alerts, colours) into this workbook: {reason}. The "
                "file is as it was, and the reminders went out as usual. If the reason says what to do, do it; "
                "otherwise, or if the next check says the same, pass this message on to whoever runs duban."),
    ProblemType("save-in-backup", WORKBOOK, ERROR,
                "有一次保存没有进入工作簿，而是写进了督办的备份 {backup}：某个程序（同步工具、脚本等）在督办写入前打开了这个文件，之后通过原来的打开方式保存。请对照这个备份把改动复制回工作簿，然后删除或移走该备份文件；在此之前督办不会轮换删除它，这条提示也会一直出现。",
                "a save went into duban's backup {backup} instead of the workbook: a program (a sync tool, a script) had the file open before duban's write and saved through it afterwards. Compare that backup with the workbook and copy your changes back, then delete or move the backup file; until then duban never rotates it away, and this message repeats."),
    # --- one cell or row -----------------------------------------------------------------
    ProblemType("required-empty", ROW, ERROR,
                "“{column}”为必填项，目前为空。请填写。",
                "\"{column}\" is required but empty. Please fill it in."),
    ProblemType("bad-date", ROW, ERROR,
                "“{value}”不是有效日期。请写成 {example} 这样的日期，或在单元格中选择日期。",
                "\"{value}\" is not a date. Write it as {example} or pick a date in the cell."),
    ProblemType("bad-datetime", ROW, ERROR,
                "“{value}”不是有效的日期和时间。请写成 {example} 这样的日期和时间（没有具体时间时可只写日期），或在单元格中选择日期。",
                "\"{value}\" is not a date and time. Write it as {example} (or the date alone when there is no time), or pick a date in the cell."),
    ProblemType("implausible-date", ROW, ERROR,
                "日期“{value}”不在合理范围内（{earliest} 至 {latest}），多半是输入错误，本行暂按未填日期处理。请改为正确的日期，例如 {example}。",
                "the date \"{value}\" is outside the plausible range ({earliest} to {latest}), most likely a typo, so the row is treated as having no date. Correct it, e.g. {example}."),
    ProblemType("assumed-year", ROW, NOTE,
                "“{value}”没有写年份，已按 {date} 处理。如不对，请写上完整年份。",
                "\"{value}\" has no year and was read as {date}. If that is wrong, write the full year."),
    ProblemType("bad-percent", ROW, ERROR,
                "“{value}”不是有效进度。请填写 0%、25%、50%、75% 或 100%。",
                "\"{value}\" is not a valid progress. Use 0%, 25%, 50%, 75% or 100%."),
    ProblemType("bad-number", ROW, ERROR,
                "“{value}”不是数字。请只填写数字，例如 120。",
                "\"{value}\" is not a number. Enter digits only, e.g. 120."),
    ProblemType("unknown-status", ROW, ERROR,
                "状态“{value}”不在下拉选项中。请从下拉列表选择：{choices}。",
                "status \"{value}\" is not one of the dropdown values. Pick one of: {choices}."),
    ProblemType("unknown-choice", ROW, ERROR,
                "“{value}”不是“{column}”的可选值。请从下拉列表选择：{choices}。",
                "\"{value}\" is not a valid {column}. Pick one of: {choices}."),
    ProblemType("multiple-owners", ROW, ERROR,
                "“{column}”只能填一人，现在填了“{value}”。请只保留一人{others}。",
                "\"{column}\" takes exactly one person, found \"{value}\". Keep one{others}."),
    ProblemType("unknown-person", ROW, ERROR,
                "通讯录中没有“{value}”。请核对姓名写法，或在通讯录中添加此人及其邮箱。",
                "\"{value}\" is not in the directory. Check the spelling, or add the person and their email to the directory."),
    ProblemType("unknown-department", ROW, WARNING,
                "通讯录中没有部门“{value}”。请核对部门名称（如“市场部”）。",
                "department \"{value}\" is not in the directory. Check the department name."),
    ProblemType("duplicate-person", ROW, WARNING,
                "“{value}”在通讯录中已列在{first}，督办只使用那一行（部门 {department}，邮箱 {email}），本行不起作用。"
                "请删除重复的这一行；如是两位同名的同事，请在姓名后加以区分（如“{value}2”），并同样改写各表中的姓名。",
                "\"{value}\" is already listed in the directory at {first}; duban uses only that row (department "
                "{department}, email {email}) and ignores this one. Delete this duplicate row; if they are two "
                "colleagues with the same name, tell them apart (e.g. \"{value} 2\") here and in the other workbooks."),
    ProblemType("bad-email", ROW, ERROR,
                "“{value}”不是有效邮箱地址。请写成 name@company.com 的形式。",
                "\"{value}\" is not an email address. Write it as name@company.com."),
    ProblemType("bad-mobile", ROW, WARNING,
                "“{value}”不是有效的手机号码，群消息无法按手机号码@此人（只显示姓名）。请填写11位中国大陆手机号码，如 138 0013 8000"
                "（可带 +86、空格或短横线）；没有手机号码请留空。",
                "\"{value}\" is not a mobile number, so group messages cannot @-mention this person by it (the message shows the name only). Write the "
                "11-digit mainland China mobile number, e.g. 138 0013 8000 (+86, spaces and dashes are fine), or leave the cell empty."),
    # --- the directory: who hears in whose place (jobs/notify/presence.py) --------------------
    ProblemType("stand-in-unknown", WORKBOOK, WARNING,
                "{value}休假至 {until}，但代理人“{stand_in}”不在通讯录中，休假期间的提醒仍发给{value}本人。请更正代理人姓名，或在通讯录中添加此人及其邮箱。",
                "{value} is away until {until}, but the stand-in \"{stand_in}\" is not in the directory, so reminders still go to {value}. Correct the stand-in's name, or add that person and their email to the directory."),
    ProblemType("stand-in-no-address", WORKBOOK, WARNING,
                "{value}休假至 {until}，但代理人“{stand_in}”在通讯录中没有可用的邮箱，休假期间的提醒仍发给{value}本人。请在通讯录中填写{stand_in}的邮箱，或另选代理人。",
                "{value} is away until {until}, but the stand-in \"{stand_in}\" has no usable email in the directory, so reminders still go to {value}. Fill in {stand_in}'s email in the directory, or choose another stand-in."),
    ProblemType("stand-in-cycle", WORKBOOK, WARNING,
                "代理人首尾相接且都在休假（{chain}），没有人能代为接收，提醒仍发给本人。请为其中一人另选一位不在休假的代理人，或更正“休假至”日期。",
                "The stand-ins lead in a circle of people who are all away ({chain}), so nobody can stand in and reminders still go to each of them. Give one of them a stand-in who is not away, or correct the \"Away until\" dates."),
    ProblemType("reminders-no-group", WORKBOOK, WARNING,
                "{value}的提醒方式是“仅群消息”，但 duban.toml 的 [im.departments] 没有为其部门“{department}”指定群，每日摘要仍以邮件发送。请在 [im.departments] 中为{department}指定群，或把提醒方式改为“邮件”。",
                "Reminders for {value} are set to group only, but [im.departments] in duban.toml gives their department \"{department}\" no group, so the daily digest still goes by mail. Give {department} a group in [im.departments], or set {value}'s reminders to Mail."),
    # --- mail: who cannot be reached ------------------------------------------------------
    ProblemType("unknown-recipient", WORKBOOK, ERROR,
                "有提醒要发给“{value}”，但通讯录中没有此人，邮件未发出。请更正工作簿中的姓名，或在通讯录中添加此人及其邮箱。",
                "A reminder is due for \"{value}\", who is not in the directory, so no mail was sent. Correct the name in the workbook, or add the person and their email to the directory."),
    ProblemType("no-email", WORKBOOK, ERROR,
                "有提醒要发给“{value}”，但通讯录中此人没有邮箱，邮件未发出。请在通讯录的“邮箱”列填写。",
                "A reminder is due for \"{value}\", who has no email in the directory, so no mail was sent. Fill in the Email column of the directory."),
    ProblemType("group-unknown", WORKBOOK, ERROR,
                "有群消息要发往群“{value}”，但 duban.toml 的 [im.groups] 中没有这个群，消息未发出。请在 duban.toml 中添加 [im.groups.\"{value}\"]（platform 和 webhook_env），或更正群名。",
                "A group message is due for the group \"{value}\", which [im.groups] in duban.toml does not list, so it was not sent. Add [im.groups.\"{value}\"] (platform and webhook_env) to duban.toml, or correct the group's name."),
    ProblemType("im-department-unknown", WORKBOOK, WARNING,
                "[im.departments] 把部门“{value}”对应到群「{group}」，但通讯录中没有这个部门，这一行不起作用（该群收不到这个部门的日报和升级提醒）。{hint}请按通讯录中的写法填写部门名称。",
                "[im.departments] maps the department \"{value}\" to the group {group}, but the directory has no such department, so that line does nothing (the group gets no digest or escalation of it).{hint} Write the department as the directory does."),
    ProblemType("mail-given-up", WORKBOOK, ERROR,
                "发给{value}的邮件“{subject}”{days}天内一直未能发出（{error}），已放弃。请检查 duban.toml 中的 [mail.smtp] 设置，再运行 duban outbox {folder} --retry --failed 重发。",
                "The mail \"{subject}\" to {value} could not be sent within the {days}-day limit ({error}) and was given up. Check [mail.smtp] in duban.toml, then run duban outbox {folder} --retry --failed to send it again."),
    ProblemType("mail-refused", WORKBOOK, ERROR,
                "邮件服务器拒收了发给{value}的邮件“{subject}”（{error}），此地址没有收到。请在通讯录中核对此人的邮箱（改正后，之后的提醒发往新地址）；如是对方邮箱已满等临时原因，可运行 duban outbox {folder} --retry --failed 重发给此地址。",
                "The mail server refused the mail \"{subject}\" for {value} ({error}), so that address did not get it. Check the person's email in the directory (later reminders go to the corrected address); if the cause was passing (a full mailbox), duban outbox {folder} --retry --failed sends it to that address again."),
    ProblemType("mail-set-aside", WORKBOOK, ERROR,
                "发给{value}的邮件“{subject}”已搁置，不再自动发送（{error}）。它可能已经送达：请向收件人确认；如未收到，运行 duban outbox {folder} --retry --failed 再发一次。",
                "The mail \"{subject}\" to {value} was set aside and is not sent again by itself ({error}). It may already have been delivered: ask the recipient; if it did not arrive, duban outbox {folder} --retry --failed sends it once more."),
    ProblemType("mail-fate-unknown", WORKBOOK, WARNING,
                "邮件“{subject}”发给{value}后，邮件服务器没有答复（{error}），它可能已经送达。督办以相同的 Message-ID 再发一次（只此一次），收件人可能收到两封。",
                "The mail server did not answer after the mail \"{subject}\" to {value} was sent ({error}), so it may already have been delivered. duban sends it once more (never a third time) with the same Message-ID: the recipient may get it twice."),
    # --- group bots: a group message that did not get through (value: the group's name) ----------
    ProblemType("group-given-up", WORKBOOK, ERROR,
                "发往群「{value}」的消息“{subject}”{days}天内一直未能发出（{error}），已放弃。请按括号中的说明处理（duban.toml 中的 [im.groups.\"{value}\"]，或该群机器人在平台上的设置），再运行 duban outbox {folder} --retry --failed 重发。",
                "The message \"{subject}\" to the group {value} could not be posted within the {days}-day limit ({error}) and was given up. Do what the reason in brackets says ([im.groups.\"{value}\"] in duban.toml, or the group bot's settings on its platform), then run duban outbox {folder} --retry --failed to post it again."),
    ProblemType("group-refused", WORKBOOK, ERROR,
                "消息“{subject}”没有发到群「{value}」，不再重试（{error}）。请按括号中的说明处理（duban.toml 中的 [im.groups.\"{value}\"]，或该群机器人在平台上的设置），再运行 duban outbox {folder} --retry --failed 重发。",
                "The message \"{subject}\" was not posted to the group {value} and is not retried ({error}). Do what the reason in brackets says ([im.groups.\"{value}\"] in duban.toml, or the group bot's settings on its platform), then run duban outbox {folder} --retry --failed to post it again."),
    ProblemType("group-set-aside", WORKBOOK, ERROR,
                "发往群「{value}」的消息“{subject}”已搁置，不再自动发送（{error}）。它可能已经发到群里：请在群里查看；如没有，运行 duban outbox {folder} --retry --failed 再发一次。",
                "The message \"{subject}\" to the group {value} was set aside and is not posted again by itself ({error}). It may already be in the group: look there; if it is not, duban outbox {folder} --retry --failed posts it once more."),
    ProblemType("group-fate-unknown", WORKBOOK, WARNING,
                "消息“{subject}”发往群「{value}」后平台没有答复（{error}），它可能已经发到群里；督办至多再发一次，群里可能看到两次。",
                "The platform did not answer after the message \"{subject}\" went to the group {value} ({error}), so it may already be in the group; duban posts it at most once more: the group may see it twice."),
    # --- the state: a workbook gone, a journal started afresh (jobs.books) ------------------------
    ProblemType("workbook-gone", WORKBOOK, ERROR,
                "工作簿 {path} 已不在共享文件夹中（被删除、移走或被同名文件夹取代），最后一次检查到它是 {last_seen}。其中 {rows} 行已在变更记录中记为删除，不再为它们发提醒和紧急提醒。如是误删，请从备份或回收站恢复到原位置，下次检查时会恢复。",
                "The workbook {path} is no longer in the shared folder (deleted, moved away, or replaced by a folder); duban last saw it at {last_seen}. Its rows ({rows}) are recorded as deleted in the journal and get no more reminders or urgent alerts. If it was deleted by mistake, put it back from a backup or the recycle bin at the same place: the next check takes it up again."),
    ProblemType("state-new", WORKBOOK, WARNING,
                "状态文件 {state} 是新建的（或已被清空），但 {count} 个工作簿带有督办此前写入的标识（如 {path}）：变更记录从 {since} 重新开始。"
                "丢失前最后一份完好的状态已另存为 {kept}（保存于 {kept_at}），督办不会覆盖或删除它；已发提醒按 {copy} 和这份副本计，不会重发。"
                "工作簿中督办涂的颜色仍按工作簿自带的记录还原。要找回此前的变更记录：先停止 duban serve，把 {state} 改名为 {name}.new，"
                "再把 {kept} 复制为 {state}，然后重新运行（{since} 之后的发信记录会从 {copy} 补回）。",
                "The state file {state} is new (or was emptied), but workbooks ({count}) carry the identity duban wrote into them earlier (e.g. {path}): the change journal starts again at {since}. "
                "The last good copy of the lost state was kept as {kept} (saved {kept_at}); duban never overwrites or deletes it, and reminders already sent are known from {copy} and that copy, so none is sent twice. "
                "duban's colours in the workbooks are still undone from the workbooks' own record. To get the earlier journal back: stop duban serve, rename {state} to {name}.new, "
                "copy {kept} to {state}, then run again (mail recorded after {since} is taken back from {copy})."),
    ProblemType("state-new-no-copy", WORKBOOK, WARNING,
                "状态文件 {state} 是新建的（或已被清空），但 {count} 个工作簿带有督办此前写入的标识（如 {path}）：此前的变更记录已丢失，这些行的历史从 {since} 重新开始，"
                "且没有找到丢失前状态的副本（{bak}）。工作簿中督办涂的颜色仍按工作簿自带的记录还原；已发提醒按 {copy} 中的副本计，不会重发（若该文件也已丢失，当天的提醒会再发一次）。"
                "如在别处有 state.db 的备份，请先停止 duban serve，再把它复制为 {state}。",
                "The state file {state} is new (or was emptied), but workbooks ({count}) carry the identity duban wrote into them earlier (e.g. {path}): the earlier change journal is lost, these rows' history starts again at {since}, "
                "and there is no copy of the lost state ({bak}). duban's colours in the workbooks are still undone from the workbooks' own record; reminders already sent are known from the copy in {copy}, so none is sent twice (if that file is lost too, today's reminders go once more). "
                "If you keep a backup of state.db elsewhere, stop duban serve, then copy it to {state}."),
    ProblemType("no-department-head", WORKBOOK, ERROR,
                "{rows}已到升级期限，应升级给{department}的部门负责人，但通讯录中没有{department}的部门负责人（或负责人没有填写邮箱），"
                "升级提醒没有发给部门负责人。请在通讯录工作表中为{department}指定负责人：在其所在行的“部门负责人”列选“是”，并填写“邮箱”。",
                "{rows}: due for escalation to the head of {department}, but the directory has no head of {department} "
                "(or the head has no email), so no department head was sent the escalation. In the directory sheet, "
                "mark the head of {department}: choose \"Yes\" in the \"Dept head\" column of their row and fill in their \"Email\"."),
    # --- escalation up the reporting line (rules.escalation_levels > 1; jobs/notify/upline.py) -----
    ProblemType("no-manager", WORKBOOK, ERROR,
                "{rows}已到第{level}级升级，应告知{value}的直属上级，但通讯录中{value}的“直属上级”为空，升级只到了第{reached}级。"
                "请在通讯录中{value}所在行的“直属上级”列填写其上级的姓名（该上级也要在通讯录中有一行并填写邮箱）；"
                "如{value}已是最高一级，请把 duban.toml 中 [rules] 的 escalation_levels 改为 {reached}。",
                "{rows}: due for escalation level {level}, to the manager of {value}, but {value}'s \"Manager\" is empty in "
                "the directory, so the escalation went up to level {reached} only. In the directory, fill in the \"Manager\" "
                "column of {value}'s row (that manager needs a row with an email too); if {value} is at the top, set "
                "escalation_levels under [rules] in duban.toml to {reached}."),
    ProblemType("manager-cycle", WORKBOOK, ERROR,
                "{rows}已到第{level}级升级，但通讯录中的“直属上级”构成循环：{loop}，升级只到了第{reached}级，再往上无人可告知。"
                "请在通讯录中更正其中一人的“直属上级”，使其指向真正的上级（最高一级的人留空）。",
                "{rows}: due for escalation level {level}, but the \"Manager\" column of the directory goes round in a "
                "circle: {loop}, so the escalation went up to level {reached} only. In the directory, correct the "
                "\"Manager\" of one of them to their real manager (leave it empty for the person at the top)."),
    ProblemType("formula-error", ROW, ERROR,
                "“{column}”的公式返回错误 {value}，本行按未填处理。请修正公式，或直接填写{fill}。",
                "the formula in \"{column}\" returns the error {value}, so the row is read as if the cell were empty. Fix the formula, or type {fill} in directly."),
    ProblemType("duplicate-id", ROW, ERROR,
                "编号“{value}”与 {other} 重复。编号由系统填写，请清空本行编号，下次运行会自动分配新编号。",
                "ID \"{value}\" is also used at {other}. IDs are assigned by duban: clear this one and the next run assigns a new one."),
    ProblemType("status-progress-mismatch", ROW, ERROR,
                "状态为“{status}”但进度为 {progress}。已完成的任务进度应为100%，进度100%的任务状态应为“已完成”。",
                "status is \"{status}\" but progress is {progress}. A done task should be at 100%, and a task at 100% should be Done."),
)

CATALOGUE: dict[str, ProblemType] = {t.code: t for t in _TYPES}


@dataclass
class Problem:
    """One problem found, with where it is. `message(lang)` gives the sentence for people."""

    code: str
    file: str
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: dict = field(default_factory=dict)

    @property
    def type(self) -> ProblemType:
        return CATALOGUE[self.code]

    @property
    def severity(self) -> str:
        return self.type.severity

    @property
    def scope(self) -> str:
        return self.type.scope

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        if self.sheet:
            return f"{Path(self.file).name} [{self.sheet}]"
        return Path(self.file).name

    def text(self, lang: str = "zh") -> str:
        """What is wrong and how to fix it, without the place (for tables that show it apart)."""
        params = {k: (v.get(lang, v.get("zh")) if isinstance(v, dict) else v) for k, v in self.params.items()}
        fields = {"file": Path(self.file).name, "value": self.value or "", "row": self.row, **params}
        return self.type.template(lang).format(**fields)

    def message(self, lang: str = "zh") -> str:
        """The whole sentence, place first: `任务跟进表!F7：“11月31日”不是有效日期。…`"""
        return f"{self.where}{'：' if lang == 'zh' else ': '}{self.text(lang)}"

    def to_dict(self, lang: str = "zh") -> dict:
        return {"code": self.code, "severity": self.severity, "scope": self.scope, "file": self.file,
                "sheet": self.sheet, "cell": self.cell, "row": self.row, "column": self.column,
                "value": self.value, "message": self.message(lang)}
