"""Quieter digests: which rows lead a digest, which are one line under "still open", which are done
being told. Pure: the days each row was told and the day it last changed in, three lists out.

Told every working day about the same unchanged rows, people stop reading the digest, and the new
row drowns among the old. `[rules] still_open_after_days = N`: a row that was in this person's
digest on each of the N working days before today (same rule, same deadline) and has not changed
since before the first of them moves to a one-line "still open" section at the end of the mail.
`max_unchanged_reminders = M`: the M-th digest that lists a row with no change since is the last
one about it (its line says so: escalation follows); after that the row leaves the digest. A change
to the row (any cell, as the journal records it) or a new deadline starts the count again. Both
0 (the defaults): every row leads, every day, as before.

Nothing is dropped silently: a row leads, or is a still-open line, or was named once as the last
reminder before it left. A row whose last change is unknown (not in the journal) always leads.
What the ledger and the journal hold is read by jobs/notify/quietlog.py; this module only decides.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

LEAD, OPEN, LAST, DROPPED = 0, 1, 2, 3
STATES = {LEAD: "", OPEN: "open", LAST: "last"}     # -> Item.still_open


def state(unchanged: frozenset[date] | None, today: date, recent: Sequence[date], after: int, cap: int) -> int:
    """LEAD, OPEN, LAST or DROPPED for one item, from `unchanged`: the days before today a digest
    told it (same rule and deadline) after the row's last change (None: unknown, so it leads);
    `recent`: the `after` working days before today."""
    if unchanged is None:
        return LEAD
    told = {d for d in unchanged if d < today}
    if cap and len(told) >= cap:
        return DROPPED
    if cap and len(told) + 1 == cap:
        return LAST
    if after and len(recent) >= after and all(d in told for d in recent[-after:]):
        return OPEN
    return LEAD


def decide(items: Sequence, told: Mapping[tuple, frozenset[date] | None], today: date, recent: Sequence[date],
           after: int, cap: int) -> tuple[list, list, list]:
    """(lead, still open, dropped): the items (with `still_open` set on the second list's) by row.
    A row with several flags is as loud as its loudest: it leads if any of its flags does."""
    if not after and not cap:
        return list(items), [], []
    rows: dict[str, int] = {}
    for item in items:
        found = state(told.get((item.key, item.rule, item.deadline_key)), today, recent, after, cap)
        rows[item.key] = min(rows.get(item.key, DROPPED), found)
    lead = [i for i in items if rows[i.key] == LEAD]
    still = [replace(i, still_open=STATES[rows[i.key]]) for i in items if rows[i.key] in (OPEN, LAST)]
    dropped = [i for i in items if rows[i.key] == DROPPED]
    return lead, still, dropped
