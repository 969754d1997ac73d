"""Write an extract (the sample bank, or any canonical tables) to a carrier:
a DuckDB file, a CSV folder (UTF-8 or GB18030), an Excel workbook, or a SQL database.

Every writer builds into a temporary place and moves it into position at the
end, so an interrupted write never leaves a half-written extract behind, and an
existing target is only replaced when `overwrite=True`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from postloan.contract import TABLES
from postloan.duck import quiet

SQL_TYPES = {"text": "VARCHAR", "enum": "VARCHAR", "month": "VARCHAR(7)", "date": "DATE",
             "datetime": "TIMESTAMP", "decimal": "DECIMAL(18,2)", "int": "INTEGER", "bool": "BOOLEAN"}
RATE_COLUMNS = {("loans", "interest_rate"): "DECIMAL(10,6)"}


class TargetExists(FileExistsError):
    pass


def _columns_sql_type(table: str, col) -> str:
    return RATE_COLUMNS.get((table, col.name), SQL_TYPES[col.type])


def _text_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Values as the contract's text conventions (dates YYYY-MM-DD, booleans true/false)."""
    out = pd.DataFrame(index=frame.index)
    spec = TABLES.get(name)
    for c in frame.columns:
        s = frame[c]
        col = spec.column(c) if spec and c in spec.column_names else None
        kind = col.type if col else None
        if kind == "date":
            out[c] = pd.to_datetime(s).dt.strftime("%Y-%m-%d")
        elif kind == "datetime":
            out[c] = pd.to_datetime(s).dt.strftime("%Y-%m-%d %H:%M:%S")
        elif kind == "bool":
            out[c] = s.map({True: "true", False: "false"})
        elif kind == "decimal":
            out[c] = s.map(lambda v: "" if pd.isna(v) else f"{v:.6f}".rstrip("0").rstrip("."))
        else:
            out[c] = s.astype(object).where(s.notna(), None)
    return out


def _columns(spec, frame: pd.DataFrame) -> list:
    """The contract's columns that the frame holds (an optional column may be left out), in contract order."""
    return [c for c in spec.columns if c.name in frame.columns]


def _check_target(path: Path, overwrite: bool):
    if path.exists() and not overwrite:
        raise TargetExists(f"目标已存在，未覆盖 (target_exists)：{path}。如需替换请加 --overwrite。")


def _publish(tmp: Path, path: Path):
    """Move a finished temporary file or folder into place (replacing any old one)."""
    if path.exists():
        old = path.with_name(path.name + ".old")
        if old.exists():
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    else:
        os.replace(tmp, path)


def write_duckdb(tables: dict[str, pd.DataFrame], path, overwrite: bool = False) -> Path:
    import duckdb
    path = Path(path)
    _check_target(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    with duckdb.connect(str(tmp)) as con:
        quiet(con)
        for name, frame in tables.items():
            con.register("_frame", frame)
            spec = TABLES.get(name)
            if spec is None:
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
            else:
                cols = ", ".join(f'"{c.name}" {_columns_sql_type(name, c)}' for c in _columns(spec, frame))
                key = f", PRIMARY KEY ({', '.join(spec.key)})" if spec.key and name != "loan_month" else ""
                con.execute(f'CREATE TABLE "{name}" ({cols}{key})')
                select = ", ".join(f'CAST("{c.name}" AS {_columns_sql_type(name, c)})' for c in _columns(spec, frame))
                con.execute(f'INSERT INTO "{name}" SELECT {select} FROM _frame')
            con.unregister("_frame")
    _publish(tmp, path)
    return path


def write_csv(tables, folder, encoding: str = "utf-8", overwrite: bool = False) -> Path:
    folder = Path(folder)
    _check_target(folder, overwrite)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    for name, frame in tables.items():
        _text_frame(name, frame).to_csv(tmp / f"{name}.csv", index=False, encoding=encoding, lineterminator="\n")
    _publish(tmp, folder)
    return folder


def write_xlsx(tables, path, overwrite: bool = False) -> Path:
    path = Path(path)
    _check_target(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.xlsx")
    with pd.ExcelWriter(tmp, engine="xlsxwriter", date_format="yyyy-mm-dd",
                        datetime_format="yyyy-mm-dd hh:mm:ss") as xw:
        for name, frame in tables.items():
            f = frame.copy()
            spec = TABLES.get(name)
            for c in f.columns:
                if isinstance(f[c].dtype, pd.CategoricalDtype):
                    f[c] = f[c].astype(object)
                if spec and c in spec.column_names and spec.column(c).type == "bool":
                    f[c] = f[c].map({True: "是", False: "否"})
            f.to_excel(xw, sheet_name=name, index=False)
    _publish(tmp, path)
    return path


def write_sql(tables, url: str, schema: str | None = None, table_prefix: str = "", overwrite: bool = False,
              chunksize: int = 20000) -> str:
    """Create the contract's tables in a database (for tests and for IT trying the suite)."""
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            existing = {t.lower() for t in sa.inspect(conn).get_table_names(schema=schema)}
            clash = [table_prefix + n for n in tables if (table_prefix + n).lower() in existing]
            if clash and not overwrite:
                raise TargetExists(f"数据库中已存在同名表，未覆盖 (target_exists)：{', '.join(clash)}")
            md = sa.MetaData(schema=schema)
            types = {"text": sa.String(200), "enum": sa.String(40), "month": sa.String(7), "date": sa.Date(),
                     "datetime": sa.DateTime(), "decimal": sa.Numeric(18, 2), "int": sa.Integer(),
                     "bool": sa.Boolean()}
            for name, frame in tables.items():
                spec = TABLES.get(name)
                if spec is None:
                    continue
                cols = [sa.Column(c.name, sa.Numeric(10, 6) if (name, c.name) in RATE_COLUMNS else
                                  (sa.Text() if c.name in ("findings", "item", "measures") else types[c.type]))
                        for c in _columns(spec, frame)]
                t = sa.Table(table_prefix + name, md, *cols)
                t.drop(conn, checkfirst=True)
                t.create(conn)
                f = frame.copy()
                for c in f.columns:
                    if isinstance(f[c].dtype, pd.CategoricalDtype):
                        f[c] = f[c].astype(object)
                records = f.astype(object).where(f.notna(), None).to_dict("records")
                if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
                    _copy(conn, t, records)          # COPY: ~10x faster than INSERTs on a large table
                    continue
                for i in range(0, len(records), chunksize):
                    conn.execute(t.insert(), [_plain(r) for r in records[i:i + chunksize]])
    finally:
        engine.dispose()
    return url


def _copy(conn, table, records: list[dict]) -> None:
    """PostgreSQL's COPY FROM STDIN through psycopg, in the transaction of `conn`."""
    prep = conn.dialect.identifier_preparer
    cols = [c.name for c in table.columns]
    sql = f"COPY {prep.format_table(table)} ({', '.join(prep.quote(c) for c in cols)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
        for r in records:
            plain = _plain(r)
            copy.write_row([plain[c] for c in cols])


def _plain(record: dict) -> dict:
    out = {}
    for k, v in record.items():
        if isinstance(v, pd.Timestamp):
            v = v.to_pydatetime()
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out
