"""`duban explain` on the terminal: the row, its facts, then a table of every rule and why."""
from __future__ import annotations

from rich.table import Table

from duban.jobs.explain import Explanation
from duban.jobs.terminal.report import escape, out


def show(said: Explanation) -> None:
    """Cell values, names and the typed ID are text: no markup, no control characters (report.escape)."""
    t = said.words
    out.print(f"[bold]{escape(said.row_id)}[/bold]  {escape(said.relpath)} · {escape(said.sheet)} "
              f"{said.where}{escape(said.kind)}")
    for line in said.facts:
        out.print(f"  {escape(line)}")
    table = Table(header_style="bold")
    for title in ("rule", "fired", "why"):
        table.add_column(t[title], overflow="fold")
    for verdict in said.verdicts:
        table.add_row(escape(verdict.name), t["yes"] if verdict.fired else t["no"], escape(verdict.why))
    out.print(table)
    for warning in said.warnings:
        out.print(f"[yellow]{t['warning']}[/yellow] {escape(warning)}")
