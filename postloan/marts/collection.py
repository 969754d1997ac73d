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


RIGHT_PARTY_OUTCOMES = ("contacted", "promise_to_pay", "partial_payment", "refused")


def first_action_timeliness(snap: pd.DataFrame, actions: pd.DataFrame, end: pd.Timestamp, policy) -> pd.DataFrame:
    """Loans whose overdue spell began in M (dpd > 0 at M, 0 or not on the book at P): the
    spell's first day, the first collection action due (rules.duties.collection_start_due)
    and taken, and whether it was on time; a duty not yet due at M's end is `pending`."""
    from postloan.rules.duties import collection_start_due
    a = snap[snap["active"] & (snap["dpd"] > 0) & (snap["dpd_p"].fillna(0) == 0)]
    start = end - pd.to_timedelta(a["dpd"] - 1, unit="D")
    due = collection_start_due(start, policy)
    act = actions[actions["loan_id"].isin(a["loan_id"])][["loan_id", "action_time"]]
    act = act.merge(pd.DataFrame({"loan_id": a["loan_id"].to_numpy(), "start": start.to_numpy()}), on="loan_id")
    first = act[act["action_time"] >= act["start"]].groupby("loan_id")["action_time"].min()
    out = a[["loan_id", "customer_name", "balance", "dpd", "officer_id", "operating_branch_id", "managing_branch_id"]].copy()
    out["spell_start"], out["due_date"] = start.to_numpy(), due.to_numpy()
    out["first_action"] = pd.to_datetime(first.reindex(out["loan_id"].astype(object)).to_numpy())
    done_by_due = out["first_action"].notna() & (out["first_action"].dt.normalize() <= out["due_date"])
    out["status"] = np.where(done_by_due, "on_time", np.where(out["due_date"] > end, "pending", "late"))
    return out.reset_index(drop=True)


def collection_effectiveness(actions_month: pd.DataFrame, promises: pd.DataFrame, timeliness: pd.DataFrame) -> dict:
    """First action on time (of the spells whose first action was due by M's end), the
    right-party contact rate of M's actions (the borrower reached), the promises kept rate."""
    due = timeliness[timeliness["status"] != "pending"]
    rpc = (actions_month["contacted_party"] == "borrower") & actions_month["outcome"].isin(RIGHT_PARTY_OUTCOMES)
    return {"first_action_due": int(len(due)), "first_action_on_time": int((due["status"] == "on_time").sum()),
            "first_action_on_time_rate": float((due["status"] == "on_time").mean()) if len(due) else None,
            "actions": int(len(actions_month)), "right_party_contacts": int(rpc.sum()),
            "right_party_contact_rate": float(rpc.mean()) if len(actions_month) else None,
            "promises_due": int(len(promises)), "promises_kept": int(promises["kept"].sum()) if len(promises) else 0,
            "promises_kept_rate": float(promises["kept"].mean()) if len(promises) else None}


def by_agency(actions_month: pd.DataFrame, promises: pd.DataFrame) -> pd.DataFrame:
    """Per outsourcing agency (委外催收机构): actions in M, right-party contacts and rate,
    promises due in M and kept."""
    a = actions_month[actions_month["agency_name"].notna()]
    if a.empty:
        return pd.DataFrame(columns=["agency_name", "actions", "right_party", "rate", "promises_due", "promises_kept"])
    rpc = (a["contacted_party"] == "borrower") & a["outcome"].isin(RIGHT_PARTY_OUTCOMES)
    g = a.assign(rpc=rpc).groupby("agency_name").agg(actions=("action_id", "size"), right_party=("rpc", "sum"))
    g["rate"] = g["right_party"] / g["actions"]
    p = promises[promises["agency_name"].notna()] if "agency_name" in promises else promises.iloc[:0]
    pg = p.groupby("agency_name").agg(promises_due=("action_id", "size"), promises_kept=("kept", "sum"))
    g = g.join(pg, how="left").fillna({"promises_due": 0, "promises_kept": 0})
    return g.sort_values("actions", ascending=False).reset_index()
