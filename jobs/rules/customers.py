"""Customer follow-up cadence by tier (strategic weekly, key fortnightly, regular monthly)."""
from __future__ import annotations

from datetime import timedelta

from duban.jobs.rules.base import Context, Flag, people
from duban.jobs.settings.typed import Rules
from duban.workbooks.model.records import Record
from duban.workbooks.model.schema import Role

TIER_LABELS = {"strategic": ("战略", "strategic"), "key": ("重点", "key"), "regular": ("普通", "regular")}


def tier(rec: Record, thresholds: Rules) -> str:
    """The Tier cell, or when blank the tier its annual purchases put it in (SPEC: ≥500 / 100–500 / <100)."""
    if rec.role(Role.TIER):
        return rec.role(Role.TIER)
    purchases = rec.role(Role.PURCHASES) or 0
    cut = thresholds.tier_thresholds
    return "strategic" if purchases >= cut["strategic"] else "key" if purchases >= cut["key"] else "regular"


def customer_followup_late(rec: Record, ctx: Context) -> Flag | None:
    if rec.kind.role_key(Role.LAST_CONTACT) is None:
        return None
    level = tier(rec, ctx.thresholds)
    cadence = ctx.thresholds.customer_cadence_days[level]
    last, visit = rec.role(Role.LAST_CONTACT), rec.role(Role.NEXT_VISIT)
    owner = people(rec, Role.OWNER)
    zh_tier, en_tier = TIER_LABELS[level]
    zh_why, en_why = _inferred(rec, level)
    if visit is not None and visit < ctx.today:
        return Flag("customer_followup_late", f"回访日期{visit:%m-%d}已过", f"follow-up visit {visit:%m-%d} missed",
                    owner, visit)
    if last is None:
        return Flag("customer_followup_late", f"{zh_tier}客户无沟通记录" + (f"（{zh_why}）" if zh_why else ""),
                    f"no contact on record ({en_tier}{'; ' + en_why if en_why else ''})", owner)
    gap = (ctx.today - last).days
    if gap <= cadence:
        return None
    return Flag("customer_followup_late", f"{zh_tier}客户已{gap}天未沟通（周期{cadence}天{'；' + zh_why if zh_why else ''}）",
                f"no contact for {gap} days ({en_tier}: every {cadence} days{'; ' + en_why if en_why else ''})", owner, last + timedelta(days=cadence))


def _inferred(rec: Record, level: str) -> tuple[str, str]:
    """When the Tier cell is blank the tier came from the annual purchases: say so, with the figure,
    or a manager reads "strategic" about a customer nobody called strategic and cannot see why."""
    if rec.role(Role.TIER):
        return "", ""
    zh_tier, en_tier = TIER_LABELS[level]
    amount = f"{rec.role(Role.PURCHASES) or 0:g}"
    return (f"层级未填，按年采购额{amount}万元视为{zh_tier}客户",
            f"tier blank, taken as {en_tier} from annual purchases of {amount} (10k CNY)")
