"""The eight standard workbook kinds, declared as data (SPEC "The standard workbooks"), and their registry.

A kind is one `Kind` declaration: its columns (headers in both languages, types, roles, choices,
help) say everything the rest of duban needs; which rules apply follows from the roles it has
(workbooks.model.flags `needs`), and whether the reports count it from its status column (`counted`).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from duban.workbooks.model.schema import Column, ColumnType as T, Kind, Role as R
from duban.workbooks.model.shared import (  # noqa: F401  (re-exported: the kinds' dropdowns)
    INCIDENT_STATUS,
    INCIDENT_TYPE,
    LANGUAGE,
    PRIORITY,
    PROGRESS_STEPS,
    REMINDERS,
    REQUEST_STATUS,
    TIER,
    WORK_STATUS,
    YES_NO,
    alerts_column,
    id_column,
    last_update_column,
    snoozed_column,
)

TASKS = Kind(
    "tasks", "任务跟进表", "Tasks", "任务跟进表.xlsx", "Tasks.xlsx", "T",
    (
        id_column(),
        Column("task", "任务名称", "Task", T.TEXT, True, R.TITLE, width=28,
               help_zh="任务名称，建议写成“项目名-模块-负责人-截止日”。",
               help_en="What is to be done; e.g. \"Project-module-owner-deadline\"."),
        Column("project", "所属项目", "Project", T.TEXT, role=R.PROJECT, width=18,
               help_zh="任务所属的项目名称，用于按项目汇总。", help_en="The project the task belongs to, for per-project summaries."),
        Column("initiator", "发起人", "Initiator", T.PEOPLE, role=R.INITIATOR, width=10,
               help_zh="布置任务的人，升级提醒时抄送。", help_en="Who assigned the task; copied on escalations."),
        Column("owner", "负责人", "Owner", T.PERSON, True, R.OWNER, width=10,
               help_zh="唯一负责人（只填一人），接收提醒。", help_en="The one person responsible (exactly one); receives reminders."),
        Column("collaborators", "协作人", "Collaborators", T.PEOPLE, role=R.COLLABORATORS, width=14,
               help_zh="协助完成的人，多人用“、”分隔。", help_en="People helping; separate several with commas."),
        Column("department", "负责部门", "Department", T.DEPARTMENT, role=R.DEPARTMENT, width=10,
               help_zh="负责人所在部门，用于部门周报。", help_en="The owner's department, for department reports."),
        Column("priority", "优先级", "Priority", T.ENUM, role=R.PRIORITY, choices=PRIORITY, width=8,
               help_zh="高/中/低；“高”优先级的阻塞会立即提醒。", help_en="High/Medium/Low; a blocked High item alerts at once."),
        Column("due", "截止日期", "Due", T.DATE, True, R.DUE, width=12,
               help_zh="截止日期，请预留1-2天缓冲期。", help_en="Deadline; leave one or two days of buffer."),
        Column("progress", "当前进度", "Progress", T.PERCENT, role=R.PROGRESS, width=10,
               help_zh="0%、25%、50%、75%或100%；已完成的任务应为100%。",
               help_en="0%, 25%, 50%, 75% or 100%; a done task should be at 100%."),
        Column("status", "状态", "Status", T.ENUM, role=R.STATUS, choices=WORK_STATUS, width=10,
               help_zh="未开始/进行中/已完成/阻塞/延期；遇到阻塞请选“阻塞”并填写需协助部门。",
               help_en="Not started/In progress/Done/Blocked/Delayed; when blocked, also fill Help needed from."),
        Column("help_from", "需协助部门", "Help needed from", T.DEPARTMENT, role=R.HELP_FROM, width=12,
               help_zh="需要哪个部门协助；填写后通知该部门负责人。",
               help_en="Which department must help; its head is notified."),
        Column("note", "完成情况简述", "Progress note", T.TEXT, role=R.NOTE, width=30,
               help_zh="写明现状、原因和需要的支持资源。", help_en="State of play, cause, and the support needed."),
        last_update_column(),
        snoozed_column(),
        alerts_column(),
    ),
    help_zh="日常任务同步跟进：一个任务对应唯一负责人，负责人按期更新进度。",
    help_en="Day-to-day task follow-up: one owner per task, who keeps its progress up to date.",
)

PROJECTS = Kind(
    "projects", "项目协作记录表", "Project log", "项目协作记录表.xlsx", "Project log.xlsx", "P",
    (
        id_column(),
        Column("project", "项目名称", "Project", T.TEXT, True, R.PROJECT, width=18,
               help_zh="跨部门项目名称。", help_en="The cross-department project."),
        Column("initiator", "发起人/部门", "Initiator", T.PEOPLE, role=R.INITIATOR, width=12,
               help_zh="发起项目的人或部门。", help_en="Who (or which department) started the project."),
        Column("participants", "参与人/部门", "Participants", T.TEXT, width=20,
               help_zh="参与的人或部门。", help_en="People or departments taking part."),
        Column("item", "沟通事项", "Item", T.TEXT, True, R.TITLE, width=26,
               help_zh="需要协作完成的具体事项。", help_en="The specific matter to be worked on together."),
        Column("lead", "主导方", "Lead dept", T.DEPARTMENT, role=R.DEPARTMENT, width=10,
               help_zh="统筹进度、对结果负主要责任的部门。", help_en="The department that drives the item and answers for the result."),
        Column("cooperating", "协作方", "Cooperating depts", T.TEXT, width=14,
               help_zh="配合完成的部门。", help_en="Departments that contribute."),
        Column("due", "时间节点", "Due", T.DATE, True, R.DUE, width=12,
               help_zh="须完成的日期。", help_en="The date it must be done by."),
        Column("owner", "负责人", "Owner", T.PERSON, True, R.OWNER, width=10,
               help_zh="唯一负责人，接收提醒。", help_en="The one person responsible; receives reminders."),
        Column("status", "完成状态", "Status", T.ENUM, role=R.STATUS, choices=WORK_STATUS, width=10,
               help_zh="未开始/进行中/已完成/延期/阻塞。", help_en="Not started/In progress/Done/Delayed/Blocked."),
        Column("notes", "备注/问题反馈", "Notes", T.TEXT, role=R.NOTE, width=28,
               help_zh="问题反馈：现状、原因、需支持资源。", help_en="Issues: state, cause, support needed."),
        last_update_column(),
        snoozed_column(),
        alerts_column(),
    ),
    help_zh="跨部门项目协作沟通记录：每个事项标明主导方、协作方和负责人。",
    help_en="Cross-department project log: every item names its lead, cooperating departments and owner.",
)

REQUESTS = Kind(
    "requests", "跨部门协作需求单", "Requests", "跨部门协作需求单.xlsx", "Requests.xlsx", "R",
    (
        id_column(),
        Column("request", "需求内容", "Request", T.TEXT, True, R.TITLE, width=28,
               help_zh="需要对方部门做什么。", help_en="What the other department is asked to do."),
        Column("background", "背景与目标", "Background", T.TEXT, width=24,
               help_zh="为什么需要、要达到什么目标。", help_en="Why it is needed and what it should achieve."),
        Column("from_dept", "发起部门", "From dept", T.DEPARTMENT, True, width=10,
               help_zh="提出需求的部门。", help_en="The requesting department."),
        Column("requester", "发起人", "Requester", T.PERSON, True, R.INITIATOR, width=10,
               help_zh="提出需求的人。", help_en="The person asking."),
        Column("to_dept", "承接部门", "To dept", T.DEPARTMENT, True, R.DEPARTMENT, width=10,
               help_zh="承接需求的部门。", help_en="The department asked."),
        Column("receiver", "对接人(首接人)", "Receiver", T.PERSON, role=R.OWNER, width=12,
               aliases=("对接人", "首接人"),
               help_zh="首接负责人：第一个接收需求的人，负责推动直至闭环。",
               help_en="First receiver: the first person to take the request, who owns it until it is closed."),
        Column("priority", "优先级", "Priority", T.ENUM, role=R.PRIORITY, choices=PRIORITY, width=8,
               help_zh="高/中/低。", help_en="High/Medium/Low."),
        Column("submitted", "提交时间", "Submitted", T.DATETIME, True, R.SUBMITTED, width=16,
               help_zh="需求提交的日期和时间。", help_en="Date and time the request was submitted."),
        Column("wanted_by", "期望交付时间", "Wanted by", T.DATE, role=R.DUE, width=12,
               help_zh="希望交付的日期。", help_en="When the requester wants it delivered."),
        Column("acknowledged", "确认接收时间", "Acknowledged", T.DATETIME, role=R.ACKNOWLEDGED, width=16,
               help_zh="承接方确认接收的时间，应在提交后{ack}个工作小时内。",
               help_en="When the receiving side acknowledged it; due within {ack_hours}."),
        Column("first_plan", "初步方案反馈时间", "First plan", T.DATETIME, role=R.FIRST_PLAN, width=16,
               help_zh="反馈初步方案的时间，应在提交后{first_plan}小时内。",
               help_en="When a first plan was sent back; due within {first_plan_hours}."),
        Column("status", "状态", "Status", T.ENUM, role=R.STATUS, choices=REQUEST_STATUS, width=10,
               help_zh="待确认/已接收/处理中/已完成/已拒绝。", help_en="Pending/Received/In progress/Done/Rejected."),
        Column("notes", "备注", "Notes", T.TEXT, role=R.NOTE, width=24,
               help_zh="无法满足时说明原因及替代方案。", help_en="If it cannot be done: why, and the alternative."),
        snoozed_column(),
        alerts_column(),
    ),
    help_zh="跨部门协作需求单：承接方{ack}小时内确认接收，{first_plan}小时内反馈初步方案。",
    help_en="Cross-department requests: acknowledge within {ack_plain_hours}, send a first plan within {first_plan_hours}.",
)

INCIDENTS = Kind(
    "incidents", "紧急事务响应表", "Incidents", "紧急事务响应表.xlsx", "Incidents.xlsx", "I",
    (
        id_column(),
        Column("type", "类型", "Type", T.ENUM, choices=INCIDENT_TYPE, width=10,
               help_zh="客诉/系统故障/舆情/设备故障/其他。", help_en="Complaint/System failure/Public opinion/Equipment failure/Other."),
        Column("reporter", "发起人", "Reporter", T.PERSON, True, R.INITIATOR, width=10,
               help_zh="报告事务的人。", help_en="Who reported it."),
        Column("occurred", "发生时间", "Occurred", T.DATETIME, True, R.OCCURRED, width=16,
               help_zh="事务发生的日期和时间。", help_en="Date and time it happened."),
        Column("description", "事务描述(含影响范围)", "Description", T.TEXT, True, R.TITLE, width=30,
               aliases=("事务描述",),
               help_zh="发生了什么、影响范围多大。", help_en="What happened and how far it reaches."),
        Column("department", "所属部门", "Department", T.DEPARTMENT, role=R.DEPARTMENT, width=10,
               help_zh="负责处理的部门。", help_en="The department handling it."),
        Column("responder", "响应人", "Responder", T.PERSON, role=R.OWNER, width=10,
               help_zh="负责响应的人，须在{response}分钟内响应。", help_en="Who responds; must respond within {response_minutes}."),
        Column("responded", "响应时间", "Responded", T.DATETIME, role=R.RESPONDED, width=16,
               help_zh="首次响应的时间。", help_en="When the first response was made."),
        Column("plan", "处理方案", "Plan", T.TEXT, width=26,
               help_zh="处理步骤、责任人和时间。", help_en="Steps, who does them, by when."),
        Column("eta", "预计完成时间", "ETA", T.DATETIME, role=R.DUE, width=16,
               help_zh="预计处理完成的时间。", help_en="When it is expected to be resolved."),
        Column("report_filed", "报告提交时间", "Report filed", T.DATETIME, role=R.REPORT_FILED, width=16,
               help_zh="《紧急事件处理报告》提交时间，应在{report}小时内。",
               help_en="When the incident report was filed; due within {report_hours}."),
        Column("status", "状态", "Status", T.ENUM, role=R.STATUS, choices=INCIDENT_STATUS, width=10,
               help_zh="待响应/处理中/已解决/已关闭。", help_en="Awaiting response/In progress/Resolved/Closed."),
        snoozed_column(),
        alerts_column(),
    ),
    help_zh="紧急事务快速响应：{response}分钟内响应，{report}小时内提交处理报告。",
    help_en="Urgent matters: respond within {response_minutes}, file the report within {report_hours}.",
)

MEETINGS = Kind(
    "meetings", "会议纪要行动项", "Meeting actions", "会议纪要行动项.xlsx", "Meeting actions.xlsx", "M",
    (
        id_column(),
        Column("meeting", "会议名称", "Meeting", T.TEXT, True, width=20,
               help_zh="协调会议的名称。", help_en="The coordination meeting."),
        Column("held_at", "会议时间", "Held at", T.DATETIME, True, R.HELD_AT, width=16,
               help_zh="会议召开的日期和时间。", help_en="Date and time the meeting was held."),
        Column("host", "主持人", "Host", T.PERSON, width=10, help_zh="会议主持人。", help_en="Who chaired it."),
        Column("recorder", "记录人", "Recorder", T.PERSON, True, width=10,
               help_zh="记录人，会议开始后{minutes}小时内发出纪要。",
               help_en="Who takes the minutes; sends them within {minutes_hours} of the meeting's start."),
        Column("minutes_sent", "纪要发出时间", "Minutes sent", T.DATETIME, role=R.MINUTES_SENT, width=16,
               help_zh="纪要发给所有参会人的时间。", help_en="When the minutes went to everyone who attended."),
        Column("action", "行动项", "Action", T.TEXT, True, R.TITLE, width=26,
               help_zh="会议议定的具体行动。", help_en="The action agreed at the meeting."),
        Column("owner", "负责人", "Owner", T.PERSON, True, R.OWNER, width=10,
               help_zh="行动项唯一负责人。", help_en="The one person responsible for the action."),
        Column("supporting", "配合部门", "Supporting dept", T.TEXT, width=12,
               help_zh="需要配合的部门。", help_en="Departments that support it."),
        Column("due", "完成时限", "Due", T.DATE, True, R.DUE, width=12,
               help_zh="行动项须完成的日期。", help_en="Date the action must be done by."),
        Column("resources", "所需资源", "Resources", T.TEXT, width=18,
               help_zh="完成所需的人力、预算、设备。", help_en="People, budget or equipment needed."),
        Column("status", "状态", "Status", T.ENUM, role=R.STATUS, choices=WORK_STATUS, width=10,
               help_zh="未开始/进行中/已完成/阻塞/延期。", help_en="Not started/In progress/Done/Blocked/Delayed."),
        snoozed_column(),
        alerts_column(),
    ),
    help_zh="跨部门协调会议纪要的行动项：会议开始后{minutes}小时内发出纪要，行动项按时限完成。",
    help_en="Action items from coordination meetings: minutes within {minutes_hours}, actions by their due date.",
)

CUSTOMERS = Kind(
    "customers", "客户分层跟进表", "Customers", "客户分层跟进表.xlsx", "Customers.xlsx", "C",
    (
        id_column(),
        Column("customer", "客户名称", "Customer", T.TEXT, True, R.TITLE, width=22,
               help_zh="客户名称。", help_en="The customer."),
        Column("purchases", "年采购额(万元)", "Annual purchases (10k CNY)", T.NUMBER, role=R.PURCHASES, width=14,
               aliases=("年采购额",),
               help_zh="年采购额，单位万元；客户层级为空时据此判定。",
               help_en="Annual purchases in 10,000 CNY; sets the tier when Tier is blank."),
        Column("tier", "客户层级", "Tier", T.ENUM, role=R.TIER, choices=TIER, width=10,
               help_zh="战略（≥{strategic_at}万）/重点（{key_at}-{strategic_at}万）/普通（<{key_at}万）；为空时按年采购额判定。",
               help_en="Strategic (≥{strategic_at_m})/Key ({key_at_m_bare}-{strategic_at_m})/Regular (<{key_at_m}); derived from purchases when blank."),
        Column("manager", "客户经理", "Account manager", T.PERSON, True, R.OWNER, width=10,
               help_zh="专属客户经理，接收回访提醒。", help_en="The account manager; receives follow-up reminders."),
        Column("channel", "沟通渠道", "Channel", T.TEXT, width=12,
               help_zh="电话、微信、邮件、拜访等。", help_en="Phone, WeChat, email, visit…"),
        Column("last_contact", "上次沟通日期", "Last contact", T.DATE, role=R.LAST_CONTACT, width=12,
               help_zh="最近一次沟通的日期。", help_en="Date of the last contact."),
        Column("next_visit", "下次回访日期", "Next visit", T.DATE, role=R.NEXT_VISIT, width=12,
               help_zh="计划下次回访的日期。", help_en="Planned date of the next follow-up."),
        Column("notes", "备注", "Notes", T.TEXT, width=24, help_zh="沟通要点。", help_en="Points discussed."),
        alerts_column(),
    ),
    help_zh="客户分层跟进：战略客户每周、重点客户每两周、普通客户每月至少沟通一次。",
    help_en="Tiered customer follow-up: strategic weekly, key every two weeks, regular monthly.",
)

RACI = Kind(
    "raci", "RACI权责表", "RACI", "RACI权责表.xlsx", "RACI.xlsx", "X",
    (
        id_column(),
        Column("project", "项目", "Project", T.TEXT, True, R.PROJECT, width=18,
               help_zh="核心项目名称。", help_en="The core project."),
        Column("task", "任务", "Task", T.TEXT, True, R.TITLE, width=22,
               help_zh="项目中的任务，与任务跟进表中的任务名称一致。",
               help_en="A task of the project, named as in the Tasks workbook."),
        Column("responsible", "负责人R", "Responsible", T.PEOPLE, role=R.RESPONSIBLE, width=12,
               help_zh="R：执行任务的人。", help_en="R: who does the work."),
        Column("accountable", "审批人A", "Accountable", T.PERSON, role=R.ACCOUNTABLE, width=12,
               help_zh="A：审批并对结果负责的人，接收升级提醒。", help_en="A: who approves and answers for it; receives escalations."),
        Column("consulted", "咨询人C", "Consulted", T.PEOPLE, role=R.CONSULTED, width=12,
               help_zh="C：提供意见的人。", help_en="C: who gives input."),
        Column("informed", "知情人I", "Informed", T.PEOPLE, role=R.INFORMED, width=12,
               help_zh="I：需要知晓进展的人，接收周报。", help_en="I: who is kept informed; receives the weekly summary."),
    ),
    help_zh="RACI权责表：每个任务的执行人、审批人、咨询人和知情人。",
    help_en="RACI matrix: who is Responsible, Accountable, Consulted and Informed for each task.",
    signature=("responsible", "accountable", "consulted", "informed"),
)

DIRECTORY = Kind(
    "directory", "通讯录", "Directory", "通讯录.xlsx", "Directory.xlsx", "D",
    (
        id_column(),
        Column("name", "姓名", "Name", T.TEXT, True, R.NAME, width=10,
               help_zh="姓名，与各表中填写的人名一致。", help_en="Name, exactly as written in the other workbooks."),
        Column("department", "部门", "Department", T.DEPARTMENT, True, R.DEPARTMENT, width=12,
               help_zh="所在部门。", help_en="Department."),
        Column("email", "邮箱", "Email", T.TEXT, True, R.EMAIL, width=26,
               help_zh="接收提醒的邮箱。", help_en="Where reminders are sent."),
        Column("title", "职务", "Title", T.TEXT, width=12, help_zh="职务。", help_en="Job title."),
        Column("dept_head", "部门负责人", "Dept head", T.ENUM, role=R.DEPT_HEAD, choices=YES_NO, width=10,
               help_zh="是/否；部门负责人接收升级提醒和部门周报。",
               help_en="Yes/No; department heads receive escalations and the weekly report."),
        Column("manager", "直属上级", "Manager", T.PERSON, role=R.MANAGER, width=10,
               help_zh="直属上级姓名。", help_en="Direct manager."),
        Column("language", "语言", "Language", T.ENUM, role=R.LANGUAGE, choices=LANGUAGE, width=8,
               help_zh="zh 中文 / en 英文，决定邮件语言。", help_en="zh or en: the language of this person's mail."),
        # Optional: how and when a person hears (a directory without them reads as before)
        Column("reminders", "提醒方式", "Reminders", T.ENUM, role=R.REMINDERS, choices=REMINDERS, width=10,
               aliases=("接收方式",),
               help_zh="邮件（默认）/仅群消息/每周：每日摘要的接收方式；升级和紧急提醒总是发送，不能关闭。",
               help_en="Mail (default) / Group only / Weekly: how the daily digest reaches the person; "
                       "escalations and urgent alerts always go and cannot be muted."),
        Column("away_until", "休假至", "Away until", T.DATE, role=R.AWAY_UNTIL, width=12, aliases=("休假到", "外出至"),
               help_zh="休假或外出的最后一天；在此之前，摘要和紧急提醒发给代理人并抄送本人。",
               help_en="The last day away; until then digests and urgent alerts go to the stand-in, with this person in cc."),
        Column("stand_in", "代理人", "Stand-in", T.PERSON, role=R.STAND_IN, width=10, aliases=("代理", "职务代理人"),
               help_zh="休假期间代为接收提醒的人（须在通讯录中）。",
               help_en="Who receives this person's reminders while away (must be in this directory)."),
        # Optional: who a group bot can @-mention (a directory without them reads as before)
        Column("mobile", "手机", "Mobile", T.MOBILE, width=15, aliases=("手机号", "手机号码", "移动电话"),
               help_zh="11位手机号码，企业微信和钉钉群消息据此@本人；可留空（群消息只显示姓名，不@此人）。",
               help_en="11-digit mobile number: WeCom and DingTalk group messages @-mention the person by it; "
                       "may be left empty (the name alone, no @)."),
        Column("wecom_id", "企业微信ID", "WeCom user ID", T.TEXT, width=14, aliases=("企业微信账号", "企业微信UserID"),
               help_zh="企业微信的成员账号（UserID，管理后台“通讯录”中可查）；可留空。",
               help_en="The WeCom member account (UserID, shown under Contacts in the admin console); may be left empty."),
        Column("dingtalk_id", "钉钉ID", "DingTalk user ID", T.TEXT, width=14, aliases=("钉钉UserID", "钉钉账号"),
               help_zh="钉钉的用户ID（userid，管理后台“通讯录”中可查）；可留空。",
               help_en="The DingTalk user ID (userid, shown under Contacts in the admin console); may be left empty."),
        Column("feishu_id", "飞书ID", "Feishu user ID", T.TEXT, width=14, aliases=("飞书UserID", "飞书账号"),
               help_zh="飞书的用户ID（user_id，管理后台“成员”中可查）；飞书群消息只能据此@本人；可留空。",
               help_en="The Feishu / Lark user ID (user_id, shown under Members in the admin console): Feishu "
                       "group messages can @-mention only by it; may be left empty."),
    ),
    help_zh="通讯录：发送提醒和升级所需的人员、部门、邮箱和部门负责人；手机和各平台ID用于群消息@本人（可不填）。",
    help_en="Directory: people, departments, email addresses and department heads, used to send mail; "
            "mobile numbers and platform IDs (optional) let group messages @-mention people.",
)

# The registry: every kind by key. Reading, the templates, `duban init`, the rules (by the columns
# a kind has), the mail, explain and the summary all take the kinds from here; `register` adds one.
KINDS: dict[str, Kind] = {k.key: k for k in (TASKS, PROJECTS, REQUESTS, INCIDENTS, MEETINGS, CUSTOMERS, RACI, DIRECTORY)}


def kind(key: str) -> Kind:
    return KINDS[key]


def register(new: Kind) -> None:
    """Add a workbook kind: from then on it is read, checked, mailed, explained and summarised."""
    for known in KINDS.values():
        clash = ("key" if known.key == new.key else "ID prefix" if known.id_prefix == new.id_prefix
                 else "sheet name" if {known.sheet_zh, known.sheet_en} & {new.sheet_zh, new.sheet_en} else "")
        if clash:
            raise ValueError(f"kind {new.key!r} has the {clash} of kind {known.key!r}")
    KINDS[new.key] = new


def unregister(key: str) -> None:
    KINDS.pop(key, None)


@contextmanager
def registered(new: Kind) -> Iterator[Kind]:
    """`new` registered for the length of a `with` block (tests add a toy kind this way)."""
    register(new)
    try:
        yield new
    finally:
        unregister(new.key)


def counted(kind: Kind) -> bool:
    """The weekly and monthly reports count the rows of a kind with a status (open, done, blocked
    need one): tasks, projects, requests, incidents, meeting actions, and any kind added with one."""
    return kind.status_column is not None
