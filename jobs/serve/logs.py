"""serve's log: plain lines on stdout (journald, the Windows event log) and a rotating file under
DIR/.duban/logs/, stamped in the company time zone (whatever the machine's zone)."""
from __future__ import annotations

import logging
import logging.handlers
import sys
from datetime import datetime, tzinfo
from pathlib import Path

LOGGER = "duban.serve"


class _CompanyTime(logging.Formatter):
    def __init__(self, tz: tzinfo):
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.tz = tz

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, self.tz).strftime("%Y-%m-%d %H:%M:%S%z")


def setup(tz: tzinfo, log_dir: Path | None, stream=None) -> logging.Logger:
    """The serve logger with its two handlers (no file when `log_dir` is None: dry runs write nothing)."""
    log = logging.getLogger(LOGGER)
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    log.setLevel(logging.INFO)
    log.propagate = False
    formatter = _CompanyTime(tz)
    out = logging.StreamHandler(stream or sys.stdout)
    out.setFormatter(formatter)
    log.addHandler(out)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        to_file = logging.handlers.RotatingFileHandler(log_dir / "serve.log", maxBytes=2_000_000, backupCount=5,
                                                       encoding="utf-8")
        to_file.setFormatter(formatter)
        log.addHandler(to_file)
    return log


def close(log: logging.Logger) -> None:
    for handler in list(log.handlers):
        handler.flush()
        log.removeHandler(handler)
        handler.close()
