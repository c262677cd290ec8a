"""Running LibreOffice (soffice) headless from tests: convert files with a private profile and a timeout."""
from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

SKIP_REASON = "LibreOffice (soffice) not installed; .ci/run installs libreoffice-calc-nogui"
CSV_UTF8 = "csv:Text - txt - csv (StarCalc):44,34,76,1"   # comma, double quote, UTF-8, from line 1
XLSX = "xlsx:Calc MS Excel 2007 XML"
TIMEOUT = 180

_profile: Path | None = None


def available() -> bool:
    return shutil.which("soffice") is not None


def _profile_uri() -> str:
    """One private LibreOffice profile per test session, so runs never clash over a user's lock."""
    global _profile
    if _profile is None:
        _profile = Path(tempfile.mkdtemp(prefix="duban-lo-profile-"))
        atexit.register(shutil.rmtree, _profile, True)
    return _profile.as_uri()


def convert_all(paths: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """Convert `paths` with one soffice run; return the output files in the same order."""
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = ["soffice", f"-env:UserInstallation={_profile_uri()}", "--headless", "--norestore",
           "--convert-to", fmt, "--outdir", str(outdir), *map(str, paths)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    ext = fmt.split(":", 1)[0]
    outs = [outdir / f"{Path(p).stem}.{ext}" for p in paths]
    missing = [o.name for o in outs if not o.exists()]
    if result.returncode != 0 or missing:
        raise RuntimeError(f"soffice failed to convert to {fmt} (exit {result.returncode}, missing "
                           f"{missing}):\n{result.stdout}\n{result.stderr}")
    return outs


def convert(path: Path, fmt: str, outdir: Path) -> Path:
    """Convert one file, e.g. convert(p, CSV_UTF8, out) or convert(p, XLSX, out)."""
    return convert_all([path], fmt, outdir)[0]
