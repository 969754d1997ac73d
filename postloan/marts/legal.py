"""法律时效: limitation, guarantee-period and enforcement deadlines (METRICS.md).

Mart `legal_deadlines` — grain: loan × deadline (one limitation per loan, one
guarantee period per guarantee, one enforcement per judged case), for loans NPL at
M or written off in or before M; only interruptions on or before the end of M
count. `days_left` from the end of M; expired deadlines are kept (negative).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext, lookup

KINDS = {"limitation": "诉讼时效", "guarantee_period": "保证期间", "enforcement": "申请执行期限"}


def _cases(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    lm = ctx.extract["loan_month"]
    wo = lm[(lm["status"] == "written_off") & (lm["month"] <= ctx.month)]["loan_id"]
    npl = snap.loc[snap["is_npl"], "loan_id"]
    ids = pd.Index(npl).union(pd.Index(wo))
    loans = ctx.loans.set_index("loan_id").loc[ids].reset_index()
    loans["written_off"] = loans["loan_id"].isin(set(wo))
    loans = loans.merge(snap[["loan_id", "balance", "officer_id"]], on="loan_id", how="left")
    return loans


def build_legal_deadlines(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    pol, end = ctx.policy.legal, ctx.end
    loans = _cases(ctx, snap)
    ids = set(loans["loan_id"])
    act = ctx.extract["collection_actions"]
    ev = act[act["evidence"] & (act["action_time"] < end + pd.Timedelta(days=1)) & act["loan_id"].isin(ids)]
    rec = ctx.extract["recoveries"]
    cash = rec[(rec["method"] == "cash") & (rec["recovery_date"] <= end) & rec["loan_id"].isin(ids)]
    cases = ctx.extract["legal_cases"]
    filed = cases[(cases["filed_date"] <= end) & cases["loan_id"].isin(ids)]
    last = pd.concat([
        loans.set_index("loan_id")["effective_maturity"].rename("d"),
        ev.groupby("loan_id")["action_time"].max().dt.normalize().rename("d"),
        cash.groupby("loan_id")["recovery_date"].max().rename("d"),
        filed.groupby("loan_id")["filed_date"].max().rename("d")]).groupby(level=0).max()
    base = loans[["loan_id", "customer_id", "customer_name", "balance", "written_off", "officer_id",
                  "operating_branch_id", "managing_branch_id", "effective_maturity"]]
    lim = base.assign(kind="limitation", party=None, last_event=pd.to_datetime(lookup(base["loan_id"], last)))
    lim["deadline"] = lim["last_event"] + pd.DateOffset(years=pol.limitation_years.years)
    parts = [lim]
    g = ctx.extract["guarantees"]
    g = g[g["loan_id"].isin(ids)].merge(base, on="loan_id")
    default_end = g["effective_maturity"] + pd.DateOffset(months=pol.guarantee_default_months.months)
    g["deadline"] = g["period_end_date"].fillna(default_end)
    # a claim inside the period keeps the guarantor: joint -> evidence action to the guarantor;
    # general -> lawsuit or arbitration against the debtor
    to_guarantor = ev[ev["contacted_party"] == "guarantor"].groupby("loan_id")["action_time"].min().dt.normalize()
    sued = filed[filed["kind"].isin(["lawsuit", "arbitration"])].groupby("loan_id")["filed_date"].min()
    ids_g = g["loan_id"].astype(object)
    joint = g["mode"].eq("joint").fillna(False).to_numpy(dtype=bool)
    claim = pd.to_datetime(lookup(ids_g, to_guarantor)).where(joint, pd.to_datetime(lookup(ids_g, sued)))
    g = g[~(claim.notna() & (claim <= g["deadline"]))]
    parts.append(g.assign(kind="guarantee_period", party=g["guarantor_name"], last_event=pd.NaT)[lim.columns])
    judged = filed[filed["judgment_date"].notna() & (filed["judgment_date"] <= end) &
                   (filed["enforcement_filed_date"].isna() | (filed["enforcement_filed_date"] > end))]
    en = judged.merge(base, on="loan_id")
    en = en.assign(kind="enforcement", party=en["case_id"], last_event=en["judgment_date"],
                   deadline=en["judgment_date"] + pd.DateOffset(years=pol.enforcement_years.years))
    parts.append(en[lim.columns])
    out = pd.concat(parts, ignore_index=True)
    out["days_left"] = (out["deadline"] - end).dt.days
    out["kind_label"] = out["kind"].map(KINDS)
    return out.sort_values("deadline").reset_index(drop=True)


def limitation_expiring_count(deadlines: pd.DataFrame, days: int) -> int:
    lim = deadlines[deadlines["kind"] == "limitation"]
    return int(((lim["days_left"] > 0) & (lim["days_left"] <= days)).sum())
