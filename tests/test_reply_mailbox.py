"""The reply mailbox against a real IMAP server (Dovecot on loopback, tests/imap_server.py): replies read
byte for byte, oldest first, without marking them read; a handled one moved aside; a refused login
and a closed port told in a sentence that names the host and the setting, never the password; and
each client's reply, read back over IMAP, giving the command its writer typed above the quote.
"""
from __future__ import annotations

import email
import email.policy
import importlib.util
import sys
import traceback
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

import imap_server as imap_server_module
from duban.mailer.reasons import error_text, setting_text
from duban.mailer.reply import commands
from duban.mailer.reply.mailbox import (
    CERTIFICATE_SETTING,
    DONE_FOLDER,
    FOLDER_SETTING,
    LOGIN_SETTING,
    PORTS_SETTING,
    Mailbox,
)
from duban.mailer.reply.quoted import new_text
from duban.mailer.seam import SetupError, TemporaryFailure
from imap_server import ImapServer, free_port, running

DATA = Path(__file__).resolve().parent / "data" / "replies"
_spec = importlib.util.spec_from_file_location("make_replies", DATA / "make_replies.py")
assert _spec and _spec.loader
replies = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("make_replies", replies)   # its dataclass looks itself up there
_spec.loader.exec_module(replies)
SHAPES = {shape.file: shape for shape in replies.SHAPES}
THREE = ["outlook_zh_fullwidth.eml", "foxmail_zh.eml", "qq_html.eml"]   # Outlook, Foxmail, QQ mail
TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def _server():
    yield from running()


@pytest.fixture
def imap_server(_server):
    _server.empty()
    return _server


def _box(server: ImapServer, **kwargs) -> Mailbox:
    settings = {"user": server.user, "password": server.password, "security": "none"} | kwargs
    port = server.tls_port if settings["security"] == "ssl" and server.tls_port else server.port
    return Mailbox(server.host, port, **settings)


def _flags(server: ImapServer) -> list[bytes]:
    connection = server.client()
    try:
        connection.select("INBOX", readonly=True)
        status, answer = connection.fetch("1:*", "(FLAGS)")
        assert status == "OK"
        return [line for line in answer if isinstance(line, bytes)]
    finally:
        connection.logout()


def test_waiting_gives_every_reply_byte_for_byte_oldest_first_and_leaves_them_unread(imap_server):
    raws = [(DATA / name).read_bytes() for name in THREE]
    for raw in raws:
        imap_server.append(raw)
    with _box(imap_server) as box:
        waiting = box.waiting()
        assert [raw for _uid, raw in waiting] == raws
        assert len({uid for uid, _raw in waiting}) == 3
        assert [int(uid) for uid, _raw in waiting] == sorted(int(uid) for uid, _raw in waiting)
        assert box.waiting() == waiting                   # reading twice reads the same
    flags = _flags(imap_server)
    assert len(flags) == 3 and not [line for line in flags if b"\\Seen" in line]


def test_a_handled_reply_moves_to_the_done_folder_and_is_no_longer_waiting(imap_server):
    for name in THREE:
        imap_server.append((DATA / name).read_bytes())
    assert imap_server.count(DONE_FOLDER) == 0            # not there until something is handled
    with _box(imap_server) as box:
        first, second, third = box.waiting()
        box.handled(second[0])
        assert box.waiting() == [first, third]
    assert imap_server.count(DONE_FOLDER) == 1
    with _box(imap_server) as box:                        # a later run: the folder exists already
        assert [raw for _uid, raw in box.waiting()] == [first[1], third[1]]
        box.handled(box.waiting()[0][0])
        assert [raw for _uid, raw in box.waiting()] == [third[1]]
    assert imap_server.count(DONE_FOLDER) == 2 and imap_server.count("INBOX") == 1


def test_a_reply_read_but_not_handled_is_read_again_next_time(imap_server):
    imap_server.append((DATA / THREE[0]).read_bytes())
    with _box(imap_server) as box:
        assert len(box.waiting()) == 1                    # then the run stops before handled()
    with _box(imap_server) as box:
        assert [raw for _uid, raw in box.waiting()] == [(DATA / THREE[0]).read_bytes()]


def test_a_refused_login_names_the_host_user_and_setting_but_never_the_password():
    # a server of its own: Dovecot delays the next logins from an address that just failed one
    for server in running():
        wrong = "-".join(("Wrong", "Secret", "42"))          # not in any source line a traceback prints
        with pytest.raises(SetupError) as caught:
            with _box(server, password=wrong):
                pass
        error = caught.value
        where = f"127.0.0.1:{server.port}"
        assert error_text(error.reason, "en").startswith(f"{where} refused the login of '{server.user}' to the reply mailbox")
        assert error_text(error.reason, "zh").startswith(f"{where} 拒绝了回复邮箱 '{server.user}' 的登录")
        assert error.setting == LOGIN_SETTING and setting_text(error.setting, "zh").startswith("[reply.imap] user，以及")
        printed = "".join(traceback.format_exception(error))
        assert wrong not in printed and wrong not in repr(error) and "imap_tools" not in printed
        assert error.__cause__ is None and error.__suppress_context__


def test_the_password_is_not_kept_or_shown_by_the_mailbox(imap_server):
    box = _box(imap_server)
    assert imap_server.password not in repr(box)
    with box:
        assert imap_server.password not in repr(vars(box))


def test_a_utf8_password_logs_in():
    for server in running(password="督办-密码-2026"):
        server.append((DATA / THREE[1]).read_bytes())
        with _box(server) as box:
            assert [raw for _uid, raw in box.waiting()] == [(DATA / THREE[1]).read_bytes()]


def test_a_closed_port_says_which_host_and_what_to_check():
    port, secret = free_port(), "-".join(("Never", "Shown", "7"))   # not in any source line a traceback prints
    with pytest.raises(TemporaryFailure) as caught:
        with Mailbox("127.0.0.1", port, "lina", secret, security="none", timeout=5):
            pass
    error = caught.value
    assert not isinstance(error, SetupError)              # the server may come back: the next run tries again
    en, zh = error_text(error.reason, "en"), error_text(error.reason, "zh")
    assert en.startswith(f"cannot connect to the reply mailbox at 127.0.0.1:{port} (ConnectionRefusedError")
    assert en.endswith("check [reply.imap] host and port, and that the mail server is up and reachable from this machine")
    assert zh.startswith(f"无法连接 127.0.0.1:{port} 上的回复邮箱") and "[reply.imap] host 和 port" in zh
    assert secret not in "".join(traceback.format_exception(error))


def test_tls_to_a_plain_server_names_the_security_setting(imap_server):
    with pytest.raises(SetupError) as caught:
        with _box(imap_server, security="ssl", timeout=5):
            pass
    assert caught.value.setting == PORTS_SETTING
    assert error_text(caught.value.reason, "en").startswith(f"TLS with the reply mailbox at 127.0.0.1:{imap_server.port} failed")


def test_a_missing_folder_names_the_folder_setting(imap_server):
    with pytest.raises(SetupError) as caught:
        with _box(imap_server, folder="duban-replies"):
            pass
    assert caught.value.setting == FOLDER_SETTING
    assert "has no folder 'duban-replies'" in error_text(caught.value.reason, "en")


def test_the_mailbox_is_used_in_a_with_block(imap_server):
    with pytest.raises(RuntimeError, match="with block"):
        _box(imap_server).waiting()


def test_every_clients_reply_read_over_imap_gives_the_command_written_above_the_quote(imap_server):
    names = sorted(SHAPES)
    for name in names:
        imap_server.append((DATA / name).read_bytes())
    with _box(imap_server) as box:
        waiting = box.waiting()
    assert len(waiting) == len(names)
    found: dict[str, commands.Command | commands.Unknown] = {}
    for name, (_uid, raw) in zip(names, waiting):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        text = new_text(message)
        assert text == SHAPES[name].reply, SHAPES[name].client
        found[name] = commands.parse(text, TODAY)
        assert found[name] == commands.parse(SHAPES[name].reply, TODAY)
    # one per client family, with what its writer typed
    assert found["outlook_zh_header_block.eml"] == commands.Command("progress", 75)
    assert found["outlook_zh_original_legacy.eml"] == commands.Command("acknowledge")
    assert found["foxmail_zh.eml"] == commands.Command("done")
    assert found["163_xiedao.eml"] == commands.Command("done")
    assert found["qq_app_header.eml"] == commands.Command("progress", 75)
    assert found["gmail_zh.eml"] == commands.Command("done")


def test_without_dovecot_the_tests_skip_with_the_install_sentence(monkeypatch):
    monkeypatch.setattr(imap_server_module, "dovecot", lambda: None)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install dovecot-imapd"):
        ImapServer()


@pytest.fixture(scope="module")
def tls_server():
    yield from running(tls=True)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_ssl_and_starttls_read_the_same_bytes(tls_server, security):
    tls_server.empty()
    raw = (DATA / THREE[0]).read_bytes()
    tls_server.append(raw)
    port = tls_server.tls_port if security == "ssl" else tls_server.port
    with _box(tls_server, security=security, ssl_context=tls_server.client_context) as box:
        assert box.port == port
        assert [got for _uid, got in box.waiting()] == [raw]


def test_an_untrusted_certificate_names_the_certificate_setting(tls_server):
    with pytest.raises(SetupError) as caught:          # the system's trusted certificates do not include it
        with Mailbox(tls_server.host, tls_server.tls_port, tls_server.user, tls_server.password, security="ssl"):
            pass
    assert caught.value.setting == CERTIFICATE_SETTING
    assert "CERTIFICATE_VERIFY_FAILED" in error_text(caught.value.reason, "en")


def test_starttls_to_a_server_without_it_names_the_security_setting(imap_server):
    with pytest.raises(SetupError) as caught:
        with _box(imap_server, security="starttls"):
            pass
    assert caught.value.setting == PORTS_SETTING
    assert error_text(caught.value.reason, "en").startswith(
        f"the reply mailbox at 127.0.0.1:{imap_server.port} does not offer STARTTLS")
