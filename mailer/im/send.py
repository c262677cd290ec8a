"""One attempt to give one body to one group: sign it now, POST it once, say what the answer means.

The clock is read here, on every attempt, never earlier: a message that waited in the queue for
an hour (a group that was down, a rate limit) would otherwise carry a timestamp DingTalk and
Feishu refuse as stale. Nothing is retried here; the caller (the queue) owns the retries, the
ledger and the per-webhook rate.
"""
from __future__ import annotations

import time
from types import ModuleType
from typing import Callable

from duban.mailer.im import answer
from duban.mailer.im.answer import Answer
from duban.mailer.im.post import TIMEOUT, NoAnswer, post


def attempt(platform: ModuleType, url: str, secret: str, body: dict,
            now: Callable[[], float] = time.time, timeout: float = TIMEOUT) -> Answer:
    signed_url, signed_body = platform.sign(url, body, secret, now())
    try:
        reply = post(signed_url, signed_body, timeout)
    except NoAnswer as nothing:
        return answer.no_answer(nothing.reason, nothing.maybe_sent)
    return platform.classify(reply.status, reply.body, reply.headers)
