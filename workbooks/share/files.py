"""Writing a file on the share so that nobody ever sees half of it, and everybody can read it.

One way for every file duban creates (templates, duban.toml, archived reports, outbox mail):
a temporary file in the same folder, fsynced, then renamed over the name. tempfile makes its
files 0600, which on a shared drive would hide them from the people they are for, so the new
file gets the mode the old one had, or what a plain open() would give.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def plain_mode(path: Path | None = None) -> int:
    """`path`'s current permissions, or what open() would give a new file under the umask."""
    if path is not None and path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=(prefix or f".{path.stem}.") + unique_suffix() + ".",
                                suffix=path.suffix + ".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, plain_mode(path))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes) -> None:
    """`data` at `path`, whole or not at all (fsynced before the rename)."""
    with replacing(path) as tmp:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
