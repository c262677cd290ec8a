"""Rename that refuses to replace an existing name, where the kernel offers it.

On file systems without hard links, `commit._place` used to check that the name was free and
then `rename()`, which on POSIX silently replaces a file saved in the microseconds between the
two calls. Linux (3.15+, ext4, xfs, btrfs, tmpfs, and others) has `renameat2(RENAME_NOREPLACE)`,
which does both in one step, as a Windows rename always does. glibc has exported it since 2.28;
Python does not wrap it, so it is called through ctypes.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import sys
from pathlib import Path

AT_FDCWD = -100
RENAME_NOREPLACE = 1
UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}


def _load():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):               # no libc by that name, or glibc < 2.28 / musl
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    call.restype = ctypes.c_int
    return call


_renameat2 = _load()


def rename_noreplace(source: Path, target: Path) -> bool | None:
    """Rename `source` to `target` unless `target` exists. True: renamed; False: `target`
    exists (nothing moved); None: this system or file system cannot do it in one step."""
    if _renameat2 is None:
        return None
    if _renameat2(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(target), RENAME_NOREPLACE) == 0:
        return True
    code = ctypes.get_errno()
    if code == errno.EEXIST:
        return False
    if code in UNSUPPORTED:
        return None
    raise OSError(code, os.strerror(code), str(source), None, str(target))
