"""`postloan run` end to end: outputs, manifest, offline HTML, PDF text layer,
all-or-nothing publication, failures that name the scope, runs beside runs."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from postloan.cli import main
from postloan.present.meeting_pack import SECTIONS

ROOT = Path(__file__).resolve().parents[1]


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_scope_has_notebook_html_pdf_and_figures(published_run):
    m = json.loads((published_run / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "published" and m["month"] == published_run.parent.name
    assert len(m["source"]["fingerprint"]) == 64 and m["code_version"]
    assert m["parameters"]["scopes"][0] == "all" and len(m["parameters"]["scopes"]) >= 4
    assert m["started_at"] <= m["finished_at"]
    kinds = {(o["scope"], o["kind"]) for o in m["outputs"] if o["product"] == "meeting_pack"}
    for scope in m["parameters"]["scopes"]:
        assert {(scope, k) for k in ("ipynb", "html", "pdf", "json")} <= kinds
    for o in m["outputs"]:
        path = published_run / o["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == o["sha256"], o["path"]
    figures = json.loads((published_run / "meeting_pack" / "all.json").read_text(encoding="utf-8"))
    for key in ["total_balance", "npl_ratio", "migration_rate_performing", "warnings_reported_late",
                "first_inspections_on_time", "routine_inspections_due", "recovered_cash",
                "limitation_expiring_90d_count", "meeting_actions_overdue"]:
        assert key in figures


def test_published_figures_are_what_each_product_computes_in_process(published_run, sample_duckdb, tmp_path):
    """The run renders in two kernels, binds books and freezes its marts to Parquet; none of it
    may change a figure: every product's JSON of every scope equals the product's figures
    computed here in one process, straight from the extract."""
    from data_connectors import load_extract
    from postloan.parameter_set import load_parameter_set
    from postloan.periods import parse_period
    from postloan.products import PRODUCTS
    from postloan.run.export import write_figures
    manifest = json.loads((published_run / "manifest.json").read_text(encoding="utf-8"))
    extract, params = load_extract(str(sample_duckdb)), load_parameter_set(None, None, None)
    period = parse_period(manifest["period"]["label"])
    for name in manifest["parameters"]["products"]:
        marts = PRODUCTS[name].build(extract, period, params)
        for scope in manifest["parameters"]["scopes"]:
            write_figures(PRODUCTS[name].figures(marts, scope), tmp_path / "direct.json")
            direct = json.loads((tmp_path / "direct.json").read_text(encoding="utf-8"))
            assert json.loads((published_run / name / f"{scope}.json").read_text(encoding="utf-8")) == direct, \
                (name, scope)


def test_every_published_page_parses_in_chromium_as_written(published_run):
    """In Chromium's own parse of every published page, each notebook cell is a child of <body>:
    no element a writer left open (an XML-style `<a … />`) swallows the rest of the page,
    which a PDF would then cut after its first page."""
    from playwright.sync_api import sync_playwright
    from postloan.run.export import CHROMIUM_FLAGS, WORKBENCH_ONLY, find_chromium
    pages = sorted(published_run.glob("*/*.html"))          # the notebooks (case and officer pages: files of their own)
    assert len(pages) >= 8
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:])
        tab = browser.new_page()
        for html_path in pages:
            nb = nbformat.read(html_path.with_suffix(".ipynb"), as_version=4)
            cells = [c for c in nb.cells if WORKBENCH_ONLY not in c.get("metadata", {}).get("tags", [])]
            tab.goto(html_path.resolve().as_uri())
            parsed = tab.evaluate("() => [document.querySelectorAll('div.cell').length, "
                                  "document.querySelectorAll('body > div.cell').length]")
            assert parsed == [len(cells), len(cells)], html_path.relative_to(published_run)
        browser.close()


def test_no_printed_page_is_wider_than_a4(published_run):
    """Every published page (workbooks, case files, officer pages) fits A4's text width (210 mm
    less the 12 mm margins: 703 px) in print: a wider table makes Chromium shrink the whole
    document to fit it (a 10-column legal-deadline table had printed the meeting pack at 66%)."""
    from playwright.sync_api import sync_playwright
    from postloan.run.export import CHROMIUM_FLAGS, find_chromium
    pages = sorted(published_run.rglob("*.html"))
    assert len(pages) >= 50
    widest = "() => Math.max(...Array.from(document.querySelectorAll('body *')).map(e => e.getBoundingClientRect().right))"
    over = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:])
        tab = browser.new_page(viewport={"width": 703, "height": 1000})
        tab.emulate_media(media="print")
        for html_path in pages:
            tab.goto(html_path.resolve().as_uri())
            right = tab.evaluate(widest)
            if right > 703.5:
                over[str(html_path.relative_to(published_run))] = round(right)
        browser.close()
    assert over == {}, f"{len(over)} of {len(pages)} pages wider than 703 px: {dict(list(over.items())[:10])}"


def test_html_is_self_contained_and_shows_no_code(published_run):
    for path in (published_run / "meeting_pack").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        external = re.findall(r"""(?:src|href)\s*=\s*["'](?!#|data:)([^"']+)""", text, re.I)
        assert external == [], (path.name, external[:5])
        assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", text, re.I)
        assert "<script" not in text.lower() and "<link" not in text.lower()
        assert "import " not in text and "mp.show_" not in text          # input cells excluded
        assert "贷后管理例会材料" in text


def test_pdf_is_a4_and_its_text_layer_holds_the_chinese_section_titles(published_run):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    pdf = published_run / "meeting_pack" / "all.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "A4" in info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", text)
    for _, title in SECTIONS:
        assert title in flat, title


def test_published_notebooks_executed_every_cell_without_error(published_run):
    nb = nbformat.read(published_run / "meeting_pack" / "B100.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code)
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    injected = next(c for c in code if "injected-parameters" in c.metadata.get("tags", []))
    assert 'scope = "B100"' in injected.source and ".tmp-" not in injected.source


def _run(*args) -> int:
    return main(["run", *map(str, args)])


@pytest.fixture
def first_month(tmp_path, sample_duckdb):
    out = tmp_path / "outputs"
    assert _run("--source", sample_duckdb, "--out", out, "--month", "2026-09", "--scopes", "all", "--no-pdf") == 0
    return out


def test_failing_scope_publishes_nothing_and_names_scope_and_error(tmp_path, sample_duckdb, first_month, capsys):
    before = _tree(first_month)
    books = tmp_path / "workbooks"
    shutil.copytree(ROOT / "workbooks", books)
    nb = nbformat.read(books / "meeting_pack.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('if scope == "B200":\n    raise ValueError("故意失败 deliberate failure")'))
    nbformat.write(nb, books / "meeting_pack.ipynb")
    code = _run("--source", sample_duckdb, "--out", first_month, "--workbooks", books, "--no-pdf")
    err = capsys.readouterr().err
    assert code == 1
    assert "B200" in err and "故意失败" in err and "ValueError" in err
    assert not list(first_month.glob("2026-10/run-*"))                  # nothing published
    assert not list(first_month.glob(".tmp-*"))
    assert _tree(first_month.joinpath("2026-09")) == {k[len("2026-09/"):]: v for k, v in before.items()
                                                       if k.startswith("2026-09/")}
    kept = list(first_month.glob(".failed/2026-10/*/meeting_pack/B200.ipynb"))
    assert len(kept) == 1                                                # kept for diagnosis


def test_second_run_of_a_month_is_published_beside_the_first(sample_duckdb, first_month):
    before = _tree(first_month / "2026-09")
    assert _run("--source", sample_duckdb, "--out", first_month, "--month", "2026-09", "--scopes", "all",
                "--no-pdf") == 0
    runs = sorted((first_month / "2026-09").glob("run-*"))
    assert len(runs) == 2
    after = _tree(first_month / "2026-09")
    assert {k: v for k, v in after.items() if k in before} == before


def test_bad_parameters_are_rejected_before_anything_runs(tmp_path, sample_duckdb, capsys):
    from postloan.paths import parameters_dir
    params = tmp_path / "params"
    shutil.copytree(parameters_dir(), params)          # --parameters-dir holds every parameter file
    (params / "meeting_pack.yaml").write_text("workbook: meeting_pack\nparameters:\n  top_n: 0\n  colour: red\n",
                                              encoding="utf-8")
    out = tmp_path / "outputs"
    assert _run("--source", sample_duckdb, "--out", out, "--parameters-dir", params, "--no-pdf") == 1
    err = capsys.readouterr().err
    assert "colour" in err and "unknown_key" in err
    assert not out.exists()
    (params / "meeting_pack.yaml").write_text("workbook: meeting_pack\nparameters:\n  top_n: 0\n", encoding="utf-8")
    assert _run("--source", sample_duckdb, "--out", out, "--parameters-dir", params, "--no-pdf") == 1
    assert "top_n" in capsys.readouterr().err
    assert not out.exists()


def test_unknown_scope_and_invalid_extract_write_nothing(tmp_path, sample_duckdb, sample_csv, capsys):
    out = tmp_path / "outputs"
    assert _run("--source", sample_duckdb, "--out", out, "--scopes", "B999", "--no-pdf") == 1
    assert "unknown_scope" in capsys.readouterr().err
    broken = tmp_path / "broken"
    shutil.copytree(sample_csv, broken)
    (broken / "loans.csv").unlink()
    assert _run("--source", broken, "--out", out, "--no-pdf") == 1
    assert "missing_table" in capsys.readouterr().err
    assert not out.exists()


def test_without_chromium_the_run_publishes_html_and_says_pdfs_were_skipped(tmp_path, sample_duckdb, monkeypatch):
    from postloan.run import runner
    from postloan.run.export import ExportError

    def missing():
        raise ExportError("未找到 Chromium，无法生成 PDF (chromium_missing)：请安装 Debian 软件包 chromium。")
    monkeypatch.setattr(runner, "find_chromium", missing)
    out = tmp_path / "outputs"
    assert _run("--source", sample_duckdb, "--out", out, "--products", "meeting_pack", "--scopes", "all") == 0
    m = json.loads(next(out.glob("*/run-*/manifest.json")).read_text(encoding="utf-8"))
    assert "chromium_missing" in m["pdf_skipped"]
    kinds = {o["kind"] for o in m["outputs"] if o["product"] == "meeting_pack"}
    assert kinds == {"ipynb", "html", "json", "xlsx"}         # no PDF; the 明细表 workbook is there
    assert _run("--source", sample_duckdb, "--out", tmp_path / "o2", "--pdf", "--scopes", "all") == 1


def test_a_pdf_that_cannot_be_printed_publishes_nothing(tmp_path, sample_duckdb, monkeypatch, capsys):
    """The run checks for Chromium up front; if printing still fails (here: the executable
    is not a browser), the error names the step and nothing is published."""
    from postloan.run import export
    monkeypatch.setattr(export, "find_chromium", lambda: "/bin/false")
    out = tmp_path / "outputs"
    assert _run("--source", sample_duckdb, "--out", out, "--products", "meeting_pack", "--scopes", "all,B100",
                "--pdf") == 1
    assert "pdf_failed" in capsys.readouterr().err
    assert not list(out.glob("*/run-*"))
    assert not list(out.glob(".tmp-*"))
