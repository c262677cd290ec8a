"""Worker processes for a folder's reads: every core reads (inflates, parses, types) workbooks,
while the parent keeps the folder's order, the journal and every write.

Results come back in the order the work was handed out, so the jobs see the same sequence with
one worker as with eight; the journal and the commits stay in the parent (jobs.check). One
worker, or a folder of a few workbooks (`processes`), runs inline: no process is started for it.

A worker that dies (the reader crashed the interpreter, the machine took its memory) never stops
the run: the files it was holding are read again one by one, each in a worker of its own, and
the one that kills its worker again is that workbook's "unreadable" problem. Where no worker
can start at all (a pool that breaks before its first answer), the files are read inline.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

FORKSERVER = "forkserver" in multiprocessing.get_all_start_methods()
SMALL = 8          # a folder of fewer workbooks is read inline: starting processes would cost more
AUTO_FROM = 100    # and with the number of workers left to duban, one of fewer than this
AHEAD = 3          # work handed out per worker beyond the one being waited for: bounds what is held


def processes(settings, items: int) -> int:
    """How many processes share `items` workbooks: the setting, 1 for a few (fewer than
    `AUTO_FROM` when left to duban, `workers = 0`: the first worker costs about a second), and 1
    where workers cannot be forked from a clean server (Windows: a spawned worker would run the
    program's main module again, and Excel's console is not a program to run twice), and inside
    serve's job worker, a daemonic process, which Python does not let start processes of its own."""
    if not FORKSERVER or items < (SMALL if settings.performance.workers else AUTO_FROM) \
            or multiprocessing.current_process().daemon:    # serve's job worker may not start children
        return 1
    return max(1, min(settings.performance.processes, items))


def ordered(work: Callable[[Any], Any], items: Iterable, workers: int, init: Callable | None = None,
            initargs: tuple = (), lost: Callable[[Any], Any] | None = None) -> Iterator[Any]:
    """`work(item)` for each item, in the items' order. `work` and `init` are module-level
    functions (they travel to the workers by name); `init(*initargs)` runs once per process.
    `lost(item)`: the result for an item whose worker died under it twice."""
    items = list(items)
    if workers <= 1:
        if init:
            init(*initargs)
        yield from (work(item) for item in items)
        return
    pending: deque[tuple[Any, Future]] = deque()
    queue = iter(items)
    pool, proven = _pool(workers, init, initargs), False     # proven: this pool has given a result
    try:
        while True:
            while pool and len(pending) < workers * (AHEAD + 1) and (item := next(queue, _END)) is not _END:
                pending.append((item, _submit(pool, work, item)))
            if not pending:
                break
            item, future = pending.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                held = [item, *(i for i, _ in pending)]
                pending.clear()
                if not proven:      # no worker ever answered: this process cannot start them, read here
                    pool = None
                    if init:
                        init(*initargs)
                    yield from (work(one) for one in held)
                    continue
                yield from _alone(work, held, init, initargs, lost)
                pool, proven = _pool(workers, init, initargs), False
                continue
            proven = True
            yield result
        if pool is None:
            yield from (work(item) for item in queue)
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)


_END = object()


def _submit(pool: ProcessPoolExecutor, work, item) -> Future:
    """The work handed out; on a pool found broken meanwhile, a future that says so (its result
    is asked for in turn, and the breakage handled there like any other)."""
    try:
        return pool.submit(work, item)
    except BrokenProcessPool as exc:
        failed: Future = Future()
        failed.set_exception(exc)
        return failed


def _alone(work, items: list, init, initargs, lost) -> Iterator:
    """Each item in a worker of its own, one after the other, so the one that kills it is known
    (a new worker after each death)."""
    pool = None
    try:
        for item in items:
            pool = pool or _pool(1, init, initargs)
            try:
                yield pool.submit(work, item).result()
            except BrokenProcessPool:
                if lost is None:
                    raise
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
                yield lost(item)
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)


def _pool(workers: int, init, initargs) -> ProcessPoolExecutor:
    """Workers forked from a clean server process, not from the parent: serve's threads and open
    SQLite handles are never copied into a child."""
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=init, initargs=initargs)


_PRELOAD: list[str] = []


def preload(*modules: str) -> None:
    """Modules the worker server imports once, before it forks each worker (the readers)."""
    _PRELOAD.extend(m for m in modules if m not in _PRELOAD)


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", *_PRELOAD])     # the program's own module, imported once too
    return context


class Lane:
    """Work handed out as the parent comes to it (the check's patches), each result asked for in
    the parent's order. With one worker nothing is started: `result` runs the work then, inline."""

    def __init__(self, workers: int, init: Callable | None = None, initargs: tuple = ()):
        self.init, self.initargs = init, initargs
        self.pool = _pool(workers, init, initargs) if workers > 1 else None
        self.workers, self.proven, self.dead = workers, False, False

    def submit(self, work: Callable, item) -> tuple:
        return work, item, (self.pool, _submit(self.pool, work, item)) if self.pool else None

    def result(self, handle: tuple, lost: Callable[[Any], Any]):
        work, item, handed = handle
        if handed is None:
            return work(item)
        pool, future = handed
        try:
            found = future.result()
        except BrokenProcessPool:
            if pool is self.pool:       # the first to see it: the others it held are asked again alone
                pool.shutdown(wait=True, cancel_futures=True)
                self.dead = not self.proven     # no worker ever answered: this process cannot start them
                self.pool = None if self.dead else _pool(self.workers, self.init, self.initargs)
                self.proven = False
            return work(item) if self.dead else next(_alone(work, [item], self.init, self.initargs, lost))
        if pool is self.pool:
            self.proven = True
        return found

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)
