"""WeCom (企业微信) group bots: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`.

The key in the address is the only secret: there is no signature. Two text shapes, chosen by
the mentions: `markdown` (up to 4,096 bytes) can @ only by user ID (`<@userid>` in the content);
`text` (up to 2,048 bytes) can also @ by mobile number (`mentioned_mobile_list`). So a message goes
as markdown unless someone must be reached by mobile alone. The picture (the weekly trend chart)
goes as a second message of type `image` (base64 and the md5 of the raw bytes, at most 2 MB).
Rate: 20 messages a minute per bot. Answers: HTTP 200 with `errcode` (0 = sent).
"""
from __future__ import annotations

import base64
import hashlib

from duban.mailer.im import answer
from duban.mailer.im.answer import Answer
from duban.mailer.im.limits import Limits, within
from duban.mailer.im.message import GroupMessage
from duban.mailer.im.text import fit, headline, link, neutralise, who

NAME = "wecom"
LABEL = {"zh": "企业微信", "en": "WeCom"}
LIMITS = Limits(text_bytes=4096, body_bytes=8192, per_minute=20, image_bytes=2 * 1024 * 1024)
TEXT_LIMIT = 2048      # msgtype text
SUPPORTS = {"mentions": "user ID (<@userid>, markdown) or mobile (mentioned_mobile_list, text)",
            "signature": "none: the key in the address is the secret", "image": "yes (PNG/JPG, 2 MB)"}


def build(message: GroupMessage) -> list[dict]:
    """The bodies to post, in order: the text, then the picture if there is one that fits."""
    by_id = [p for p in message.addressed if p.wecom]
    by_mobile = [p for p in message.addressed if not p.wecom and p.mobile]
    plain = [headline(p.name) for p in message.addressed if not p.wecom and not p.mobile]
    lines = [neutralise(line) for line in message.lines]
    footer = headline(message.footer)
    if by_mobile:          # text: WeCom writes the @names itself, after the content
        ending = [x for x in (*(link(k.label, k.url, "plain") for k in message.links),
                              who(plain, message.language), footer) if x]
        reserve = sum(len(x.encode()) + 1 for x in ending)

        def make(budget: int) -> dict:
            content = "\n".join([fit(headline(message.title), lines, budget - reserve, message.language,
                                     message.more), *ending])
            return {"msgtype": "text", "text": {"content": content,
                                                "mentioned_list": [p.wecom for p in by_id],
                                                "mentioned_mobile_list": [p.mobile for p in by_mobile]}}
        bodies = [within(make, Limits(TEXT_LIMIT, LIMITS.body_bytes, LIMITS.per_minute))]
    else:
        ending = [x for x in (*(link(k.label, k.url, "markdown") for k in message.links),
                              who([f"<@{p.wecom}>" for p in by_id] + plain, message.language), footer) if x]
        reserve = sum(len(x.encode()) + 1 for x in ending)

        def make(budget: int) -> dict:
            head = f"**{headline(message.title)}**"
            content = "\n".join([fit(head, lines, budget - reserve, message.language, message.more), *ending])
            return {"msgtype": "markdown", "markdown": {"content": content}}
        bodies = [within(make, LIMITS)]
    if message.image and len(message.image) <= LIMITS.image_bytes:
        bodies.append({"msgtype": "image", "image": {"base64": base64.b64encode(message.image).decode("ascii"),
                                                     "md5": hashlib.md5(message.image).hexdigest()}})
    return bodies


def sign(url: str, body: dict, secret: str, now: float) -> tuple[str, dict]:
    """WeCom signs nothing: the address carries the key."""
    return url, body


def classify(status: int, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    read = answer.errcode(LABEL, status, body, headers)
    if isinstance(read, Answer):
        return read
    code, said = read
    if code == 45009:
        return answer.pause(answer.RATE_LIMIT_WAIT, "企业微信机器人发送太频繁（每分钟最多 20 条），稍后重试",
                            "WeCom bot rate limit (20 a minute); will retry", "45009")
    if code == -1:
        return answer.retry(answer.SERVER_WAIT, "企业微信系统繁忙，稍后重试", "WeCom is busy; will retry", "-1")
    if code == 93000:
        return answer.permanent(answer.WEBHOOK, "企业微信机器人地址无效（key 错误，或机器人已被移出群聊）：请在群里重新复制 webhook 地址",
                                "WeCom refused the bot's key (wrong, or the bot was removed from the group): "
                                "copy the webhook address again from the group", "93000")
    if code in (40058, 45002):
        return answer.permanent(answer.MESSAGE, "企业微信拒绝了消息（内容超长或格式不对），请把这条提示转给 duban 的维护人",
                                f"WeCom refused the message ({said}); please pass this to duban's maintainer", str(code))
    return answer.unknown(LABEL, str(code), said)
