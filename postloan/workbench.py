"""Defaults that let an analyst open a workbook in JupyterLab and run it top to bottom
on the sample bank: no run folder given -> the latest published run of the month,
or marts built on the fly from the embedded sample bank into outputs/.workbench/."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_bank.duckdb"
OUTPUTS = ROOT / "outputs"


def ensure_sample_bank(path: Path = SAMPLE) -> Path:
    if not path.exists():
        from postloan.sample.generate import generate_sample_bank
        from postloan.sample.writers import write_duckdb
        write_duckdb(generate_sample_bank("small", 42), path)
    return path


def latest_published_run(month: str, outputs: Path = OUTPUTS) -> Path | None:
    folder = outputs / month
    runs = sorted(p for p in folder.glob("*/manifest.json")) if folder.exists() else []
    return runs[-1].parent if runs else None


def resolve_run_dir(run_dir: str = "", month: str = "") -> tuple[str, str]:
    """(run_dir, month) to present: as given, else the latest published run, else a workbench build."""
    if run_dir:
        from postloan.marts.build import load_marts
        return run_dir, month or load_marts(Path(run_dir) / "marts").month
    from data_connectors import load_extract
    from postloan.marts.build import build_marts, freeze_marts
    from postloan.policy import load_calendar, load_policy
    extract = None
    if not month:
        extract = load_extract(ensure_sample_bank())
        month = str(extract["loan_month"]["month"].max())
    found = latest_published_run(month)
    if found:
        return str(found), month
    bench = OUTPUTS / ".workbench" / month
    if not (bench / "marts" / "month.json").exists():
        extract = extract or load_extract(ensure_sample_bank())
        freeze_marts(build_marts(extract, month, load_policy(), load_calendar()), bench / "marts")
    return str(bench), month
