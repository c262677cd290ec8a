"""The Excel console's words, zh and en: its sentences, the result tables' headers, the mail
kinds and states (macros.actions and macros.console speak from here)."""
from __future__ import annotations

from duban.mailer.words import KIND_NAMES

TEXT = {
    "zh": {
        "ran": "{action} · {when} · 用时 {secs:.1f} 秒", "reading": "正在检查 {n}/{total} 个工作簿…",
        "validating": "正在读取 {n}/{total} 个工作簿…", "working": "正在{action}…", "writing": "正在写入结果…",
        "no_action": "B4 中没有可运行的操作（“{value}”）。请在 B4 的下拉列表中选择一个操作，再点“运行”。",
        "no_id": "没有找到要解释的编号。请选中结果中的编号单元格（如 T-000123），或在 B5 填写编号，再点“运行”。",
        "unexpected": "运行时出现意外错误（{error}）。详细信息已写入 {log}，请把这句话和该文件转给负责督办的同事。",
        "handed": "duban serve 正在主机 {host} 上运行：已把“{action}”交给它，等待结果… {secs:.0f} 秒",
        "by_serve": "由主机 {host} 上的 duban serve 运行（它已读过这些工作簿，比在本机从头运行快）。",
        "by_serve_check": "在其他电脑的 Excel 中打开的工作簿本次跳过，关闭后下一次检查时写入。",
        "open_here": "本文件夹有 {n} 个工作簿正在这个 Excel 中打开：本次检查在本机运行，以便通过 Excel 写入它们"
                     "（较慢；关闭它们后，检查交给 duban serve，几秒即可完成）。",
        "fallback_untaken": "duban serve（主机 {host}）在 {secs:.0f} 秒内没有接手这项请求（可能正忙于计划任务），"
                            "请求已撤回：改为在本机运行。",
        "fallback_gone": "duban serve（主机 {host}）在接手前停止了（心跳已过期）：改为在本机运行。",
        "serve_running": "duban serve（主机 {host}）已开始运行这项请求，但 {secs:.0f} 秒内没有完成；它会在后台做完，"
                         "结果见 serve 的日志 {log}。请不要重复运行。",
        "serve_failed": "duban serve（主机 {host}）没能完成这项请求（{error}）；详情见 serve 的日志 {log}。",
        "serve_gone": "duban serve（主机 {host}）在等待期间停止了（心跳已过期）。请再点一次“运行”：没有 serve 时，"
                      "控制台自己运行；若 serve 已开始这项请求，先用 duban status 看它是否已完成。",
        "more": "…另有 {n} 行未列出（最多列出 {max} 行）。",
        # check
        "check_head": ["工作簿", "行数", "标记", "写回", "新编号"],
        "flag_head": ["编号", "行", "工作簿", "系统提示"],
        "check_done": "检查完成：{files} 个工作簿，{rows} 行，{flagged} 行需要关注；写入 {written} 个（其中 {live} 个通过 Excel），"
                      "无需改动 {unchanged} 个，跳过 {skipped} 个，拒绝 {refused} 个。",
        "write": {"written": "已写入", "unchanged": "无需改动", "skipped": "已跳过", "refused": "已拒绝", "": "—",
                  "dry-run": "预演，未写入"},
        "via_excel": "已写入（通过 Excel 并保存）",
        "flagged_title": "需要关注的行（选中编号后选择“解释选中行”并运行，可查看原因）",
        # validate
        "validate_head": ["工作簿", "行数", "问题数"],
        "validate_done": "共 {files} 个工作簿，{rows} 行，{problems} 个问题，已逐条列在“{sheet}”工作表中。",
        "validate_none": "共 {files} 个工作簿，{rows} 行，没有发现问题。",
        # explain
        "explain_head": ["规则", "是否触发", "原因"],
        "explained": "{id}：逐条规则的判断如下。",
        # mail
        "mail_head": ["类型", "收件人", "主题", "事项", "状态"],
        "kinds": KIND_NAMES["zh"],
        "status": {"queued": "已排队", "held": "暂存至 {at}", "already": "已发过", "dry-run": "预演（未发送）"},
        "mailed": "{n} 封邮件已处理：发出 {sent} 封，等待 {waiting} 封，失败 {failed} 封{dest}。",
        "dest": "（{where}）", "nothing": "没有需要发送的邮件。",
        "skipped_people": "{n} 位收件人今天已收到相同提醒，未重复发送。",
        "refused_book": "工作簿未写入（已拒绝）：{file} — {why}",
        "server_down": "邮件服务器无法连接（{error}）：邮件保留在队列中，下次运行时重试。",
        "mail_setup": "邮件设置有误，邮件保留在队列中，不再自动重试：{error}。请修改 duban.toml 中的 {setting}，然后运行 duban outbox {folder} --retry。",
        "set_aside": "已搁置，不再自动发送（可能已经送达，请向收件人确认）：{to} — {subject}",
        "period": "{kind}：{start} 至 {end}", "week": "周报", "month": "月度指标",
        "archive": "存档：{path}", "no_recipients": "没有收件人：通讯录中没有部门负责人，也没有设置 summary.recipients 或 mail.clerks。",
    },
    "en": {
        "ran": "{action} · {when} · took {secs:.1f} s", "reading": "Checking workbook {n} of {total}…",
        "validating": "Reading workbook {n} of {total}…", "working": "{action}…", "writing": "Writing the result…",
        "no_action": "B4 holds no action to run (\"{value}\"). Choose an action from the list in B4, then click Run.",
        "no_id": "No ID to explain. Select a cell holding an ID in the results (e.g. T-000123), or type one in B5, "
                 "then click Run.",
        "unexpected": "An unexpected error stopped the run ({error}). The details are in {log}; please pass this "
                      "sentence and that file on to whoever runs duban.",
        "handed": "duban serve is running on host {host}: {action} was handed to it; waiting for the result… "
                  "{secs:.0f} s",
        "by_serve": "Run by duban serve on host {host} (it has the workbooks read already: faster than running it "
                    "here from the start).",
        "by_serve_check": "Workbooks open in Excel on other computers are skipped this time and written at the next "
                          "check after they are closed.",
        "open_here": "{n} workbook(s) of this folder are open in this Excel: this check runs here so that they are "
                     "written through Excel (slower; with them closed the check goes to duban serve and takes "
                     "seconds).",
        "fallback_untaken": "duban serve (host {host}) did not take up this request within {secs:.0f} seconds (busy "
                            "with a scheduled job?); the request was withdrawn: running it here instead.",
        "fallback_gone": "duban serve (host {host}) stopped before taking up this request (its heartbeat went "
                         "stale): running it here instead.",
        "serve_running": "duban serve (host {host}) started this request but did not finish it within {secs:.0f} "
                         "seconds; it finishes in the background, and its outcome is in serve's log {log}. Do not "
                         "run it again.",
        "serve_failed": "duban serve (host {host}) could not finish this request ({error}); the details are in "
                        "serve's log {log}.",
        "serve_gone": "duban serve (host {host}) stopped while the console waited (its heartbeat went stale). "
                      "Click Run again: without serve the console runs the job itself; if serve had started this "
                      "request, check with duban status whether it finished.",
        "more": "…{n} more rows not listed (at most {max} are).",
        "check_head": ["Workbook", "Rows", "Flagged", "Write-back", "New IDs"],
        "flag_head": ["ID", "Row", "Workbook", "Alerts"],
        "check_done": "Check done: {files} workbooks, {rows} rows, {flagged} rows need attention; {written} written "
                      "({live} through Excel), {unchanged} unchanged, {skipped} skipped, {refused} refused.",
        "write": {"written": "written", "unchanged": "unchanged", "skipped": "skipped", "refused": "refused", "": "—",
                  "dry-run": "dry run, not written"},
        "via_excel": "written (through Excel, saved)",
        "flagged_title": "Rows that need attention (select an ID, choose Explain selected row and Run to see why)",
        "validate_head": ["Workbook", "Rows", "Problems"],
        "validate_done": "{files} workbooks, {rows} rows, {problems} problems, each listed on the {sheet} sheet.",
        "validate_none": "{files} workbooks, {rows} rows, no problems found.",
        "explain_head": ["Rule", "Fired", "Why"],
        "explained": "{id}: every rule, fired or not, and why.",
        "mail_head": ["Kind", "To", "Subject", "Items", "Status"],
        "kinds": KIND_NAMES["en"],
        "status": {"queued": "queued", "held": "held until {at}", "already": "already sent", "dry-run": "dry run"},
        "mailed": "{n} mails handled: {sent} sent, {waiting} waiting, {failed} failed{dest}.",
        "dest": " ({where})", "nothing": "No mail to send.",
        "skipped_people": "{n} recipients were already told the same today; not repeated.",
        "refused_book": "Workbook not written (refused): {file} — {why}",
        "server_down": "The mail server could not be reached ({error}): the mail stays queued for the next run.",
        "mail_setup": "A mail setting is wrong, so the mail stays queued and is not retried by itself: {error}. Correct {setting} in duban.toml, then run duban outbox {folder} --retry.",
        "set_aside": "Set aside, not sent again by itself (it may already have been delivered: ask the recipient): {to} — {subject}",
        "period": "{kind}: {start} to {end}", "week": "Weekly report", "month": "Monthly metrics",
        "archive": "Archived: {path}",
        "no_recipients": "No recipients: no department heads in the directory, and no summary.recipients or mail.clerks.",
    },
}
