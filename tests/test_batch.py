"""The interpreter settings a batch changes are changed only for its duration."""
from __future__ import annotations

import gc
import sys

import pytest

from duban.workbooks.share.batch import cyclic_gc_paused, quick_gil_handoff


def test_the_cyclic_collector_is_paused_then_restored():
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()          # the inner pause does not end the outer one
    assert gc.isenabled()


def test_a_collector_the_caller_disabled_stays_disabled():
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_switch_interval_is_restored_even_after_an_error():
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError):
        with quick_gil_handoff(0.0005):
            assert sys.getswitchinterval() == pytest.approx(0.0005)
            raise RuntimeError("boom")
    assert sys.getswitchinterval() == before
