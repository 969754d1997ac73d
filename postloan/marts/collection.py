"""逾期催收: stages, actions by channel, promises to pay, cure and roll, conduct.

Mart `collection_cases` — grain: active loan at M that is overdue, in legal
recovery, or performing but maturing within the pre-due window; its stage.
Mart `collection_actions_month` — grain: collection action in M, with conduct flags.
Mart `promises` — grain: promise to pay falling due in M, kept or broken.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext
from postloan.rules.classification import dpd_band
from postloan.rules.collection import collection_stage, open_cases, paid_by_promised_date
from postloan.rules.conduct import conduct_flags

STAGES = ("pre_due", "early", "late", "legal")          # labels: glossary terms.collection_stage


def build_collection_cases(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    a = snap[snap["active"]].copy()
    legal = open_cases(ctx.extract["legal_cases"], ctx.end)
    a["stage"] = collection_stage(a["dpd"], a["loan_id"].isin(legal.index), (a["effective_maturity"] - ctx.end).dt.days,
                                  ctx.policy.collection.stages)
    a = a[a["stage"].notna()]
    return a[["loan_id", "customer_id", "customer_name", "product", "balance", "dpd", "classification",
              "overdue_principal", "overdue_interest", "stage", "officer_id", "operating_branch_id",
              "managing_branch_id"]].reset_index(drop=True)


def build_collection_actions_month(ctx: MonthContext) -> pd.DataFrame:
    act = ctx.extract["collection_actions"]
    start = ctx.start
    end_excl = ctx.end + pd.Timedelta(days=1)
    m = act[(act["action_time"] >= start) & (act["action_time"] < end_excl)].copy()
    flags = conduct_flags(m, ctx.policy.collection.conduct)
    m["night_contact"], m["forbidden_party"] = flags["night_contact"], flags["forbidden_party"]
    m = m.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "operating_branch_id", "managing_branch_id"]],
                on="loan_id", how="left")
    return m.reset_index(drop=True)


def build_promises(ctx: MonthContext) -> pd.DataFrame:
    """Promises whose date falls in M: kept when a payment was recorded (a recovery, or
    the loan's overdue amounts cleared / dpd back to 0) by the promised date's month-end."""
    act = ctx.extract["collection_actions"]
    p = act[(act["outcome"] == "promise_to_pay") & ctx.in_month(act["promised_date"])].copy()
    lm = ctx.extract["loan_month"]
    at_m = lm[lm["month"] == ctx.month].set_index("loan_id")
    p["paid"] = paid_by_promised_date(p, ctx.extract["recoveries"])
    cured = p["loan_id"].astype(object).map(at_m["dpd"]).astype("float64").fillna(0) == 0
    p["kept"] = p["paid"] | cured
    p = p.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "operating_branch_id", "managing_branch_id"]],
                on="loan_id", how="left")
    return p.reset_index(drop=True)


def roll_rates(snap: pd.DataFrame, bands: list) -> pd.DataFrame:
    """Cure and roll by dpd band P -> M over the loans active at P (balances at P)."""
    c = snap[snap["class_p"].notna()].copy()

    def band(d):
        b = dpd_band(d, bands)
        return np.where(pd.isna(b), "current", b)
    c["band_p"] = band(c["dpd_p"])
    c["band_m"] = np.where(c["active"], band(c["dpd"]), "exited")
    order = ["current"] + [b.id for b in bands]
    rank = {b: i for i, b in enumerate(order)}
    rows = []
    for b in order[1:]:
        g = c[c["band_p"] == b]
        total = g["balance_p"].sum()
        cured = g.loc[g["band_m"] == "current", "balance_p"].sum()
        rolled = g.loc[g["band_m"].map(rank).fillna(-1) > rank[b], "balance_p"].sum()
        rows.append({"band": b, "balance_p": total, "cure_rate": cured / total if total else None,
                     "roll_rate": rolled / total if total else None, "loans": len(g)})
    return pd.DataFrame(rows)
