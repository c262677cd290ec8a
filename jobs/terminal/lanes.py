"""Group bots beside mail on the terminal: a group as a recipient ("群 研发群" / "group 研发群"), each
group lane's counts and its settings hold with the sentence to fix it, in company.language.

The counts come as data (jobs.serve.status.lane_counts, per lane "mail" / "group:<name>"); a hold's
reason and setting are the transport's, in both languages, said by mailer.reasons in the reader's.
"""
from __future__ import annotations

from duban.jobs.serve.selfalert import bare as sentence, held
from duban.mailer.im.lane import PREFIX, group_of, lane
from duban.mailer.reasons import error_text

TEXT = {
    "zh": {"to": "群 {name}", "group": "群「{name}」",
           "counts": "{group}{platform}：{waiting} 条等待发送（其中 {held} 条暂存至上班时间），最早排队于 {oldest}；"
                     "{failed} 条失败，{given_up} 条已放弃，{set_aside} 条已搁置，{sent} 条已发出",
           "counts_held": "{group}{platform}：{waiting} 条暂停发送（设置有误，见下），最早排队于 {oldest}；"
                          "{failed} 条失败，{given_up} 条已放弃，{set_aside} 条已搁置，{sent} 条已发出",
           "gone": "（已不在 duban.toml 中）",
           "paused": "{group}暂缓发送：{why}",
           "failed": "{group}的消息未发出，不再重试（数据问题报告会告知文员）：{subject}（{error}）",
           "sent": "{n} 条群消息已发到{group}", "waiting": "{group}：{n} 条消息等待发送",
           "paused_n": "{group}：{n} 条消息暂停发送（设置有误）",
           "given_up": "{group}：{n} 条消息等待过久，已放弃（数据问题报告会告知文员）",
           "down": "{group}暂时发不出去（{error}）：消息保留在队列中，下次运行时重试。"},
    "en": {"to": "group {name}", "group": "group {name}",
           "counts": "{group}{platform}: {waiting} waiting ({held} held for office hours), oldest {oldest}; "
                     "{failed} failed, {given_up} given up, {set_aside} set aside, {sent} sent",
           "counts_held": "{group}{platform}: {waiting} paused (a setting is wrong, see below), oldest {oldest}; "
                          "{failed} failed, {given_up} given up, {set_aside} set aside, {sent} sent",
           "gone": " (no longer in duban.toml)",
           "paused": "{group} waits: {why}",
           "failed": "Not sent to {group} and not retried (the clerks' problems report names it): {subject} ({error})",
           "sent": "{n} group message(s) sent to {group}", "waiting": "{group}: {n} message(s) waiting",
           "paused_n": "{group}: {n} message(s) paused (a setting is wrong)",
           "given_up": "{group}: {n} message(s) given up after waiting too long (the clerks' problems report names them)",
           "down": "{group} could not be reached ({error}): its messages stay queued and are retried on the next run."},
}


def held_count(mails: int, group_messages: int, lang: str) -> str:
    """"8 封邮件", "8 封邮件和 2 条群消息", "2 条群消息" / "8 mails and 2 group messages": what waits."""
    if lang == "zh":
        parts = [f"{mails} 封邮件"] * bool(mails) + [f"{group_messages} 条群消息"] * bool(group_messages)
        return "和 ".join(parts)
    parts = [f"{mails} mail{'s' * (mails != 1)}"] * bool(mails) + \
        [f"{group_messages} group message{'s' * (group_messages != 1)}"] * bool(group_messages)
    return " and ".join(parts)


def _t(lang: str) -> dict:
    return TEXT.get(lang, TEXT["zh"])


def group_name(channel: str, to: str = "") -> str:
    """The group a message goes to, "" for mail: from its lane ("group:<name>"), else (a planned
    group notice, on the group channel) from its recipient "#<name>"."""
    if channel == PREFIX.rstrip(":"):
        return to[1:] if to.startswith("#") else to
    return group_of(channel)


def recipient(channel: str, to: str, lang: str) -> str:
    """The To column: a person's name as it is; a group as "群 研发群" / "group 研发群"."""
    name = group_name(channel, to)
    return _t(lang)["to"].format(name=name) if name else to


def about_a_group(setting: str) -> bool:
    """Does a refused setting name a group bot's ([im.groups.…], im.groups.…), not mail's?"""
    return "im.groups" in (setting or "") or (setting or "").startswith("[im")


def platform_label(platform: str, lang: str) -> str:
    """钉钉 / DingTalk for a configured platform; "" for none (a group since taken out of duban.toml)."""
    if not platform:
        return ""
    from duban.mailer.im.platforms import PLATFORMS
    module = PLATFORMS.get(platform)
    return module.LABEL.get(lang, module.LABEL["zh"]) if module else platform


def lines(groups: dict[str, dict], lang: str, folder: str) -> list[tuple[str, bool]]:
    """For each group: its counts, and (True: to be shown in red) its settings hold with what to fix."""
    t, found = _t(lang), []
    short = lambda at: at[:16].replace("T", " ") if at else "—"   # noqa: E731
    for name, q in groups.items():
        group = t["group"].format(name=name)
        label = platform_label(q.get("platform", ""), lang)
        platform = ((f"（{label}）" if lang == "zh" else f" ({label})") if label else t["gone"])
        counts = t["counts_held" if q.get("setting_refused") else "counts"]
        found.append((counts.format(**{**q, "group": group, "platform": platform,
                                            "oldest": short(q["oldest"])}), False))
        if hold := q.get("setting_refused"):
            since = hold["since"][:16].replace("T", " ") if hold.get("since") else "—"
            found.append((held(name, hold["error"], hold["setting"], folder, lang, since), True))
    return found


def held_lanes(groups: dict[str, dict]) -> set[str]:
    """The lanes of `groups` (jobs.serve.status.groups_of) held by a refused setting."""
    return {lane(name) for name, q in groups.items() if q.get("setting_refused")}


def delivered(delivery, lang: str) -> list[str]:
    """What a delivery did in each group's lane: sent, still waiting (paused, in a lane held by a
    refused setting), given up (mail's lines say mail's; a group's failed and set-aside messages have
    a line each)."""
    t, found = _t(lang), []
    stopped = {found_lane for found_lane, _error, setting in delivery.faults if setting}
    for key, messages in (("sent", delivery.sent), ("waiting", delivery.still_queued), ("given_up", delivery.given_up)):
        by_group: dict[tuple[str, str], int] = {}
        for m in messages:
            if name := group_name(m.channel):
                said = "paused_n" if key == "waiting" and m.channel in stopped else key
                by_group[said, name] = by_group.get((said, name), 0) + 1
        found += [t[said].format(n=n, group=t["group"].format(name=name)) for (said, name), n in by_group.items()]
    return found


def fault(lane: str, error: str, lang: str) -> str:
    """A group lane that could not deliver (its platform down or not answering), as a sentence."""
    return _t(lang)["down"].format(group=_t(lang)["group"].format(name=group_name(lane)),
                                   error=sentence(error_text(error, lang)))


def paused(delivery, lang: str) -> str | None:
    """A group lane that waits, not a fault (its platform's rate limit, duban's pace, Feishu's busy
    minutes): the transport's sentence in the reader's language; None when none waited."""
    if not delivery.waiting:
        return None
    name = next((group_of(m.channel) for m in delivery.still_queued
                 if group_of(m.channel) and m.last_error == delivery.waiting), "")     # the message that waits
    why = sentence(error_text(delivery.waiting, lang))
    return _t(lang)["paused"].format(group=_t(lang)["group"].format(name=name), why=why) if name else why


def failed(message, lang: str) -> str | None:
    """A group message that failed (its platform refused it, or its group left duban.toml), as a
    sentence in `lang`; None for mail (mail's line says the mail server's)."""
    if not (name := group_of(message.channel)):
        return None
    return _t(lang)["failed"].format(group=_t(lang)["group"].format(name=name), subject=message.subject,
                                     error=sentence(error_text(message.last_error or "?", lang)))
