"""Inside serve's job worker (a daemonic process) the check reads inline: Python refuses a daemonic
process children, so a pool there would fail every scheduled check of a large folder."""
from __future__ import annotations

import multiprocessing

import pytest

from duban.jobs import pool
from duban.jobs.settings.typed import Settings


def _ask(answer) -> None:
    answer.put(pool.processes(Settings().changed(performance={"workers": 2}), 1000))


def _in(daemon: bool) -> int:
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_ask, args=(answer,), daemon=daemon)
    child.start()
    found = answer.get(timeout=60)
    child.join(60)
    return found


def test_a_daemonic_process_reads_inline_and_another_uses_the_workers():
    if not pool.FORKSERVER:
        pytest.skip("no worker processes on this platform")
    assert _in(daemon=True) == 1
    assert _in(daemon=False) == 2
