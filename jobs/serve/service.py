"""`duban service DIR --systemd | --windows`: the text that makes `duban serve DIR` a service.

systemd: a unit for a dedicated user, restarted on failure, in the folder, with the SMTP password
and the group bots' webhook URLs and secrets (their variables' names listed, never a value)
from an EnvironmentFile readable only by root (mode 0600; systemd reads it before dropping to the
user), `Type=notify` with a watchdog (serve says READY=1 once started and WATCHDOG=1 with every
heartbeat, through $NOTIFY_SOCKET; `sd_notify` below, no extra package), and the sandboxing lines
that hide nothing serve needs (`hardening`: a folder or venv under /tmp or /home keeps its files).
Windows: a Task Scheduler task started at boot whether or not anyone is logged on, restarted on
failure, never stopped for running long, on the folder's UNC path (a service does not see mapped
drive letters).
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from duban.jobs.settings.typed import Settings
from duban.workbooks.model.errors import UsageError


def command() -> list[str]:
    """How to start duban on this machine: the installed `duban` script, else this Python."""
    found = shutil.which("duban")
    if found:
        return [str(Path(found).resolve())]
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 and argv0.name in ("duban", "duban.exe") and argv0.exists():
        return [str(argv0.resolve())]
    return [sys.executable, "-c", "from duban.jobs.cli import main; main()"]


# How systemd reads each value (systemd.unit(5) "Specifiers", systemd.service(5) "Command lines"):
# every value expands %-specifiers, so a literal % is %%; WorkingDirectory= takes the rest of the
# line as one path, literally (quotes would be part of it: "path is not absolute"); RequiresMountsFor=
# is a list of words, so a path with a space is quoted ("\\" and "\"" inside); ExecStart= words are
# quoted the same way, and there $NAME is an environment variable, so a literal $ is $$.
def _systemd_quote(arg: str, command: bool = False) -> str:
    """One word of a list (RequiresMountsFor=) or, with `command`, of ExecStart=."""
    text = arg.replace("%", "%%")
    if command:
        text = text.replace("$", "$$")
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _systemd_path(path: str) -> str:
    """WorkingDirectory=: the path as it is, never quoted; only % doubled."""
    return path.replace("%", "%%")


def _unit_safe(folder: Path, exe: list[str]) -> None:
    """A path a unit file cannot hold (a line break or another control character, spaces or a
    backslash at its end: the line would end early, lose them, or go on to the next; bytes that
    are not UTF-8) is refused with a sentence rather than written half-right."""
    for path in (str(folder), *exe):
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            bad = True
        else:
            bad = (any(ord(c) < 32 or ord(c) == 127 for c in path) or path != path.rstrip()
                   or path.endswith("\\"))
        if bad:
            raise UsageError(f"路径 {path!r} 含有换行、控制字符、结尾的空格或反斜杠，或非 UTF-8 字节，systemd 单元文件"
                             f"无法表示。请给文件夹改名后再运行。 / The path {path!r} holds a line break, a control "
                             f"character, spaces or a backslash at its end, or bytes that are not UTF-8, which a "
                             f"systemd unit file cannot hold: rename the folder, then run this again.")


# hardening line -> the paths it hides or makes read-only, and what that does to them (en, zh)
HARDENING = (
    ("PrivateTmp=yes", ("/tmp", "/var/tmp"), ("which it hides from the service (the service gets an empty {top} of "
                                              "its own)", "这一行会对服务隐藏 {top}（服务只得到一个空的、自己的 {top}）")),
    ("ProtectSystem=full", ("/usr", "/boot", "/efi", "/etc"), ("which it makes read-only for the service",
                                                               "这一行会让服务对 {top} 只读")),
    ("ProtectHome=read-only", ("/home", "/root", "/run/user"), ("which it makes read-only for the service",
                                                                "这一行会让服务对 {top} 只读")),
)
LEFT_OUT = ("{line} left out: {path} is under {top}, {effect}. Keep the folder and duban's Python (its venv) "
            "outside {top} to have it.",
            "未加入 {line}：{path} 位于 {top} 之下，{effect}。要使用这一行，请把文件夹和督办的 Python（其 venv）放在 "
            "{top} 之外。")


def _warner(lang: str):
    """The default `warn`: a line on stderr, in the company's language (the file itself stays English)."""
    prefix = "duban: warning: " if lang == "en" else "duban: 注意："
    return lambda text: print(prefix + text, file=sys.stderr)


def _under(path: Path, top: str) -> bool:
    return path == Path(top) or Path(top) in path.parents


def hardening(folder: Path, exe: list[str], lang: str = "en") -> tuple[list[str], list[str]]:
    """(the hardening lines that are safe, a sentence in `lang` per line left out). A line is left out
    when the folder, or the program serve runs from, is under a path that line hides or makes
    read-only (ProtectSystem=full only for the folder: reading /usr is what it allows)."""
    zh = lang == "zh"
    program = [Path(exe[0])] + ([Path(sys.prefix)] if exe[0] == sys.executable else [])
    lines, notes = [], []
    for line, tops, effect in HARDENING:
        paths = [folder] + (program if not line.startswith("ProtectSystem") else [])
        hit = next(((p, top) for p in paths for top in tops if _under(p, top)), None)
        if hit is None:
            lines.append(line)
        else:
            notes.append(LEFT_OUT[zh].format(line=line, path=hit[0], top=hit[1],
                                             effect=effect[zh].format(top=hit[1])))
    return lines, notes


def group_variables(settings: Settings) -> list[tuple[str, str]]:
    """(variable, what it holds) for each configured group bot: the names duban.toml gives
    ([im.groups.<name>] webhook_env, secret_env), for the service's environment. Never a value."""
    found: dict[str, str] = {}
    for name, group in settings.im.groups.items():
        shown = "".join(c if c.isprintable() else "?" for c in name)     # a comment holds one line
        found.setdefault(group.webhook_env, f"the webhook URL of the group {shown}")
        if group.secret_env:
            found.setdefault(group.secret_env, f"the signing secret of the group {shown}")
    return list(found.items())


def systemd_unit(folder: Path, settings: Settings, user: str = "duban", env_file: str = "/etc/duban/duban.env",
                 warn=None) -> str:
    """The unit's text; a hardening line left out is said in a comment in it (English, as the whole
    file) and, through `warn` (default: a line on stderr), to the person running `duban service`,
    in the company's language."""
    folder = folder.resolve()
    exe = command()
    _unit_safe(folder, exe)
    start = " ".join(_systemd_quote(a, command=True) for a in [*exe, "serve", str(folder)])
    lang = settings.company.language
    safe, notes = hardening(folder, exe)
    warn = warn or _warner(lang)
    for note in hardening(folder, exe, lang)[1]:
        warn(note)
    protect = "\n".join([*(f"# {note}" for note in notes), *safe])
    watchdog = 3 * settings.serve.heartbeat_seconds
    password_env = settings.mail.smtp.password_env
    groups = group_variables(settings)
    more = "".join(f"\n#   echo '{var}=...' >> {env_file}   # {what}" for var, what in groups)
    kept = "".join(f"\n#   {var}: {what}" for var, what in groups)
    kept = f"\n# The group bots' variables (duban.toml names them; their values only here):{kept}" if groups else ""
    return f"""# duban serve for {folder}
# Install (as root):
#   useradd --system --no-create-home --shell /usr/sbin/nologin {user}   # once; give it write access to the folder
#   install -d -m 0700 /etc/duban
#   install -m 0600 /dev/null {env_file} && echo '{password_env}=the-smtp-password' > {env_file}{more}
#   duban service {shlex.quote(str(folder))} --systemd > /etc/systemd/system/duban-serve.service
#   systemctl daemon-reload && systemctl enable --now duban-serve
#   journalctl -u duban-serve -f        # the log; duban status {shlex.quote(str(folder))} says what ran
# Documentation: duban's README, "Running it as a service".
[Unit]
Description=duban serve (督办后台服务) for {_systemd_path(str(folder))}
Wants=network-online.target
After=network-online.target remote-fs.target
RequiresMountsFor={_systemd_quote(str(folder))}
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=notify
NotifyAccess=main
WatchdogSec={watchdog}
User={user}
Group={user}
WorkingDirectory={_systemd_path(str(folder))}
# The SMTP password ({password_env}=...) lives only in this root-owned file, mode 0600.{kept}
EnvironmentFile=-{env_file}
Environment=PYTHONUNBUFFERED=1
ExecStart={start}
Restart=on-failure
RestartSec=30
KillSignal=SIGTERM
TimeoutStopSec=30
# A rewritten workbook keeps its owner, group and ACLs (staff must still be able to save it): only
# with these two capabilities may a service account give them; without them such writes are refused.
AmbientCapabilities=CAP_CHOWN CAP_FOWNER
NoNewPrivileges=yes
{protect}

[Install]
WantedBy=multi-user.target
"""


def unc_path(folder: Path, settings: Settings, lang: str = "en") -> tuple[str, str]:
    """(the path the task should use, a warning in `lang` or ""): mail.share_path when it is a UNC path."""
    share = (settings.mail.share_path or "").strip()
    if share.startswith("\\\\"):
        return share, ""
    text = str(folder)
    if os.name == "nt" or not re.match(r"^(\\\\|[A-Za-z]:)", text):     # a Windows path given on Linux stays as given
        text = str(folder.resolve())
    if text.startswith("\\\\"):
        return text, ""
    if re.match(r"^[A-Za-z]:", text) and lang == "zh":
        return text, (f"{text} 在盘符上，开机时运行的任务看不到盘符：请改为 UNC 路径（\\\\server\\share\\...），"
                      f"或把 mail.share_path 设为该路径后再运行一次。")
    if re.match(r"^[A-Za-z]:", text):
        return text, (f"{text} is on a drive letter, which a task running at boot does not see: replace it with "
                      f"the UNC path (\\\\server\\share\\...), or set mail.share_path to it and run this again.")
    if lang == "zh":
        return text, (f"{text} 不是 Windows 路径：请在 <Arguments> 和 <WorkingDirectory> 中写入文件夹的 UNC 路径"
                      f"（\\\\server\\share\\...），或把 mail.share_path 设为该路径后再运行一次。")
    return text, (f"{text} is not a Windows path: write the folder's UNC path (\\\\server\\share\\...) in "
                  f"<Arguments> and <WorkingDirectory>, or set mail.share_path to it and run this again.")


def foreign_build(exe: list[str], folder: str, options: str = "--windows --output duban-serve.xml",
                  system: str = os.name, lang: str = "en") -> str:
    """The warning (in `lang`) for a task built on a machine that is not Windows: its <Command> is
    this machine's duban, which the Windows machine does not have ("" on Windows)."""
    if system == "nt":
        return ""
    if lang == "zh":
        return (f"这个任务是在 {sys.platform} 上生成的：<Command> 写的是 {exe[0]}，即本机的 duban，Windows 机器上没有它。"
                f"请在那台 Windows 机器上安装督办，在那里运行 duban service {folder} {options}，然后注册那个文件。")
    return (f"this task was built on {sys.platform}: <Command> names {exe[0]}, this machine's duban, which the "
            f"Windows machine does not have. Run duban service {folder} {options} on the Windows machine "
            f"itself, with duban installed there, and register that file instead.")


def _comment(text: str) -> str:
    """Text for inside an XML comment: taken as written (no entities), but "--" may not occur."""
    return text.replace("--", "- -")


def windows_task(folder: Path, settings: Settings, user: str = "DOMAIN\\duban-svc", warn=None) -> str:
    """The task's XML; a warning (the folder is no UNC path, the task was built off Windows) is
    written into it and, through `warn` (default: a line on stderr), said to the person running it."""
    lang = settings.company.language
    path, warning = unc_path(folder, settings)
    exe = command()
    program, args = exe[0], [*exe[1:], "serve", path]
    arguments = " ".join(f'"{a}"' if (" " in a or not a) else a for a in args)
    shown = f'"{path}"' if " " in path else path
    warn = warn or _warner(lang)
    for text in (foreign_build(exe, shown, lang=lang), unc_path(folder, settings, lang)[1]):
        if text:
            warn(text)
    notes = (foreign_build(exe, shown, "with its Windows and output options"), warning)
    note = "".join(f"\n  <!-- WARNING: {_comment(w)} -->" for w in notes if w)
    smtp = settings.mail.smtp
    login = smtp.user.strip() or "USER (mail.smtp.user)"
    groups = "".join(f"\n       setx {var} \"...\"   ({what})" for var, what in group_variables(settings))
    groups = (f"\n     The group bots' webhook URLs and secrets go the same way (or keyring set duban VARIABLE):"
              f"{groups}") if groups else ""
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<!-- duban serve for {_comment(path)}. Install (PowerShell as administrator), this file saved as
     duban-serve.xml by duban service with its output option (README: Running it as a service):
       schtasks /Create /TN "duban\\serve" /XML duban-serve.xml /RU {_comment(user)} /RP *
       schtasks /Run /TN "duban\\serve"
     The SMTP password belongs to the account the task runs as, not to the machine: a variable set
     with setx and its machine-wide switch could be read by every user of this machine. Open a
     window as that account (runas /user:{_comment(user)} cmd) and there either run
       setx {_comment(smtp.password_env)} "the-password"
     (that account's own environment variables), or, with the keyring package in duban's venv,
       keyring set duban {_comment(login)}
     (that account's Windows Credential Manager; it asks for the password).{_comment(groups)} -->
<Task version="1.4" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">{note}
  <RegistrationInfo>
    <Description>duban serve (督办后台服务): runs the schedule of {escape(path)}</Description>
    <URI>\\duban\\serve</URI>
  </RegistrationInfo>
  <Triggers>
    <BootTrigger>
      <Enabled>true</Enabled>
      <Delay>PT1M</Delay>
    </BootTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>{escape(user)}</UserId>
      <LogonType>Password</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Priority>7</Priority>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{escape(program)}</Command>
      <Arguments>{escape(arguments)}</Arguments>
      <WorkingDirectory>{escape(path)}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"""


XML_UTF16, XML_UTF8 = '<?xml version="1.0" encoding="UTF-16"?>', '<?xml version="1.0" encoding="UTF-8"?>'


def write_text(text: str, output: Path | None, windows: bool) -> None:
    """Print (the XML then declares UTF-8), or write to `output` (Task Scheduler XML as UTF-16 with a
    BOM, declared so, as schtasks prefers)."""
    if output is None:                 # printed: the bytes are UTF-8, and so must the declaration be
        import typer
        typer.echo(text.replace(XML_UTF16, XML_UTF8, 1) if windows else text, nl=False)
        return
    if windows:
        output.write_text(text, encoding="utf-16")
    else:
        output.write_text(text, encoding="utf-8")


def sd_notify(state: str) -> bool:
    """Tell systemd (Type=notify) READY=1 / WATCHDOG=1 / STOPPING=1; a no-op outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address or not hasattr(socket, "AF_UNIX"):
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
        return True
    except OSError:
        return False


def check_choice(systemd: bool, windows: bool) -> None:
    if systemd == windows:
        raise UsageError("请只给出 --systemd 或 --windows 其中之一。 / give exactly one of --systemd or --windows.")
