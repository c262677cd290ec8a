"""The errors every layer raises live in `workbooks.errors`, the bottom layer, so that `mailer`
and `workbooks` never import `jobs`; this name stays for the jobs' own imports."""
from duban.workbooks.errors import ConfigError, DubanError, UsageError

__all__ = ["ConfigError", "DubanError", "UsageError"]
