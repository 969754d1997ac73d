"""法律时效: the legal deadlines of the bad book at the end of M (METRICS.md "Legal deadlines").

Mart `legal_deadlines` — grain: loan × deadline, for loans NPL at M or written off in or
before M, as `postloan.rules.deadlines` computes them with the facts known at the end
of M. `days_left` from the end of M; deadlines already passed are kept (negative: the
right is lost) with the officer responsible for the customer on the day it passed.
"""
from __future__ import annotations

import pandas as pd

from postloan.glossary import term_labels
from postloan.marts.context import MonthContext
from postloan.rules.deadlines import legal_deadlines


def _bad_book(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    lm = ctx.extract["loan_month"]
    wo = lm[(lm["status"] == "written_off") & (lm["month"] <= ctx.month)]["loan_id"]
    npl = snap.loc[snap["is_npl"], "loan_id"]
    ids = pd.Index(npl).union(pd.Index(wo))
    loans = ctx.loans[ctx.loans["loan_id"].isin(ids)].copy()
    loans["written_off"] = loans["loan_id"].isin(set(wo))
    loans = loans.merge(snap[["loan_id", "balance", "officer_id"]], on="loan_id", how="left")
    # the claim at stake: the balance at M, or for a loan written off its balance at its last active month-end
    active = lm[(lm["status"] == "active") & (lm["month"] <= ctx.month) & lm["loan_id"].isin(ids)]
    last = active.sort_values("month").drop_duplicates("loan_id", keep="last").set_index("loan_id")["balance"]
    loans["claim"] = loans["balance"].where(~loans["written_off"], loans["loan_id"].map(last))
    return loans


def build_legal_deadlines(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    loans = _bad_book(ctx, snap)
    d = legal_deadlines(ctx.extract, loans, ctx.policy, ctx.end)
    info = loans[["loan_id", "customer_name", "balance", "claim", "written_off", "officer_id", "operating_branch_id",
                  "managing_branch_id", "effective_maturity"]]
    out = d.merge(info, on="loan_id", how="left")
    out["days_left"] = (out["deadline"] - ctx.end).dt.days
    out["kind_label"] = out["kind"].map(term_labels("legal_deadline_kind"))
    passed = out["deadline"] <= ctx.end
    out["officer_at_deadline"] = None
    out.loc[passed, "officer_at_deadline"] = ctx.responsible(out.loc[passed, "customer_id"], out.loc[passed, "deadline"])
    return out.sort_values(["deadline", "loan_id", "kind"]).reset_index(drop=True)


def limitation_expiring_count(deadlines: pd.DataFrame, days: int) -> int:
    lim = deadlines[deadlines["kind"] == "limitation"]
    return int(((lim["days_left"] > 0) & (lim["days_left"] <= days)).sum())


def build_legal_cases(ctx: MonthContext, deadlines: pd.DataFrame) -> pd.DataFrame:
    """Mart `legal_cases_open` — grain: legal case open at the end of M (filed by then, not
    closed or withdrawn): its stage, the date the stage began (filed → judged → enforcing →
    terminated), the days in it, and the loan's next legal deadline after M."""
    lc = ctx.extract["legal_cases"]
    lc = lc[(lc["filed_date"] <= ctx.end) & ~lc["status"].isin(["closed", "withdrawn"])].copy()
    stage_start = lc["filed_date"]
    for col in ("judgment_date", "enforcement_filed_date", "terminated_date"):
        if col in lc:
            stage_start = lc[col].where(lc[col].notna() & (lc[col] <= ctx.end), stage_start)
    lc["stage_start"] = stage_start
    lc["days_in_stage"] = (ctx.end - lc["stage_start"]).dt.days
    ahead = deadlines[deadlines["deadline"] > ctx.end].sort_values("deadline").drop_duplicates("loan_id")
    lc = lc.merge(ahead[["loan_id", "deadline", "kind_label"]].rename(
        columns={"deadline": "next_deadline", "kind_label": "next_deadline_kind"}), on="loan_id", how="left")
    lc = lc.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "operating_branch_id", "managing_branch_id"]],
                  on="loan_id", how="left")
    return lc.sort_values(["days_in_stage"], ascending=False).reset_index(drop=True)
