"""The reply token: which person and which row a reply by mail is about, so nobody else can use it.

Every reminder's reply address carries a token (`duban+<token>@example.com`, or `[督办#<token>]` in
the subject where the mail host has no plus-addressing). The token is stateless: nothing is stored
per mail, so a lost or restored state.db never breaks the links already sent, and the inbox needs
no table to look them up. Its 30 characters are four fields, each a whole number of base32
characters (RFC 4648's alphabet in lower case: a-z and 2-7), so a mail system that changes the case
of an address changes nothing:

    a        the format (a later key or layout gets another letter; unknown ones are forged)
    ddd      the day it was issued, in days since 2020-01-01 (15 bits: good until 2109)
    hhhhhh   a 30-bit keyed hint of the item, so the inbox can find the row among the items the
             ledger says were sent (`match`) without trying every one, and can name the row even
             when the sender is not the person it was sent to
    m * 20   100 bits of HMAC-SHA256 over the recipient, the item and the 10 characters before

The recipient and the item are not in the token: the verifier is given them (from the sender's
address and the ledger) and the MAC holds only for the pair it was issued for, so a token sent to
李娜 for T-0012 is forged when it comes from another sender or is used for T-0013. The first ten
characters are inside the MAC too, so changing any character of the token (a later day, another
hint, another format letter) makes it forged. Guessing one takes 2^100 tries.

Chosen over a random id kept in a table: a table is one more thing to keep, back up and clean
up, and a restored state.db would forget the links its mails carry; the HMAC needs only the key.

The key (`.duban/reply.key`, 32 random bytes written as 64 hex digits so an editor's stray newline
is harmless and damage is told apart from a key) is made once: whoever creates it first wins,
without a window where a half-written key can be read (temp file, fsync, hard link that refuses an
existing name). Deleting it makes every link already sent forged, which the sentence says.
"""
from __future__ import annotations

import enum
import errno
import hashlib
import hmac
import os
import re
import secrets
import string
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses
from pathlib import Path

from duban.workbooks.share.faults import StorageFault
from duban.workbooks.share.files import unique_suffix
from duban.workbooks.share.noreplace import rename_noreplace

KEY_FILE = "reply.key"
KEY_BYTES = 32
VALID_DAYS = 14
FORMAT = "a"
EPOCH = date(2020, 1, 1)
ALPHABET = string.ascii_lowercase + "234567"      # RFC 4648 base32, lower case
DAY_CHARS, HINT_CHARS, MAC_CHARS = 3, 6, 20
LENGTH = 1 + DAY_CHARS + HINT_CHARS + MAC_CHARS   # 30
_TOKEN = f"[a-z2-7]{{{LENGTH}}}"
_IN_ADDRESS = re.compile(rf"\+({_TOKEN})@", re.IGNORECASE | re.ASCII)
_SPACE = r"[\s\u3000]*"                          # a full-width space too
_IN_SUBJECT = re.compile(rf"[\[［【]{_SPACE}督办{_SPACE}[#＃]{_SPACE}({_TOKEN}){_SPACE}[\]］】]", re.IGNORECASE | re.ASCII)
# errors os.link gives where the file system has no hard links (FAT, some SMB mounts)
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EXDEV, errno.EMLINK,
             errno.EACCES, errno.EINVAL}


class Verdict(enum.Enum):
    """What a token says about a reply: the inbox acts only on OK and answers the other two."""

    OK = "ok"
    EXPIRED = "expired"       # issued for this person and item, but more than valid_days ago
    FORGED = "forged"         # not issued for this person and item (or not by this key, or altered)


# ---- the key ---------------------------------------------------------------------------------------
class Keys:
    """The secret in the state folder, read (or created) on first use, so a dry run that issues no
    token leaves no key behind."""

    def __init__(self, folder_of_state: Path):
        self.path = Path(folder_of_state) / KEY_FILE
        self._secret: bytes | None = None

    def secret(self) -> bytes:
        """The 32 bytes; a damaged or unreadable key file raises a StorageFault that says what to do."""
        if self._secret is None:
            if not os.path.lexists(self.path):
                _create(self.path)
            self._secret = _read(self.path)
        return self._secret


def _create(path: Path) -> None:
    """A new key at `path`, unless another process put one there first (then theirs stays)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{unique_suffix()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)    # 0600 where modes exist
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES).hex().encode() + b"\n")
            out.flush()
            os.fsync(out.fileno())
        _place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _place(tmp: Path, path: Path) -> None:
    """Give the written key its name only if nothing has it: a hard link, else a rename that
    refuses an existing name (Linux), else check-then-rename (Windows refuses by itself)."""
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        return
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
    if rename_noreplace(tmp, path) is not None or os.path.lexists(path):
        return
    try:
        os.rename(tmp, path)
    except FileExistsError:
        pass


def _read(path: Path) -> bytes:
    try:
        text = path.read_bytes()
    except PermissionError as exc:
        raise _unreadable(path) from exc
    try:
        secret = bytes.fromhex(text.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise _damaged(path, len(text))
    return secret


def _damaged(path: Path, size: int) -> StorageFault:
    what_zh = "是空的" if size == 0 else "内容不是督办写入的密钥"
    what_en = "is empty" if size == 0 else "does not hold the key duban wrote"
    return StorageFault(
        "reply-key-damaged",
        f"回复密钥文件 {path} {what_zh}，督办无法生成或核对邮件里的回复链接。请删除这个文件后重新运行："
        f"督办会新建密钥；之前邮件里的回复链接随之失效，收件人回复新的提醒邮件即可。",
        f"The reply key file {path} {what_en}, so duban cannot make or check the reply links in its mail. "
        f"Delete the file and run again: duban makes a new key; reply links in mail sent before stop "
        f"working, and people reply to the next reminder instead.", path)


def _unreadable(path: Path) -> StorageFault:
    return StorageFault(
        "reply-key-unreadable",
        f"当前账户无法读取回复密钥文件 {path}：它只对创建它的账户可读（通常是运行 duban serve 的账户）。"
        f"请用那个账户运行，或请管理员让当前账户也能读取它。",
        f"This account cannot read the reply key file {path}: only the account that made it can "
        f"(usually the one running duban serve). Run as that account, or ask an administrator to let "
        f"this account read it.", path)


# ---- the token -------------------------------------------------------------------------------------
def issue(keys: Keys, recipient: str, item: str, day: date) -> str:
    """The token for `recipient` (an address or a directory name: `verify` must be given the same,
    in any case) about `item` (the ledger's item key), issued on `day`. Stable: the same inputs
    give the same token."""
    days = (day - EPOCH).days
    if not 0 <= days < 32 ** DAY_CHARS:
        raise ValueError(f"a reply token cannot carry the day {day}")
    head = FORMAT + _chars(days, DAY_CHARS) + item_hint(keys, item)
    return head + _mac(keys, head, recipient, item)


def verify(keys: Keys, token: str, recipient: str, item: str, today: date,
           valid_days: int = VALID_DAYS) -> Verdict:
    """OK when `token` was issued for this recipient and item at most `valid_days` days before
    `today`: issued on 12-01 with 14 days, it is OK through 12-15 and EXPIRED from 12-16. A day
    after `today` is OK (our own key made it; a clock set forward must not lock people out).
    Anything else — altered, truncated, another key, person or item — is FORGED; the MAC is
    checked before the day, so an altered token is never told apart as merely old."""
    if valid_days < 0:
        raise ValueError("valid_days cannot be negative")
    issued = issued_on(token)
    token = token.lower()
    if issued is None or token[1 + DAY_CHARS:][:HINT_CHARS] != item_hint(keys, item):
        return Verdict.FORGED
    head = token[:-MAC_CHARS]
    if not hmac.compare_digest(token[-MAC_CHARS:], _mac(keys, head, recipient, item)):
        return Verdict.FORGED
    return Verdict.EXPIRED if (today - issued).days > valid_days else Verdict.OK


def issued_on(token: str) -> date | None:
    """The day a well-formed token says it was issued (not yet checked: `verify` does), for the
    answer to an expired one; None for anything that is not a token of this format."""
    if not token.isascii():                 # str.lower() maps a few other letters (K, the Kelvin sign) into a-z
        return None
    token = token.lower()
    if len(token) != LENGTH or not token.startswith(FORMAT) or set(token) - set(ALPHABET):
        return None
    return EPOCH + timedelta(days=_number(token[1:1 + DAY_CHARS]))


def item_hint(keys: Keys, item: str) -> str:
    """The six characters a token carries for `item`. Keyed, so a token shows nothing of the item
    to anyone without the key; 30 bits, so two items of one person share it about once in a
    billion pairs — and then the MAC tells them apart (`match`)."""
    digest = hmac.new(keys.secret(), b"item\0" + item.encode("utf-8"), hashlib.sha256).digest()
    return _chars(int.from_bytes(digest[:4], "big") >> 2, HINT_CHARS)


def match(keys: Keys, token: str, sent: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """Which (recipient, item), among those the ledger says mail went to, `token` was issued for,
    whatever its age; None if none. Given only the sender's items it finds the row; given every
    recipient of the token's item it names the person a forwarded reply was meant for."""
    if issued_on(token) is None:
        return None
    token = token.lower()
    hint, head, mac = token[1 + DAY_CHARS:][:HINT_CHARS], token[:-MAC_CHARS], token[-MAC_CHARS:]
    for recipient, item in sent:
        if item_hint(keys, item) == hint and hmac.compare_digest(mac, _mac(keys, head, recipient, item)):
            return recipient, item
    return None


def _mac(keys: Keys, head: str, recipient: str, item: str) -> str:
    """100 bits of HMAC-SHA256 over the fields, each length-prefixed so none can run into the next."""
    fields = (b"duban-reply", _person(recipient).encode("utf-8"), item.encode("utf-8"), head.encode("ascii"))
    message = b"".join(len(f).to_bytes(4, "big") + f for f in fields)
    digest = hmac.new(keys.secret(), message, hashlib.sha256).digest()
    return _chars(int.from_bytes(digest[:13], "big") >> 4, MAC_CHARS)


def _person(recipient: str) -> str:
    """One spelling of a person: mail systems and people change the case of an address."""
    return unicodedata.normalize("NFC", recipient).strip().casefold()


def _chars(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        out.append(ALPHABET[digit])
    return "".join(reversed(out))


def _number(chars: str) -> int:
    value = 0
    for char in chars:
        value = value * 32 + ALPHABET.index(char)
    return value


# ---- where a token travels ---------------------------------------------------------------------------
def plus_address(mailbox: str, token: str) -> str:
    """`duban@example.com` -> `duban+<token>@example.com`: the reply address of one reminder."""
    local, at, domain = mailbox.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not a mail address: {mailbox!r}")
    return f"{local}+{token}@{domain}"


def subject_tag(token: str) -> str:
    """`[督办#<token>]`, put in the subject for mail hosts without plus-addressing."""
    return f"[督办#{token}]"


def find(to_addresses: list[str], subject: str) -> str | None:
    """The token of a reply, in lower case: from the first To/Cc/Delivered-To address that carries
    one (header values with names and several addresses are fine), else from the subject's tag,
    whatever a client did to it: Re:/RE:/回复:/答复: before it, an encoded header, full-width
    ［］ or ＃, a line fold. None when there is none."""
    for _name, address in getaddresses(list(to_addresses)):
        found = _IN_ADDRESS.search(address)
        if found:
            return found.group(1).lower()
    found = _IN_SUBJECT.search(_decoded(subject or ""))
    return found.group(1).lower() if found else None


def _decoded(subject: str) -> str:
    """A subject as people read it: encoded words (`=?utf-8?b?…?=`) decoded, folds joined."""
    if "=?" in subject:
        try:
            subject = str(make_header(decode_header(subject)))
        except (ValueError, LookupError, UnicodeDecodeError):
            pass
    return re.sub(r"\r?\n[ \t]*", " ", subject)
