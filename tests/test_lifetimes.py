"""The journal's row lifetimes read as a mapping of (workbook, ID) to (first_seen, first_done),
each distinct pair held once (200,000 rows stamped alike by one first check share one pair)."""
from __future__ import annotations

from duban.jobs.state.lifetimes import Lifetimes


def test_lifetimes_read_as_pairs_and_share_equal_ones():
    lives = Lifetimes()
    for n in range(1000):
        lives.add(f"部门{n % 10}.xlsx", f"T-{n:06d}", "2026-11-23T09:00:00+08:00", None if n % 3 else "2026-11-24")
    assert len(lives) == 1000 and len(lives.pairs) == 2
    assert lives[("部门3.xlsx", "T-000003")] == ("2026-11-23T09:00:00+08:00", "2026-11-24")
    assert lives.get(("部门1.xlsx", "T-000001")) == ("2026-11-23T09:00:00+08:00", None)
    assert lives.get(("部门2.xlsx", "T-000001"), "none") == "none" and ("nowhere.xlsx", "T-1") not in lives
    assert lives[("部门4.xlsx", "T-000004")] is lives[("部门7.xlsx", "T-000007")]
    assert dict(lives) == {(f"部门{n % 10}.xlsx", f"T-{n:06d}"): lives[(f"部门{n % 10}.xlsx", f"T-{n:06d}")]
                           for n in range(1000)}


def test_lifetimes_of_rows_equal_those_added_one_by_one():
    rows = [(f"b{n % 7}.xlsx", f"T-{n:06d}", f"2026-11-{20 + n % 3}", None if n % 2 else "2026-11-30") for n in range(500)]
    one_by_one = Lifetimes()
    for row in rows:
        one_by_one.add(*row)
    assert dict(Lifetimes.of(iter(rows))) == dict(one_by_one) == {(w, i): (s, d) for w, i, s, d in rows}
