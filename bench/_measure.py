"""Whole-process measurements for bench/table.py and bench/growth.py: wall time, CPU and peak RSS of
one command, each taken by a fresh, small parent process.

Why a fresh parent per measurement: RUSAGE_CHILDREN's ru_maxrss is the largest of the children a
process has waited for, and Linux carries a parent's resident size into what it forks; a parent
that only starts the command and waits (this file run as a script, stdlib only, ~10 MB) reports
the command's own peak (`peak_mb`: the largest single process, the command or a worker it waited
for). `tree_mb` is the largest sum over the command and all its descendants (a process pool's
workers together), sampled every 0.2 s. Only the standard library is imported here, so any environment's Python
(an old install's too) can run the anchors through it.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(command: list[str]) -> dict:
    """Run `command` and report its wall time, CPU (user + system) and peak RSS; its stdout is kept
    when it is one line of JSON (an anchor reporting the time of its own work)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=_env())
        tree = 0
        while process.poll() is None:
            tree = max(tree, _tree_rss(process.pid))
            time.sleep(0.2)
        wall = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"seconds": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
              "tree_mb": tree / 1024, "rc": process.returncode}
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    if lines and lines[-1].startswith("{"):
        try:
            result["out"] = json.loads(lines[-1])
        except ValueError:
            pass
    if process.returncode:
        result["stderr"] = stderr.decode("utf-8", "replace")[-2000:]
    return result


def _tree_rss(pid: int) -> int:
    """KiB resident in `pid` and all its descendants now (a pool's workers are not in ru_maxrss,
    which is the largest single process): sampled every 0.2 s, so a peak between samples is missed."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            todo += map(int, Path(f"/proc/{current}/task/{current}/children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


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
    top["tree_mb"] = max(r.get("tree_mb", 0) for r in runs)
    top["all_seconds"] = [round(r["seconds"], 3) for r in runs]
    top["all_cpu"] = [round(r["cpu"], 3) for r in runs]
    return top


if __name__ == "__main__":
    print(json.dumps(child(json.loads(sys.argv[1]))))
