"""DingTalk (钉钉) custom group bots: `https://oapi.dingtalk.com/robot/send?access_token=…`.

Security is a keyword, a signature or an IP allow-list, chosen when the bot is made. The
signature: `sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}")))`,
appended to the address as `&timestamp=…&sign=…`; DingTalk refuses a timestamp more than an hour
from its own clock, so `sign` runs again with the current time on every attempt. Every duban
message ends with "督办", so a keyword-secured bot whose keyword is 督办 accepts it.
@-mentions: `at.atMobiles` / `at.atUserIds` plus "@mobile" / "@userid" in the text itself.
Rate: 20 a minute; over that the bot is blocked for ten minutes. Answers: HTTP 200 with
`errcode`; 310000 covers keyword, signature, timestamp and IP alike, and only `errmsg` tells
them apart, which the admins' fix sentence needs.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from duban.mailer.im import answer
from duban.mailer.im.answer import Answer
from duban.mailer.im.limits import Limits, within
from duban.mailer.im.message import GroupMessage
from duban.mailer.im.text import clip, fit, headline, link, neutralise, who

NAME = "dingtalk"
LABEL = {"zh": "钉钉", "en": "DingTalk"}
# DingTalk documents no byte figure for markdown; duban keeps to WeCom's 4,096, which a phone shows whole.
LIMITS = Limits(text_bytes=4096, body_bytes=8192, per_minute=20, blocked_for=600)
SUPPORTS = {"mentions": "mobile (atMobiles) or DingTalk user ID (atUserIds), each also written as @… in the text",
            "signature": "HMAC-SHA256 of timestamp_ms\\nsecret keyed by the secret, in the address",
            "image": "no (DingTalk markdown shows only images at a public URL)"}
# Refusals of one message's content (an unsafe link, unsuitable text or picture, a body too large):
# that message fails; the bot and the next messages are fine.
CONTENT_REFUSED = (430101, 430102, 430103, 430104, 460101)


def signature(secret: str, timestamp_ms: int) -> str:
    """The documented recipe, before URL-encoding: base64(HMAC-SHA256(secret, f"{ts}\\n{secret}"))."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def build(message: GroupMessage) -> list[dict]:
    mobiles = [p.mobile for p in message.addressed if p.mobile]
    user_ids = [p.dingtalk for p in message.addressed if p.dingtalk and not p.mobile]
    names = [f"@{p.mobile}" if p.mobile else f"@{p.dingtalk}" if p.dingtalk else headline(p.name)
             for p in message.addressed]
    title = headline(message.title)
    ending = [x for x in (*(link(k.label, k.url, "markdown") for k in message.links), who(names, message.language),
                          headline(message.footer)) if x]
    reserve = sum(len(x.encode()) + 2 for x in ending)

    def make(budget: int) -> dict:
        text = "\n\n".join([fit(f"#### {title}", [neutralise(line) for line in message.lines], budget - reserve,
                                message.language, message.more, joiner="\n\n"), *ending])
        return {"msgtype": "markdown", "markdown": {"title": clip(title, 64) or "督办", "text": text},
                "at": {"atMobiles": mobiles, "atUserIds": user_ids, "isAtAll": False}}
    return [within(make, LIMITS)]


def sign(url: str, body: dict, secret: str, now: float) -> tuple[str, dict]:
    """The address with `timestamp` and `sign` for this moment (any earlier pair is replaced)."""
    if not secret:
        return url, body
    timestamp = int(now * 1000)
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("timestamp", "sign")]
    query += [("timestamp", str(timestamp)), ("sign", signature(secret, timestamp))]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote_plus))), body


def _security(said: str) -> Answer:
    """310000: which of the four security checks refused, from the words of errmsg."""
    words = said.lower()
    if "keyword" in words:
        return answer.permanent(answer.KEYWORD, "钉钉关键词不匹配：消息需包含机器人安全设置里的自定义关键词；duban 的每条消息都带“督办”，"
                                "请把关键词设为“督办”，或改用加签",
                                "DingTalk keyword mismatch: the message must contain the bot's keyword; every duban "
                                "message contains 督办, so set the keyword to 督办, or use a signature", "310000 keyword")
    if "sign" in words:
        return answer.permanent(answer.SECRET, "钉钉加签失败：请检查 secret（机器人安全设置里以 SEC 开头的那串）和服务器时钟",
                                "DingTalk signature refused: check the secret (the SEC… string in the bot's security "
                                "settings) and this computer's clock", "310000 sign")
    if "timestamp" in words:
        return answer.permanent(answer.SECRET, "钉钉时间戳无效：本机时钟与钉钉相差超过一小时，请校准服务器时钟",
                                "DingTalk refused the timestamp: this computer's clock is more than an hour off; "
                                "set it right", "310000 timestamp")
    if re.search(r"\bip\b", words) or "whitelist" in words:
        return answer.permanent(answer.IP, "钉钉 IP 地址不在白名单：请在机器人安全设置里加入本机的出口 IP，或改用加签",
                                "DingTalk: this computer's address is not on the bot's IP allow-list: add it, "
                                "or use a signature", "310000 ip")
    return answer.permanent(answer.WEBHOOK, f"钉钉安全设置校验失败：{said}；请检查机器人的关键词、加签或 IP 设置",
                            f"DingTalk security check failed: {said}; check the bot's keyword, signature or IP "
                            "settings", "310000")


def classify(status: int, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    read = answer.errcode(LABEL, status, body, headers)
    if isinstance(read, Answer):
        return read
    code, said = read
    if code == 130101:
        return answer.pause(LIMITS.blocked_for, "钉钉机器人发送太频繁（每分钟最多 20 条），已被限流 10 分钟，稍后重试",
                            "DingTalk rate limit (20 a minute): the bot is blocked for 10 minutes; will retry", "130101")
    if code == 310000:
        return _security(said)
    if code in (300001, 400101):
        return answer.permanent(answer.WEBHOOK, "钉钉机器人 access_token 无效（机器人可能已被删除）：请在群里重新复制 webhook 地址",
                                "DingTalk does not know the access_token (was the bot removed?): copy the webhook "
                                "address again from the group", str(code))
    if code in CONTENT_REFUSED:
        return answer.permanent(answer.MESSAGE, f"钉钉拒绝了这条消息的内容（{code} {said}），请把这条提示转给 duban 的维护人",
                                f"DingTalk refused this message's content ({code} {said}); please pass this to "
                                "duban's maintainer", str(code))
    return answer.unknown(LABEL, str(code), said)
