"""`duban init`: a folder with one standard workbook per kind and a commented duban.toml."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from workbooks import demo as demo_data
from workbooks.kinds import KINDS
from workbooks.template import replacing, write_workbook

from . import config
from .errors import UsageError


def init_folder(folder: Path, lang: str = "zh", demo: bool = False, force: bool = False,
                today: date | None = None) -> list[Path]:
    """Write every kind's workbook (with demo rows when `demo`) and duban.toml; return the paths."""
    folder = Path(folder)
    if lang not in ("zh", "en"):
        raise UsageError(f"Unknown language '{lang}': use zh or en.")
    targets = {key: folder / kind.filename(lang) for key, kind in KINDS.items()}
    toml_path = folder / config.CONFIG_NAME
    _refuse_overwrite(folder, [*targets.values(), toml_path], force)
    rows = demo_data.demo_rows(today or date.today(), lang) if demo else {}
    names = demo_data.directory_names() if demo else []
    written = [write_workbook(KINDS[key], path, lang, rows.get(key, ()), names)
               for key, path in targets.items()]
    written.append(_write_config(toml_path, lang, demo))
    return written


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
    return _set(text, "hold_outside_office_hours", "true", "false  # demo") if demo else text


def _set(text: str, key: str, old: str, new: str) -> str:
    changed, count = re.subn(rf"^{key} = {old}", f"{key} = {new}", text, count=1, flags=re.M)
    if count != 1:
        raise RuntimeError(f"defaults.toml has no '{key} = {old}' line to set")
    return changed


def _write_config(path: Path, lang: str, demo: bool = False) -> Path:
    with replacing(path) as tmp:
        tmp.write_text(config_text(lang, demo), encoding="utf-8")
    return path
