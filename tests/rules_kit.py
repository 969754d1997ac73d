"""Small typed frames for hand-built rule cases: a row is a dict of the contract's
column names; every other column is null, every date a Timestamp."""
from __future__ import annotations

import pandas as pd

from postloan import contract as C
from postloan.parsing import empty_column


def frame(table: str, *rows: dict) -> pd.DataFrame:
    spec = C.TABLES[table]
    unknown = {k for r in rows for k in r} - {c.name for c in spec.columns}
    assert not unknown, f"{table}: no such columns {unknown}"
    out = {}
    for col in spec.columns:
        values = [r.get(col.name) for r in rows]
        s = empty_column(col, len(rows))
        if any(v is not None for v in values):
            if col.type in (C.DATE, C.DATETIME):
                s = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
            elif col.type == C.BOOL:
                s = pd.Series(values, dtype="boolean")
            elif col.type == C.DECIMAL:
                s = pd.Series(values, dtype="float64")
            elif col.type == C.INT:
                s = pd.Series(values, dtype="Int64")
            else:
                s = pd.Series(values, dtype="string")
        out[col.name] = s
    return pd.DataFrame(out)


class Tables(dict):
    """An extract-like mapping: a table not given is empty."""

    def __getitem__(self, name):
        return super().get(name, frame(name))


def loans(*rows: dict) -> pd.DataFrame:
    """Loans as the marts see them (ctx.loans): with effective_maturity."""
    f = frame("loans", *[{"product": "working_capital", "amount": 1e6, "interest_rate": 0.05,
                          "guarantee_type": "guarantee", "payment_mode": "entrusted", "is_restructured": False,
                          "disbursement_date": "2022-01-01", **r} for r in rows])
    f["effective_maturity"] = f["extended_maturity_date"].fillna(f["maturity_date"])
    return f
