"""Errors that reach the user as one sentence: what is wrong and what to do next.

They live in the bottom layer, so that `mailer` and `workbooks` can raise them without importing
`jobs` (the CLI turns them into one line and an exit code)."""
from __future__ import annotations


class DubanError(Exception):
    """A failure the user can act on; the CLI prints its message, not a traceback. `str()` is the
    English sentence; `zh`, when the raiser wrote one, the Chinese: `text(lang)` picks the reader's."""

    exit_code = 1

    def __init__(self, message: str = "", zh: str | None = None):
        super().__init__(message)
        self.zh = zh

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else str(self)


class UsageError(DubanError):
    """Bad command-line usage or a bad duban.toml: exit code 2."""

    exit_code = 2


class ConfigError(UsageError):
    """A bad value in duban.toml, naming the key. `str()` is the English sentence; `zh` the Chinese
    one when the raiser wrote it; `lang` the language the folder's duban.toml asks for, when the
    raiser found it (a broken file: the CLI has no settings to ask yet)."""

    zh: str     # always a sentence here (the English one when the raiser wrote no Chinese)

    def __init__(self, message: str, zh: str | None = None, lang: str | None = None):
        super().__init__(message)
        self.en, self.zh, self.lang = message, zh or message, lang

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en
