"""Excel workbooks as HR staff and the committee expect them: a 说明 sheet stating the run,
formats by column kind, frozen header and key column, filters, A4 landscape print set-up, no
code in any cell — checked with openpyxl, and as LibreOffice shows them."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess

import openpyxl
import pytest

from postloan.glossary import enum_labels, enum_names
from postloan.present.excel import ColumnKindError, write_workbook

RAW_REF = re.compile(r"^(?:routine|first|special|extended|month|quarter|year|npl):")


def _workbooks(run):
    books = sorted(run.rglob("*.xlsx"))
    assert {p.relative_to(run).parts[0] for p in books} >= {"meeting_pack", "scorecards", "accountability", "workout"}
    return books


def test_every_workbook_states_its_run_and_follows_the_conventions(published_run):
    manifest = json.loads((published_run / "manifest.json").read_text(encoding="utf-8"))
    for path in _workbooks(published_run):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames[0] == "说明", path
        rows = list(wb["说明"].iter_rows(min_row=2, values_only=True))
        about = {r[0]: r[1] for r in rows}
        hashes = {r[0]: r[2] for r in rows}
        assert about["运行编号"] == published_run.name and about["数据指纹 (sha256)"] == manifest["source"]["fingerprint"]
        assert about["期间"] and about["范围"] and about["产品"] and about["程序版本"] == manifest["code_version"]
        for f in manifest["parameter_files"]:
            assert hashes[f"参数文件 {f['name']}"] == f["sha256"], (path, f["name"])
        for ws in wb.worksheets:
            assert ws.freeze_panes in ("B2", "A2"), (path, ws.title)
            assert ws.auto_filter.ref, (path, ws.title)
            assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9", (path, ws.title)
            assert ws.print_title_rows in ("1:1", "$1:$1"), (path, ws.title)                  # header on every page
            fit = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
            assert fit or ws.print_title_cols in ("A:A", "$A:$A"), (path, ws.title)   # one page wide, or the key column repeats
            headers = [c.value for c in ws[1]]
            for j, h in enumerate(headers, 1):
                cells = [ws.cell(i, j) for i in range(2, min(ws.max_row, 60) + 1)]
                for c in cells:
                    if c.value is None:
                        continue
                    if str(h).endswith("（元）") and isinstance(c.value, (int, float)):
                        assert c.number_format == "#,##0.00", (path, ws.title, h)
                    if isinstance(c.value, dt.datetime):
                        assert c.number_format == "yyyy-mm-dd", (path, ws.title, h)
                    assert not isinstance(c.value, bool), (path, ws.title, h)          # 是/否, never TRUE/FALSE
    sc = openpyxl.load_workbook(published_run / "scorecards" / "all.xlsx")["考核结果"]
    headers = [c.value for c in sc[1]]
    rate = headers.index("检查按时完成率-实际值") + 1
    counts = headers.index("在岗天数") + 1
    first = lambda j: next(c for c in (sc.cell(i, j) for i in range(2, sc.max_row + 1)) if c.value is not None)
    assert first(rate).number_format == "0.0%" and first(counts).number_format == "#,##0"


def test_a_column_without_a_declared_kind_is_refused(tmp_path):
    import pandas as pd
    frame = pd.DataFrame({"借据号": ["L1"], "余额（元）": [1.0]})
    with pytest.raises(ColumnKindError, match="余额"):
        write_workbook(tmp_path / "x.xlsx", [("表", frame, {"借据号": "text"})])
    assert not (tmp_path / "x.xlsx").exists()


def test_each_cell_is_written_as_its_type_across_row_blocks(tmp_path, monkeypatch):
    """The sheet writer (cells turned into XML column by column, a block of rows at a time):
    what openpyxl reads back is what each value should become, worked out here by hand."""
    import pandas as pd

    from postloan.present import excel
    monkeypatch.setattr(excel, "_ROW_BLOCK", 3)              # several blocks in a short sheet
    long = "长" * 40_000
    frame = pd.DataFrame({
        "名称": ["=1+1", "a & <b>", "\x01ctl", None, "", long, "  spaced "],
        "金额": [1.5, float("nan"), float("inf"), -2.0, 0.0, 1e20, 3.0],
        "日期": pd.to_datetime(["2026-10-31", None, "1900-03-01", "2026-01-01", "2026-02-28", "2025-12-31", "2026-10-01"]),
        "标志": [True, False, True, True, False, False, True],
        "混合": ["x", 2, 2.5, pd.Timestamp("2026-10-31"), True, None, float("nan")],
    })
    kinds = {"名称": "text", "金额": "amount", "日期": "date", "标志": "text", "混合": "text"}
    path = write_workbook(tmp_path / "t.xlsx", [("表", frame, kinds)])
    ws = openpyxl.load_workbook(path)["表"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row)]
    assert rows[0] == ["名称", "金额", "日期", "标志", "混合"]
    assert ws.max_row == 8 and ws.dimensions == "A1:E8"
    # a control character is stored as the OOXML escape _x0001_ (Excel shows the character;
    # openpyxl reads the escape as it is); a text is cut at Excel's 32,767 characters
    assert [r[0] for r in rows[1:]] == ["'=1+1", "a & <b>", "_x0001_ctl", None, None, "长" * 32767, "  spaced "]
    assert [r[1] for r in rows[1:]] == [1.5, None, "inf", -2.0, 0, 1e20, 3]
    assert [r[2] for r in rows[1:]] == [dt.datetime(2026, 10, 31), None, dt.datetime(1900, 3, 1), dt.datetime(2026, 1, 1),
                                        dt.datetime(2026, 2, 28), dt.datetime(2025, 12, 31), dt.datetime(2026, 10, 1)]
    assert ws["C2"].number_format == "yyyy-mm-dd" and ws["B2"].number_format == "#,##0.00"
    assert [r[3] for r in rows[1:]] == [True, False, True, True, False, False, True]
    assert [r[4] for r in rows[1:]] == ["x", 2, 2.5, dt.datetime(2026, 10, 31), True, None, None]
    assert ws["A1"].font.b and ws["A2"].data_type == "s"


def test_no_workbook_cell_holds_a_contract_code(published_run):
    codes = {c for e in enum_names() for c in enum_labels(e) if isinstance(c, str) and not c.isupper()}
    found = []
    for path in _workbooks(published_run):
        wb = openpyxl.load_workbook(path, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(min_row=2, values_only=True):
                for v in row:
                    if isinstance(v, str) and (v in codes or RAW_REF.match(v)):
                        found.append((path.relative_to(published_run).as_posix(), ws.title, v))
    assert not found, found[:10]


def test_libreoffice_shows_a_full_rate_as_a_percentage_and_a_flag_as_yes(published_run, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed (CI installs libreoffice-calc-nogui)")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    book = tmp_path / "hr.xlsx"
    shutil.copyfile(published_run / "scorecards" / "all.xlsx", book)
    # every sheet to its own CSV, cells as shown (filter options: token 9 true, sheet -1)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1", str(book),
                    "--outdir", str(tmp_path)], check=True, capture_output=True, timeout=180)
    results = (tmp_path / "hr-考核结果.csv").read_text(encoding="utf-8")
    detail = (tmp_path / "hr-明细.csv").read_text(encoding="utf-8")
    assert "100.0%" in results
    assert ",是," in detail and "TRUE" not in detail
    assert (tmp_path / "hr-说明.csv").read_text(encoding="utf-8").startswith("项目,内容")



def test_a_text_that_looks_like_xlsxwriter_markup_stays_that_text(tmp_path):
    """xlsxwriter writes a shared string `<r>…</r>` as raw XML (its rich strings): a name from the
    extract then showed as another text, or made the file unreadable. Every string is text."""
    import openpyxl
    import pandas as pd
    from postloan.present.excel import write_workbook
    hostile = ["<r><t>改过的名字</t></r>", "<r>未闭合", '<r><t a="1">x</r>', "<r></r>", "正常"]
    path = write_workbook(tmp_path / "r.xlsx", [("名单", pd.DataFrame({"name": hostile}), {"name": "text"})])
    assert [c.value for c in openpyxl.load_workbook(path)["名单"]["A"]][1:] == hostile


def test_other_shared_strings_are_xlsxwriter_s_own_bytes():
    import io
    from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable
    from postloan.present.excel import PlainSharedStrings
    table = SharedStringTable()
    for s in ["名字", " lead", "trail ", 'a&b<c>"d"', "line\nbreak", "tab\tin", "ctl\x01\x1f", "_x0041_ literal", "",
              "\u2028", "=HYPERLINK(1)"]:
        table._get_shared_string_index(s)
    table._sort_string_data()
    written = []
    for cls in (SharedStrings, PlainSharedStrings):
        sst = cls()
        sst.string_table = table
        sst._set_filehandle(io.StringIO())
        sst._write_sst_strings()
        written.append(sst.fh.getvalue())
    assert written[0] == written[1] and written[0].count("<si>") == 11
