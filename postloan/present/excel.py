"""The one Excel writer of the suite: every product's workbook goes through `write_workbook`.

Text from an extract is hostile: a customer or officer named `=HYPERLINK("http://x","y")`
must stay a name. Every text cell is written as a string (xlsxwriter with
`strings_to_formulas`, `strings_to_urls` and `strings_to_numbers` off), and a text that
starts with `= + - @`, a tab or a carriage return gets a leading apostrophe, so that it
stays text when a user edits the cell or saves the sheet as CSV (the OWASP advice for
formula injection). A text that looks like xlsxwriter's rich-string markup (`<r>…</r>`) is
written as text too (`PlainSharedStrings`). A sheet's cells are turned into XML column by column when the workbook is
saved (`FrameSheet`), not through one xlsxwriter call per cell: the file is the one those
calls would write, member for member, in less than half the time. Each sheet gets a frozen header row, an autofilter and column widths
from its content. The file is written beside the target and moved into place, so a failed
write never leaves half a workbook.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter import packager as _packager
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet, _utf16_len, _utf16_truncate

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_ROWS = 1_000_000            # a sheet holds 1,048,576 rows: longer tables continue on a sheet "<name>2"
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
_WIDTH_MIN, _WIDTH_MAX = 6, 60
XLS_STRMAX = 32767                # characters (UTF-16 units) of one cell


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


# Column kinds: every column of every sheet declares one, so that nothing is written raw.
#   text    free text (wrapped when long)          code:<enum> / term:<group>  a code shown by its label
#   flag    a boolean shown 是/否                  rate     a fraction shown as 0.0 %
#   amount  yuan, thousands separators, 2 decimals amount_wan  yuan shown in 万元 (the header says so)
#   count   an integer                             number   a score or ratio shown with one decimal
#   date    a date
KINDS = ("text", "flag", "rate", "amount", "amount_wan", "count", "number", "date")
FORMATS = {"rate": "0.0%", "amount": "#,##0.00", "amount_wan": "#,##0.00", "count": "#,##0", "number": "0.0",
           "date": "yyyy-mm-dd"}
ABOUT_SHEET = "说明"
PRINT_FIT_WIDTH = 260     # characters of column width that still print legibly on one A4 landscape width
_RUN_CONTEXT: dict = {}          # set by the runner while it exports: run id, time, fingerprint, parameters


class ColumnKindError(ValueError):
    pass


def _check_kind(sheet: str, col: str, kind: str) -> None:
    if not (kind in KINDS or kind.startswith(("code:", "term:"))):
        raise ColumnKindError(f"工作表 {sheet} 的列 {col} 没有声明类型 (column_kind_missing)：{kind!r}")


def _typed(frame: pd.DataFrame, kinds: dict[str, str], sheet: str) -> pd.DataFrame:
    """The frame as the sheet shows it: labels for codes, 是/否 for flags, 万元 for amount_wan,
    real dates, numbers as numbers. Every column must be declared."""
    from postloan.glossary import enum_labels, term_labels
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        kind = kinds.get(col)
        if kind is None:
            raise ColumnKindError(f"工作表 {sheet} 的列 {col} 没有声明类型 (column_kind_missing)")
        _check_kind(sheet, col, kind)
        s = frame[col]
        if kind.startswith("code:"):
            labels = enum_labels(kind[5:])
            s = s.map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
        elif kind.startswith("term:"):
            labels = term_labels(kind[5:])
            s = s.map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
        elif kind == "flag":
            s = s.map(lambda v: "" if v is None or (not isinstance(v, (bool, str)) and pd.isna(v)) else
                      (v if isinstance(v, str) else ("是" if bool(v) else "否")))
        elif kind == "date":
            s = pd.to_datetime(s, errors="coerce")
        elif kind in ("rate", "amount", "count", "number"):
            s = pd.to_numeric(s, errors="coerce")
        elif kind == "amount_wan":
            s = pd.to_numeric(s, errors="coerce") / 1e4
        out[col] = s.astype(object).where(s.notna(), None) if kind == "text" else s
    return out


def set_run_context(**info) -> None:
    """While a run exports: the facts every workbook's 说明 sheet states about it."""
    _RUN_CONTEXT.clear()
    _RUN_CONTEXT.update(info)


def clear_run_context() -> None:
    _RUN_CONTEXT.clear()


def about_frame(about: dict) -> pd.DataFrame:
    """The 说明 sheet: what the workbook is and which run, data and parameters produced it."""
    rows = [(k, v) for k, v in about.items()]
    c = _RUN_CONTEXT
    if c:
        rows += [("运行编号", c.get("run_id", "")), ("运行开始时间", c.get("started_at", "")),
                 ("数据来源", c.get("source", "")), ("数据指纹 (sha256)", c.get("fingerprint", "")),
                 ("程序版本", c.get("code_version", ""))]
        for f in c.get("parameter_files", []):
            rows.append((f"参数文件 {f['name']}", f["file"], f["sha256"]))
    else:
        rows.append(("运行", "非正式运行生成（工作簿或测试），未记录运行编号与数据指纹"))
    return pd.DataFrame([r + ("",) * (3 - len(r)) for r in rows], columns=["项目", "内容", "sha256"])


def _width(frame: pd.DataFrame, col) -> float:
    def chars(v) -> float:
        text = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)      # a CJK character is two columns wide
    sample = frame[col].head(200).tolist()
    return min(_WIDTH_MAX, max([_WIDTH_MIN, chars(col) + 2] + [chars(v) + 1 for v in sample]))


HEADER_FORMAT = {"bold": True, "border": 1, "align": "center", "valign": "top"}   # pandas' header style


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")    # what _escape_control_characters rewrites


class PlainSharedStrings(_packager.SharedStrings):
    """The workbook's shared strings, every one written as text. xlsxwriter writes a string that
    starts with `<r>` and ends with `</r>` as raw XML (its own rich strings): a name from an
    extract such as `<r><t>x</t></r>` then showed as another text, and `<r>…` unbalanced made
    the whole file unreadable. The suite writes no rich string, so each string is escaped; the
    XML of every other string is xlsxwriter's own, byte for byte, written in one piece."""

    def _write_sst_strings(self) -> None:
        cc, esc, needs_cc = self._escape_control_characters, self._escape_data, _CONTROL.search
        out = []
        for string in self.string_table.string_array:
            if needs_cc(string):                   # xlsxwriter's two substitutions change nothing else
                string = cc(string)
            space = ' xml:space="preserve"' if _preserve_whitespace(string) else ""
            out.append(f"<si><t{space}>{esc(string)}</t></si>")
        self.fh.write("".join(out))


_packager.SharedStrings = PlainSharedStrings        # the packager makes the sharedStrings part with it


class FrameSheet(Worksheet):
    """A worksheet whose cells are one typed frame, written into the sheet's XML column by column
    when the workbook is saved, instead of one xlsxwriter call and one stored cell per value: the
    same cells, styles, shared strings and row spans as `write_*` calls would give (a sheet of
    a million cells is written in a fraction of the time).

    Each column is read by its type: text as a string (never a formula, a link or a number),
    numbers as numbers, dates with the date format, missing values left empty; `inf` is
    written as the text "inf". The header row takes `header`'s style."""

    _head = None

    def hold(self, frame: pd.DataFrame, header, date) -> None:
        """Take the frame's cells now (its texts join the workbook's shared strings in the order
        xlsxwriter's own writes would add them: the header, then column by column); their XML is
        written when the workbook is saved."""
        sst = self.str_table._get_shared_string_index
        names = [_excel_text(str(c)) for c in frame.columns]
        self._head = [None if n == "" else sst(n) for n in names]
        self._header, self._date, self._rows = header, date, len(frame)
        columns = []
        for c in frame.columns:
            columns.append([c if c is None or c[0] != "s" else ("s", sst(c[1])) for c in _column_cells(frame[c])])
        self._columns = columns
        if not columns:
            return
        # the dimensions are written before the cells: those the cells will have
        present = np.zeros((len(frame) + 1, len(columns)), dtype=bool)
        present[0, :] = True                                   # the header row (a blank header is a styled cell)
        for j, cells in enumerate(columns):
            present[1:, j] = [c is not None for c in cells]
        self._dates = any(c is not None and c[0] == "d" for cells in columns for c in cells)
        self._row_has = present.any(axis=1).tolist()
        self._present = present
        self.dim_rowmin, self.dim_colmin, self.dim_colmax = 0, 0, len(columns) - 1
        self.dim_rowmax = int(np.flatnonzero(present.any(axis=1))[-1])

    def _write_sheet_data(self) -> None:
        if self._head is None or self.dim_rowmin is None:
            return super()._write_sheet_data()
        letters = [xl_col_to_name(j) for j in range(len(self._columns))]
        # styles are numbered on first use, as xlsxwriter numbers them: the columns' (in <cols>,
        # written before), the header's, then the date format's at the first date
        styles = []
        for j in range(len(self._columns)):
            info = self.col_info.get(j)
            fmt = info.column_format if info is not None else None
            styles.append(f' s="{fmt._get_xf_index()}"' if fmt is not None else "")
        head_s = f' s="{self._header._get_xf_index()}"'
        date_s = f' s="{self._date._get_xf_index()}"' if self._dates else ""
        head = [f'<c r="{letter}1"{head_s}/>' if i is None else f'<c r="{letter}1"{head_s} t="s"><v>{i}</v></c>'
                for letter, i in zip(letters, self._head)]
        spans = self._spans()
        values, row_has = self._columns, self._row_has
        write = self.fh.write
        write("<sheetData>")
        write(f'<row r="1" spans="{spans[0]}">' + "".join(head) + "</row>")
        for start in range(0, self._rows, _ROW_BLOCK):
            stop = min(start + _ROW_BLOCK, self._rows)
            xml = [_cell_xml(values[j][start:stop], letters[j], styles[j], date_s, start + 2,
                             self._convert_date_time) for j in range(len(values))]
            rows = []
            for k, cells in enumerate(zip(*xml)):
                row = start + k + 1
                if row_has[row]:
                    rows.append(f'<row r="{row + 1}" spans="{spans[row // 16]}">' + "".join(cells) + "</row>")
            write("".join(rows))
        write("</sheetData>")
        self._columns = self._present = self._row_has = None

    def _spans(self) -> dict[int, str]:
        """The `spans` of each block of 16 rows: its first and last column holding a cell."""
        out = {}
        present = self._present[: self.dim_rowmax + 1]
        for b, start in enumerate(range(0, len(present), 16)):
            cols = np.flatnonzero(present[start:start + 16].any(axis=0))
            if len(cols):
                out[b] = f"{cols[0] + 1}:{cols[-1] + 1}"
        return out


_ROW_BLOCK = 20_000     # rows turned into XML at a time (the memory of one block, not of the sheet)


def _excel_text(text: str) -> str:
    """A text as Excel holds it: at most 32,767 UTF-16 units (xlsxwriter's own limit and cut)."""
    if len(text) > XLS_STRMAX // 2 and _utf16_len(text) > XLS_STRMAX:
        return _utf16_truncate(text, XLS_STRMAX)
    return text


def _column_cells(s: pd.Series) -> list:
    """Each value of a column as the cell it becomes: ("s", text), ("n", number), ("b", 0/1),
    ("d", datetime) or None (no cell)."""
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return [("b", 1 if v else 0) for v in s.tolist()]
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return [None if v != v else (("s", "inf" if v > 0 else "-inf") if math.isinf(v) else ("n", v))
                for v in s.to_numpy(dtype=float, na_value=np.nan).tolist()]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = (s.dt.tz_localize(None) if getattr(s.dt, "tz", None) else s).dt.to_pydatetime().tolist()
        return [("d", v) if v is not None and v == v else None for v in values]
    return [_value_cell(v) for v in s.tolist()]


def _value_cell(v):
    if v is None:
        return None
    if isinstance(v, str):
        return ("s", _excel_text(v)) if v else None
    if isinstance(v, (bool, np.bool_)):
        return ("b", 1 if v else 0)
    if isinstance(v, (int, float, np.integer, np.floating)):
        v = float(v)
        if v != v:
            return None
        return ("s", "inf" if v > 0 else "-inf") if math.isinf(v) else ("n", v)
    if isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
        return None if pd.isna(v) else ("d", pd.Timestamp(v).to_pydatetime())
    if v is pd.NaT or v is pd.NA:
        return None
    return ("s", _excel_text(str(v)))


def _cell_xml(cells: list, letter: str, style: str, date_style: str, first_row: int, serial) -> list[str]:
    """The <c> elements of one column's cells ("" for no cell); rows are numbered from `first_row`;
    `serial` turns a datetime into the workbook's serial date (the worksheet's own conversion)."""
    serials: dict = {}
    out = []
    for r, c in enumerate(cells, first_row):
        if c is None:
            out.append("")
            continue
        kind, v = c
        if kind == "s":
            out.append(f'<c r="{letter}{r}"{style} t="s"><v>{v}</v></c>')
        elif kind == "n":
            out.append(f'<c r="{letter}{r}"{style}><v>{v:.16G}</v></c>')
        elif kind == "d":
            number = serials.get(v)
            if number is None:
                number = serials[v] = serial(v)
            out.append(f'<c r="{letter}{r}"{date_style}><v>{number:.16G}</v></c>')
        else:
            out.append(f'<c r="{letter}{r}"{style} t="b"><v>{v}</v></c>')
    return out


def write_workbook(path: Path, sheets: Iterable[tuple[str, pd.DataFrame, dict[str, str]]],
                   about: dict | None = None) -> Path:
    """Write (sheet name, table, {column: kind}) triples to `path`, safely, in one go, after a
    first sheet 说明 (`about`: product, period, scope, … plus the run's facts)."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.xlsx")
    sheets = [(ABOUT_SHEET, about_frame(about or {}), {"项目": "text", "内容": "text", "sha256": "text"})] + list(sheets)
    try:
        with xlsxwriter.Workbook(tmp, XLSX_OPTIONS) as book:
            header = book.add_format(HEADER_FORMAT)
            date = book.add_format({"num_format": FORMATS["date"]})
            formats = {k: book.add_format({"num_format": f}) for k, f in FORMATS.items()}
            wrap = book.add_format({"text_wrap": True, "valign": "top"})
            for name, frame, kinds in sheets:
                frame = safe_frame(_typed(frame, kinds, name))
                kinds = {safe_text(str(k)): v for k, v in kinds.items()}
                for k in range(0, max(len(frame), 1), EXCEL_ROWS):
                    sheet = name if k == 0 else f"{name}{k // EXCEL_ROWS + 1}"
                    part = frame.iloc[k:k + EXCEL_ROWS]
                    ws = book.add_worksheet(sheet, worksheet_class=FrameSheet)
                    ws.hold(part, header, date)
                    ws.freeze_panes(1, 1 if len(part.columns) > 1 else 0)   # header row and first key column
                    if len(part.columns):
                        ws.autofilter(0, 0, max(len(part), 1), len(part.columns) - 1)
                    total = 0.0
                    for j, col in enumerate(part.columns):
                        kind = kinds.get(col, "text")
                        width = _width(part, col) if kind not in FORMATS else max(_width(part, col), 12)
                        fmt = formats.get(kind)
                        if fmt is None and width >= _WIDTH_MAX and name != ABOUT_SHEET:
                            fmt = wrap                      # a long reason wraps in a bounded column
                        ws.set_column(j, j, width, fmt)
                        total += width
                    ws.set_landscape()
                    ws.set_paper(9)                         # A4
                    ws.repeat_rows(0)                       # the header on every printed page
                    if total <= PRINT_FIT_WIDTH:
                        ws.fit_to_pages(1, 0)               # one page wide, as many pages down as needed
                    else:                                   # too wide to shrink legibly: the key column repeats
                        ws.repeat_columns(0)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
