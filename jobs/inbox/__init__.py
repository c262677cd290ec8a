"""Acting on replies: the inbox job reads them, verified changes are stored, then written into the workbooks."""
