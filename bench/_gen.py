"""Generates large, realistic tasks workbooks for the benchmarks (openpyxl write-only mode)."""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from duban.workbooks.model.kinds import KINDS

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷", "徐明", "孙丽"]
DEPTS = ["市场部", "研发部", "销售部", "客服部", "财务部", "运营部", "行政部", "产品部"]
STATUSES = ["未开始", "进行中", "已完成", "阻塞", "延期"]


def tasks_workbook(path: Path, rows: int, today: date, flagged_share: float = 0.3, seed: int = 7) -> Path:
    """A tasks sheet of `rows` rows; about `flagged_share` of them overdue, blocked or stale."""
    rng = random.Random(seed)
    kind = KINDS["tasks"]
    book = Workbook()  # openpyxl writes every text as an inline string (Excel would use shared strings)
    sheet = book.active
    sheet.title = kind.sheet_zh
    sheet.append([c.zh for c in kind.columns])
    for n in range(rows):
        flagged = rng.random() < flagged_share
        status = rng.choice(["进行中", "阻塞"]) if flagged else rng.choice(["未开始", "进行中", "已完成"])
        due = today + timedelta(days=rng.randint(-20, -1) if flagged else rng.randint(5, 60))
        progress = 1.0 if status == "已完成" else rng.choice([0, 0.25, 0.5, 0.75])
        updated = today - timedelta(days=rng.randint(0, 3))
        sheet.append([None, f"任务{n:06d} 推广素材制作", f"项目{n % 50}", rng.choice(NAMES), rng.choice(NAMES),
                      "、".join(rng.sample(NAMES, 2)), rng.choice(DEPTS), rng.choice(["高", "中", "低"]), due,
                      progress, status, None, "数据收集已完成，待分析", updated, None])
    book.save(path)
    return path


def ensure(path: Path, rows: int, today: date = date(2026, 11, 23)) -> Path:
    """The benchmark workbook, generated once in its own process.

    Linux carries a parent's peak RSS into children it forks, so generating in the measuring
    parent would inflate every measured child's ru_maxrss."""
    if not path.exists():
        import subprocess
        import sys
        import time
        path.parent.mkdir(exist_ok=True)
        started = time.perf_counter()
        subprocess.check_call([sys.executable, __file__, str(path), str(rows), today.isoformat()])
        print(f"generated {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f}s")
    return path


if __name__ == "__main__":
    import sys
    tasks_workbook(Path(sys.argv[1]), int(sys.argv[2]), date.fromisoformat(sys.argv[3]))
