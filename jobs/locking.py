"""Advisory file locks that work on Linux, macOS and Windows (the machine that runs duban may be
any of them): flock where it exists, else msvcrt's byte-range lock, which has no shared mode,
so a shared request is taken exclusively there (a dry run then briefly holds off a real job)."""
from __future__ import annotations

try:
    import fcntl
except ImportError:          # Windows
    fcntl = None
    import msvcrt


def try_lock(fh, shared: bool = False) -> bool:
    """Take the lock on the open file `fh` without waiting; False if another process holds it."""
    if fcntl is not None:
        try:
            fcntl.flock(fh, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
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
        fcntl.flock(fh, fcntl.LOCK_UN)
        return
    try:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    except OSError:
        pass
