"""renameat2(RENAME_NOREPLACE): the no-hard-links commit never replaces a save at the name."""
import errno
import os
import sys

import pytest

from duban.workbooks.share.noreplace import rename_noreplace
from duban.workbooks.write import commit

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")


@linux
def test_a_rename_onto_a_saved_file_is_refused_and_both_files_stay(tmp_path):
    source, target = tmp_path / "new.xlsx", tmp_path / "book.xlsx"
    source.write_bytes(b"duban")
    target.write_bytes(b"the user's save")
    assert rename_noreplace(source, target) is False
    assert (source.read_bytes(), target.read_bytes()) == (b"duban", b"the user's save")


@linux
def test_a_rename_onto_a_free_name_moves_the_file(tmp_path):
    source, target = tmp_path / "新.xlsx", tmp_path / "任务跟进表.xlsx"
    source.write_bytes(b"duban")
    assert rename_noreplace(source, target) is True
    assert not source.exists() and target.read_bytes() == b"duban"


def test_a_missing_source_is_an_error_not_a_refusal(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    with pytest.raises(OSError) as caught:
        rename_noreplace(tmp_path / "gone.xlsx", tmp_path / "book.xlsx")
    assert caught.value.errno == errno.ENOENT


@linux
def test_without_hard_links_a_save_landing_after_the_check_is_kept(tmp_path, monkeypatch):
    """The race, made certain: the name was free when looked at (lexists says so), and a save
    is there by the time of the rename. Check-then-rename replaced that save; one step refuses."""
    def refused(*_args, **_kw):
        raise PermissionError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "link", refused)
    monkeypatch.setattr(os.path, "lexists", lambda _path: False)
    source, target = tmp_path / "new.xlsx", tmp_path / "book.xlsx"
    source.write_bytes(b"duban")
    target.write_bytes(b"the user's save")
    assert commit._place(source, target) is False
    assert target.read_bytes() == b"the user's save" and source.read_bytes() == b"duban"
