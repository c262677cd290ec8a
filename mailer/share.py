"""Where a workbook is, as staff reach it: the shared folder's path and the file:// link that opens it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

_DRIVE = re.compile(r"[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class Share:
    """How staff reach the folder: `mail.share_path` (\\\\fileserver\\督办, S:\\督办, /Volumes/督办), else
    the folder's absolute path. Names a workbook by its full path and gives the file:// URL that opens it."""

    root: str
    folder: Path | None = None     # the folder as duban sees it, to place the problems' absolute paths
    named: Path | None = None      # the folder as the user named it (`duban remind demo`: demo)

    @classmethod
    def of(cls, share_path: str | None, folder: Path) -> Share:
        named = Path(folder)
        return cls((share_path or "").strip() or str(named.absolute()), named.absolute(), named)

    @property
    def windows(self) -> bool:
        return self.root.startswith(("\\\\", "//")) or bool(_DRIVE.match(self.root))

    def _pure(self, relpath: str):
        parts = [p for p in relpath.replace("\\", "/").split("/") if p]
        return (PureWindowsPath if self.windows else PurePosixPath)(self.root, *parts)

    def path(self, relpath: str) -> str:
        return str(self._pure(relpath))

    def url(self, relpath: str) -> str:
        """file://fileserver/%E7%9D%A3%E5%8A%9E/任务跟进表.xlsx (UTF-8, percent-encoded, as RFC 8089 and
        Outlook want); empty for a share path that is not absolute, which is then shown but not linked."""
        try:
            return self._pure(relpath).as_uri()
        except ValueError:
            return ""

    def relative(self, file: str) -> str | None:
        """A problem's file as a path inside the folder; None when it is no file there (the outbox, duban.toml).

        A problem names its file as the reader opened it, the folder as the user named it joined
        with the path inside (`demo/任务跟进表.xlsx` after `duban remind demo`), or, for what the
        journal and the write-back report, by the path inside alone (`任务跟进表.xlsx`). The
        folder's name is taken off the first, so `path()` does not put it after the root twice."""
        path = Path(file)
        if path.is_absolute():
            if self.folder is None:
                return None
            try:
                return path.relative_to(self.folder).as_posix()
            except ValueError:
                return None
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".csv"):
            return None
        named = self.named
        if named is not None and not named.is_absolute() and named.parts and path.is_relative_to(named):
            return path.relative_to(named).as_posix()
        return path.as_posix()
