"""The state database's opener lives in `workbooks.statedb` (the bottom layer, which the mail
queue uses too); this name stays for the jobs' own imports."""
from duban.workbooks.statedb import connect

__all__ = ["connect"]
