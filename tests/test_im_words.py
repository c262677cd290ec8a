"""The words a group member reads on a phone, as a new user found them: one language per message,
titles true for every item they count, the one thing to do next, a DingTalk notification title cut
with "…", a post without an answer said truly in each language, and the duban.toml table a refused
setting names written as TOML needs it (an unset variable: set it, duban.toml is right)."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime

from duban.jobs.notify.router import group_recipient
from duban.jobs.serve.selfalert import held
from duban.mailer.im.answer import no_answer
from duban.mailer.im.lane import Envelope
from duban.mailer.reasons import bilingual
from test_im_render import PLACE, bodies, composed, incident, item, notice

SHARED = {"departments": ["研发部", "市场部"],
          "department_of": {"研发部/任务跟进表.xlsx!11": "研发部", "研发部/任务跟进表.xlsx!12": "市场部"}}


def english(the_notice):
    return dataclasses.replace(the_notice, recipient=group_recipient("研发群", "en"))


def test_an_english_group_reads_english_separators_and_footer_and_keeps_its_keyword():
    shared = english(notice("digest", [item(1), item(2, "due_soon")], content=SHARED))
    said = bodies(shared, "wecom", lang="en")[0]["markdown"]["content"]
    assert said.startswith("**研发部, 市场部 duban digest 23 Nov: 1 overdue item · 1 item due soon**")
    assert said.endswith("\nduban") and "督办 duban" not in said and "、" not in said
    assert bodies(shared, "dingtalk", keyword="督办", lang="en")[0]["markdown"]["text"].endswith("\n\nduban · 督办")
    assert bodies(notice("digest", [item(1)]))[0]["markdown"]["content"].endswith("\n督办 duban")     # Chinese as before


def test_a_shared_groups_digest_says_each_lines_department_and_what_to_do():
    content = bodies(notice("digest", [item(1), item(2, "due_soon")], content=SHARED))[0]["markdown"]["content"]
    assert content.startswith("**研发部、市场部 督办日报 11月23日：逾期 1 · 即将到期 1**\n"
                              f"研发部 · 任务1 · 负责人：张伟 · 逾期 3 天 · {PLACE} 第11行\n"
                              f"市场部 · 任务2 · 负责人：张伟 · 2 天后到期 · {PLACE} 第12行\n"
                              "请各负责人在工作簿中更新状态和完成情况；逾期事项请写明原因和新的完成日期\n")
    said = json.dumps(bodies(english(notice("digest", [item(1)])), "feishu", lang="en"), ensure_ascii=False)
    assert "Owners: update the status and progress in the workbook; for an overdue item, write why and the new date" \
        in said and "任务1 · Owner" in said and "研发部 · 任务1" not in said      # one department: not on each line
    assert composed(notice("digest", [item(1), item(2)], content=SHARED)).items == 2      # the step is not an item


def test_an_escalation_names_the_department_and_what_its_head_does():
    late = item(1, "escalated", cause="overdue", due=date(2026, 11, 14), why=(("department", "市场部"),))
    content = bodies(notice("escalation", [late]))[0]["markdown"]["content"]
    assert content.startswith("**升级：请市场部负责人协调以下 1 项**\n")
    assert "请部门负责人与事项负责人商定新的完成日期或协助安排，并写入工作簿" in content
    assert composed(english(notice("escalation", [late])), "slack", lang="en").subject == \
        "Escalation: 1 item for the head of 市场部 to sort out"


def urgent(title: str, row: int = 7):
    """An unanswered incident named `title` at `row`."""
    return item(row, "incident_unanswered", deadline=datetime(2026, 11, 23, 9, 10), kind="incidents",
                started=datetime(2026, 11, 23, 9, 5), title=title)


def blocked(n: int, title: str):
    return item(n, "blocked", title=title, help_from="法务部")


def test_an_urgent_title_is_true_for_every_item_it_counts_and_the_repeat_too():
    mixed = [urgent("官网商城结账失败，所有在线用户受影响。"), blocked(3, "供应商合同"), blocked(4, "服务器采购")]
    assert composed(notice("alert", mixed, urgent=True)).subject == "紧急：3 项需要立即处理（紧急事务未响应 1 · 阻塞 2）"
    again = {"repeat": True, "minutes": 30}
    assert composed(notice("alert", mixed, urgent=True, content=again)).subject == \
        "再次提醒：3 项仍未处理（紧急事务未响应 1 · 阻塞 2）"
    assert composed(english(notice("alert", mixed)), "slack", lang="en").subject == \
        "URGENT: 3 items need action now (1 unanswered incident · 2 blocked items)"
    assert composed(notice("alert", [blocked(3, "供应商合同")], content=again)).subject == "再次提醒：供应商合同，首次提醒 30分钟 后仍未处理"
    assert composed(english(notice("alert", [blocked(3, "Contract")], content=again)), "slack", lang="en").subject == \
        "Reminder: Contract is still not handled 30 min after the first alert"
    line = bodies(notice("digest", [item(1, title="官网商城结账失败，所有在线用户受影响。")]))[0]["markdown"]["content"]
    assert "所有在线用户受影响 · 负责人：张伟" in line             # a line, too: no "。 ·"
    alike = [urgent("官网商城结账失败，所有在线用户受影响。"), urgent("机房断电", 30)]
    assert composed(notice("alert", alike)).subject == "紧急：紧急事务未响应：官网商城结账失败，所有在线用户受影响 等 2 项"
    shop = urgent("Online shop checkout fails; all online customers affected.")
    title = composed(english(notice("alert", [shop, urgent("机房断电", 30)])), "slack", lang="en").subject
    assert title == "URGENT: Incident unanswered: Online shop checkout fails; all online customers affected and 1 more"


def test_a_dingtalk_notification_title_is_cut_with_an_ellipsis_between_words():
    shop = urgent("Online shop checkout fails; all online customers affected")
    [body] = bodies(english(notice("alert", [shop, urgent("机房断电", 30)])), "dingtalk", lang="en")
    assert body["markdown"]["title"] == "URGENT: Incident unanswered: Online shop checkout fails; all…"
    assert len(body["markdown"]["title"]) <= 64
    short = composed(notice("alert", [incident()]), "dingtalk")
    [body] = Envelope.unpack(short.message().message).bodies("dingtalk")
    assert body["markdown"]["title"] == short.subject == "紧急：紧急事务未响应：机房断电"     # uncut: no "…"


def test_a_post_without_an_answer_is_said_truly_in_each_language():
    timed_out = no_answer("no answer within 0.3 s", maybe_sent=True)
    assert (timed_out.zh, timed_out.en) == ("群机器人 0.3 秒内没有应答", "no usable answer from the group bot (no answer within 0.3 s)")
    assert "重试" not in timed_out.zh and "retry" not in timed_out.en          # it is set aside, not retried
    refused = no_answer("[Errno 111] Connection refused", maybe_sent=False)
    assert refused.zh == "无法连接群机器人（连接被拒绝），稍后重试" and refused.en.endswith("; will retry")
    assert not any("a" <= c.lower() <= "z" for c in refused.zh)


def test_the_fix_names_the_group_table_as_toml_writes_it_and_an_unset_variable_is_set_not_changed():
    refused = bilingual("DingTalk signature refused", "钉钉加签失败")
    said = held("紧急群", refused, '[im.groups."紧急群"] secret_env (DUBAN_IM_URGENT_SECRET)', "D", "zh")
    assert ('请检查环境变量 DUBAN_IM_URGENT_SECRET 的值（[im.groups."紧急群"] secret_env 所指；或系统密钥环 duban 中的'
            '同名项），然后运行 duban outbox D --retry。') in said       # the value is wrong, not the duban.toml line
    assert held("ops", refused, "[im.groups.ops] keyword (督办)", "D", "en").endswith(
        "Fix [im.groups.ops] keyword (督办), then run duban outbox D --retry.")
    unset = bilingual("set the environment variable X where duban runs (or store it with keyring set duban X)",
                      "在 duban 运行的环境中设置环境变量 X（或用 keyring set duban X 存入系统密钥环）")
    said = held("研发群", bilingual("the webhook is not set", "webhook 地址未设置"), unset, "D", "zh")
    assert "请在 duban 运行的环境中设置环境变量 X" in said and "修改" not in said
    assert "Set the environment variable X where duban runs" in held("研发群", "x", unset, "D", "en")


def test_a_group_name_that_is_a_bare_key_is_not_quoted(monkeypatch, tmp_path):
    from duban.jobs.settings.typed import ImGroup
    from duban.mailer.im.transport import GroupTransport

    monkeypatch.setenv("DUBAN_T_URL", "https://127.0.0.1:9/hook")
    for name, table in (("ops-1", "[im.groups.ops-1]"), ("研发群", '[im.groups."研发群"]'), ('a"b', r'[im.groups."a\"b"]')):
        made = GroupTransport(ImGroup(name, "wecom", "DUBAN_T_URL"), tmp_path / "s.db", datetime(2026, 11, 23, 9))
        assert made._refused_setting("webhook") == f"{table} webhook_env (DUBAN_T_URL)"
