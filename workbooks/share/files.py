"""Writing a file on the share so that nobody ever sees half of it, and everybody can read it.

One way for every file duban creates (templates, duban.toml, archived reports, outbox mail):
a temporary file in the same folder, fsynced, then renamed over the name. tempfile makes its
files 0600, which on a shared drive would hide them from the people they are for, so the new
file is made with the mode the old one had, or what a plain open() would give. On a share each
call is a round trip to the server: a folder is made only when it turns out to be missing, and
a mode is set only when the umask took bits away.
"""
from __future__ import annotations

import functools
import os
import re
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def plain_mode(path: Path | None = None) -> int:
    """`path`'s current permissions, or what open() would give a new file under the umask."""
    if path is not None:
        try:
            return path.stat().st_mode & 0o777
        except FileNotFoundError:
            pass
    return 0o666 & ~_umask()


def unique_suffix() -> str:
    """`host-pid-random` for a temporary file's name: two writers, even two machines writing the
    same share, never share a temp file name (tempfile's random part alone is unique only
    within the name space one machine sees while it creates the file)."""
    host = re.sub(r"[^A-Za-z0-9_-]+", "_", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(4)}"


@contextmanager
def replacing(path: Path, prefix: str | None = None) -> Iterator[Path]:
    """Yield a temp path beside `path` for a writer that wants a file name (openpyxl, XlsxWriter);
    on success it replaces `path` with the usual mode, on failure it is removed."""
    tmp, fd = _created(path, prefix, 0o600)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, plain_mode(path))      # after the writer: it may have made the file anew
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _created(path: Path, prefix: str | None, mode: int) -> tuple[Path, int]:
    """(name, open descriptor) of a new empty file beside `path` that nobody else can have made
    (exclusive create, a host-pid-random name), given `mode` as it is made, with a chmod only
    when the umask took bits away. The folder is made only when it is missing."""
    for attempt in range(100):
        name = path.with_name((prefix or f".{path.stem}.") + unique_suffix() + path.suffix + ".tmp")
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        except FileExistsError:
            continue
        except FileNotFoundError:
            if attempt:
                raise
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        if mode & _umask():
            try:
                os.chmod(name, mode)
            except BaseException:
                os.close(fd)
                name.unlink(missing_ok=True)
                raise
        return name, fd
    raise FileExistsError(f"no free temporary name beside {path}")


@functools.cache
def _umask() -> int:
    """The process's umask, read once (setting it to read it would race other threads' creates)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def write_atomically(path: Path, data: bytes, durable: bool = True) -> tuple[int, int, int]:
    """`data` at `path`, whole or not at all (fsynced before the rename unless not `durable`: a
    record that may be lost, never half-written, in a power cut). Returns the new file's (inode,
    size, mtime_ns), for a caller that caches what it wrote."""
    tmp, fd = _created(path, None, plain_mode(path))
    try:
        with open(fd, "wb") as out:
            out.write(data)
            out.flush()
            if durable:
                os.fsync(out.fileno())
            st = os.fstat(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return st.st_ino, st.st_size, st.st_mtime_ns
