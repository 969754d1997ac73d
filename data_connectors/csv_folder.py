"""A folder with one CSV per table (`loans.csv`), UTF-8 or GB18030/GBK, detected."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from data_connectors.encoding import EncodingProblem, detect_encoding
from postloan.contract import TABLE_NAMES
from postloan.validation import RawExtract, RawTable
from postloan.violations import Violation

name = "csv"
label = "CSV 文件夹"


def accepts(source: str) -> bool:
    return "://" not in source and Path(source).is_dir()


def _files(folder: Path) -> dict[str, Path]:
    return {p.stem.lower(): p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file()}


def read(source: str, **_options) -> RawExtract:
    folder = Path(source)
    files = _files(folder)
    tables, problems = {}, []
    for table in TABLE_NAMES:
        path = files.get(table)
        if path is None:
            continue
        try:
            encoding = detect_encoding(path)
        except EncodingProblem as exc:
            problems.append(Violation(table, "bad_encoding", detail=f"文件 {path.name}：{exc}"))
            continue
        try:
            frame = pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False, na_values=[""],
                                skipinitialspace=False)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
            problems.append(Violation(table, "unreadable_source", detail=f"文件 {path.name} 无法读取：{exc}"))
            continue
        tables[table] = RawTable(frame, first_row=2)
    return RawExtract(str(folder), name, tables, problems)
