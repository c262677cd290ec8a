"""Feishu (飞书) and Lark custom group bots: `https://open.feishu.cn/open-apis/bot/v2/hook/…`
(Lark: `open.larksuite.com`; the same protocol).

The signature goes in the JSON body with `timestamp` (seconds):
`sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))` — the roles of key and message
are the reverse of DingTalk's. A timestamp more than an hour off is refused, so `sign` runs again
on every attempt. A `post` (rich text) message carries the lines as text elements, which Feishu
never parses as markup, and @-mentions as `at` elements by open_id / user_id only (no mobile).
Rate: 100 a minute and 5 a second; the whole body at most 20 KB. Sending exactly on the hour or
half hour can fail with 11232 under the platform's own load: a retry, a few minutes later.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from duban.mailer.im import answer
from duban.mailer.im.answer import Answer
from duban.mailer.im.limits import Limits, within
from duban.mailer.im.message import GroupMessage
from duban.mailer.im.text import fit, headline, neutralise

NAME = "feishu"
LABEL = {"zh": "飞书", "en": "Feishu / Lark"}
LIMITS = Limits(text_bytes=16000, body_bytes=20000, per_minute=100, per_second=5)
PEAK_WAIT = 180          # 11232 comes at :00 and :30; three minutes later the peak is over
PEAK_MARGIN = 3          # minutes either side of :00 and :30 that a Feishu message avoids
SUPPORTS = {"mentions": "open_id (ou_…) or user_id, as at elements; no mobile",
            "signature": "HMAC-SHA256 keyed by timestamp_s\\nsecret over nothing, in the body",
            "image": "no (a Feishu image needs an app's upload, which a custom bot cannot do)"}


def signature(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def build(message: GroupMessage) -> list[dict]:
    language = "zh_cn" if message.language == "zh" else "en_us"
    mentions = [{"tag": "at", "user_id": p.feishu} if p.feishu else {"tag": "text", "text": headline(p.name) + " "}
                for p in message.addressed]
    label = [{"tag": "text", "text": "提醒：" if message.language == "zh" else "For: "}] if mentions else []
    footer = [[{"tag": "text", "text": headline(message.footer)}]] if message.footer else []
    links = [[{"tag": "a", "text": neutralise(k.label), "href": k.url} if k.url else {"tag": "text", "text": neutralise(k.label)}]
             for k in message.links]

    def make(budget: int) -> dict:
        text = fit("", [neutralise(line) for line in message.lines], budget, message.language, message.more)
        rows = [[{"tag": "text", "text": line}] for line in text.split("\n") if line]
        return {"msg_type": "post", "content": {"post": {language: {
            "title": headline(message.title), "content": rows + links + ([label + mentions] if mentions else []) + footer}}}}
    return [within(make, LIMITS)]


def off_peak(moment: datetime) -> datetime:
    """`moment`, or the first minute clear of the peak around :00 and :30 (:57 to :02, :27 to :32).
    duban's default times are 09:00, 09:30 and 17:30, exactly the peaks: a Feishu group's
    messages are held to 09:03, 09:33, 17:33."""
    minute = moment.minute % 30
    start = moment.replace(second=0, microsecond=0)
    if minute < PEAK_MARGIN:
        return start + timedelta(minutes=PEAK_MARGIN - minute)
    if minute >= 30 - PEAK_MARGIN:
        return start + timedelta(minutes=30 - minute + PEAK_MARGIN)
    return moment


def sign(url: str, body: dict, secret: str, now: float) -> tuple[str, dict]:
    if not secret:
        return url, body
    timestamp = int(now)
    return url, {**body, "timestamp": str(timestamp), "sign": signature(secret, timestamp)}


def classify(status: int, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    if decided := answer.by_http(LABEL, status, headers):
        return decided
    found = answer.json_body(body)
    code = found.get("code", found.get("StatusCode")) if found else None
    if found is None or not isinstance(code, int):
        return answer.unknown(LABEL, f"HTTP {status}", body[:200].decode("utf-8", "replace"))
    said = str(found.get("msg", found.get("StatusMessage", "")))
    if code == 0 and status == 200:
        return answer.OK
    if code == 11232:
        return answer.pause(PEAK_WAIT, "飞书限流（整点或半点发送时常见），几分钟后重试",
                            "Feishu rate limit (common exactly on the hour or half hour); will retry in a few minutes",
                            "11232")
    if code == 19021:
        return answer.permanent(answer.SECRET, "飞书签名校验失败：请检查 secret 和服务器时钟（时间戳须在一小时内）",
                                "Feishu signature refused: check the secret and this computer's clock (within an hour)",
                                "19021")
    if code == 19024:
        return answer.permanent(answer.KEYWORD, "飞书关键词不匹配：消息需包含机器人安全设置里的自定义关键词；duban 的每条消息都带“督办”，"
                                "请把关键词设为“督办”，或改用签名校验",
                                "Feishu keyword mismatch: every duban message contains 督办; set the bot's keyword "
                                "to 督办, or use a signature", "19024")
    if code == 19022:
        return answer.permanent(answer.IP, "飞书 IP 不在白名单：请在机器人安全设置里加入本机的出口 IP，或改用签名校验",
                                "Feishu: this computer's address is not on the bot's IP allow-list: add it, or use "
                                "a signature", "19022")
    if code == 19001:
        return answer.permanent(answer.WEBHOOK, "飞书不认识这个机器人地址（webhook 无效，或机器人已被移出群）：请在群里重新复制 webhook 地址",
                                "Feishu does not know this bot's address (the webhook is wrong, or the bot was removed): "
                                "copy the webhook address again from the group", "19001")
    if code == 9499:
        return answer.permanent(answer.MESSAGE, f"飞书拒绝了消息格式（{said}），请把这条提示转给 duban 的维护人",
                                f"Feishu refused the message ({said}); please pass this to duban's maintainer", "9499")
    return answer.unknown(LABEL, str(code), said)
