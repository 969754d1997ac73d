"""One job of the naive baseline: one product for one scope, the way a notebook per report is
usually scheduled (`bench_cycle.py` runs one such process per product × scope).

The process loads and checks the extract itself, builds the product's marts, writes the
scope's figures JSON and Excel, runs the workbook with papermill in a fresh kernel (papermill's
own engine) and converts it to HTML with nbconvert's exporter. No PDF, no sharing with any
other job: what the suite does once per run, this does once per product and scope.

    python benchmarks/naive_job.py --source data/bench/medium.duckdb --product meeting_pack --scope all --out DIR
"""
from __future__ import annotations

import argparse
from pathlib import Path

import nbformat
import papermill

from data_connectors import load_extract
from postloan.marts.build import freeze_marts
from postloan.marts.scope import scope_name
from postloan.parameter_set import SNAPSHOT, load_parameter_set
from postloan.paths import parameters_dir
from postloan.periods import parse_period
from postloan.present.excel import set_run_context
from postloan.products import PRODUCTS
from postloan.run.export import _nbconvert_html, write_figures
from postloan.run.params import load_workbook_parameters, runtime_placeholders

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--product", required=True, choices=sorted(PRODUCTS))
    ap.add_argument("--scope", required=True)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    product = PRODUCTS[args.product]
    out = args.out / f"{args.product}-{args.scope}"
    folder = out / args.product
    folder.mkdir(parents=True, exist_ok=True)
    params = load_parameter_set()
    settings = load_workbook_parameters(product, WORKBOOKS / product.workbook,
                                        parameters_dir() / f"{args.product}.yaml")
    extract = load_extract(args.source)
    period = parse_period(extract.months()[-1])
    marts = product.build(extract, period, params)
    freeze_marts(marts, out / "marts" / args.product)
    set_run_context(run_id="naive", started_at="", source=args.source, fingerprint="", code_version="",
                    parameter_files=params.snapshot(out / SNAPSHOT))
    write_figures(product.figures(marts, args.scope), folder / f"{args.scope}.json")
    if product.extra_exports:
        product.extra_exports(marts, args.scope, folder, settings)
    nb_out = folder / f"{args.scope}.ipynb"
    papermill.execute_notebook(str(WORKBOOKS / product.workbook), str(nb_out), kernel_name="python3",
                               parameters={**runtime_placeholders(product, period.label, args.scope,
                                                                  str(out.resolve())), **settings},
                               progress_bar=False, cwd=str(WORKBOOKS))
    title = f"{scope_name(extract['branches'], args.scope)} {product.label}（{period.label}）"
    nb = nbformat.read(nb_out, as_version=4)
    nb_out.with_suffix(".html").write_text(_nbconvert_html(nb, title), encoding="utf-8")


if __name__ == "__main__":
    main()
