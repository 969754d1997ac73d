"""Defaults that let an analyst open a workbook in JupyterLab and run it top to bottom
on the sample bank: no run folder given -> the latest published run of the month,
or marts built on the fly from the embedded sample bank into outputs/.workbench/."""
from __future__ import annotations

from pathlib import Path

from postloan.paths import outputs_dir, sample_path


def ensure_sample_bank(path: Path | None = None) -> Path:
    path = Path(path or sample_path())
    if not path.exists():
        from postloan.sample.generate import generate_sample_bank
        from postloan.sample.writers import write_duckdb
        write_duckdb(generate_sample_bank("small", 42), path)
    return path


def latest_published_run(month: str, outputs: Path | None = None) -> Path | None:
    folder = Path(outputs or outputs_dir()) / month
    runs = sorted(p for p in folder.glob("*/manifest.json")) if folder.exists() else []
    return runs[-1].parent if runs else None


def resolve_run_dir(run_dir: str = "", period: str = "", product: str = "meeting_pack") -> tuple[str, str]:
    """(run_dir, period) to present: as given, else the latest published run holding the
    product, else marts built on the fly from the sample bank into outputs/.workbench/."""
    from postloan.marts.build import load_marts
    if run_dir:           # a run (postloan run) passes its own folder: nothing to announce
        return run_dir, period or load_marts(Path(run_dir) / "marts" / product).month
    shown, period = _resolve(period, product)
    _announce(shown, period, product)
    return shown, period


def _announce(run_dir: str, period: str, product: str) -> None:
    """Say, above the workbook's pages, which run or which on-the-fly marts they show."""
    where = Path(run_dir)
    if where.parent.name == ".workbench" or ".workbench" in where.parts:
        text = (f"本页显示：样本银行 {period} 的即时数据集市（未发布；由 {sample_path()} 计算，"
                f"保存在 {where}）。要显示某次已发布的运行，请在参数格中填写 run_dir。")
    else:
        text = f"本页显示：已发布的运行 {where.name}（期间 {period}，目录 {where}）。要换一次运行，请在参数格中填写 run_dir。"
    try:
        from IPython.display import HTML, display
        from postloan.present.tables import esc
        display(HTML(f'<p class="pl pl-note" style="border:1px solid #000;padding:4px 8px">{esc(text)}</p>'))
    except ImportError:
        print(text)


def _resolve(period: str, product: str) -> tuple[str, str]:
    from postloan.marts.build import freeze_marts
    from data_connectors import load_extract
    from postloan.periods import parse_period
    from postloan.parameter_set import SNAPSHOT, load_parameter_set
    from postloan.products import PRODUCTS
    extract = None
    if not period:
        extract = load_extract(ensure_sample_bank())
        period = str(extract["loan_month"]["month"].max())
    found = latest_published_run(period)
    if found and (found / "marts" / product).exists():
        return str(found), period
    bench = outputs_dir() / ".workbench" / period
    if not (bench / "marts" / product / "month.json").exists():
        extract = extract or load_extract(ensure_sample_bank())
        params = load_parameter_set()
        marts = PRODUCTS[product].build(extract, parse_period(period), params)
        freeze_marts(marts, bench / "marts" / product)
        params.snapshot(bench / SNAPSHOT)
    return str(bench), period
