"""不良处置: recoveries in the month and the year to date, by method.

Mart `recoveries_ytd` — grain: recovery dated from 1 January of M's year to the end
of M, flagged `in_month`.
"""
from __future__ import annotations

import pandas as pd

from postloan.marts.context import MonthContext
from postloan.rules.recovery import CASH_METHODS, WRITE_OFF_METHOD



def build_recoveries_ytd(ctx: MonthContext) -> pd.DataFrame:
    r = ctx.extract["recoveries"]
    r = r[(r["recovery_date"] >= ctx.year_start) & (r["recovery_date"] <= ctx.end)]
    r = r.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "product", "operating_branch_id",
                           "managing_branch_id"]], on="loan_id", how="left")
    return r.assign(in_month=ctx.in_month(r["recovery_date"]).to_numpy()).reset_index(drop=True)


def disposal_figures(r: pd.DataFrame) -> dict:
    m = r[r["in_month"]]
    return {"recovered_cash": float(m.loc[m["method"].isin(CASH_METHODS), "amount"].sum()),
            "written_off_amount": float(m.loc[m["method"] == WRITE_OFF_METHOD, "amount"].sum())}
