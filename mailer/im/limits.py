"""Each platform's limits as numbers, and fitting a message's text inside them.

A platform states its limit on one field (WeCom: the markdown content) or on the whole request
(Feishu: 20 KB of JSON). `text_bytes` is the budget for the readable text, `body_bytes` for the
encoded JSON of a text message (WeCom's picture has its own limit, `image_bytes`); `within`
builds a body with the text budget and shrinks the budget until the whole body fits too (JSON
escaping and the markup around each line take room the text cannot see).
`per_minute` / `per_second` are the platform's rates for one webhook; `blocked_for` is how long a
platform shuts a bot out after it went over (DingTalk: ten minutes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from duban.mailer.im.post import encode


@dataclass(frozen=True)
class Limits:
    text_bytes: int
    body_bytes: int
    per_minute: int
    per_second: int = 0        # 0: no rule of its own beyond per_minute
    blocked_for: int = 60      # seconds a bot waits after a rate-limit answer
    image_bytes: int = 0       # 0: duban sends no image to this platform


def within(make: Callable[[int], dict], limits: Limits) -> dict:
    """make(text budget) -> body, with the largest budget (up to text_bytes) whose body fits body_bytes."""
    budget = limits.text_bytes
    while True:
        body = make(budget)
        over = len(encode(body)) - limits.body_bytes
        if over <= 0 or budget <= 64:
            return body
        budget = max(64, budget - over - 16)
