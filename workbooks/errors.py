"""Errors that reach the user as one sentence: what is wrong and what to do next.

They live in the bottom layer, so that `mailer` and `workbooks` can raise them without importing
`jobs` (the CLI turns them into one line and an exit code)."""
from __future__ import annotations


class DubanError(Exception):
    """A failure the user can act on; the CLI prints its message, not a traceback."""

    exit_code = 1


class UsageError(DubanError):
    """Bad command-line usage or a bad duban.toml: exit code 2."""

    exit_code = 2


class ConfigError(UsageError):
    """A bad value in duban.toml, naming the key."""
