"""A workbook whose plan equals what the file already holds is not patched at all.

A write-back that found a workbook already as planned ("unchanged": nothing written) is
remembered in the read cache's folder with the file's fingerprint and the plan's key; the next
check that makes the same plan for the same unchanged file (size and time, as the write-back's
own guard looks first) gets the same answer without the file being opened. Open in Excel (a
lock file beside it), changed, or another plan: the real write-back decides, as always. A
write-back that found the file saved since it was read drops what the cache knew of it, so the
next run hashes it again.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from duban.jobs.state.readcache import codec
from duban.jobs.state.readcache.store import STATS, name_of
from duban.workbooks.write import guard, refusal

SUFFIX = ".plan"


def plan_key(plan) -> str:
    """Everything of a plan that decides what the write-back would change, and the file it is for."""
    fp = plan.fingerprint
    what = (fp.size, fp.mtime_ns, fp.sha256, plan.sheet, plan.rows_before, plan.values, plan.numbers,
            sorted(plan.column_format), plan.date1904, plan.paints, plan.expect, sorted(plan.wrap),
            sorted(plan.grow), plan.names)
    try:        # in C: 30,000 painted cells' dataclasses cost seconds as repr()
        data = orjson.dumps(what, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        data = repr(what).encode()
    return hashlib.sha256(data).hexdigest()


def same_file(plan) -> bool:
    """The file still has the size and time it had when read (the write-back's first look)."""
    try:
        stat = plan.path.stat()
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (plan.fingerprint.size, plan.fingerprint.mtime_ns)


def remembered(cache, real):
    """`real` (the write-back) behind the memo kept in `cache`'s folder (a FolderCache)."""
    store = cache.store
    if store is None:
        return real

    def apply(plan, *args, **kwargs):
        known = answer(cache, plan)
        if known is not None:
            cache.unpatched += 1
            STATS["unpatched"] += 1
            return refusal.WriteResult(refusal.UNCHANGED, None, known)
        _, key, _ = cache.memo_last
        cache.memo_last = None
        rel = cache.relpath(plan.path)
        file = name_of(rel) + SUFFIX
        result = real(plan, *args, **kwargs)
        if result.status == refusal.UNCHANGED:
            _keep(store, file, rel, key, result.originals)
        else:
            store.remove(file)
            if result.status == refusal.SKIPPED and result.why is not None and result.why.code == "changed":
                cache.forget(Path(plan.path))
        return result
    return apply


def answer(cache, plan) -> dict | None:
    """The painted cells' original formats, if the memo knows this plan of this file as already
    held by it, the file has not moved and is not open; else None (the write-back decides). The
    plan's key and memo are kept for the `apply` that follows a `known_unchanged` question."""
    last = cache.memo_last
    if last is not None and last[0] is plan:
        known = last[2]
    else:
        rel = cache.relpath(plan.path)
        key = plan_key(plan)
        known = _known(cache.store.load(name_of(rel) + SUFFIX), rel, key) if cache.store is not None else None
        cache.memo_last = (plan, key, known)
    if known is not None and same_file(plan) and not guard.lock_owner(plan.path):
        return known
    return None


def _known(entry, rel: str, key: str) -> dict | None:
    """The painted cells' original formats the write-back reported, if this is that plan."""
    if entry is None or entry.header.get("rel") != rel or entry.header.get("plan") != key:
        return None
    try:
        body = orjson.loads(entry.body)
        formats, refs = [codec.unvalue(f) for f in body["formats"]], body["refs"]
        if not all(type(f) is dict for f in formats) or type(refs) is not dict:
            return None
        return {ref: formats[i] for ref, i in refs.items() if type(i) is int and i >= 0}
    except Exception:  # noqa: BLE001 - whatever is wrong with a memo, the write-back decides instead
        return None


def _keep(store, file: str, rel: str, key: str, originals: dict) -> None:
    """The memo, each distinct format once (most painted cells share a handful)."""
    seen: dict[int, int] = {}          # id of a format -> its index (the patcher shares them)
    same: dict[bytes, int] = {}        # its JSON -> its index (equal ones from different cells)
    encoded: list = []
    refs: dict[str, int] = {}
    try:
        for ref, spec in originals.items():
            index = seen.get(id(spec))
            if index is None:
                value = codec.value(spec)
                index = seen[id(spec)] = same.setdefault(orjson.dumps(value), len(encoded))
                if index == len(encoded):
                    encoded.append(value)
            refs[ref] = index
    except codec.Unstorable:
        return
    store.save(file, {"rel": rel, "plan": key}, orjson.dumps({"formats": encoded, "refs": refs}))

