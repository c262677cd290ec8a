"""Advisory file locks that a Linux or macOS server and a Windows PC on the same share both see.

POSIX: a byte-range record lock on the lock file's first byte (fcntl). Samba maps the byte-range
locks a Windows client takes onto exactly these locks on the server, and the Linux NFS and CIFS
clients send them to the file server, so serve on the server and the Excel console on a clerk's PC
exclude each other. (flock, the only lock before, is local to one machine: Samba and most network
clients do not see it.)
- Linux: an open-file-description lock (F_OFD_SETLK). It conflicts with the classic record locks
  (Samba's, another process's lockf) and, unlike them, belongs to the open file, not the process:
  two threads that open the file each are kept apart, and closing some other handle on the file
  does not drop it. It is the only lock taken, so no second lock of this process on the same file
  can conflict with it on a network mount.
- Other POSIX systems: `fcntl.lockf` (F_SETLK) on the same byte, after flock, which keeps two
  threads of this process apart (a classic record lock never conflicts within one process).
Windows: msvcrt's byte-range lock on the same first byte, which has no shared mode, so a shared
request is taken exclusively there (a dry run then briefly holds off a real job)."""
from __future__ import annotations

import struct

try:
    import fcntl
except ImportError:          # Windows
    fcntl = None
    import msvcrt

_OFD = getattr(fcntl, "F_OFD_SETLK", None) if fcntl is not None else None


def _ofd(fh, kind: int) -> None:
    """F_OFD_SETLK on byte 0: struct flock {short type, whence; off_t start, len; pid_t pid (0)}."""
    fcntl.fcntl(fh.fileno(), _OFD, struct.pack("hhqqi4x", kind, 0, 0, 1, 0))


def try_lock(fh, shared: bool = False) -> bool:
    """Take the lock on the open file `fh` without waiting; False if another holder has it.
    A shared lock needs `fh` open for reading, an exclusive one for writing."""
    if fcntl is None:
        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    if _OFD is not None:
        try:
            _ofd(fh, fcntl.F_RDLCK if shared else fcntl.F_WRLCK)
            return True
        except (BlockingIOError, PermissionError):      # EAGAIN or EACCES: held elsewhere, maybe another machine
            return False
    mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
    try:
        fcntl.flock(fh, mode)
    except BlockingIOError:
        return False
    try:
        fcntl.lockf(fh, mode, 1, 0, 0)
        return True
    except (BlockingIOError, PermissionError):
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def unlock(fh) -> None:
    """Give the lock back (closing the file does too; Windows wants it said)."""
    if fcntl is None:
        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    if _OFD is not None:
        _ofd(fh, fcntl.F_UNLCK)
        return
    fcntl.lockf(fh, fcntl.LOCK_UN, 1, 0, 0)
    fcntl.flock(fh, fcntl.LOCK_UN)
