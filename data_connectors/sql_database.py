"""A SQL database reached through a SQLAlchemy URL.

PostgreSQL family (openGauss, GaussDB, Kingbase: `postgresql+psycopg://…`), MySQL
family (GoldenDB, TDSQL, OceanBase-MySQL, MariaDB: `mysql+pymysql://…`), Oracle,
SQLite. Reads only the contract's tables and columns, found by reflection, with
SQLAlchemy Core statements (identifiers quoted by the dialect, no SQL text built
from input). Options: `schema` and `table_prefix`.
"""
from __future__ import annotations

import re

import pandas as pd

from data_connectors import in_source
from postloan.contract import TABLES
from postloan.validation import RawExtract, RawTable
from postloan.violations import Violation

name = "sql"
label = "SQL 数据库"

_URL = re.compile(r"^[a-z][a-z0-9+_.-]*://", re.I)


def accepts(source: str) -> bool:
    return bool(_URL.match(source)) and not source.lower().startswith(("file://", "http://", "https://"))


NEEDS_EXTRA = ("读取数据库需要安装 SQL 附加组件 (missing_sql_extra)：.venv/bin/pip install -e '.[sql]'"
               "（make 已安装；单独安装本包时需要）")
_PASSWORD = re.compile(r"^([a-z][a-z0-9+_.-]*://[^:/@]*):[^@]*@", re.I)


def redact_url(url: str) -> str:
    """The URL with its password hidden (SQLAlchemy's rendering; a plain rewrite without it)."""
    try:
        import sqlalchemy as sa
    except ImportError:
        return _PASSWORD.sub(r"\1:***@", url)
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid url>"


def read(source: str, schema: str | None = None, table_prefix: str = "", compute_in_source=None,
         **_options) -> RawExtract:
    """`compute_in_source`: a callable (months -> data_connectors.in_source.Needs); loan_month
    is then checked and summed in the database and only the rows the run reads are fetched."""
    shown = redact_url(source)
    try:
        import sqlalchemy as sa
    except ImportError:
        return RawExtract(shown, name, {}, [Violation("(database)", "unreadable_source", detail=NEEDS_EXTRA)])
    try:
        engine = sa.create_engine(source)
    except Exception as exc:
        return RawExtract(shown, name, {}, [Violation("(database)", "unreadable_source",
                                                      detail=f"数据库 URL 无效：{exc}")])
    tables, problems, in_db, info = {}, [], {}, None
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            present = {t.lower(): t for t in inspector.get_table_names(schema=schema)}
            present.update({v.lower(): v for v in inspector.get_view_names(schema=schema)})
            for table, spec in TABLES.items():
                actual = present.get((table_prefix + table).lower())
                if actual is None:
                    continue
                cols = {c["name"].lower(): c["name"] for c in inspector.get_columns(actual, schema=schema)}
                wanted = [cols[c] for c in spec.column_names if c in cols]
                if compute_in_source and table in in_source.IN_SOURCE_TABLES:
                    in_db[table] = in_source.source_table(
                        table, actual, {c: cols[c] for c in spec.column_names if c in cols}, schema)
                    if table == "loan_month":
                        continue          # read below: checked and narrowed in the database
                source_table = sa.table(actual, *[sa.column(c) for c in wanted], schema=schema)
                stmt = sa.select(*[source_table.c[c].label(c.lower()) for c in wanted])
                keys = [source_table.c[cols[k]] for k in spec.key if k in cols]
                if keys:
                    stmt = stmt.order_by(*keys)
                frame = pd.read_sql(stmt, conn, coerce_float=True)
                tables[table] = RawTable(frame, first_row=None)
            if compute_in_source and {"loan_month", "loans", "customers"} <= set(in_db):
                tables["loan_month"], info, found = in_source.read_loan_month(
                    in_source.Queries(conn), in_db, compute_in_source)
                problems += found
    except sa.exc.SQLAlchemyError as exc:
        problems.append(Violation("(database)", "unreadable_source",
                                  detail=f"无法读取数据库 {shown}：{type(exc).__name__}: {str(exc).splitlines()[0]}"))
    finally:
        engine.dispose()
    return RawExtract(shown, name, tables, problems, in_source=info)
