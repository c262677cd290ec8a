"""Review 17 (new-user reading): what the terminal and the mails say is true and in the company's
language -- an empty filtered queue, the chart-font line, the service warnings, the English summary's
wording, the IDs of a skipped workbook, and a customer tier inferred from purchases."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from jobs.rules import customers
from jobs.rules import Context
from jobs.workcal import WorkCalendar
from workbooks.kinds import KINDS
from workbooks.records import make_record

from jobs import config

SH = ZoneInfo("Asia/Shanghai")


def _customer(**values):
    return make_record(KINDS["customers"], 2, {"customer": "华东某集团", "manager": "孙丽", **values})


def test_a_tier_inferred_from_purchases_says_so_where_a_filled_tier_does_not():
    rules = config.defaults()["rules"]
    ctx = Context(datetime(2026, 11, 23, 9, tzinfo=SH), WorkCalendar(), rules, history=lambda r: None,
                  problems=lambda r: [])
    flag = customers.customer_followup_late(_customer(purchases=650, last_contact=date(2026, 11, 14)), ctx)
    assert flag.zh == "战略客户已9天未沟通（周期7天；层级未填，按年采购额650万元视为战略客户）"
    assert flag.en == ("no contact for 9 days (strategic: every 7 days; tier blank, taken as strategic from "
                       "annual purchases of 650 (10k CNY))")
    never = customers.customer_followup_late(_customer(purchases=120), ctx)
    assert never.zh == "重点客户无沟通记录（层级未填，按年采购额120万元视为重点客户）"
    filled = customers.customer_followup_late(_customer(tier="strategic", purchases=650,
                                                        last_contact=date(2026, 11, 14)), ctx)
    assert filled.zh == "战略客户已9天未沟通（周期7天）"
