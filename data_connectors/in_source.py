"""Work done inside the source database (`postloan run --compute-in-source`).

`loan_month` is the one large table (loans × months). Read whole, a national bank's book
does not fit one machine. With this route the database does the heavy part and sends back
little:

1. its months (one row each), checked for the YYYY-MM spelling;
2. the contract checks: the rows that may break a single-row rule (a null, a negative
   amount, an unknown code, a loan that does not exist) and the loans whose month-ends may
   break a rule between rows (a gap, a row after the exit, a balance after the exit, a
   month before the disbursement, a repeated month). These come back in full and are
   judged by the same checks as any extract (postloan.validation): the database narrows,
   the contract decides;
3. the month-end balances summed by month × operating branch × class for the trend charts
   and the comparisons (`loan_month_by_branch`), for the months the pages draw;
4. the rows the pages read: every loan at the months the products need (the month-ends of
   the period and the one before it, and for the scorecards those of the trend periods),
   and the whole history of every loan that was ever classified below normal, overdue,
   written off or transferred, restructured, collected on, sued or recovered from.

The statements are SQLAlchemy Core, compiled by the source's own dialect (PostgreSQL's for
the PostgreSQL family — openGauss, GaussDB, Greenplum, Kingbase — and for DuckDB files,
MySQL's for the MySQL family); no statement text is built from the data, and every literal
is rendered by the dialect.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from postloan import contract as C
from postloan.glossary import enum_input_map
from postloan.validation import RawTable
from postloan.violations import Violation

MONTH_TEXT = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
NEEDS = Callable[[list[str]], "Needs"]


@dataclass
class Needs:
    """What a run reads of loan_month: every loan's rows at `months`; sums by branch at `trend_months`."""
    months: set[str]
    trend_months: set[str] = field(default_factory=set)


@dataclass
class InSource:
    """What the database sent back, beside the rows: the months, the trend sums, the counts."""
    months: list[str]
    loan_month_by_branch: pd.DataFrame | None
    rows_in_source: int
    rows_fetched: int
    aggregate_rows: int
    suspect_loans: int


class Queries:
    """Runs Core statements on a SQLAlchemy connection or on a DuckDB connection."""

    def __init__(self, conn, duckdb: bool = False):
        self.conn, self.duckdb = conn, duckdb
        if duckdb:
            from sqlalchemy.dialects import postgresql
            self.dialect = postgresql.dialect()
        else:
            self.dialect = conn.dialect

    def frame(self, stmt) -> pd.DataFrame:
        if self.duckdb:
            sql = str(stmt.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True}))
            return self.conn.execute(sql).fetchdf()
        return pd.read_sql(stmt, self.conn, coerce_float=True)


def _spellings(values, enum: str) -> dict[str, list]:
    """code -> the spellings of it found in the source (a label or an alias is accepted as the code)."""
    inputs = enum_input_map(enum)
    out: dict[str, list] = {}
    for v in values:
        code = inputs.get(str(v).strip()) if v is not None and not pd.isna(v) else None
        if code:
            out.setdefault(code, []).append(v)
    return out


def read_loan_month(q: Queries, tables: dict[str, object], needs: NEEDS) -> tuple[RawTable, InSource, list[Violation]]:
    """`tables`: contract name -> SQLAlchemy table (with the contract's column names as keys of .c)."""
    import sqlalchemy as sa
    lm, loans = tables["loan_month"], tables["loans"]
    c = lm.c
    spec = C.TABLES["loan_month"]
    problems: list[Violation] = []
    # 1 the months
    months_raw = q.frame(sa.select(c.month.label("month")).distinct())["month"].tolist()
    months = sorted(str(m) for m in months_raw if isinstance(m, str) and MONTH_TEXT.fullmatch(m))
    odd = [m for m in months_raw if m is not None and not pd.isna(m) and not (isinstance(m, str) and MONTH_TEXT.fullmatch(m))]
    for m in odd[:20]:
        problems.append(Violation("loan_month", "unparseable_value", "month", value=str(m),
                                  detail="在数据库内计算 (--compute-in-source) 时，月份须存为 YYYY-MM 文本；"
                                         "可去掉该选项按常规读取"))
    need = needs(months)
    # 2 the contract checks, narrowed in the database
    classes = _spellings(q.frame(sa.select(c.classification.label("v")).distinct())["v"], "classification")
    statuses = _spellings(q.frame(sa.select(c.status.label("v")).distinct())["v"], "loan_status")
    known_class = [v for vs in classes.values() for v in vs]
    known_status = [v for vs in statuses.values() for v in vs]
    exits = [v for code in C.EXIT_STATUSES for v in statuses.get(code, [])]
    single = [c.month.not_in(months) if months else sa.true()]
    for col in spec.columns:
        x = c[col.name]
        if col.required:
            single.append(x.is_(None))
        if col.minimum is not None:
            single.append(x < col.minimum)
        if col.positive:
            single.append(x <= 0)
    single += [c.classification.not_in(known_class or ["\x00"]), c.status.not_in(known_status or ["\x00"])]
    single.append(sa.and_(c.loan_id.is_not(None),      # a loan the loans table does not have (uncorrelated: hashed)
                          c.loan_id.not_in(sa.select(loans.c.loan_id).where(loans.c.loan_id.is_not(None)))))
    idx = sa.cast(sa.func.substr(c.month, 1, 4), sa.Integer) * 12 + sa.cast(sa.func.substr(c.month, 6, 2), sa.Integer)
    is_exit = c.status.in_(exits or ["\x00"])
    between_rows = (sa.select(c.loan_id.label("loan_id")).where(c.month.in_(months or ["\x00"]))
                    .group_by(c.loan_id).having(sa.or_(
                        sa.func.count() != sa.func.max(idx) - sa.func.min(idx) + 1,
                        sa.func.sum(sa.case((is_exit, 1), else_=0)) > 1,
                        sa.func.max(sa.case((is_exit, c.month))) < sa.func.max(c.month),
                        sa.func.sum(sa.case((sa.and_(is_exit, c.balance != 0), 1), else_=0)) > 0)))
    disbursed = sa.func.substr(sa.cast(loans.c.disbursement_date, sa.String(10)), 1, 7)
    too_early = (sa.select(c.loan_id.label("loan_id")).select_from(lm.join(loans, loans.c.loan_id == c.loan_id))
                 .where(c.month.in_(months or ["\x00"]))
                 .group_by(c.loan_id, loans.c.disbursement_date).having(sa.func.min(c.month) < disbursed))
    suspect_loans = set(q.frame(between_rows)["loan_id"]) | set(q.frame(too_early)["loan_id"])
    # 3 the sums for the trend charts
    by_branch = None
    if need.trend_months:
        cust = tables["customers"]
        active = statuses.get("active", []) or ["\x00"]
        stmt = (sa.select(c.month.label("month"), cust.c.operating_branch_id.label("operating_branch_id"),
                          c.classification.label("classification"), sa.func.sum(c.balance).label("balance"),
                          sa.func.count().label("loan_count"),
                          sa.func.sum(sa.case((c.dpd > 0, c.balance), else_=0)).label("overdue_balance"),
                          sa.func.sum(sa.case((c.dpd > 90, c.balance), else_=0)).label("dpd_over_90_balance"))
                .select_from(lm.join(loans, loans.c.loan_id == c.loan_id)
                             .join(cust, cust.c.customer_id == loans.c.customer_id))
                .where(c.month.in_(sorted(need.trend_months)), c.status.in_(active))
                .group_by(c.month, cust.c.operating_branch_id, c.classification))
        by_branch = q.frame(stmt)
        by_branch["classification"] = by_branch["classification"].map(
            {v: code for code, vs in classes.items() for v in vs})
        for col in ("balance", "overdue_balance", "dpd_over_90_balance"):
            by_branch[col] = pd.to_numeric(by_branch[col]).astype("float64")
        by_branch["loan_count"] = by_branch["loan_count"].astype("int64")
    # 4 the rows the pages read
    normal = classes.get("normal", []) or ["\x00"]
    gone = [v for code in ("written_off", "transferred") for v in statuses.get(code, [])] or ["\x00"]
    ever_bad = sa.select(c.loan_id).where(sa.or_(c.classification.not_in(normal), c.dpd > 0, c.status.in_(gone)))
    parts = [ever_bad, sa.select(loans.c.loan_id).where(loans.c.restructure_date.is_not(None))]
    for name in ("recoveries", "legal_cases", "collection_actions"):
        if name in tables:
            parts.append(sa.select(tables[name].c.loan_id).where(tables[name].c.loan_id.is_not(None)))
    of_interest = sa.union(*parts).subquery()
    # separate statements, each a plain filter or semi-join (an OR of subqueries keeps
    # PostgreSQL from hashing them); disjoint, so no row comes twice
    columns = [c[n].label(n) for n in spec.column_names]
    months_read = sorted(need.months) or ["\x00"]
    elsewhere = sa.func.coalesce(c.month.not_in(months_read), sa.true())
    interest = set(q.frame(sa.select(of_interest.c.loan_id.label("loan_id")))["loan_id"])
    parts = [q.frame(sa.select(*columns).where(c.month.in_(months_read))),
             q.frame(sa.select(*columns).where(elsewhere, c.loan_id.in_(sa.select(of_interest.c.loan_id))))]
    more = sorted(suspect_loans - interest)
    if more:
        parts.append(q.frame(sa.select(*columns).where(elsewhere, c.loan_id.in_(more))))
    odd = q.frame(sa.select(*columns).where(sa.or_(*single)))      # few: judged by the contract below
    taken = odd["month"].isin(months_read) | odd["loan_id"].isin(interest | suspect_loans)
    parts.append(odd[~taken.to_numpy(dtype=bool)])
    rows = pd.concat([f for f in parts if len(f)] or parts[:1], ignore_index=True)
    rows = rows.sort_values(["month", "loan_id"], na_position="first", kind="stable").reset_index(drop=True)
    total = int(q.frame(sa.select(sa.func.count().label("n")).select_from(lm))["n"].iloc[0])
    info = InSource(months=months, loan_month_by_branch=by_branch, rows_in_source=total, rows_fetched=len(rows),
                    aggregate_rows=0 if by_branch is None else len(by_branch), suspect_loans=len(suspect_loans))
    return RawTable(rows, first_row=None), info, problems


_SA_TYPES = {C.TEXT: "String", C.ENUM: "String", C.MONTH: "String", C.DATE: "Date", C.DATETIME: "DateTime",
             C.DECIMAL: "Numeric", C.INT: "Integer", C.BOOL: "Boolean"}


def source_table(table: str, actual: str, columns: dict[str, str], schema: str | None = None):
    """The source's table as SQLAlchemy sees it: `columns` maps each contract column to the
    source's spelling; `.c[<contract name>]` reaches it, typed as the contract says."""
    import sqlalchemy as sa
    spec = C.TABLES[table]
    cols = [sa.Column(actual_col, getattr(sa, _SA_TYPES[spec.column(name).type])(), key=name)
            for name, actual_col in columns.items()]
    return sa.Table(actual, sa.MetaData(), *cols, schema=schema)


IN_SOURCE_TABLES = ("loan_month", "loans", "customers", "recoveries", "legal_cases", "collection_actions")
