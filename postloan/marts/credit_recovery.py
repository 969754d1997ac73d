"""信用收回: maturities ahead, and extensions and prepayments in the month.

Mart `maturities` — grain: active loan at M whose (extended) maturity falls in the
next max(horizons) days, with its horizon bucket (30/60/90).
Mart `maturity_events` — grain: loan extended or prepaid in M.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext


def build_maturities(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    horizons = sorted(ctx.policy.maturities.horizons_days)
    a = snap[snap["active"]].copy()
    days = (a["effective_maturity"] - ctx.end).dt.days
    a = a[(days > 0) & (days <= horizons[-1])].assign(days_to_maturity=days)
    a["horizon"] = np.select([a["days_to_maturity"] <= h for h in horizons], horizons, horizons[-1])
    return a[["loan_id", "customer_id", "customer_name", "product", "balance", "classification", "dpd",
              "effective_maturity", "days_to_maturity", "horizon", "officer_id", "operating_branch_id",
              "managing_branch_id"]].sort_values("effective_maturity").reset_index(drop=True)


def build_maturity_events(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    loans = ctx.loans
    ext = loans[loans["extended_maturity_date"].notna()]
    # an extension is dated by the original maturity it replaced
    extended = ext[ctx.in_month(ext["maturity_date"])].assign(event="extension", event_amount=np.nan)
    s = snap[(snap["status"] == "settled") & snap["balance_p"].notna()]
    prepaid = s[s["effective_maturity"] > ctx.end].assign(event="prepayment", event_amount=s["balance_p"])
    cols = ["loan_id", "customer_id", "customer_name", "product", "event", "event_amount", "maturity_date",
            "extended_maturity_date", "operating_branch_id", "managing_branch_id"]
    prepaid = prepaid.merge(loans[["loan_id", "maturity_date", "extended_maturity_date"]], on="loan_id")
    return pd.concat([extended[cols], prepaid[cols]], ignore_index=True)
