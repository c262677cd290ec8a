"""One HTTPS POST of a JSON body, with the standard library: no retries, no waiting, no clock.

Retrying is the queue's decision (it knows the ledger and the per-webhook rate), and a signature
must be computed again with the current time on each attempt, so this module makes exactly one
request and reports what came back, or why nothing did. A timeout after the body went out may
have delivered the message: `NoAnswer.maybe_sent` says so.
"""
from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

TIMEOUT = 10.0          # seconds; the platforms answer in well under one
LARGEST_ANSWER = 1 << 16
SHORTEST_TOKEN = 6      # a query value or path segment this long may be a key (WeCom key=, DingTalk access_token=)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


class NoAnswer(Exception):
    """Nothing usable came back: a refused connection, a name that does not resolve, a timeout."""

    def __init__(self, reason: str, maybe_sent: bool):
        super().__init__(reason)
        self.reason, self.maybe_sent = reason, maybe_sent


def encode(body: dict) -> bytes:
    """The JSON as sent: UTF-8 (not \\u escapes, so byte limits count what the platform counts)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def secure(url: str) -> bool:
    """https, or plain http to this machine only (the tests' fakes): a webhook address carries its
    secret, so it never travels in clear over a network."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() == "https" and bool(host) or (
        parts.scheme.lower() == "http" and host in ("127.0.0.1", "localhost", "::1"))


def post(url: str, body: dict, timeout: float = TIMEOUT) -> Reply:
    """POST `body` to `url` once; any HTTP status is a Reply (the platform's verdict is in it)."""
    if not secure(url):
        raise NoAnswer("the webhook address must start with https://", maybe_sent=False)
    request = urllib.request.Request(url, data=encode(body), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    # An office's HTTPS proxy (HTTPS_PROXY) is honoured; loopback (the tests' fakes) never goes through one.
    loopback = urlsplit(url).scheme.lower() == "http"
    opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if loopback else []))
    try:
        with opener.open(request, timeout=timeout) as answer:
            return Reply(answer.status, answer.read(LARGEST_ANSWER), dict(answer.headers.items()))
    except urllib.error.HTTPError as refused:
        with refused:
            return Reply(refused.code, refused.read(LARGEST_ANSWER), dict(refused.headers.items()))
    except (TimeoutError, socket.timeout) as late:
        raise NoAnswer(f"no answer within {timeout:g} s", maybe_sent=True) from late
    except urllib.error.URLError as failed:
        timed_out = isinstance(failed.reason, (TimeoutError, socket.timeout))
        raise NoAnswer(str(failed.reason), maybe_sent=timed_out) from failed
    except (ConnectionError, OSError) as failed:
        raise NoAnswer(str(failed), maybe_sent=True) from failed
    except http.client.HTTPException as odd:     # the request went; what came back was not HTTP
        raise NoAnswer(f"the answer was not HTTP ({type(odd).__name__})", maybe_sent=True) from odd


def secrets_in(url: str, secret: str = "") -> set[str]:
    """Every piece of a webhook address that gives it away, in the forms an answer may echo: the
    address itself, its query values and token-like path segments (WeCom's key, DingTalk's
    access_token, Feishu's hook id, Slack's and Teams' paths), and the signing secret."""
    found = {url, unquote(url), url.replace("/", "\\/"), secret}
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is not None:
        found |= {value for _name, value in parse_qsl(parts.query, keep_blank_values=True)
                  if len(value) >= SHORTEST_TOKEN}
        found |= {segment for segment in parts.path.split("/") if len(segment) >= 16 or (
            len(segment) >= SHORTEST_TOKEN and any(c.isdigit() for c in segment))}
    found |= {quote(piece, safe="") for piece in found if piece}
    return {piece for piece in found if piece}
