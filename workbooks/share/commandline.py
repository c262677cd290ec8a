"""A folder written into a command that duban advises (`duban outbox DIR --retry`), so that the
command, copied as printed, runs: the folder as the user gave it, in quotes when a shell would
split or change it (double quotes, which cmd, PowerShell and POSIX shells all read)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

_PLAIN = re.compile(r"[\w@%+=:,./\\-]+")     # no space, no quote, nothing a shell acts on
_SPECIAL_IN_QUOTES = set('$`"!')                # what double quotes do not protect in a POSIX shell


def folder_arg(folder: Path | str) -> str:
    """`demo`, `"/srv/共享 盘"`, or shlex's single quotes for a name double quotes cannot hold."""
    text = str(folder)
    if _PLAIN.fullmatch(text):
        return text
    if not _SPECIAL_IN_QUOTES & set(text):
        return f'"{text}"'
    return shlex.quote(text)
