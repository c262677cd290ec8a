"""`duban service DIR --systemd | --windows`: the text that makes `duban serve DIR` a service.

systemd: a unit for a dedicated user, restarted on failure, in the folder, with the SMTP password
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

from ..errors import UsageError


def command() -> list[str]:
    """How to start duban on this machine: the installed `duban` script, else this Python."""
    found = shutil.which("duban")
    if found:
        return [str(Path(found).resolve())]
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 and argv0.name in ("duban", "duban.exe") and argv0.exists():
        return [str(argv0.resolve())]
    return [sys.executable, "-c", "from jobs.cli import main; main()"]


def _systemd_quote(arg: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


# hardening line -> the paths it hides or makes read-only, and what that does to them
HARDENING = (
    ("PrivateTmp=yes", ("/tmp", "/var/tmp"), "which it hides from the service (the service gets an empty {top} of its own)"),
    ("ProtectSystem=full", ("/usr", "/boot", "/efi", "/etc"), "which it makes read-only for the service"),
    ("ProtectHome=read-only", ("/home", "/root", "/run/user"), "which it makes read-only for the service"),
)


def _under(path: Path, top: str) -> bool:
    return path == Path(top) or Path(top) in path.parents


def hardening(folder: Path, exe: list[str]) -> tuple[list[str], list[str]]:
    """(the hardening lines that are safe, a sentence per line left out). A line is left out when
    the folder, or the program serve runs from, is under a path that line hides or makes read-only
    (ProtectSystem=full only for the folder: reading /usr is what it allows)."""
    program = [Path(exe[0])] + ([Path(sys.prefix)] if exe[0] == sys.executable else [])
    lines, notes = [], []
    for line, tops, effect in HARDENING:
        paths = [folder] + (program if not line.startswith("ProtectSystem") else [])
        hit = next(((p, top) for p in paths for top in tops if _under(p, top)), None)
        if hit is None:
            lines.append(line)
        else:
            notes.append(f"{line} left out: {hit[0]} is under {hit[1]}, {effect.format(top=hit[1])}. "
                         f"Keep the folder and duban's Python (its venv) outside {hit[1]} to have it.")
    return lines, notes


def systemd_unit(folder: Path, settings: dict, user: str = "duban", env_file: str = "/etc/duban/duban.env",
                 warn=None) -> str:
    """The unit's text; a hardening line left out is said in a comment in it and, through `warn`
    (default: a line on stderr), to the person running `duban service`."""
    folder = folder.resolve()
    exe = command()
    start = " ".join(_systemd_quote(a) for a in [*exe, "serve", str(folder)])
    safe, notes = hardening(folder, exe)
    if warn is None:
        warn = lambda text: print(f"duban: warning: {text}", file=sys.stderr)   # noqa: E731
    for note in notes:
        warn(note)
    protect = "\n".join([*(f"# {note}" for note in notes), *safe])
    watchdog = 3 * settings["serve"]["heartbeat_seconds"]
    password_env = settings["mail"]["smtp"]["password_env"]
    return f"""# duban serve for {folder}
# Install (as root):
#   useradd --system --no-create-home --shell /usr/sbin/nologin {user}   # once; give it write access to the folder
#   install -d -m 0700 /etc/duban
#   install -m 0600 /dev/null {env_file} && echo '{password_env}=the-smtp-password' > {env_file}
#   duban service {shlex.quote(str(folder))} --systemd > /etc/systemd/system/duban-serve.service
#   systemctl daemon-reload && systemctl enable --now duban-serve
#   journalctl -u duban-serve -f        # the log; duban status {shlex.quote(str(folder))} says what ran
# Documentation: duban's README, "Running it as a service".
[Unit]
Description=duban serve (督办后台服务) for {folder}
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
WorkingDirectory={_systemd_quote(str(folder))}
# The SMTP password ({password_env}=...) lives only in this root-owned file, mode 0600.
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


def unc_path(folder: Path, settings: dict) -> tuple[str, str]:
    """(the path the task should use, a warning or ""): mail.share_path when it is a UNC path."""
    share = (settings["mail"].get("share_path") or "").strip()
    if share.startswith("\\\\"):
        return share, ""
    text = str(folder)
    if os.name == "nt" or not re.match(r"^(\\\\|[A-Za-z]:)", text):     # a Windows path given on Linux stays as given
        text = str(folder.resolve())
    if text.startswith("\\\\"):
        return text, ""
    if re.match(r"^[A-Za-z]:", text):
        return text, (f"{text} is on a drive letter, which a task running at boot does not see: replace it with "
                      f"the UNC path (\\\\server\\share\\...), or set mail.share_path to it and run this again.")
    return text, (f"{text} is not a Windows path: write the folder's UNC path (\\\\server\\share\\...) in "
                  f"<Arguments> and <WorkingDirectory>, or set mail.share_path to it and run this again.")


def windows_task(folder: Path, settings: dict, user: str = "DOMAIN\\duban-svc") -> str:
    path, warning = unc_path(folder, settings)
    exe = command()
    program, args = exe[0], [*exe[1:], "serve", path]
    arguments = " ".join(f'"{a}"' if (" " in a or not a) else a for a in args)
    note = f"\n  <!-- WARNING: {escape(warning)} -->" if warning else ""
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<!-- duban serve for {escape(path)}. Install (PowerShell as administrator), this file saved as
     duban-serve.xml by duban service with its output option (README: Running it as a service):
       schtasks /Create /TN "duban\\serve" /XML duban-serve.xml /RU {escape(user)} /RP *
       schtasks /Run /TN "duban\\serve"
     The SMTP password: setx /M {escape(settings["mail"]["smtp"]["password_env"])} "..." (or the Windows
     Credential Manager, service "duban"), for the account the task runs as. -->
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
