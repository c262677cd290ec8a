"""Demo data for `duban init --demo`: realistic rows, dated from today, that fire every rule.

This quarter's new-product launch (seed 002; "Q4新品推广项目" in December) runs through tasks,
project log, RACI and meetings. Every person named is in the directory; the only data problems
are the ones in DEMO_PROBLEMS. The English demo is English throughout: people's names (pinyin,
family name first), departments, everyone's mail language and the typing mistakes.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar

DEMO_PROBLEMS: list[tuple[str, str, str]] = [
    ("tasks", "bad-date", "due"),                          # 截止日期 “11月31日” (English: "Nov 31")
    ("tasks", "status-progress-mismatch", "status"),       # 已完成 but 50%
]

DEPARTMENTS = {
    "市场部": "Marketing", "研发部": "R&D", "销售部": "Sales", "客服部": "Customer Service",
    "财务部": "Finance", "运营部": "Operations", "行政部": "Administration", "产品部": "Product",
    "综合管理部": "General Management",
}

# name, email user, department, title zh, title en, head?, manager, language
PEOPLE = (
    ("张伟", "zhangwei", "市场部", "市场部经理", "Marketing Manager", True, "", "zh"),
    ("李娜", "lina", "市场部", "市场专员", "Marketing Specialist", False, "张伟", "zh"),
    ("陈静", "chenjing", "产品部", "产品总监", "Product Director", True, "", "zh"),
    ("刘洋", "liuyang", "产品部", "产品经理", "Product Manager", False, "陈静", "zh"),
    ("赵磊", "zhaolei", "销售部", "销售总监", "Sales Director", True, "", "zh"),
    ("孙丽", "sunli", "销售部", "销售主管", "Sales Supervisor", False, "赵磊", "zh"),
    ("钱坤", "qiankun", "销售部", "客户经理", "Account Manager", False, "赵磊", "zh"),
    ("周敏", "zhoumin", "客服部", "客服经理", "Customer Service Manager", True, "", "zh"),
    ("吴婷", "wuting", "客服部", "客服专员", "Customer Service Specialist", False, "周敏", "zh"),
    ("郑浩", "zhenghao", "研发部", "研发总监", "R&D Director", True, "", "zh"),
    ("马超", "machao", "研发部", "开发工程师", "Software Engineer", False, "郑浩", "zh"),
    ("林峰", "linfeng", "研发部", "测试工程师", "Test Engineer", False, "郑浩", "zh"),
    ("徐凯文", "xukaiwen", "研发部", "数据工程师", "Data Engineer", False, "郑浩", "en"),
    ("何俊", "hejun", "财务部", "财务经理", "Finance Manager", True, "", "zh"),
    ("郭佳", "guojia", "财务部", "会计", "Accountant", False, "何俊", "zh"),
    ("高翔", "gaoxiang", "运营部", "运营总监", "Operations Director", True, "", "zh"),
    ("罗琳", "luolin", "运营部", "运营专员", "Operations Specialist", False, "高翔", "zh"),
    ("宋雨", "songyu", "行政部", "行政主管", "Administration Supervisor", True, "", "zh"),
    ("韩梅", "hanmei", "行政部", "行政专员", "Administration Assistant", False, "宋雨", "zh"),
    ("杨帆", "yangfan", "综合管理部", "综合管理部主任", "Head of General Management", True, "", "zh"),
    ("王芳", "wangfang", "综合管理部", "督办文员", "Follow-up Clerk", False, "杨帆", "zh"),
)

# The English demo's names: pinyin, family name first (as the demo's own English text writes "Wu Ting").
NAMES_EN = {
    "张伟": "Zhang Wei", "李娜": "Li Na", "陈静": "Chen Jing", "刘洋": "Liu Yang", "赵磊": "Zhao Lei",
    "孙丽": "Sun Li", "钱坤": "Qian Kun", "周敏": "Zhou Min", "吴婷": "Wu Ting", "郑浩": "Zheng Hao",
    "马超": "Ma Chao", "林峰": "Lin Feng", "徐凯文": "Xu Kaiwen", "何俊": "He Jun", "郭佳": "Guo Jia",
    "高翔": "Gao Xiang", "罗琳": "Luo Lin", "宋雨": "Song Yu", "韩梅": "Han Mei", "杨帆": "Yang Fan",
    "王芳": "Wang Fang",
}

CLERK = "王芳"          # the demo's follow-up clerk: she gets the problems report


def clerk(lang: str = "zh") -> str:
    """The clerk's name as the demo's directory (in `lang`) writes it."""
    return CLERK if lang == "zh" else NAMES_EN[CLERK]


def _quarter(today: date) -> dict[str, tuple[str, str]]:
    """The names that carry the quarter, for the quarter `today` is in (no "Q3" in December)."""
    q = f"Q{(today.month - 1) // 3 + 1}"
    return {"launch": (f"{q}新品推广项目", f"{q} new product launch"),
            "budget": (f"{q}推广预算编制", f"{q} promotion budget"),
            "budget_cap": (f"确认{q}推广预算上限", f"Confirm the {q} promotion budget cap"),
            "weekly": (f"{q}新品推广周协调会", f"{q} launch weekly coordination")}
SELLING_POINTS = ("新品核心卖点提炼", "Distil the new product's key selling points")
CHANNEL_PLAN = ("渠道推广方案制定", "Draw up the channel promotion plan")
COMPLAINT_TRAINING = ("客诉应对流程培训", "Train staff on the complaint-handling process")
PROMO_MATERIALS = ("推广素材制作", "Produce the promotion materials")


class _Days:
    """Dates and times relative to `today`, counting working days on the China calendar."""

    def __init__(self, today: date):
        self.today = today
        self.named = _quarter(today)      # this quarter's project, budget and meeting names

    def work(self, n: int) -> date:
        """The date `n` working days after (n > 0) or before (n < 0) today."""
        d, step = self.today, (1 if n > 0 else -1)
        for _ in range(abs(n)):
            d += timedelta(days=step)
            while not _is_workday(d):
                d += timedelta(days=step)
        return d

    def cal(self, n: int) -> date:
        return self.today + timedelta(days=n)

    @staticmethod
    def at(d: date, hhmm: str, plus_minutes: int = 0) -> datetime:
        return datetime.combine(d, time.fromisoformat(hhmm)) + timedelta(minutes=plus_minutes)


def _is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:  # a year the calendar package has no data for yet
        return d.weekday() < 5


def demo_rows(today: date, lang: str = "zh") -> dict[str, list[dict]]:
    """Rows for every kind, keyed by kind key; enum values are choice keys, dates are real dates."""
    days = _Days(today)

    def t(pair: tuple[str, str]) -> str:
        return pair[0] if lang == "zh" else pair[1]

    def dept(name: str) -> str:
        return name if lang == "zh" else DEPARTMENTS[name]

    makers = {"tasks": _tasks, "projects": _projects, "requests": _requests, "incidents": _incidents,
              "meetings": _meetings, "customers": _customers, "raci": _raci, "directory": _directory}
    rows = {key: make(days, t, dept) for key, make in makers.items()}
    return rows if lang == "zh" else _in_english(rows)


def _in_english(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The rows with every person's name in English (several names joined by commas, as the
    English template asks) and everyone reading mail in English."""
    from duban.workbooks.model.kinds import KINDS
    from duban.workbooks.model.schema import ColumnType

    def names(value: str) -> str:
        return ", ".join(NAMES_EN[n] for n in value.split("、"))

    for key, found in rows.items():
        people = [c.key for c in KINDS[key].columns if c.type in (ColumnType.PERSON, ColumnType.PEOPLE)]
        if key == "directory":
            people.append("name")
        for row in found:
            for column in people:
                if row.get(column):
                    row[column] = names(row[column])
            if key == "directory":
                row["language"] = "en"
    return rows


def _tasks(d: _Days, t, dept) -> list[dict]:
    def row(task, owner, department, priority, due, progress, status, note, updated=None,
            project=None, initiator="张伟", collaborators="", help_from=""):
        return {"task": t(task), "project": t(project or d.named["launch"]), "initiator": initiator,
                "owner": owner, "collaborators": collaborators, "department": dept(department),
                "priority": priority, "due": due, "progress": progress, "status": status,
                "help_from": dept(help_from) if help_from else "", "note": t(note),
                "last_update": updated or d.today}

    none = ("", "")
    return [
        row(SELLING_POINTS, "刘洋", "产品部", "high", d.work(1), 0.75, "in_progress",
            ("卖点说明初稿已完成（500字以内），用户场景图在修改中。",
             "Draft selling points done (under 500 characters); user scenario images being revised."),
            collaborators="李娜"),                                                          # due soon
        row(CHANNEL_PLAN, "孙丽", "销售部", "high", d.work(6), 0.5, "in_progress",
            ("渠道和投放节奏已定，预算上限待财务部确认。", "Channels and timing set; budget cap awaits Finance."),
            collaborators="钱坤", help_from="财务部"),                                        # help needed
        row(COMPLAINT_TRAINING, "吴婷", "客服部", "high", d.work(8), 0.25, "blocked",
            ("培训课件需产品部提供的FAQ文档，目前尚未收到。", "The training needs Product's FAQ document, not received yet."),
            help_from="产品部"),                                                            # blocked, high
        row(PROMO_MATERIALS, "李娜", "市场部", "medium", d.work(-2), 0.5, "in_progress",
            ("设计人手不足导致延迟，已申请临时支援一名设计师。",
             "Late for lack of designers; one designer has been requested on loan.")),           # overdue
        row(("新品销售培训", "Sales training on the new product"), "赵磊", "销售部", "medium", d.work(12),
            0.0, "not_started", ("培训时间将提前3天通知各区域。", "Regions get the training date 3 days ahead.")),
        row(("月度客户满意度报告", "Monthly customer satisfaction report"), "罗琳", "运营部", "high",
            d.work(-7), 0.75, "in_progress", ("数据收集完毕，分析尚未开始。", "Data collected; analysis not started."),
            updated=d.cal(-16), project=none, initiator="高翔"),                              # escalate, stale
        row(("办公设备采购申请", "Office equipment purchase request"), "何俊", "财务部", "medium", d.work(5),
            0.5, "in_progress", ("预算审批中。", "Budget approval in progress."),
            updated=d.cal(-10), project=none, initiator="宋雨"),                              # stale
        row(("官网新品专题页上线", "Launch the product page on the website"), "马超", "研发部", "medium",
            d.work(-3), 1.0, "done", ("专题页已上线，访问正常。", "Page is live and working.")),          # done
        row(d.named["budget"], "郭佳", "财务部", "low", d.work(-5), 1.0, "done",
            ("预算表已提交市场部。", "Budget sheet sent to Marketing.")),                                 # done
        row(("会员积分系统接口联调", "Integrate the loyalty points API"), "林峰", "研发部", "medium",
            t(("11月31日", "Nov 31")),
            0.5, "in_progress", ("联调环境已就绪。", "Test environment ready."), project=none,
            initiator="郑浩"),                                                          # DEMO_PROBLEMS bad-date
        row(("季度供应商对账", "Quarterly supplier reconciliation"), "郭佳", "财务部", "low", d.work(-1), 0.5,
            "done", ("已与主要供应商核对完毕。", "Checked with the main suppliers."), project=none,
            initiator="何俊"),                                                          # DEMO_PROBLEMS mismatch
        row(("新品发布会场地预订", "Book the launch event venue"), "韩梅", "行政部", "medium", d.work(10), 0.25,
            "in_progress", ("已联系三家场地，等待报价。", "Three venues contacted; awaiting quotes.")),
        row(("新品销售数据看板", "Sales dashboard for the new product"), "徐凯文", "研发部", "medium", d.work(9),
            0.25, "blocked", ("等待运营部开通数据源权限。", "Waiting for Operations to grant data access.")),  # blocked
        row(("经销商合作协议续签", "Renew the distributor agreements"), "孙丽", "销售部", "low", d.work(15), 0.5,
            "delayed", ("两家经销商要求调整返点，顺延一周。", "Two distributors want new rebates; pushed back a week."),
            project=none, initiator="赵磊"),
        row(("用户调研问卷发放", "Send out the user survey"), "李娜", "市场部", "low", d.work(7), 0.5,
            "in_progress", ("已回收问卷320份。", "320 responses so far."), collaborators="罗琳"),
    ]


def _projects(d: _Days, t, dept) -> list[dict]:
    participants = ("产品部、销售部、客服部", "Product, Sales, Customer Service")

    def row(item, lead, cooperating, due, owner, status, notes, updated=None, project=None):
        return {"project": t(project or d.named["launch"]), "initiator": "张伟", "participants": t(participants),
                "item": t(item), "lead": dept(lead), "cooperating": cooperating,
                "due": due, "owner": owner, "status": status, "notes": t(notes),
                "last_update": updated or d.today}

    def depts(*names: str) -> str:
        return t(("、", ", ")).join(dept(n) for n in names)

    return [
        row(("新品上市启动会", "Launch kick-off meeting"), "市场部", depts("产品部", "销售部", "客服部"), d.work(-6),
            "张伟", "done", ("目标：新品上市3个月内用户增长50%。", "Goal: 50% user growth within 3 months of launch.")),
        row(SELLING_POINTS, "产品部", depts("市场部"), d.work(1), "刘洋", "in_progress",
            ("结合用户调研数据提炼。", "Based on the user survey data.")),                     # due soon
        row(CHANNEL_PLAN, "销售部", depts("财务部", "市场部"), d.work(6), "孙丽", "blocked",
            ("预算上限未定，需财务部确认后才能定稿。", "Budget cap not set; Finance must confirm before sign-off.")),
        row(COMPLAINT_TRAINING, "客服部", depts("产品部"), d.work(8), "吴婷", "not_started",
            ("需产品部先提供FAQ文档。", "Needs the FAQ document from Product first.")),
        row(PROMO_MATERIALS, "市场部", depts("产品部"), d.work(-2), "李娜", "delayed",
            ("设计资源紧张，进度滞后。", "Short of design staff; behind schedule.")),          # overdue
        row(("客服工单系统升级", "Upgrade the service ticket system"), "研发部", depts("客服部"), d.work(15), "马超",
            "in_progress", ("需求已评审，开发中。", "Requirements reviewed; in development."), updated=d.cal(-12),
            project=("客服系统优化项目", "Service system improvement")),                    # stale
    ]


def _requests(d: _Days, t, dept) -> list[dict]:
    def row(request, background, from_dept, requester, to_dept, receiver, priority, submitted,
            wanted_by, acknowledged, first_plan, status, notes=("", "")):
        return {"request": t(request), "background": t(background), "from_dept": dept(from_dept),
                "requester": requester, "to_dept": dept(to_dept), "receiver": receiver,
                "priority": priority, "submitted": submitted, "wanted_by": wanted_by,
                "acknowledged": acknowledged, "first_plan": first_plan, "status": status,
                "notes": t(notes)}

    s1, s2 = d.at(d.work(-1), "10:30"), d.at(d.work(-2), "09:40")
    s3, s4 = d.at(d.work(-1), "14:00"), d.at(d.work(-6), "11:00")
    s5, s6 = d.at(d.work(-4), "15:00"), d.at(d.work(-7), "10:00")
    hour = timedelta(hours=1)
    return [
        row(("提供新品FAQ文档", "Provide the new product FAQ"), ("客诉应对培训需要。", "Needed for complaint training."),
            "客服部", "吴婷", "产品部", "刘洋", "high", s1, d.work(4), None, None, "pending"),  # not acknowledged
        row(("临时支援一名设计师", "Lend one designer"), ("推广素材制作人手不足。", "Promotion materials are short-staffed."),
            "市场部", "李娜", "产品部", "陈静", "high", s2, d.work(3), s2 + hour, None, "received"),  # no first plan
        row(("开通新品销售数据权限", "Grant access to new product sales data"),
            ("用于销售数据看板。", "For the sales dashboard."), "研发部", "徐凯文", "运营部", "罗琳", "medium", s3,
            d.work(4), s3 + hour / 2, s3 + 3 * hour, "in_progress"),
        row(d.named["budget_cap"],
            ("渠道推广方案需要预算上限。", "The channel plan needs a budget cap."), "市场部", "张伟", "财务部", "何俊",
            "high", s4, d.work(-2), s4 + hour, s4 + 20 * hour, "done"),
        row(("增加展会临时搭建预算", "Extra budget for a trade-show stand"),
            ("参加行业展会。", "For an industry trade show."), "销售部", "赵磊", "财务部", "郭佳", "low", s5, d.work(2),
            s5 + hour, s5 + 18 * hour, "rejected",
            ("本季度预算已锁定，建议并入下季度展会计划。", "This quarter's budget is locked; fold it into next quarter's show plan.")),
        row(("导出客户满意度调研数据", "Export the customer satisfaction survey data"),
            ("编制月度客户满意度报告。", "For the monthly satisfaction report."), "运营部", "罗琳", "研发部", "马超",
            "medium", s6, d.work(-1), s6 + hour, s6 + 6 * hour, "in_progress"),              # overdue
    ]


def _incidents(d: _Days, t, dept) -> list[dict]:
    def row(type_, reporter, occurred, description, department, responder, responded, plan, eta,
            report_filed, status):
        return {"type": type_, "reporter": reporter, "occurred": occurred, "description": t(description),
                "department": dept(department), "responder": responder, "responded": responded,
                "plan": t(plan), "eta": eta, "report_filed": report_filed, "status": status}

    night = d.at(d.today, "00:00", -140)                       # 21:40 the evening before
    o2, o3, o4 = d.at(d.work(-2), "15:20"), d.at(d.work(-4), "09:10"), d.at(d.work(-6), "20:05")
    mins, hours = (lambda n: timedelta(minutes=n)), (lambda n: timedelta(hours=n))
    none = ("", "")
    return [
        row("system", "吴婷", night, ("官网商城下单页无法提交订单，影响全部线上用户。",
                                      "Online shop checkout fails; all online customers affected."),
            "研发部", "郑浩", None, none, None, None, "awaiting"),                        # unanswered
        row("complaint", "周敏", o2, ("重点客户投诉新品包装破损，涉及约200件。",
                                      "Key customer reports damaged packaging on about 200 units."),
            "客服部", "吴婷", o2 + mins(6), ("先行补发，再排查物流环节，责任人吴婷。",
                                              "Send replacements first, then check the carrier; owner Wu Ting."),
            o2 + hours(72), None, "in_progress"),                                            # report late
        row("equipment", "韩梅", o3, ("三楼会议室投影仪无法开机，影响当日两场会议。",
                                      "Third-floor projector will not start; two meetings affected."),
            "行政部", "宋雨", o3 + mins(5), ("更换备用投影仪并报修。", "Swap in the spare and call for repair."),
            o3 + hours(2), o3 + hours(20), "resolved"),
        row("public_opinion", "李娜", o4, ("社交平台出现新品价格不实传闻。", "False rumours about the new price on social media."),
            "市场部", "张伟", o4 + mins(8), ("发布官方价格说明并跟踪舆情。", "Publish the official price and monitor."),
            o4 + hours(12), o4 + hours(22), "closed"),
    ]


def _meetings(d: _Days, t, dept) -> list[dict]:
    weekly = (d.named["weekly"], d.at(d.work(-1), "14:00"), "张伟", "李娜", None)
    monthly_at = d.at(d.work(-6), "10:00")
    monthly = (("月度跨部门协调会", "Monthly cross-department meeting"), monthly_at, "杨帆", "王芳",
               monthly_at + timedelta(minutes=90))

    def row(meeting, action, owner, supporting, due, resources, status):
        name, held_at, host, recorder, sent = meeting
        return {"meeting": t(name), "held_at": held_at, "host": host, "recorder": recorder,
                "minutes_sent": sent, "action": t(action), "owner": owner, "supporting": supporting,
                "due": due, "resources": t(resources), "status": status}

    return [
        row(weekly, ("协调设计师支援推广素材", "Arrange a designer for the promotion materials"), "陈静",
            dept("市场部"), d.work(4), ("设计师1名，为期一周", "One designer for a week"), "not_started"),  # minutes late
        row(weekly, ("提交渠道投放预算", "Submit the channel budget"), "孙丽", dept("财务部"), d.work(5),
            ("", ""), "in_progress"),
        row(monthly, ("统一各部门周报格式", "One weekly report format for all departments"), "王芳",
            dept("综合管理部"), d.work(-2), ("", ""), "done"),
        row(monthly, ("整理跨部门协作案例库", "Compile cross-department case studies"), "高翔", dept("运营部"),
            d.work(-1), ("共享文件夹", "A shared folder"), "in_progress"),                           # overdue
        row(monthly, ("制定协作满意度调查", "Design the collaboration survey"), "罗琳", dept("综合管理部"),
            d.work(7), ("", ""), "in_progress"),
    ]


def _customers(d: _Days, t, dept) -> list[dict]:
    def row(customer, purchases, tier, manager, channel, last, nxt, notes):
        return {"customer": t(customer), "purchases": purchases, "tier": tier, "manager": manager,
                "channel": t(channel), "last_contact": last, "next_visit": nxt, "notes": t(notes)}

    phone, visit, wechat = ("电话", "Phone"), ("拜访", "Visit"), ("微信", "WeChat")
    return [
        row(("华信连锁超市集团", "Huaxin Supermarket Group"), 820, "strategic", "孙丽", visit, d.cal(-12), d.cal(2),
            ("关注新品首批供货。", "Wants first shipments of the new product.")),                  # late (strategic)
        row(("远航电子科技有限公司", "Yuanhang Electronics"), 650, "", "钱坤", phone, d.cal(-9), d.cal(5),
            ("层级待评定。", "Tier to be assessed.")),                                                # late via 650
        row(("明达物流有限公司", "Mingda Logistics"), 260, "key", "钱坤", wechat, d.cal(-5), d.cal(-2),
            ("约定回访未完成。", "Agreed follow-up not yet made.")),                                    # visit passed
        row(("瑞丰食品股份有限公司", "Ruifeng Foods"), 1200, "strategic", "赵磊", visit, d.cal(-3), d.cal(4),
            ("季度业务回顾已完成。", "Quarterly review done.")),
        row(("嘉禾家居用品店", "Jiahe Home Goods"), 180, "key", "孙丽", phone, d.cal(-6), d.cal(8),
            ("询问新品代理政策。", "Asked about reseller terms.")),
        row(("晨光文具门市部", "Chenguang Stationery"), 45, "regular", "钱坤", wechat, d.cal(-20), d.cal(10),
            ("补货周期稳定。", "Steady reorders.")),
    ]


def _raci(d: _Days, t, dept) -> list[dict]:
    def row(task, r, a, c, i):
        return {"project": t(d.named["launch"]), "task": t(task), "responsible": r, "accountable": a,
                "consulted": c, "informed": i}

    return [
        row(SELLING_POINTS, "刘洋", "陈静", "李娜、孙丽", "张伟"),
        row(CHANNEL_PLAN, "孙丽", "赵磊", "何俊", "张伟、陈静"),
        row(COMPLAINT_TRAINING, "吴婷", "周敏", "刘洋", "张伟"),
        row(PROMO_MATERIALS, "李娜", "张伟", "陈静", "赵磊、杨帆"),
    ]


def _directory(d: _Days, t, dept) -> list[dict]:
    return [{"name": name, "department": dept(department), "email": f"{user}@example.com",
             "title": t((title_zh, title_en)), "dept_head": "yes" if head else "no", "manager": manager,
             "language": language, **_mentions(i, user)}
            for i, (name, user, department, title_zh, title_en, head, manager, language) in enumerate(PEOPLE)]


def _mentions(i: int, user: str) -> dict:
    """The @-mention columns, filled for most people and left empty for some, as a real office
    has them: fake mobile numbers in the 138 0013 8000 style (the usual example number), written
    the ways people write them; WeCom IDs as the account name, DingTalk and Feishu IDs for a few."""
    number = f"138 0013 8{i:03d}"
    written = (number, number.replace(" ", "-"), "+86 " + number, number.replace(" ", ""))[i % 4]
    return {"mobile": None if i % 7 == 5 else written,
            "wecom_id": None if i % 5 == 4 else user.capitalize(),
            "dingtalk_id": f"manager{4100 + i * 37}" if i % 3 == 0 else None,
            "feishu_id": f"{0x5E1A7C00 + i * 0x1F3B:08x}" if i % 2 == 0 else None}


def directory_names(lang: str = "zh") -> list[str]:
    """Every person in the demo directory, in directory order (for the hidden _names sheet)."""
    return [p[0] if lang == "zh" else NAMES_EN[p[0]] for p in PEOPLE]


def directory_departments(lang: str = "zh") -> list[str]:
    """Every department of the demo directory, in directory order (column B of _names)."""
    names = dict.fromkeys(p[2] for p in PEOPLE)
    return [name if lang == "zh" else DEPARTMENTS[name] for name in names]
