"""One Excel workbook (.xlsx, .xlsm, .xls), one sheet per table, sheet name = table name.

Read with calamine (Rust; about ten times faster than openpyxl on large sheets)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from postloan.contract import TABLE_NAMES
from postloan.validation import RawExtract, RawTable
from postloan.violations import Violation

name = "excel"
label = "Excel 工作簿"


def accepts(source: str) -> bool:
    return "://" not in source and Path(source).suffix.lower() in (".xlsx", ".xlsm", ".xls")


def read(source: str, **_options) -> RawExtract:
    path = Path(source)
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        return RawExtract(str(path), name, {}, [Violation("(workbook)", "unreadable_source",
                                                          detail=f"工作簿 {path.name} 无法打开：{exc}")])
    sheets = {s.strip().lower(): s for s in book.sheet_names}
    tables = {}
    for table in TABLE_NAMES:
        if table in sheets:
            frame = pd.read_excel(book, sheet_name=sheets[table], dtype=object, keep_default_na=False, na_values=[""])
            tables[table] = RawTable(frame, first_row=2)
    return RawExtract(str(path), name, tables, [])
