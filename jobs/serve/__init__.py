"""`duban serve`, `duban status`, `duban service`: the schedule that runs for months unattended.

schedule.py  the [schedule] values as job specs (slots in the company zone, working days)
catchup.py   the pure catch-up decision
runs.py      serve's tables in state.db (runs, skipped writes, self-alerts told)
lock.py      one serve per folder, across machines: a lock file with heartbeats
cache.py     incremental reads (unchanged workbooks are not parsed again)
execute.py   running a job: in a worker process with a deadline, or inline
selfalert.py mail to serve.admins when something needs a human
retention.py keeping state.db small
loop.py      the loop itself, live or simulated
status.py    `duban status`
service.py   systemd unit and Windows Task Scheduler XML
"""
