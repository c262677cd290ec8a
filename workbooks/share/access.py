"""A rewritten workbook keeps who may open and save it: owner, group, mode and extended attributes.

duban never writes into a workbook: it builds a new file and puts it at the name (commit.py).
A new file starts with duban's own user and group, the umask's mode and the folder's default
ACL, so a service account would take the workbook away from the people who save it. The new
file is given the original's owner, group, permission bits and every extended attribute
(POSIX ACLs are `system.posix_acl_access`; Samba keeps Windows ACLs in `security.NTACL` and DOS
attributes in `user.DOSATTRIB`), then read back; what cannot be given back (a user who may not
`chown`, an attribute the file system refuses) stops the write with the reason. On Windows there
is no owner to give and `os.chmod` only sets the read-only flag; see the README.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

_UNSUPPORTED = {errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


@dataclass(frozen=True)
class Access:
    uid: int
    gid: int
    mode: int                                   # permission bits (and setgid/sticky), stat.S_IMODE
    xattrs: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, path: Path) -> "Access":
        st = os.stat(path)
        return cls(st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), _xattrs(path))

    @property
    def read_only(self) -> bool:
        """No write permission for the owner (0444, or Windows' read-only attribute): someone
        meant the file not to change."""
        return not self.mode & stat.S_IWUSR


class NotKept(Exception):
    """The new file could not be given the original's access: `code` (owner / group / attribute)
    and `params` say what and for whom (write.refusal.REASONS words it)."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


def give(path: Path, original: Access) -> None:
    """Give the file at `path` (duban's new file) the `original`'s access, then check that it took."""
    now = Access.of(path)
    if hasattr(os, "chown") and (now.uid, now.gid) != (original.uid, original.gid):
        _chown(path, now, original)
    _chmod(path, original.mode)
    for name in now.xattrs.keys() - original.xattrs.keys():   # e.g. an ACL inherited from the folder
        _xattr(os.removexattr, path, name)
    for name, value in original.xattrs.items():
        if now.xattrs.get(name) != value:
            _xattr(os.setxattr, path, name, value)
    _chmod(path, original.mode)                # an ACL written above sets the group bits from its mask
    _check(Access.of(path), original)


def _chmod(path: Path, mode: int) -> None:
    """Only when it differs: some mounts (CIFS with a fixed file_mode) refuse any chmod."""
    if stat.S_IMODE(os.stat(path).st_mode) == mode:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise NotKept("attribute", name=f"mode {mode:o}", error=exc.strerror or str(exc), user=_me()) from None


def _chown(path: Path, now: Access, original: Access) -> None:
    uid = -1 if now.uid == original.uid else original.uid
    try:
        os.chown(path, uid, original.gid)
    except PermissionError:
        code = "owner" if uid != -1 else "group"
        raise NotKept(code, owner=user_name(original.uid), group=group_name(original.gid),
                      user=_me()) from None


def _xattr(call, path: Path, name: str, *value) -> None:
    try:
        call(path, name, *value)
    except OSError as exc:
        raise NotKept("attribute", name=name, error=exc.strerror or str(exc),
                      user=_me()) from None


def _check(now: Access, original: Access) -> None:
    """Read back: a file system may accept a call and not keep it (a mount that ignores chown)."""
    if (now.uid, now.gid) != (original.uid, original.gid):
        raise NotKept("owner" if now.uid != original.uid else "group", owner=user_name(original.uid),
                      group=group_name(original.gid), user=_me())
    if now.mode != original.mode or now.xattrs != original.xattrs:
        differ = sorted(k for k in now.xattrs.keys() | original.xattrs.keys()
                        if now.xattrs.get(k) != original.xattrs.get(k)) or [f"mode {original.mode:o}"]
        raise NotKept("attribute", name=", ".join(differ), error="not kept by the file system",
                      user=_me())


def _xattrs(path: Path) -> dict[str, bytes]:
    if not hasattr(os, "listxattr"):
        return {}
    try:
        names = os.listxattr(path)
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            return {}
        raise
    found = {}
    for name in names:
        try:
            found[name] = os.getxattr(path, name)
        except OSError as exc:
            if exc.errno not in (errno.ENODATA, *_UNSUPPORTED):
                raise
    return found


def _me() -> str:
    """The user duban runs as."""
    return user_name(os.geteuid()) if hasattr(os, "geteuid") else "?"


def user_name(uid: int) -> str:
    """`nobody (65534)`, or the number alone when the system has no name for it."""
    try:
        import pwd
        return f"{pwd.getpwuid(uid).pw_name} ({uid})"
    except (ImportError, KeyError):
        return str(uid)


def group_name(gid: int) -> str:
    try:
        import grp
        return f"{grp.getgrgid(gid).gr_name} ({gid})"
    except (ImportError, KeyError):
        return str(gid)
