"""A real IMAP server for tests: the distribution's Dovecot on 127.0.0.1, with a configuration of its own.

The system's Dovecot service is neither needed nor touched: `ImapServer` writes a minimal
dovecot.conf into a fresh folder (a free port, IMAP only, one user in a passwd-file, maildir under
the folder, its sockets, state and log there too) and runs `dovecot -F -c <that file>` as a child
process, stopped at teardown. Dovecot will not run its login process as root, so as root the login
and internal processes run as the distribution's unprivileged users (dovenull, dovecot) and the
mail as `nobody`, who owns the maildir; as any other user everything runs as that user.
The folder is made with mkdtemp under the system's temporary folder (not pytest's tmp_path, which
is private to root and so closed to the mail process). `append(raw)` puts a message into a folder
as a mail host delivers it; `stop()`/`start()` keep the port, so a test can close it;
`running()` is the body of a fixture.
With `tls=True` it also speaks TLS (implicit on `tls_port`, STARTTLS on `port`) with a self-signed
certificate that only `client_context` trusts.
Without Dovecot (`apt-get install dovecot-imapd`) the tests that use it are skipped with that sentence.
"""
from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from smtp_server import tls_contexts

USER, PASSWORD = "lina", "s3cret-Passw0rd"
INSTALL = "Dovecot is not installed: `apt-get install dovecot-imapd` adds it (the IMAP tests run against it)"
STARTUP_SECONDS = 30


def dovecot() -> str | None:
    """The dovecot binary (it lives in /usr/sbin, often off a normal user's PATH)."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _users() -> tuple[str, str, pwd.struct_passwd]:
    """(login user, internal user, mail owner): unprivileged ones as root, else the current user."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me
    names = {entry.pw_name: entry for entry in pwd.getpwall()}
    login = next((n for n in ("dovenull", "nobody") if n in names), None)
    internal = next((n for n in ("dovecot", "nobody") if n in names), None)
    if login is None or internal is None or "nobody" not in names:
        pytest.skip("no unprivileged user (dovenull, dovecot or nobody) in /etc/passwd to run Dovecot's processes as")
    return login, internal, names["nobody"]


CONF = """\
# duban's tests: one user, IMAP on loopback, nothing shared with the system's Dovecot
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login}
default_internal_user = {internal}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
{chroot}}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class ImapServer:
    """Dovecot on 127.0.0.1:`port` with one user (`user`, `password`) whose INBOX starts empty."""

    def __init__(self, user: str = USER, password: str = PASSWORD, tls: bool = False):
        binary = dovecot()
        if binary is None:
            pytest.skip(INSTALL)
        self.binary, self.user, self.password = binary, user, password
        self.host, self.port = "127.0.0.1", free_port()
        self.tls_port = free_port() if tls else 0       # implicit TLS (imaps); STARTTLS is on `port`
        self.client_context: ssl.SSLContext | None = None   # trusts only this server's certificate
        self.root = Path(tempfile.mkdtemp(prefix="duban-dovecot-"))
        self.process: subprocess.Popen | None = None
        self._configure()

    def _configure(self) -> None:
        login, internal, owner = _users()
        self.root.chmod(0o755)             # the mail and login processes reach their sockets through it
        (self.root / "state").mkdir()
        home = self.root / "mail" / self.user
        home.mkdir(parents=True)
        (self.root / "passwd").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{owner.pw_uid}:{owner.pw_gid}::{home}::\n", encoding="utf-8")
        (self.root / "passwd").chmod(0o644)
        for path in (self.root / "mail", home):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        chroot = "" if os.geteuid() == 0 else "  chroot =\n"   # only root can chroot the login process
        tls = "ssl = no"
        if self.tls_port:                  # a self-signed certificate for 127.0.0.1, as the SMTP tests use
            _server, self.client_context = tls_contexts(self.root)
            tls = f"ssl = yes\nssl_cert = <{self.root}/cert.pem\nssl_key = <{self.root}/key.pem"
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(CONF.format(root=self.root, login=login, internal=internal, uid=owner.pw_uid,
                                         gid=owner.pw_gid, port=self.port, tls_port=self.tls_port, ssl=tls,
                                         chroot=chroot), encoding="utf-8")

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-F", "-c", str(self.conf)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot stopped at start ({self.process.returncode}): {self._output()}")
            if self._greets():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Dovecot did not answer on {self.host}:{self.port} within {STARTUP_SECONDS} s: "
                           f"{self._output()}")

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as probe:
                return probe.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _output(self) -> str:
        log = self.root / "dovecot.log"
        said = self.process.stdout.read().decode("utf-8", "replace") if self.process and self.process.stdout else ""
        return said + (log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        if (self.user + self.password).isascii():
            connection.login(self.user, self.password)
        else:                              # LOGIN is ASCII only
            secret = f"\0{self.user}\0{self.password}".encode()
            connection.authenticate("PLAIN", lambda _challenge: secret)
        return connection

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Store `raw` in `folder` unread, byte for byte, as a mail host delivers it."""
        connection = self.client()
        try:
            status, answer = connection.append(folder, None, None, raw)
            assert status == "OK", answer
        finally:
            connection.logout()

    def empty(self) -> None:
        """Back to an empty INBOX and no other folder, so one server serves a module's tests."""
        connection = self.client()
        try:
            status, folders = connection.list()
            for line in folders if status == "OK" else []:
                name = line.decode().rsplit(" ", 1)[1].strip('"') if isinstance(line, bytes) else ""
                if name and name != "INBOX":
                    connection.delete(name)
            status, count = connection.select("INBOX")
            if status == "OK" and count[0] != b"0":
                connection.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
                connection.expunge()
        finally:
            connection.logout()

    def count(self, folder: str) -> int:
        """How many messages `folder` holds (0 when it does not exist), read with the plain library."""
        connection = self.client()
        try:
            status, answer = connection.status(folder, "(MESSAGES)")
            if status != "OK":
                return 0
            return int(answer[0].decode().rsplit("MESSAGES", 1)[1].strip(" )"))
        finally:
            connection.logout()


def running(**kwargs):
    """A started server for a fixture (`yield from running()`), stopped and removed afterwards."""
    server = ImapServer(**kwargs)
    try:
        server.start()
        yield server
    finally:
        server.close()
