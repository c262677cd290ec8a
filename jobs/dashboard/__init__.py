"""The dashboard: one HTML page on the share, written by every check (data.py builds its data, write.py the file)."""
