"""Advisory file locks that a Linux or macOS server and a Windows PC on the same share both see.

POSIX: a record lock (`fcntl.lockf`, i.e. fcntl F_SETLK) on the lock file's first byte. Samba
maps the byte-range locks a Windows client takes onto exactly these locks on the server, and the
Linux CIFS and NFS clients send them to the file server, so serve on the server and the Excel
console on a clerk's PC exclude each other. flock (the only lock before) is local to one machine:
Samba and most network clients do not see it. It is still taken first, because a record lock
belongs to the process, not the handle: two threads of one process never conflict on it, and
closing *any* handle the process has on the file drops it; flock keeps two threads (two handles)
of one process apart.
Windows: msvcrt's byte-range lock on the same first byte, which has no shared mode, so a shared
request is taken exclusively there (a dry run then briefly holds off a real job)."""
from __future__ import annotations

try:
    import fcntl
except ImportError:          # Windows
    fcntl = None
    import msvcrt


def try_lock(fh, shared: bool = False) -> bool:
    """Take the lock on the open file `fh` without waiting; False if another process holds it.
    A shared lock needs `fh` open for reading, an exclusive one for writing."""
    if fcntl is not None:
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        try:
            fcntl.flock(fh, mode)
        except BlockingIOError:
            return False
        try:
            fcntl.lockf(fh, mode, 1, 0, 0)
            return True
        except (BlockingIOError, PermissionError):      # EAGAIN or EACCES: another process, maybe another machine
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False
    try:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


def unlock(fh) -> None:
    """Give the lock back (closing the file does too; Windows wants it said)."""
    if fcntl is not None:
        fcntl.lockf(fh, fcntl.LOCK_UN, 1, 0, 0)
        fcntl.flock(fh, fcntl.LOCK_UN)
        return
    try:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    except OSError:
        pass
