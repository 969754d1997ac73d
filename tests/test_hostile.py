"""The hostile corpus through every product: no Excel cell is a formula or reads as one, no
HTML carries a payload unescaped, and no dashboard view fires a dialog."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostile_bank import PAYLOADS, hostile_tables
from postloan.sample import writers

MARKUP = [p for p in PAYLOADS if "<" in p]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, sample_tables):
    from postloan.cli import main
    from postloan.run.export import ExportError, find_chromium
    work = tmp_path_factory.mktemp("hostile")
    bank = writers.write_duckdb(hostile_tables(sample_tables), work / "hostile.duckdb")
    try:
        find_chromium()
        pdf = "--pdf"
    except ExportError:
        pdf = "--no-pdf"
    out = work / "outputs"
    for products in ("meeting_pack,accountability", "scorecards"):
        assert main(["run", "--source", str(bank), "--out", str(out), "--products", products, pdf]) == 0
    return sorted(out.glob("*/run-*"))


def test_the_payloads_reach_the_outputs(hostile_run):
    """The corpus is not filtered away before it is shown (else the tests below prove nothing)."""
    html = "".join(p.read_text(encoding="utf-8") for run in hostile_run for p in run.rglob("*.html"))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html or "&lt;img src=x onerror=alert(1)>" in html


def test_no_excel_cell_is_a_formula(hostile_run):
    import openpyxl
    books = [p for run in hostile_run for p in run.rglob("*.xlsx")]
    assert len(books) >= 4
    seen_payload = False
    for book in books:
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (book.name, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), (book.name, cell.value)
                        seen_payload |= cell.value.startswith("'=HYPERLINK")
    assert seen_payload            # the neutralised payload is there, as text


def test_no_html_output_carries_a_payload_unescaped(hostile_run):
    pages = [p for run in hostile_run for p in run.rglob("*.html")]
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for payload in MARKUP:
            assert payload not in text, (page.name, payload)
        assert "Content-Security-Policy" in text and "script-src 'none'" in text


def test_pdfs_print_the_payloads_as_text(hostile_run):
    import shutil
    import subprocess
    pdfs = [p for run in hostile_run for p in run.rglob("*.pdf")]
    if not pdfs or not shutil.which("pdftotext"):
        pytest.skip("no PDFs (Chromium or poppler missing)")
    text = "".join(subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout for p in pdfs[:6])
    assert "onerror=alert(1)" in text          # shown as the characters it is, not run


def test_no_dashboard_view_fires_a_dialog(hostile_run, tmp_path):
    from test_dashboards import _free_port, _start_voila
    from postloan.run.export import CHROMIUM_FLAGS, ExportError, find_chromium
    try:
        find_chromium()
    except ExportError as exc:
        pytest.skip(str(exc))
    from playwright.sync_api import sync_playwright
    run = hostile_run[0]
    with open(tmp_path / "serve.log", "w") as log:
        proc, base = _start_voila(run, log, "--no-preheat")
    dialogs = []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS[1:])
            from test_dashboards import TOKEN
            scorecards = json.loads(next(r for r in hostile_run if (r / "scorecards").exists()).joinpath(
                "scorecards", "all.json").read_text(encoding="utf-8"))["officers"]
            hostile_officer = next(o["officer_id"] for o in scorecards if "<" in o["officer_id"] or "<" in o["name"])
            from urllib.parse import quote
            for notebook, query, wait in [("index", "", "已发布结果"), ("meeting_pack", "", "贷后管理例会材料（"),
                                          ("meeting_pack", "scope=B100", "贷后管理例会材料（"),
                                          ("accountability", "", "责任认定建议稿"),
                                          ("scorecards", "", "排名表"),
                                          ("scorecards", f"officer={quote(hostile_officer)}", "同类中位数")]:
                page = b.new_page()
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(f"{base}/voila/render/{notebook}.ipynb?token={TOKEN}" + (f"&{query}" if query else ""),
                          timeout=90000)
                page.wait_for_function("t => document.body && document.body.innerText.includes(t)", arg=wait,
                                       timeout=90000)
                page.wait_for_timeout(1500)
                page.goto("about:blank")
                page.close()
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert dialogs == []
