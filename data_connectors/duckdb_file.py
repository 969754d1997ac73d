"""The embedded default: a DuckDB file holding the extract's tables."""
from __future__ import annotations

from pathlib import Path

import duckdb

from data_connectors import in_source
from postloan.contract import TABLES
from postloan.duck import quiet
from postloan.validation import RawExtract, RawTable
from postloan.violations import Violation

name = "duckdb"
label = "DuckDB 文件"


def accepts(source: str) -> bool:
    return "://" not in source and Path(source).suffix.lower() in (".duckdb", ".ddb")


def read(source: str, compute_in_source=None, **_options) -> RawExtract:
    """`compute_in_source`: as for the SQL connector (data_connectors.in_source)."""
    path = Path(source)
    if not path.is_file():
        return RawExtract(str(path), name, {}, [Violation("(database)", "unreadable_source",
                                                          detail=f"DuckDB 文件不存在：{path}")])
    tables, in_db, info, problems = {}, {}, None, []
    with duckdb.connect(str(path), read_only=True) as con:
        quiet(con)
        present = {r[0].lower(): r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        for table, spec in TABLES.items():
            if table not in present:
                continue
            actual = present[table]
            cols = {r[0].lower(): r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema='main' AND table_name = ?",
                [actual]).fetchall()}
            wanted = [cols[c] for c in spec.column_names if c in cols]
            if compute_in_source and table in in_source.IN_SOURCE_TABLES:
                in_db[table] = in_source.source_table(table, actual, {c: cols[c] for c in spec.column_names if c in cols})
                if table == "loan_month":
                    continue              # read below: checked and narrowed in the database
            select = ", ".join('"' + c.replace('"', '""') + '"' for c in wanted)
            order = ", ".join('"' + cols[k] + '"' for k in spec.key if k in cols) or "1"
            frame = con.execute(f'SELECT {select} FROM "{actual}" ORDER BY {order}').fetchdf()
            tables[table] = RawTable(frame, first_row=None)
        if compute_in_source and {"loan_month", "loans", "customers"} <= set(in_db):
            tables["loan_month"], info, problems = in_source.read_loan_month(
                in_source.Queries(con, duckdb=True), in_db, compute_in_source)
    return RawExtract(str(path), name, tables, problems, in_source=info)
