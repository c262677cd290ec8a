"""Issue 20, quieter digests: `[rules] still_open_after_days` and `max_unchanged_reminders`.

The decision alone (jobs/notify/quiet.py) on its own inputs, then the demo folder over simulated
working days, `duban remind --now` once a day as a clerk's scheduler runs it, the mails read back
from the outbox folder: day one all lead, unchanged rows become one line under 仍未处理, an edited
row leads again, after the cap a row is named once as its last reminder and then left to
escalation. A second demo folder with both settings 0 is the yardstick: every row it mails about
on a day is, in the quiet folder, in the lead, a still-open line, or was named as a last reminder."""
from __future__ import annotations

import email
import email.policy
import re
import sqlite3
from datetime import date, timedelta

import pytest

from books import cli, values
from duban.jobs.init import init_folder
from duban.jobs.notify import quiet
from duban.jobs.notify.router import Item
from duban.workbooks.model.kinds import KINDS
from test_reply_links import links

D = [date(2026, 11, 23) + timedelta(days=n) for n in (0, 1, 2, 3, 4, 7, 8)]    # Mon 11-23 .. Tue 12-01, working days


def item(key: str, rule: str = "overdue") -> Item:
    return Item(key, "任务跟进表.xlsx", "任务跟进表", 2, "tasks", key, None, rule, 1, "", "", date(2026, 11, 20), ("张伟",))


# ---- the decision ------------------------------------------------------------------------------------
def test_both_settings_off_every_row_leads_as_before():
    items = [item("T-1"), item("T-2")]
    told = {(i.key, i.rule, i.deadline_key): frozenset(D[:5]) for i in items}
    assert quiet.decide(items, told, D[5], D[3:5], 0, 0) == (items, [], [])


def test_a_row_told_on_each_of_the_last_n_days_and_unchanged_is_still_open_then_last_then_gone():
    row = item("T-1")
    k = (row.key, row.rule, row.deadline_key)
    for day, told, expected in [(D[0], set(), "lead"), (D[1], {D[0]}, "lead"), (D[2], {D[0], D[1]}, "open"),
                                (D[3], set(D[:3]), "last"), (D[4], set(D[:4]), "gone")]:
        recent = [d for d in D if d < day][-2:]
        lead, still, dropped = quiet.decide([row], {k: frozenset(told)}, day, recent, 2, 4)
        state = "lead" if lead else "gone" if dropped else still[0].still_open
        assert state == expected, day


def test_a_gap_in_the_last_n_days_a_row_unknown_to_the_journal_or_a_new_flag_keeps_the_row_in_the_lead():
    old, new = item("T-1"), item("T-1", "stale")
    told = {(old.key, old.rule, old.deadline_key): frozenset({D[0], D[2]})}
    assert quiet.decide([old], told, D[3], D[1:3], 2, 0)[0] == [old]                # not told on 11-24
    assert quiet.decide([old], {}, D[3], D[1:3], 2, 4)[0] == [old]                  # never told: news
    assert quiet.decide([old], {(old.key, old.rule, old.deadline_key): None}, D[3], D[1:3], 2, 4)[0] == [old]
    told = {(old.key, old.rule, old.deadline_key): frozenset(D[:3])}
    assert quiet.decide([old, new], told, D[3], D[1:3], 2, 0)[0] == [old, new]      # one row, a new flag: it leads


# ---- the demo over working days ----------------------------------------------------------------------
def demo(folder, after: int, cap: int):
    init_folder(folder, "zh", demo=True, today=D[0])
    toml = folder / "duban.toml"
    text = re.sub(r"^still_open_after_days = 0", f"still_open_after_days = {after}", toml.read_text(), flags=re.M)
    toml.write_text(re.sub(r"^max_unchanged_reminders = 0", f"max_unchanged_reminders = {cap}", text, flags=re.M))
    return folder


def digests(folder, day: date) -> dict[str, dict]:
    """recipient -> {"lead": [IDs], "open": [IDs], "last": [IDs], "subject", "html"} of `day`'s digests."""
    found = {}
    for path in sorted((folder / "outbox").glob(f"{day:%Y%m%d}-*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        subject = str(mail["Subject"])
        if not subject.startswith(("【督办】您有", "[duban] You have")):
            continue
        text = mail.get_body(("plain",)).get_content()
        lead, _sep, rest = text.partition("\n== 仍未处理")
        if not _sep:
            lead, _sep, rest = text.partition("\n== Still open")
        ids = lambda part: re.findall(r"^- \[([A-Z]-\d{6})", part, re.M)     # noqa: E731
        last = [i for i, line in re.findall(r"^- \[([A-Z]-\d{6})(.*)$", rest, re.M)
                if "这是最后一次提醒，之后将由升级流程跟进。" in line or "This is the last reminder" in line]
        found[mail["To"].addresses[0].display_name] = {
            "lead": ids(lead), "open": ids(rest), "last": last, "subject": subject, "mail": mail}
    return found


def edit_note(folder, row_id: str, note: str) -> None:
    """Write a note on `row_id` in the tasks workbook, as a person in Excel would."""
    from books import col, user_edit
    path = folder / KINDS["tasks"].filename("zh")
    [row] = [n for n, values_ in enumerate(values(path), start=1) if row_id in values_]
    user_edit(path, {f"{col('note')}{row}": note})


def new_flags(folder, person: str, row: str, day: date) -> set[tuple[str, str]]:
    """The (rule, deadline) pairs of `row` the ledger says `person`'s digest told first on `day`."""
    with sqlite3.connect(folder / ".duban" / "state.db") as db:
        told = db.execute("SELECT rule, deadline, MIN(day) FROM notified WHERE recipient=? AND item=? AND kind='digest' "
                          "GROUP BY rule, deadline", (person, row)).fetchall()
    return {(rule, deadline) for rule, deadline, first in told if first == day.isoformat()}


@pytest.mark.slow
def test_two_weeks_of_the_demo_lead_with_what_is_new_and_lose_nothing(tmp_path):
    loud, calm = demo(tmp_path / "loud", 0, 0), demo(tmp_path / "calm", 2, 4)
    days = {}
    for n, day in enumerate(D):
        for folder in (loud, calm):
            done = cli("remind", str(folder), "--now", f"{day}T09:00")
            assert done.returncode == 0, done.stdout + done.stderr
        days[day] = (digests(loud, day), digests(calm, day))
        if n == 2:                                 # 孙丽 writes a note on her blocked task after Wednesday's digest
            for folder in (loud, calm):
                edit_note(folder, "T-000002", "已找财务部确认，下周一给结果")
    sun = {day: calm_[1]["孙丽"] if "孙丽" in calm_[1] else None for day, calm_ in days.items()}
    # day one: everything leads; day three: rows told on both days before, unchanged, are one line each
    assert sun[D[0]]["open"] == [] and {"T-000002", "P-000003"} <= set(sun[D[0]]["lead"])
    assert {"T-000002", "P-000003"} <= set(sun[D[2]]["open"]) and "T-000002" not in sun[D[2]]["lead"]
    assert "仍未处理" in sun[D[2]]["subject"]
    # the edited row leads again the next day; the unchanged one has its last reminder, then is gone
    assert "T-000002" in sun[D[3]]["lead"] and "P-000003" in sun[D[3]]["last"]
    # after its last reminder a row leaves the digest, unless a new flag (a new rule or deadline) brings it back
    gone = 0
    for before, after in zip(D, D[1:]):
        for person, mail in days[before][1].items():
            for row in mail["last"]:
                later = days[after][1].get(person, {"lead": [], "open": []})
                if row not in later["lead"] + later["open"]:
                    gone += 1
                else:
                    assert new_flags(calm, person, row, after), (person, row, after)
    assert gone >= 3
    # nothing lost: every row the loud folder mails about is, in the calm one, lead, a line, or was named last
    last_named: dict[str, set[str]] = {}
    loud_count = calm_count = 0
    for day in D:
        loud_, calm_ = days[day]
        loud_count, calm_count = loud_count + len(loud_), calm_count + len(calm_)
        for person, mail in loud_.items():
            mine = calm_.get(person, {"lead": [], "open": []})
            for row in mail["lead"]:
                assert row in mine["lead"] + mine["open"] or row in last_named.get(person, set()), (day, person, row)
        for person, mail in calm_.items():
            last_named.setdefault(person, set()).update(mail["last"])
            lead_subject = re.search(r"(\d+)项(?:待办|逾期|阻塞|即将到期)", mail["subject"])
            if mail["lead"] and mail["open"] and lead_subject:     # the subject counts the lead, then the rest
                assert mail["subject"].endswith(f"，另有{len(set(mail['open']))}项仍未处理 — {day}")
    assert calm_count < loud_count


@pytest.mark.slow
def test_a_quiet_digest_in_a_browser(tmp_path):
    """One digest with lead items, buttons and still-open lines, drawn by the system's Chromium."""
    import shutil
    import subprocess
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium on this machine")
    folder = demo(tmp_path / "demo", 2, 4)
    with (folder / "duban.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[reply]\nenabled = true\naddress = "duban@example.com"\n[reply.imap]\nhost = "imap.example.com"\n'
                   'user = "duban"\npassword_env = "DUBAN_IMAP"\n')
    for day in D[:4]:
        assert cli("remind", str(folder), "--now", f"{day}T09:00").returncode == 0
    mail = digests(folder, D[3])["孙丽"]["mail"]
    assert links(mail)
    page = tmp_path / "digest.html"
    page.write_text(mail.get_body(("html",)).get_content(), encoding="utf-8")
    png = tmp_path / "digest.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=760,1400",
                    f"--screenshot={png}", page.as_uri()], capture_output=True, timeout=120)
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
