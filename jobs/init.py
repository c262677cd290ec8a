"""`duban init`: a folder with one standard workbook per kind and a commented duban.toml."""
from __future__ import annotations

import re
import shutil
import sqlite3
import tomllib
from contextlib import closing, nullcontext
from datetime import date, datetime
from pathlib import Path

from duban.jobs.settings import config
from duban.jobs.settings.site import Site
from duban.jobs.state.journal import SCHEMA as JOURNAL_SCHEMA
from duban.jobs.state.runlock import run_lock
from duban.workbooks.make import demo as demo_data
from duban.workbooks.make.template import write_workbook
from duban.workbooks.model.errors import ConfigError, UsageError
from duban.workbooks.model.kinds import KINDS
from duban.workbooks.share.discover import CONSOLE_MODULE, CONSOLE_NAME
from duban.workbooks.share.files import replacing
from duban.workbooks.write.guard import lock_holder

REPLACED = ".duban/replaced"     # where --force keeps what it replaced, one folder per run


class Created(list):
    """The paths `duban init` wrote; `kept_in`: where the files (and journal) it replaced were kept."""

    kept_in: Path | None = None


def init_folder(folder: Path, lang: str = "zh", demo: bool = False, force: bool = False,
                today: date | None = None, now: datetime | None = None, config_only: bool = False) -> Created:
    """Write every kind's workbook (with demo rows when `demo`) and duban.toml.

    With `force`, every file it replaces is first copied to `.duban/replaced/<time>/`, and the
    change journal is set aside there too: the new workbooks start a new journal (their rows get
    IDs afresh), while the mail ledger stays, so mail already sent is not sent again."""
    folder = Path(folder)
    if lang not in ("zh", "en"):
        raise UsageError(f"Unknown language '{lang}': use zh or en.")
    targets = {} if config_only else {key: folder / kind.filename(lang) for key, kind in KINDS.items()}
    toml_path = folder / config.CONFIG_NAME
    console = [] if config_only else [folder / CONSOLE_NAME, folder / CONSOLE_MODULE]   # the Excel console
    replaced = [*targets.values(), *console, toml_path]
    _refuse_overwrite(folder, replaced, force)
    _refuse_open(replaced)
    with _no_job_running(folder, replaced):
        kept_in = _set_aside(folder, replaced, now or datetime.now())
        site = Site(folder, config.load(values=tomllib.loads(config_text(lang, demo))))   # as the file will say
        rows = demo_data.demo_rows(today or date.today(), lang) if demo else {}
        names = demo_data.directory_names(lang) if demo else []
        departments = demo_data.directory_departments(lang) if demo else []
        created = Created(write_workbook(KINDS[key], path, lang, rows.get(key, ()), names, departments,
                                         site.thresholds, site.palette) for key, path in targets.items())
        created.append(_write_config(toml_path, lang, demo))
        if console:
            from duban.macros.build import write_console  # lazy: jobs never imports macros at module level
            created.extend(write_console(folder, lang))
    created.kept_in = kept_in
    return created


def _refuse_open(paths: list[Path]) -> None:
    """A workbook open in Excel is not replaced under its user (their next save would undo it)."""
    for path in paths:
        if path.exists() and (holder := lock_holder(path)):
            program, who = holder
            zh, en = (f"{who}用 {program} 打开", f"in {program} (by {who})") if who else \
                (f"他人用 {program} 打开（锁文件中没有写明是谁）", f"in {program} (the lock file does not say by whom)")
            raise UsageError(f"{path.name} 正被{zh}，未替换任何文件；请关闭后再运行。 / "
                             f"{path.name} is open {en}; nothing was replaced. Close it and run again.")


def _no_job_running(folder: Path, paths: list[Path]):
    """Replacing files and setting the journal aside waits for a running job, as every job does."""
    if not any(p.exists() for p in paths):
        return nullcontext()
    try:
        settings = config.load(folder)
    except ConfigError:
        settings = config.load()
    return run_lock(folder, settings, "init")


def _set_aside(folder: Path, paths: list[Path], now: datetime) -> Path | None:
    """Copy the files about to be replaced, and the journal, into one dated folder; None if none."""
    existing = [p for p in paths if p.exists()]
    if not existing:
        return None
    state = folder / _state_path(folder)
    kept = _free_folder(folder / REPLACED / now.strftime("%Y%m%d-%H%M%S"))
    for path in existing:
        shutil.copy2(path, kept / path.name)
    if state.exists():
        _move_journal(state, kept / state.name)
    return kept


def _state_path(folder: Path) -> str:
    try:
        return config.load(folder).state.path
    except ConfigError:      # a broken duban.toml is being replaced anyway
        return config.load().state.path


def _free_folder(wanted: Path) -> Path:
    folder, n = wanted, 1
    while folder.exists():
        n += 1
        folder = wanted.with_name(f"{wanted.name}-{n}")
    folder.mkdir(parents=True)
    return folder


def _move_journal(state: Path, copy: Path) -> None:
    """Keep a whole copy of state.db, then empty its journal tables; the mail ledger and queue stay."""
    tables = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", JOURNAL_SCHEMA)
    with closing(sqlite3.connect(state, timeout=30, isolation_level=None)) as db:
        with closing(sqlite3.connect(copy)) as target:
            db.backup(target)
        db.execute("BEGIN IMMEDIATE")
        for table in tables:
            db.execute(f"DELETE FROM {table}")
        db.execute("COMMIT")


def _refuse_overwrite(folder: Path, paths: list[Path], force: bool) -> None:
    existing = [p.name for p in paths if p.exists()]
    if existing and not force:
        raise UsageError(f"{folder}: {len(existing)} file(s) already exist: {', '.join(existing)}. "
                         f"Nothing was written; use --force to overwrite them.")


def config_text(lang: str, demo: bool = False) -> str:
    """The commented default duban.toml, with the company language set to `lang`.

    A demo folder mails at once whatever the hour (into its outbox folder), so that trying
    duban in the evening still shows the mail."""
    text = _set(config.default_text(), "language", '"zh"', f'"{lang}"') if lang != "zh" else config.default_text()
    if not demo:
        return text
    text = _set(text, "clerks", r"\[\]", f'["{demo_data.clerk(lang)}"]')
    return _set(text, "hold_outside_office_hours", "true", "false  # demo")


def _set(text: str, key: str, old: str, new: str) -> str:
    changed, count = re.subn(rf"^{key} = {old}", f"{key} = {new}", text, count=1, flags=re.M)
    if count != 1:
        raise RuntimeError(f"defaults.toml has no '{key} = {old}' line to set")
    return changed


def _write_config(path: Path, lang: str, demo: bool = False) -> Path:
    with replacing(path) as tmp:
        tmp.write_text(config_text(lang, demo), encoding="utf-8")
    return path
