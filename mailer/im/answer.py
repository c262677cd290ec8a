"""What a platform's answer means for duban: sent, try later, never, or not known to be sent.

The three Chinese platforms answer HTTP 200 even when they refused the message; the verdict is
`errcode` / `code` in the JSON body. So an answer is read whole, and only a code the platform
documents as success is `OK`: an unknown non-zero code, a body that is not JSON, or a 2xx with an
unexpected text is `FAILED`, never success. `RETRY` carries the least wait before the next try
(a rate limit: at least a minute; DingTalk blocks for ten); `PERMANENT` carries the sentence an
admin needs, in Chinese and English, naming what to change.

`about` says what an answer is about, because that decides what the queue does with it: a
refusal of one message's content fails that message alone (the next ones may go); a refused
webhook, secret, keyword or IP address holds the whole lane until a person fixes it; a rate
limit (`PAUSE`) only pauses the lane. Each platform knows its codes, so it says it here; the
transport never reads a platform's codes.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

MINUTE = 60
RATE_LIMIT_WAIT = MINUTE          # every platform's window is a minute
SERVER_WAIT = MINUTE              # 5xx, a timeout, a refused connection

# What a refusal (PERMANENT) is about; PAUSE: a RETRY the platform asked for (a rate limit, not a fault).
MESSAGE = "message"      # this message's content or shape: it fails, the lane goes on
WEBHOOK = "webhook"      # the address (its key or token): the group's webhook_env
SECRET = "secret"        # the signature or its timestamp: the group's secret_env (or the clock)
KEYWORD = "keyword"      # the bot's keyword is not in the message: the group's keyword
IP = "ip"                # this machine's address is not on the bot's IP allow-list (on the platform)
PAUSE = "pause"


class Outcome(Enum):
    OK = "ok"
    RETRY = "retry"            # the same message may go later, after `wait` seconds at least
    PERMANENT = "permanent"    # no retry helps until a person changes what `zh` / `en` say
    FAILED = "failed"          # an answer duban does not know: not sent, as far as anyone can tell


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    wait: int = 0          # seconds, for RETRY
    zh: str = ""           # for the admins
    en: str = ""
    code: str = ""         # the platform's own word (errcode, HTTP status, body text), for the log
    maybe_sent: bool = False   # a timeout after the request went: the group may have it already
    about: str = ""        # MESSAGE, WEBHOOK, SECRET, KEYWORD, IP (PERMANENT) or PAUSE (RETRY)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


OK = Answer(Outcome.OK)


def retry(wait: int, zh: str, en: str, code: str = "", maybe_sent: bool = False) -> Answer:
    """Not now: the platform or the way to it is in trouble (a fault: the queue backs off)."""
    return Answer(Outcome.RETRY, max(wait, 1), zh, en, code, maybe_sent)


def pause(wait: int, zh: str, en: str, code: str) -> Answer:
    """Not now, and no fault: the platform asked for a pause (a rate limit)."""
    return Answer(Outcome.RETRY, max(wait, 1), zh, en, code, about=PAUSE)


def permanent(about: str, zh: str, en: str, code: str = "") -> Answer:
    """Refused until something changes: `about` says what (MESSAGE, WEBHOOK, SECRET, KEYWORD, IP)."""
    return Answer(Outcome.PERMANENT, 0, zh, en, code, about=about)


def unknown(platform: Mapping[str, str], code: str, text: str = "") -> Answer:
    """`platform`: its name in each language (a platform module's LABEL)."""
    said = f"：{text}" if text else ""
    return Answer(Outcome.FAILED, 0, f"{platform['zh']}返回了未知结果 {code}{said}（按未发送处理）",
                  f"{platform['en']} answered {code}{': ' + text if text else ''} (unknown: treated as not sent)", code)


# What mailer/im/post.py says of a post without an answer (English), as a Chinese sentence
NO_ANSWER_ZH = ((re.compile(r"no answer within ([\d.]+) s"), r"群机器人 \1 秒内没有应答"),
                (re.compile(r"the webhook address must start with https://"), "webhook 地址必须以 https:// 开头"),
                (re.compile(r"the answer was not HTTP \((\w+)\)"), r"群机器人的应答不是 HTTP（\1）"),
                (re.compile(r".*refused.*", re.I), "无法连接群机器人（连接被拒绝）"),
                (re.compile(r".*(not known|getaddrinfo|nodename|resolution).*", re.I), "无法连接群机器人（找不到服务器地址）"),
                (re.compile(r".*(timed out|timeout).*", re.I), "群机器人没有应答（超时）"))


def _said_zh(reason: str, maybe_sent: bool) -> str:
    for pattern, zh in NO_ANSWER_ZH:
        if pattern.fullmatch(reason):
            return pattern.sub(zh, reason)
    return "群机器人没有可用的应答（网络错误）" if maybe_sent else "无法连接群机器人（网络错误）"


def no_answer(reason: str, maybe_sent: bool) -> Answer:
    """A timeout or a connection that failed. `maybe_sent`: the body went and no answer came (the
    queue sets the message aside, never posting it twice, and says so around this reason); else
    nothing went and the queue tries again later."""
    if maybe_sent:
        return retry(SERVER_WAIT, _said_zh(reason, True), f"no usable answer from the group bot ({reason})",
                     "no answer", True)
    return retry(SERVER_WAIT, f"{_said_zh(reason, False)}，稍后重试", f"could not reach the group bot ({reason}); will retry",
                 "no answer", False)


def retry_after(headers: dict[str, str] | None, least: int = RATE_LIMIT_WAIT) -> int:
    """The wait a 429 asks for (Retry-After in seconds), never below `least`."""
    value = {k.lower(): v for k, v in (headers or {}).items()}.get("retry-after", "")
    return max(least, int(value)) if value.strip().isdigit() else least


def by_http(platform: Mapping[str, str], status: int, headers: dict[str, str] | None = None) -> Answer | None:
    """The HTTP status alone, where it decides: 429 and 5xx are retries; None: read the body.
    `platform`: its name in each language (a platform module's LABEL)."""
    zh, en = platform["zh"], platform["en"]
    if status == 429:
        return pause(retry_after(headers), f"{zh}限流，稍后重试", f"{en} rate limit; will retry", "429")
    if status >= 500:
        return retry(SERVER_WAIT, f"{zh}服务器出错（HTTP {status}），稍后重试",
                     f"{en} server error (HTTP {status}); will retry", str(status))
    return None


def json_body(body: bytes) -> dict | None:
    try:
        found = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def errcode(platform: Mapping[str, str], status: int, body: bytes,
            headers: dict[str, str] | None = None) -> Answer | tuple[int, str]:
    """WeCom's and DingTalk's answer, read the one way both need: an Answer when HTTP or the body
    decides (429/5xx, not JSON, no integer errcode: unknown; errcode 0: OK), else (errcode, errmsg)
    for the platform to name."""
    if decided := by_http(platform, status, headers):
        return decided
    found = json_body(body)
    if status != 200 or found is None or not isinstance(found.get("errcode"), int):
        return unknown(platform, f"HTTP {status}", body[:200].decode("utf-8", "replace"))
    if found["errcode"] == 0:
        return OK
    return found["errcode"], str(found.get("errmsg", ""))
