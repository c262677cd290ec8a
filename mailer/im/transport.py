"""A group bot as a transport of the queue (mailer/seam.py): one lane, `group:<name>`, one webhook.

The queue owns the retries, the backoff, the holds and the once-only marks; this transport turns
each platform answer into the seam's failures so that the queue's guarantees hold for a group:
- sent: the body is recorded as delivered for that message (mailer/im/sent.py), so a retry after
  a partial success (WeCom's text went, its chart was rate-limited) never posts the text again;
- rate-limited: the webhook is blocked for the wait the platform asked (DingTalk: ten minutes) and
  `Wait` pauses the lane until then (its messages keep their place and their tries);
- a 5xx, a refused connection: `TemporaryFailure(server_down=True)` stops the lane for this run
  (the queue backs off);
- no answer after the body went (a timeout): `ConnectionCut(content_sent=True)`: the group may
  have it, so the queue sets it aside at once (`resend_unknown` off), never posting it twice;
- refused for a setting (wrong key, secret, keyword, IP; the webhook address not set):
  `SetupError` naming the [im.groups.<name>] key (an IP: the platform's allow-list), so the lane
  is held, nothing lost, until a person fixes it (a changed address or secret changes `setup`,
  which lifts the hold);
- a refusal of this message's content, or an answer duban does not know: `PermanentFailure` (this
  message fails and is reported, the next ones go; `duban outbox --retry --failed`).
What a refusal is about is the platform module's word (`Answer.about`), never a code read here.
No reason leaves with the webhook address, its token or the secret in it (`_redact`).
Every sentence is stored in both languages (`reasons.bilingual`), the platform's fix sentence in
Chinese as it wrote it.

The rate is kept per webhook in the state database, counted in the run's clock (`now`, moving on
with the time the run takes), so the alert and the remind together stay under the platform's
limit. A slot at most `SHORT_WAIT` seconds away is waited for (Feishu's five a second); a later
one pauses the lane (`Wait`) with a sentence saying from when it may go, and the queue tries again
at the first delivery after that moment. Feishu is not sent to in the minutes around :00 and
:30 (its 11232 peak): the lane waits likewise. The webhook address and secret are read when the
transport is made, never stored; `setup` is only a SHA-256 of them.
"""
from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from duban.mailer.im.answer import IP, KEYWORD, MESSAGE, PAUSE, SECRET, WEBHOOK, Answer, Outcome
from duban.mailer.im.lane import Envelope
from duban.mailer.im.platforms import PLATFORMS
from duban.mailer.im.post import TIMEOUT, secrets_in
from duban.mailer.im.send import attempt
from duban.mailer.im.sent import GOING, SENT, Sent, webhook_id
from duban.mailer.reasons import bilingual
from duban.mailer.seam import (
    Connection,
    ConnectionCut,
    PermanentFailure,
    Refused,
    SetupError,
    TemporaryFailure,
    Wait,
    as_bytes,
)
from duban.workbooks.model.errors import ConfigError

SHORT_WAIT = 3.0      # seconds: a slot this close is waited for; a later one waits for the next run
MOST_BODIES = 2       # WeCom's text and chart
# The [im.groups.<name>] key a refused setting names, by what the platform said it is about
# (answer.about); a refused IP address is not a duban.toml key but the platform's allow-list.
SETTING_KEYS = {SECRET: "secret_env", KEYWORD: "keyword", WEBHOOK: "webhook_env"}
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")     # a TOML key that needs no quotes
HIDDEN = "***"        # what a reason shows in place of the webhook address, its token or the secret


class GroupTransport(Connection):
    """Delivers one group's lane. `group`: its [im.groups.<name>] settings (name, platform,
    webhook_env, secret_env, keyword, webhook_url(), secret()); `now`: the run's clock.
    `resend_unknown` is off: a message posted without an answer may be in the group already, and a
    chat group would read it twice, so the queue sets it aside at once for a person to look."""

    resend_unknown = False

    def __init__(self, group: Any, db_path: Path, now: datetime, timeout: float = TIMEOUT,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.group, self.db_path, self.timeout = group, db_path, timeout
        self.platform = PLATFORMS[group.platform]
        self.started, self.clock, self.sleep, self.began = now, clock, sleep, clock()
        self.url, self.secret, self.unreadable = "", "", None
        try:
            self.url = group.webhook_url()
            self.secret = group.secret() or ""
        except ConfigError as missing:
            self.unreadable = missing
        said = "\n".join((group.platform, self.url, self.secret, group.keyword or ""))
        self.setup = f"{group.platform} {hashlib.sha256(said.encode('utf-8')).hexdigest()}"
        self.hook = webhook_id(self.url)
        self.patience = (timeout + SHORT_WAIT) * (MOST_BODIES if self.platform.LIMITS.image_bytes else 1)
        self.store: Sent | None = None
        self.down = ""          # a sentence once the webhook stopped answering: the rest of this run waits

    def now(self) -> float:
        """The run's clock in epoch seconds, moved on by the time this delivery has taken."""
        return self.started.timestamp() + (self.clock() - self.began)

    def open(self) -> None:
        if self.unreadable is not None:
            variable = self.group.secret_env if self.url else self.group.webhook_env
            raise SetupError(bilingual(f"the variable {variable} is not set (neither in the environment nor in the "
                                       f"keyring)", f"环境变量 {variable} 没有设置（环境和系统密钥环中都没有）"),
                             self._unset(variable))     # the step to take is the setting's sentence, said once
        self._sent()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def _sent(self) -> Sent:
        if self.store is None:
            self.store = Sent(self.db_path, self.now())
        return self.store

    def send(self, message: Any, recipients: list[str], key: str | None = None,
             before_content: Callable[[], None] | None = None) -> Refused:
        data = as_bytes(message)
        bodies = self.bodies(data)
        key = key or hashlib.sha256(data).hexdigest()
        if self.down:
            raise TemporaryFailure(self.down, server_down=True)
        store = self._sent()
        done = store.parts(key)
        for part, body in enumerate(bodies):
            if done.get(part) == SENT:
                continue
            self._wait_turn()
            if before_content:
                before_content()
            store.going(key, part, self.now())
            said = attempt(self.platform, self.url, self.secret, body, timeout=self.timeout)
            self._settle(said, key, part)
        return {}

    def delivered(self, message: Any, key: str | None = None) -> bool | None:
        """For a message a run left in flight: True if every body went, None if one was being posted
        when it died (not known: the queue sets it aside), False if none was (it goes again)."""
        data = as_bytes(message)
        parts = self._sent().parts(key or hashlib.sha256(data).hexdigest())
        if GOING in parts.values():
            return None
        try:
            return len([p for p in parts.values() if p == SENT]) >= len(self.bodies(data))
        except PermanentFailure:        # unreadable: none of it can have gone; send() fails it
            return False

    def bodies(self, data: bytes) -> list[dict]:
        """A queued message shaped for this group as duban.toml says now: its platform, its keyword
        (the words were fixed when it was queued). One duban cannot read (queued by an earlier
        version, or damaged) fails alone, not the whole delivery."""
        try:
            envelope = Envelope.unpack(data)
        except (ValueError, KeyError, TypeError) as unreadable:
            raise PermanentFailure(bilingual(
                f"this queued group message cannot be read ({unreadable.__class__.__name__}); it was not posted",
                f"这条排队的群消息无法读取（{unreadable.__class__.__name__}），未发出")) from unreadable
        return envelope.bodies(self.group.platform, self.group.keyword)

    def _wait_turn(self) -> None:
        """Take this webhook's next slot, waiting for it if it is a moment away; else raise."""
        store = self._sent()
        while True:
            now = self.now()
            moment = datetime.fromtimestamp(now, self.started.tzinfo)
            off_peak = getattr(self.platform, "off_peak", None)     # a platform's busy minutes (Feishu's)
            if off_peak is not None and (clear := off_peak(moment)) != moment:
                label = self.platform.LABEL
                raise Wait(bilingual(
                    f"{label['en']} is not sent to in its busy minutes (around the hour and half hour); "
                    f"this group's messages wait until {clear:%H:%M}",
                    f"整点和半点前后不向{label['zh']}发送（平台繁忙时段），本群消息等到 {clear:%H:%M} 之后发送"), clear)
            slot = store.take(self.hook, self.platform.LIMITS, now)
            if not slot:
                return
            if slot - now > SHORT_WAIT:
                raise Wait(self._not_yet(slot, store.blocked_until(self.hook) >= slot),
                           datetime.fromtimestamp(slot, self.started.tzinfo))
            self.sleep(slot - now)

    def _not_yet(self, slot: float, blocked: bool) -> str:
        at = datetime.fromtimestamp(slot, self.started.tzinfo)
        limits, label = self.platform.LIMITS, self.platform.LABEL
        if blocked:
            return bilingual(f"{label['en']} asked this bot to wait: nothing goes to it before {at:%H:%M:%S}",
                             f"{label['zh']}要求这个机器人暂停发送：{at:%H:%M:%S} 之前不再发送")
        return bilingual(f"duban keeps to {limits.per_minute} messages a minute for this bot; the next may go "
                         f"from {at:%H:%M:%S}",
                         f"督办对这个机器人每分钟最多发 {limits.per_minute} 条；下一条 {at:%H:%M:%S} 起可发")

    def _settle(self, said: Answer, key: str, part: int) -> None:
        """Record the answer for this body and raise what it means for the queue (nothing if sent)."""
        store, now = self._sent(), self.now()
        if said.outcome is Outcome.OK:
            store.done(key, part, now)
            return
        reason = self._redact(bilingual(said.en, said.zh))
        if said.outcome is Outcome.RETRY:
            store.block(self.hook, now + said.wait)
            if said.maybe_sent:          # the body went and no answer came: the group may have it
                self.down = reason
                raise ConnectionCut(reason, content_sent=True)
            store.not_sent(key, part)
            if said.about == PAUSE:      # the platform asked for a pause (a rate limit): not a fault
                raise Wait(reason, datetime.fromtimestamp(now + said.wait, self.started.tzinfo))
            raise TemporaryFailure(reason, server_down=True)
        store.not_sent(key, part)
        if said.outcome is Outcome.PERMANENT and said.about != MESSAGE:
            raise SetupError(reason, self._refused_setting(said.about))
        raise PermanentFailure(reason)      # this message (its content, or an answer not known): the rest goes

    def _refused_setting(self, about: str) -> str:
        """What a person changes when the platform refused a setting: a [im.groups.<name>] key, or
        for a refused IP address the platform's allow-list (a sentence in both languages)."""
        if about == IP:
            label = self.platform.LABEL
            return bilingual(f"add this machine's outgoing IP to the {label['en']} bot's IP allow-list",
                             f"在{label['zh']}机器人安全设置的 IP 地址段中加入本机出口 IP")
        key = SETTING_KEYS.get(about, "webhook_env")
        return self._setting(key, {"secret_env": self.group.secret_env, "keyword": self.group.keyword,
                                   "webhook_env": self.group.webhook_env}[key])

    def _redact(self, reason: str) -> str:
        """`reason` without the webhook address, its token or the secret: a platform's answer (a
        proxy's error page, say) may echo the address, and a reason goes to state.db, the log and
        the admins' mail and group."""
        for secret in sorted(secrets_in(self.url, self.secret), key=len, reverse=True):
            reason = reason.replace(secret, HIDDEN)
        return reason

    def _setting(self, key: str, value: str) -> str:
        """The [im.groups.<name>] key a person changes, with its value (a variable's name, the keyword),
        the group's name quoted as TOML needs it unless it is a bare key ([im.groups."紧急群"])."""
        name = self.group.name
        table = name if BARE_KEY.fullmatch(name) else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"[im.groups.{table}] {key}" + (f" ({value})" if value else "")

    def _unset(self, variable: str) -> str:
        """What to do when the variable duban.toml names is empty: set it (duban.toml is
        right, so the sentence names no duban.toml key to change), in both languages."""
        return bilingual(f"set the environment variable {variable} where duban runs (or store it with "
                         f"keyring set duban {variable})",
                         f"在 duban 运行的环境中设置环境变量 {variable}（或用 keyring set duban {variable} 存入系统密钥环）")
