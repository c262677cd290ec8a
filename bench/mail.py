"""Benchmark: queue and send 1,000 digest-sized mails (~10 KB Chinese HTML) to aiosmtpd on loopback.

Usage: python bench/mail.py [--mails 1000]
Goes through the real path: build() -> MailQueue.enqueue (SQLite, one commit each) ->
MailQueue.deliver over SmtpTransport (yagmail, security "none", one connection for the batch).
The rate limit is raised for the run: with the shipped mail.max_per_minute = 60 sending is capped at 1/s.
Target: at least 50 mails/s delivered.
"""
from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Counter:
    def __init__(self):
        self.mails = self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.mails += 1
        self.bytes += len(envelope.original_content)
        return "250 OK"


def digest(n: int):
    from duban.mailer.message import Address, Mail

    rows = "".join(f"<tr><td>T-{n * 40 + i:06d}</td><td>完成第{i}季度客户回访报告并提交部门负责人审核</td>"
                   f"<td>已逾期 {i % 7 + 1} 个工作日</td><td>任务跟进表!F{i + 7}</td></tr>" for i in range(64))
    html = f"<html><body><p>员工{n}，您好：</p><table>{rows}</table></body></html>"
    text = "\n".join(f"T-{n * 40 + i:06d} 完成第{i}季度客户回访报告 已逾期" for i in range(64))
    return Mail("digest", f"digest:2026-11-23:{n}", [Address(f"员工{n}", f"user{n}@example.com")],
                [Address("部门负责人", "head@example.com")], "【督办】您有64项逾期 — 2026-11-23", html, text)


def main() -> None:
    from duban.jobs.settings import config
    from duban.mailer.message import Address, build
    from duban.mailer.queue import MailQueue
    from duban.mailer.smtp import SmtpTransport

    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=1000)
    count = parser.parse_args().mails
    handler, sender = Counter(), Address("督办助手", "duban@example.com")
    with socket.socket() as probe:  # a free port (aiosmtpd's start() cannot report one chosen by port=0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings = config.load().changed(mail={"max_per_minute": 1_000_000, "smtp": dict(
        host="127.0.0.1", port=port, security="none", user="", timeout=10)})
    with tempfile.TemporaryDirectory() as folder, MailQueue(Path(folder) / ".duban" / "state.db") as queue:
        mails = [digest(n) for n in range(count)]
        started = time.perf_counter()
        for mail in mails:
            queue.enqueue(mail, build(mail, sender, NOW), NOW)
        queued = time.perf_counter() - started
        started = time.perf_counter()
        report = queue.deliver(SmtpTransport(settings, None), NOW, give_up_days=3)
        sent = time.perf_counter() - started
    controller.stop()
    assert len(report.sent) == handler.mails == count, (len(report.sent), handler.mails)
    html_kb = len(mails[0].html.encode()) / 1024
    print(f"{count} mails, HTML {html_kb:.1f} KB, {handler.bytes / count / 1024:.1f} KB each on the wire")
    print(f"build + enqueue: {queued:.2f} s  ({count / queued:.0f} mails/s)")
    print(f"deliver (SMTP):  {sent:.2f} s  ({count / sent:.0f} mails/s, one connection)")
    print(f"end to end:      {count / (queued + sent):.0f} mails/s")


if __name__ == "__main__":
    main()
