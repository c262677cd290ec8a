"""The reply token: unguessable, expiring, bound to one person and one row, found in a reply's headers."""
from __future__ import annotations

import errno
import multiprocessing
import os
import re
import sys
from datetime import date, timedelta
from email import message_from_string, policy
from email.header import Header

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from duban.mailer.reply import token as tk
from duban.mailer.reply.token import Keys, Verdict
from duban.workbooks.share.faults import StorageFault

DAY = date(2026, 12, 1)
LINA, WANG = "lina@example.com", "wangwei@example.com"
HYPO = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def keys(tmp_path):
    return Keys(tmp_path / ".duban")


# ---- issue and verify ------------------------------------------------------------------------------
def test_a_token_verifies_for_its_person_and_row_and_fits_a_plus_address(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    assert re.fullmatch(r"[a-z0-9]{1,40}", token), token
    assert len(token) == 30
    assert tk.verify(keys, token, LINA, "T-0012", DAY) is Verdict.OK
    assert tk.issued_on(token) == DAY


def test_another_sender_or_another_row_is_forged(keys):
    token = tk.issue(keys, "李娜", "T-0012", DAY)
    assert tk.verify(keys, token, "李娜", "T-0012", DAY) is Verdict.OK
    assert tk.verify(keys, token, "王伟", "T-0012", DAY) is Verdict.FORGED
    assert tk.verify(keys, token, "李娜", "T-0013", DAY) is Verdict.FORGED
    assert tk.verify(keys, token, "王伟", "T-0013", DAY) is Verdict.FORGED


def test_the_recipient_is_one_person_in_any_case_or_spacing(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    assert tk.verify(keys, token, " LiNa@Example.COM", "T-0012", DAY) is Verdict.OK
    assert tk.verify(keys, token, "lina2@example.com", "T-0012", DAY) is Verdict.FORGED


def test_a_token_from_another_key_is_forged(tmp_path, keys):
    other = Keys(tmp_path / "elsewhere")
    token = tk.issue(other, LINA, "T-0012", DAY)
    assert tk.verify(keys, token, LINA, "T-0012", DAY) is Verdict.FORGED


def test_valid_days_is_inclusive_then_expired(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)                        # issued 12-01
    assert tk.verify(keys, token, LINA, "T-0012", date(2026, 12, 15)) is Verdict.OK       # day 14: still OK
    assert tk.verify(keys, token, LINA, "T-0012", date(2026, 12, 16)) is Verdict.EXPIRED  # day 15
    assert tk.verify(keys, token, LINA, "T-0012", DAY + timedelta(3), valid_days=3) is Verdict.OK
    assert tk.verify(keys, token, LINA, "T-0012", DAY + timedelta(4), valid_days=3) is Verdict.EXPIRED
    assert tk.verify(keys, token, LINA, "T-0012", DAY, valid_days=0) is Verdict.OK
    assert tk.verify(keys, token, LINA, "T-0012", DAY - timedelta(1)) is Verdict.OK       # a clock behind


def test_an_old_token_for_the_wrong_row_is_forged_not_expired(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    assert tk.verify(keys, token, LINA, "T-0013", DAY + timedelta(100)) is Verdict.FORGED


def test_a_case_folded_token_still_verifies(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    assert tk.verify(keys, token.upper(), LINA, "T-0012", DAY) is Verdict.OK
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(token))
    assert tk.verify(keys, mixed, LINA, "T-0012", DAY) is Verdict.OK


def test_tokens_are_stable_and_differ_by_item_person_and_day(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    assert tk.issue(keys, LINA, "T-0012", DAY) == token
    assert tk.issue(Keys(keys.path.parent), LINA, "T-0012", DAY) == token        # the key read back
    others = {tk.issue(keys, LINA, "T-0013", DAY), tk.issue(keys, WANG, "T-0012", DAY),
              tk.issue(keys, LINA, "T-0012", DAY + timedelta(1))}
    assert token not in others and len(others) == 3


def test_a_day_the_token_cannot_carry_is_refused(keys):
    with pytest.raises(ValueError):
        tk.issue(keys, LINA, "T-0012", date(2019, 12, 31))
    with pytest.raises(ValueError):
        tk.verify(keys, tk.issue(keys, LINA, "T-0012", DAY), LINA, "T-0012", DAY, valid_days=-1)


people = st.text(min_size=1, max_size=30).filter(lambda s: s.strip())
items = st.text(min_size=1, max_size=40)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2100, 12, 31))


@HYPO
@given(recipient=people, item=items, day=days, where=st.integers(0, 29), new=st.characters())
def test_any_single_changed_character_is_forged(keys, recipient, item, day, where, new):
    token = tk.issue(keys, recipient, item, day)
    if new in (token[where], token[where].upper()):
        new = "b" if token[where] == "a" else "a"
    altered = token[:where] + new + token[where + 1:]
    assert tk.verify(keys, altered, recipient, item, day) is Verdict.FORGED
    assert tk.verify(keys, token, recipient, item, day) is Verdict.OK


@HYPO
@given(recipient=people, item=items, other=items, day=days)
def test_any_other_item_is_forged_and_match_finds_the_right_one(keys, recipient, item, other, day):
    token = tk.issue(keys, recipient, item, day)
    if other != item:
        assert tk.verify(keys, token, recipient, other, day) is Verdict.FORGED
    assert tk.match(keys, token, [(recipient, other), (recipient, item)]) == (
        (recipient, other) if other == item else (recipient, item))


@HYPO
@given(text=st.text(max_size=40))
def test_any_text_is_forged_never_an_error(keys, text):
    assert tk.verify(keys, text, LINA, "T-0012", DAY) is Verdict.FORGED


def test_truncated_or_extended_tokens_are_forged(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    for bad in (token[:-1], token + "a", "", token[1:]):
        assert tk.verify(keys, bad, LINA, "T-0012", DAY) is Verdict.FORGED
    assert tk.issued_on(token[:-1]) is None


def test_match_finds_the_row_among_the_senders_items_and_who_a_forwarded_token_was_for(keys):
    token = tk.issue(keys, LINA, "任务跟进表!7", DAY)
    lina_items = [(LINA, f"T-{n:04}") for n in range(200)] + [(LINA, "任务跟进表!7")]
    assert tk.match(keys, token, lina_items) == (LINA, "任务跟进表!7")
    assert tk.match(keys, token, [(WANG, "任务跟进表!7"), (WANG, "T-0001")]) is None    # WANG replied
    assert tk.match(keys, token, [(WANG, "任务跟进表!7"), (LINA, "任务跟进表!7")]) == (LINA, "任务跟进表!7")
    assert tk.match(keys, "not a token", lina_items) is None


# ---- the key ---------------------------------------------------------------------------------------
def test_the_key_is_made_on_first_use_then_read(tmp_path):
    folder = tmp_path / ".duban"
    keys = Keys(folder)
    assert not folder.exists()                         # a dry run that issues nothing leaves nothing
    secret = keys.secret()
    assert len(secret) == 32
    assert (folder / "reply.key").read_text() == secret.hex() + "\n"
    assert Keys(folder).secret() == secret
    assert [p.name for p in folder.iterdir()] == ["reply.key"]          # no temp file left
    if os.name == "posix":
        assert (folder / "reply.key").stat().st_mode & 0o777 == 0o600


def test_an_editors_stray_newline_is_harmless(tmp_path):
    folder = tmp_path / ".duban"
    secret = Keys(folder).secret()
    (folder / "reply.key").write_text(secret.hex().upper() + "\r\n\r\n")
    assert Keys(folder).secret() == secret


def test_a_key_made_meanwhile_by_another_process_is_kept(tmp_path, monkeypatch):
    folder = tmp_path / ".duban"
    first = Keys(folder).secret()
    monkeypatch.setattr(tk.os.path, "lexists", lambda path: False)   # as if it was not there when looked
    assert Keys(folder).secret() == first
    monkeypatch.undo()
    assert [p.name for p in folder.iterdir()] == ["reply.key"]


def test_without_hard_links_the_key_is_still_made_once(tmp_path, monkeypatch):
    def no_links(source, target):
        raise OSError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(tk.os, "link", no_links)
    folder = tmp_path / ".duban"
    first = Keys(folder).secret()
    monkeypatch.setattr(tk.os.path, "lexists", lambda path: False)
    assert Keys(folder).secret() == first
    monkeypatch.undo()
    assert [p.name for p in folder.iterdir()] == ["reply.key"]


def _make_key(folder, start, out):
    start.wait()
    out.put(Keys(folder).secret().hex())


@pytest.mark.skipif(sys.platform == "win32", reason="fork start method")
def test_processes_racing_to_make_the_key_get_the_same_one(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for round_ in range(5):
        folder = tmp_path / f"state{round_}"
        start, out = ctx.Barrier(8), ctx.Queue()
        procs = [ctx.Process(target=_make_key, args=(folder, start, out)) for _ in range(8)]
        for p in procs:
            p.start()
        got = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(60)
        assert all(p.exitcode == 0 for p in procs)
        assert len(got) == 8 and set(got) == {(folder / "reply.key").read_text().strip()}
        assert [p.name for p in folder.iterdir()] == ["reply.key"]


@pytest.mark.parametrize("content, zh_what, en_what", [
    (b"", "是空的", "is empty"),
    (b"\x00" * 32, "内容不是督办写入的密钥", "does not hold the key duban wrote"),
    (b"0123abcd\n", "内容不是督办写入的密钥", "does not hold the key duban wrote"),
])
def test_a_damaged_key_file_is_one_sentence_and_deleting_it_works(tmp_path, content, zh_what, en_what):
    folder = tmp_path / ".duban"
    old = tk.issue(Keys(folder), LINA, "T-0012", DAY)
    path = folder / "reply.key"
    path.write_bytes(content)
    with pytest.raises(StorageFault) as caught:
        tk.issue(Keys(folder), LINA, "T-0012", DAY)
    fault = caught.value
    assert fault.code == "reply-key-damaged" and fault.path == path
    assert fault.text("zh") == (
        f"回复密钥文件 {path} {zh_what}，督办无法生成或核对邮件里的回复链接。请删除这个文件后重新运行："
        f"督办会新建密钥；之前邮件里的回复链接随之失效，收件人回复新的提醒邮件即可。")
    assert fault.text("en") == (
        f"The reply key file {path} {en_what}, so duban cannot make or check the reply links in its mail. "
        f"Delete the file and run again: duban makes a new key; reply links in mail sent before stop "
        f"working, and people reply to the next reminder instead.")
    path.unlink()                                              # what the sentence says to do
    keys = Keys(folder)
    new = tk.issue(keys, LINA, "T-0012", DAY)
    assert tk.verify(keys, new, LINA, "T-0012", DAY) is Verdict.OK
    assert tk.verify(keys, old, LINA, "T-0012", DAY) is Verdict.FORGED     # as the sentence warns


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file modes and a non-root user")
def test_an_unreadable_key_file_is_one_sentence(tmp_path):
    folder = tmp_path / ".duban"
    Keys(folder).secret()
    (folder / "reply.key").chmod(0)
    with pytest.raises(StorageFault) as caught:
        Keys(folder).secret()
    assert caught.value.code == "reply-key-unreadable" and "duban serve" in caught.value.text("en")


# ---- where the token travels -----------------------------------------------------------------------
def test_plus_address_and_subject_tag(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    assert tk.plus_address("duban@example.com", token) == f"duban+{token}@example.com"
    assert tk.subject_tag(token) == f"[督办#{token}]"
    with pytest.raises(ValueError):
        tk.plus_address("duban", token)


def _headers(raw: str, parsing=policy.compat32) -> tuple[list[str], str]:
    """A reply as the inbox sees it: To, Cc and Delivered-To values, and the subject."""
    msg = message_from_string(raw, policy=parsing)
    found = [str(v) for name in ("To", "Cc", "Delivered-To") for v in msg.get_all(name, [])]
    return found, str(msg["Subject"] or "")


def _replies(token: str) -> dict[str, str]:
    upper = token.upper()
    gmail_subject = Header(f"Re: [督办#{token}] 每日待办：3 项", "utf-8").encode()
    return {
        "outlook": (f"From: 李娜 <lina@example.com>\nTo: 'duban+{upper}@EXAMPLE.COM' <DUBAN+{upper}@EXAMPLE.COM>\n"
                    f"Subject: 答复: [督办#{token}] 督办提醒：T-0012 已逾期\n\n已完成\n"),
        "foxmail": (f"From: lina@example.com\nTo: duban@example.com\n"
                    f"Subject: 回复：［督办＃{token}］ 督办提醒：T-0012 已逾期\n\n进度 75%\n"),
        "gmail": (f"From: Li Na <lina@example.com>\nTo: 李娜 <lina@example.com>, =?UTF-8?B?552j5Yqe?= "
                  f"<duban+{token}@example.com>\nSubject: {gmail_subject}\n\ndone\n"),
        "163-folded": (f"From: lina@163.com\nTo: duban@example.com\nSubject: RE: 回复: 督办提醒 T-0012 截止日期临近\n"
                       f" 【督办 # {upper}】\n\n已收到\n"),
        "delivered-to": (f"Delivered-To: duban+{token}@example.com\nFrom: lina@example.com\n"
                         f"To: undisclosed-recipients:;\nSubject: Re: reminder\n\nok\n"),
        "cc": (f"From: lina@example.com\nTo: boss@example.com\nCc: x@example.com, duban+{token}@example.com\n"
               f"Subject: FW: 督办\n\nplease see\n"),
    }


@pytest.mark.parametrize("client", ["outlook", "foxmail", "gmail", "163-folded", "delivered-to", "cc"])
@pytest.mark.parametrize("parsing", [policy.compat32, policy.default], ids=["raw", "decoded"])
def test_find_in_real_looking_replies(keys, client, parsing):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    addresses, subject = _headers(_replies(token)[client], parsing)
    assert tk.find(addresses, subject) == token
    assert tk.verify(keys, tk.find(addresses, subject), LINA, "T-0012", DAY) is Verdict.OK


def test_find_prefers_the_address_and_finds_nothing_where_there_is_nothing(keys):
    token = tk.issue(keys, LINA, "T-0012", DAY)
    other = tk.issue(keys, LINA, "T-0013", DAY)
    assert tk.find([f"duban+{token}@example.com"], f"Re: {tk.subject_tag(other)}") == token
    assert tk.find(["duban@example.com", "lina@example.com"], "Re: 督办提醒") is None
    assert tk.find([f"duban+{token[:-1]}@example.com"], f"[督办#{token}x]") is None     # not token-shaped
    assert tk.find([], "") is None


@HYPO
@given(recipient=people, item=items, day=days, prefix=st.sampled_from(["", "Re: ", "RE: ", "回复: ", "答复：", "Fwd: Re: "]),
       after=st.text(max_size=30))
def test_find_reads_back_what_the_helpers_write(keys, recipient, item, day, prefix, after):
    token = tk.issue(keys, recipient, item, day)
    assert tk.find([tk.plus_address("duban@example.com", token)], "") == token
    assert tk.find(["duban@example.com"], prefix + tk.subject_tag(token) + " " + after) == token
    wide = tk.subject_tag(token).replace("[", "［").replace("]", "］")
    assert tk.find([], prefix + wide + after) == token
