"""Slack incoming webhooks: `https://hooks.slack.com/services/T…/B…/…` (the address is the secret).

One section block of mrkdwn (at most 3,000 characters) and a plain `text` fallback for
notifications. @-mentions by member ID (`<@U…>`); Slack escapes only & < >, and the neutraliser
has already turned < and > into full-width twins, so a cell's `<!channel>` stays text. Answers:
HTTP 200 with the body `ok`; refusals are 4xx with a word (invalid_payload, no_service,
channel_is_archived, …); 429 when over about one message a second.
"""
from __future__ import annotations

from duban.mailer.im import answer
from duban.mailer.im.answer import Answer
from duban.mailer.im.limits import Limits, within
from duban.mailer.im.message import GroupMessage
from duban.mailer.im.text import fit, headline, link, neutralise, who

NAME = "slack"
LABEL = {"zh": "Slack", "en": "Slack"}
LIMITS = Limits(text_bytes=3000, body_bytes=12000, per_minute=60, per_second=1)
SUPPORTS = {"mentions": "member ID (<@U…>)", "signature": "none: the address is the secret", "image": "no"}
GONE = {"no_service", "no_team", "team_disabled", "invalid_token", "channel_not_found", "channel_is_archived",
        "action_prohibited", "posting_to_general_channel_denied", "no_active_hooks"}


def _escape(text: str) -> str:
    return neutralise(text).replace("&", "&amp;")


def build(message: GroupMessage) -> list[dict]:
    names = [f"<@{p.slack}>" if p.slack else _escape(headline(p.name)) for p in message.addressed]
    links = [link(k.label.replace("&", "&amp;"), k.url, "slack") for k in message.links]
    ending = [x for x in (*links, who(names, message.language), _escape(headline(message.footer))) if x]
    reserve = sum(len(x.encode()) + 1 for x in ending)

    def make(budget: int) -> dict:
        text = "\n".join([fit(f"*{_escape(headline(message.title))}*", [_escape(line) for line in message.lines],
                              budget - reserve, message.language, message.more), *ending])
        return {"text": _escape(headline(message.title)), "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    return [within(make, LIMITS)]


def sign(url: str, body: dict, secret: str, now: float) -> tuple[str, dict]:
    return url, body


def classify(status: int, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    if decided := answer.by_http(LABEL, status, headers):
        return decided
    said = body[:200].decode("utf-8", "replace").strip()
    if status == 200 and said == "ok":
        return answer.OK
    if status in (403, 404, 410) or said in GONE:
        return answer.permanent(answer.WEBHOOK, f"Slack 拒收（{said}）：webhook 已失效（应用被移除、频道已归档或地址有误），请重新创建 incoming webhook",
                                f"Slack refused ({said}): the webhook no longer works (app removed, channel archived "
                                "or address wrong); create the incoming webhook again", said or str(status))
    if status == 400:
        return answer.permanent(answer.MESSAGE, f"Slack 拒绝了消息格式（{said}），请把这条提示转给 duban 的维护人",
                                f"Slack refused the message ({said}); please pass this to duban's maintainer", said)
    return answer.unknown(LABEL, f"HTTP {status}", said)
