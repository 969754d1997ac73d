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
    r = r.assign(in_month=ctx.in_month(r["recovery_date"]).to_numpy()).reset_index(drop=True)
    return r.assign(claim_before=r["recovery_id"].map(claims_before(r, ctx.extract["loan_month"])).to_numpy())


def disposal_figures(r: pd.DataFrame) -> dict:
    m = r[r["in_month"]]
    return {"recovered_cash": float(m.loc[m["method"].isin(CASH_METHODS), "amount"].sum()),
            "written_off_amount": float(m.loc[m["method"] == WRITE_OFF_METHOD, "amount"].sum())}


def disposal_economics(r: pd.DataFrame) -> pd.DataFrame:
    """Year to date by method: count, amount, cost and net (amount − cost); for transfers and
    securitisation the price against the claim at the month-end before the sale."""
    g = r.assign(cost=r["cost"].fillna(0.0), claim=r["claim_before"]).groupby("method", observed=True).agg(
        n=("recovery_id", "size"), amount=("amount", "sum"), cost=("cost", "sum"), claim=("claim", "sum"))
    g["net"] = (g["amount"] - g["cost"]).where(g.index != WRITE_OFF_METHOD)      # a write-off recovers nothing
    sold = g.index.isin(["transfer", "securitization"])
    g["price_ratio"] = (g["amount"] / g["claim"].where(g["claim"] > 0)).where(sold)
    g.loc[~sold, "claim"] = float("nan")
    return g.reset_index()


def claims_before(r: pd.DataFrame, loan_month: pd.DataFrame) -> pd.Series:
    """recovery_id → the loan's balance + overdue interest at the month-end before the recovery."""
    before = (pd.PeriodIndex(r["recovery_date"], freq="M") - 1).astype(str)
    lm = loan_month.assign(claim=loan_month["balance"] + loan_month["overdue_interest"])[["loan_id", "month", "claim"]]
    q = pd.DataFrame({"recovery_id": r["recovery_id"].to_numpy(), "loan_id": r["loan_id"].to_numpy(), "month": before})
    return q.merge(lm, on=["loan_id", "month"], how="left").set_index("recovery_id")["claim"]
