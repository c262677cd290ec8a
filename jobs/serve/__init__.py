"""`duban serve`, `duban status`, `duban service`: the schedule that runs for months unattended.

The jobs it runs, their labels and schedules come from the jobs table (jobs/settings/jobs.py);
the [schedule] values as job specs are jobs/settings/schedule.py.

catchup.py   the pure catch-up decision
runs.py      serve's tables in state.db (runs, skipped writes, self-alerts told)
missed.py    a missed run as fields, said in either language
lock.py      one serve per folder, across machines: a lock file with heartbeats
cache.py     incremental reads (unchanged workbooks are not parsed again)
execute.py   running a job: in a worker process with a deadline, or inline
handoff.py   the Excel console's jobs handed to a running serve
selfalert.py mail to serve.admins when something needs a human
retention.py keeping state.db small
loop.py      the loop itself, live or simulated
status.py    what `duban status` shows (the terminal prints it: jobs/terminal/status.py)
service.py   systemd unit and Windows Task Scheduler XML
"""
