"""Loopback stand-ins for the five group-bot platforms: one HTTP server each on 127.0.0.1.

Each fake checks what the real platform documents, from its own copy of the secret (never from
duban's code): DingTalk's signature in the query, Feishu's in the body, each recomputed here
with the recipe written out again, and a timestamp more than an hour from the fake's clock
refused; the byte limits (WeCom 2,048 / 4,096, Feishu 20 KB of body); the keyword, when the bot
has one. It records every request it got and can be told to answer any of the platforms' error
codes, HTTP 500, or to hang (the client's timeout then decides).

    fake = FakeBot("dingtalk", secret="SEC…", keyword="督办"); fake.start() … fake.stop()
    fake.answer = "130101"      # the next requests: rate-limited (until set back to "ok")
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOUR = 3600
TOKEN = "tok123"

# (HTTP status, JSON or text) each fake can be told to give instead of its own verdict.
DINGTALK = {
    "130101": (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
    "310000-keyword": (200, {"errcode": 310000, "errmsg": "keywords not in content"}),
    "310000-sign": (200, {"errcode": 310000, "errmsg": "sign not match"}),
    "310000-timestamp": (200, {"errcode": 310000, "errmsg": "invalid timestamp"}),
    "310000-ip": (200, {"errcode": 310000, "errmsg": "ip 203.0.113.9 not in whitelist"}),
    "300001": (200, {"errcode": 300001, "errmsg": "token is not exist"}),
    "777777": (200, {"errcode": 777777, "errmsg": "something new"}),
}
WECOM = {
    "93000": (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
    "45009": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
    "40058": (200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}),
    "777777": (200, {"errcode": 777777, "errmsg": "something new"}),
}
FEISHU = {
    "19021": (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}),
    "19022": (200, {"code": 19022, "msg": "Ip Not Allowed"}),
    "19024": (200, {"code": 19024, "msg": "Key Words Not Found"}),
    "11232": (200, {"code": 11232, "msg": "frequency limited"}),
    "9499": (200, {"code": 9499, "msg": "Bad Request"}),
    "777777": (200, {"code": 777777, "msg": "something new"}),
}
SLACK = {"invalid_payload": (400, "invalid_payload"), "no_service": (404, "no_service"),
         "channel_is_archived": (410, "channel_is_archived"), "200-odd": (200, "not ok")}
TEAMS = {"404": (404, ""), "400": (400, "Bad card"), "200": (200, "")}
COMMON = {"500": (500, "internal error"), "429": (429, "slow down")}
ERRORS = {"wecom": WECOM, "dingtalk": DINGTALK, "feishu": FEISHU, "slack": SLACK, "teams": TEAMS}
PATHS = {"wecom": "/cgi-bin/webhook/send?key=" + TOKEN, "dingtalk": "/robot/send?access_token=" + TOKEN,
         "feishu": "/open-apis/bot/v2/hook/" + TOKEN, "slack": "/services/T000/B000/" + TOKEN,
         "teams": "/workflows/" + TOKEN + "/triggers/manual/paths/invoke"}


@dataclass
class Got:
    path: str
    query: dict[str, str]
    body: dict
    raw: bytes
    verdict: str       # "ok" or what the fake refused


@dataclass
class FakeBot:
    platform: str
    secret: str = ""
    keyword: str = ""
    answer: str = "ok"
    clock: object = time.time            # the platform's own clock (seconds)
    got: list[Got] = field(default_factory=list)
    retry_after: str = "30"

    def start(self) -> FakeBot:
        fake = self
        self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, reply, headers = fake.respond(self.path, raw)
                if status is None:
                    fake.release.wait(20)
                    return
                data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{PATHS[self.platform]}"

    # --- what the platform would say -------------------------------------------------------
    def respond(self, path: str, raw: bytes):
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = {}
        verdict, status, reply = getattr(self, "check_" + self.platform)(parts.path, query, body, raw)
        if verdict == "ok" and self.answer != "ok":
            verdict = self.answer
            if self.answer == "hang":
                self.got.append(Got(parts.path, query, body, raw, "hang"))
                return None, None, {}
            status, reply = {**COMMON, **ERRORS[self.platform]}[self.answer]
        self.got.append(Got(parts.path, query, body, raw, verdict))
        headers = {"Retry-After": self.retry_after} if status == 429 else {}
        if not isinstance(reply, str):
            headers["Content-Type"] = "application/json"
        return status, reply, headers

    def fresh(self, timestamp_s: float) -> bool:
        return abs(self.clock() - timestamp_s) <= HOUR

    def check_wecom(self, path, query, body, raw):
        if query.get("key") != TOKEN:
            return "93000", *WECOM["93000"]
        kind = body.get("msgtype")
        limit = {"text": 2048, "markdown": 4096}.get(kind)
        if limit:
            if len(body[kind]["content"].encode("utf-8")) > limit:
                return "too long", 200, {"errcode": 40058, "errmsg": f"{kind}.content exceed max length {limit}"}
        elif kind == "image":
            picture = base64.b64decode(body["image"]["base64"])
            if hashlib.md5(picture).hexdigest() != body["image"]["md5"] or len(picture) > 2 * 1024 * 1024:
                return "bad image", 200, {"errcode": 40009, "errmsg": "invalid image size"}
        else:
            return "bad type", 200, {"errcode": 40008, "errmsg": "invalid message type"}
        return "ok", 200, {"errcode": 0, "errmsg": "ok"}

    def check_dingtalk(self, path, query, body, raw):
        if query.get("access_token") != TOKEN:
            return "300001", *DINGTALK["300001"]
        if self.secret:
            stamp = query.get("timestamp", "")
            if not stamp.isdigit() or not self.fresh(int(stamp) / 1000):
                return "stale", *DINGTALK["310000-timestamp"]
            # The documented recipe: HmacSHA256 keyed by the secret over "timestamp\nsecret", Base64.
            expected = base64.b64encode(hmac.new(self.secret.encode(), f"{stamp}\n{self.secret}".encode(),
                                                 hashlib.sha256).digest()).decode()
            if query.get("sign") != expected:      # parse_qs has already URL-decoded it
                return "bad sign", *DINGTALK["310000-sign"]
        if self.keyword and self.keyword not in raw.decode("utf-8"):
            return "no keyword", *DINGTALK["310000-keyword"]
        return "ok", 200, {"errcode": 0, "errmsg": "ok"}

    def check_feishu(self, path, query, body, raw):
        if not path.endswith(TOKEN):
            return "bad hook", 200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
        if len(raw) > 20 * 1024:
            return "too big", *FEISHU["9499"]
        if self.secret:
            stamp = str(body.get("timestamp", ""))
            # The documented recipe: HmacSHA256 keyed by "timestamp\nsecret" over nothing, Base64.
            expected = base64.b64encode(hmac.new(f"{stamp}\n{self.secret}".encode(), b"",
                                                 hashlib.sha256).digest()).decode()
            if not stamp.isdigit() or not self.fresh(int(stamp)) or body.get("sign") != expected:
                return "bad sign", *FEISHU["19021"]
        if self.keyword and self.keyword not in raw.decode("utf-8"):
            return "no keyword", *FEISHU["19024"]
        return "ok", 200, {"code": 0, "msg": "success", "data": {}}

    def check_slack(self, path, query, body, raw):
        if not path.endswith(TOKEN):
            return "no_service", *SLACK["no_service"]
        if not body.get("text") and not body.get("blocks"):
            return "invalid_payload", *SLACK["invalid_payload"]
        return "ok", 200, "ok"

    def check_teams(self, path, query, body, raw):
        attachments = body.get("attachments") or [{}]
        if body.get("type") != "message" or attachments[0].get("contentType") != "application/vnd.microsoft.card.adaptive" \
                or len(raw) > 28 * 1024:
            return "bad card", *TEAMS["400"]
        return "ok", 202, ""
