"""The one Excel writer of the suite: every product's workbook goes through `write_workbook`.

Text from an extract is hostile: a customer or officer named `=HYPERLINK("http://x","y")`
must stay a name. Every text cell is written as a string (xlsxwriter with
`strings_to_formulas`, `strings_to_urls` and `strings_to_numbers` off), and a text that
starts with `= + - @`, a tab or a carriage return gets a leading apostrophe, so that it
stays text when a user edits the cell or saves the sheet as CSV (the OWASP advice for
formula injection). Each sheet gets a frozen header row, an autofilter and column widths
from its content. The file is written beside the target and moved into place, so a failed
write never leaves half a workbook.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_ROWS = 1_000_000            # a sheet holds 1,048,576 rows: longer tables continue on a sheet "<name>2"
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
_WIDTH_MIN, _WIDTH_MAX = 6, 60


def safe_text(value):
    """A text that a spreadsheet could read as a formula, neutralised; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell and header through `safe_text`."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            out[col] = s.astype(object).map(safe_text)
    out.columns = [safe_text(str(c)) for c in out.columns]
    return out


def _width(frame: pd.DataFrame, col) -> float:
    def chars(v) -> float:
        text = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)      # a CJK character is two columns wide
    sample = frame[col].head(200).tolist()
    return min(_WIDTH_MAX, max([_WIDTH_MIN, chars(col) + 2] + [chars(v) + 1 for v in sample]))


def write_workbook(path: Path, sheets: Iterable[tuple[str, pd.DataFrame]]) -> Path:
    """Write (sheet name, table) pairs to `path`, safely, in one go."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.xlsx")
    try:
        with pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS},
                            date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd hh:mm") as xw:
            for name, frame in sheets:
                frame = safe_frame(frame)
                for k in range(0, max(len(frame), 1), EXCEL_ROWS):
                    sheet = name if k == 0 else f"{name}{k // EXCEL_ROWS + 1}"
                    part = frame.iloc[k:k + EXCEL_ROWS]
                    part.to_excel(xw, sheet_name=sheet, index=False)
                    ws = xw.sheets[sheet]
                    ws.freeze_panes(1, 0)
                    if len(part.columns):
                        ws.autofilter(0, 0, max(len(part), 1), len(part.columns) - 1)
                    for j, col in enumerate(part.columns):
                        ws.set_column(j, j, _width(part, col))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
