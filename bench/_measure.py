"""Whole-process measurements for bench/table.py and bench/growth.py: wall time, CPU and peak RSS of
one command, each taken by a fresh, small parent process.

Why a fresh parent per measurement: RUSAGE_CHILDREN's ru_maxrss is the largest of the children a
process has waited for, and Linux carries a parent's resident size into what it forks; a parent
that only starts the command and waits (this file run with --child, stdlib only, ~10 MB) reports
the command's own peak. Only the standard library is imported here, so any environment's Python
(an old install's too) can run the anchors through it.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(command: list[str]) -> dict:
    """Run `command` and report its wall time, CPU (user + system) and peak RSS; its stdout is kept
    when it is one line of JSON (an anchor reporting the time of its own work)."""
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"seconds": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
              "rc": done.returncode}
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if lines and lines[-1].startswith("{"):
        try:
            result["out"] = json.loads(lines[-1])
        except ValueError:
            pass
    if done.returncode:
        result["stderr"] = done.stderr.decode("utf-8", "replace")[-2000:]
    return result


def _env() -> dict:
    """The command's environment: no terminal niceties, nothing from this checkout on its path
    (an installed duban is measured as a user gets it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env.update(COLUMNS="120", NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def measure(command: list[str]) -> dict:
    """`command` measured by a fresh parent (see the module's docstring)."""
    out = subprocess.check_output([sys.executable, __file__, json.dumps(command)], env=_env())
    result = json.loads(out)
    result["load"] = load()
    return result


def load() -> float:
    """The 1-minute load average (the machine is shared: every figure carries it)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def resolve(duban: str | None, python: str | None) -> tuple[Path, Path]:
    """(the duban console script, its environment's python) from --duban or --python; by default
    the environment running this script."""
    if duban:
        script = Path(duban).absolute()
        return script, script.parent / "python"
    interpreter = Path(python or sys.executable).absolute()
    return interpreter.parent / "duban", interpreter


def version(script: Path) -> str:
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, env=_env())
    return (done.stdout or done.stderr).strip().splitlines()[-1] if (done.stdout or done.stderr) else "?"


def machine() -> dict:
    """nproc, RAM and the disk under bench/out, for the figures' context."""
    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    disk = "?"
    try:
        source = subprocess.run(["df", "--output=source", str(HERE)], capture_output=True, text=True).stdout.split()[-1]
        name = Path(source).name
        rota = Path(f"/sys/block/{name}/queue/rotational").read_text().strip()
        disk = f"{source} ({'rotational' if rota == '1' else 'non-rotational'} as the kernel reports it)"
    except (OSError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "ram_gb": round(int(mem.split()[1]) / 1024 ** 2, 1), "disk": disk,
            "uptime": uptime()}


def best(runs: list[dict]) -> dict:
    """The fastest run, with the largest peak of all runs (memory is not a best-of figure)."""
    top = dict(min(runs, key=lambda r: r["seconds"]))
    top["peak_mb"] = max(r["peak_mb"] for r in runs)
    top["all_seconds"] = [round(r["seconds"], 3) for r in runs]
    return top


if __name__ == "__main__":
    print(json.dumps(child(json.loads(sys.argv[1]))))
