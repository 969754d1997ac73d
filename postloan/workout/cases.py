"""The cases of the workout book at month M and what the law and the debtor's state allow
(NPL_WORKOUT.md "Cases", "Legal route checklist", "Write-off review and candidates").

Mart `workout_cases` — grain: loan in the book at M: NPL, or dpd above `queue_dpd`, or
written off by M with its claim alive. Claim, stage, the debtor's state, the flags the
valuation reads, the write-off review, and the legal routes open with their basis.
Deadlines and enforceable guarantees come from `postloan.rules.deadlines`; recoveries from
`postloan.rules.recovery`; the stage from `postloan.rules.collection`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext
from postloan.policy import NPL_CLASSES
from postloan.rules.collection import collection_stage, open_cases
from postloan.rules.deadlines import legal_deadlines
from postloan.rules.recovery import RECOVERED_METHODS, WRITE_OFF_METHOD
from postloan.workout.config import WorkoutConfig

INSOLVENT = ("bankruptcy_accepted", "deregistered", "license_revoked", "deceased")
GONE = ("missing", "deceased")
REVIEW_EVENTS = ("deregistered", "license_revoked", "deceased", "missing", "bankruptcy_accepted")
LOST_KINDS = ("guarantee_period", "guarantee_debt")


def _events(ctx: MonthContext) -> pd.DataFrame:
    ev = ctx.extract["debtor_events"]
    return ev[ev["event_date"] <= ctx.end]


def _claims(ctx: MonthContext, at_m: pd.DataFrame, written: pd.Index) -> pd.Series:
    """loan_id -> the claim: principal + overdue interest at M; for a written-off loan the amount
    written off less what was recovered after."""
    claim = (at_m.set_index("loan_id")["balance"] + at_m.set_index("loan_id")["overdue_interest"]).astype(float)
    rec = ctx.extract["recoveries"]
    rec = rec[rec["loan_id"].isin(written) & (rec["recovery_date"] <= ctx.end)]
    wo = rec[rec["method"] == WRITE_OFF_METHOD].groupby("loan_id").agg(amount=("amount", "sum"), day=("recovery_date", "min"))
    after = rec[rec["method"].isin(RECOVERED_METHODS)].merge(wo["day"].rename("wo_day").rename_axis("_lid"),
                                                             left_on="loan_id", right_index=True).reset_index(drop=True)
    after = after[after["recovery_date"] >= after["wo_day"]].groupby("loan_id")["amount"].sum()
    lm = ctx.extract["loan_month"]
    last = lm[(lm["status"] == "active") & lm["loan_id"].isin(written)].sort_values("month") \
        .drop_duplicates("loan_id", keep="last").set_index("loan_id")
    base = wo["amount"].reindex(written).fillna(last["balance"].reindex(written))
    written_claim = (base - after.reindex(written).fillna(0.0)).clip(lower=0.0)
    return pd.concat([claim, written_claim])


def build_workout_cases(ctx: MonthContext, cfg: WorkoutConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(cases, deadlines of the cases, guarantees with `enforceable`)."""
    lm = ctx.extract["loan_month"]
    at_m = lm[lm["month"] == ctx.month]
    active = at_m[at_m["status"] == "active"]
    in_queue = active[active["classification"].isin(NPL_CLASSES) | (active["dpd"] > cfg.cases.queue_dpd)]
    written = at_m.loc[at_m["status"] == "written_off", "loan_id"]
    loans = ctx.loans[ctx.loans["loan_id"].isin(pd.Index(in_queue["loan_id"]).union(pd.Index(written)))]
    deadlines = legal_deadlines(ctx.extract, loans, ctx.policy, ctx.end)
    lim = deadlines[deadlines["kind"] == "limitation"].set_index("loan_id")["deadline"]
    lim_dead = lim[lim <= ctx.end].index
    # a written-off claim stays in the book while alive: limitation not run out, no final loss event
    ev = _events(ctx)
    final = ev[ev["kind"].isin(["deregistered", "deceased"])]["customer_id"]
    alive_wo = written[~written.isin(lim_dead) & ~written.map(loans.set_index("loan_id")["customer_id"]).isin(final)]
    ids = pd.Index(in_queue["loan_id"]).union(pd.Index(alive_wo))
    c = ctx.loans[ctx.loans["loan_id"].isin(ids)].copy()
    c = c.merge(at_m[["loan_id", "balance", "overdue_principal", "overdue_interest", "dpd", "classification", "status",
                      "provision"]],
                on="loan_id", how="left")
    c["written_off"] = c["status"] == "written_off"
    c["claim"] = c["loan_id"].map(_claims(ctx, active[active["loan_id"].isin(ids)], pd.Index(alive_wo))).astype(float)
    c["officer_id"] = ctx.responsible(c["customer_id"], [ctx.end] * len(c))
    # the debtor's state
    kinds: dict = {}
    for cid, kind in zip(ev["customer_id"], ev["kind"]):
        kinds.setdefault(cid, set()).add(kind)
    has = lambda ks: c["customer_id"].map(lambda cid: bool(kinds.get(cid, set()) & set(ks))).astype(bool)
    act = ctx.extract["collection_actions"]
    act = act[act["action_time"] < ctx.end + pd.Timedelta(days=1)]
    latest = act.sort_values("action_time").drop_duplicates("loan_id", keep="last").set_index("loan_id")["outcome"]
    lost_contact = c["loan_id"].map(latest).eq("lost_contact").fillna(False).astype(bool)
    cases_all = ctx.extract["legal_cases"]
    terminated = set(cases_all.loc[(cases_all["terminated_date"] <= ctx.end).fillna(False)
                                   | ((cases_all["status"] == "terminated") & (cases_all["filed_date"] <= ctx.end)), "loan_id"])
    c["bankrupt"] = has(["bankruptcy_accepted"])
    c["insolvent"] = has(INSOLVENT)
    c["missing"] = has(["missing"]) | lost_contact
    c["reachable"] = ~c["missing"] & ~has(["deceased"])
    c["operating"] = ~c["insolvent"] & ~c["missing"]
    c["no_assets"] = has(["enforcement_no_assets"]) | c["loan_id"].isin(terminated)
    # the claim can still be pursued in court: its limitation runs, or it is in proceedings, or
    # judged with the enforcement application still possible (or made)
    enforcement = deadlines[deadlines["kind"] == "enforcement"]
    enforcement_lost = set(enforcement.loc[enforcement["deadline"] <= ctx.end, "loan_id"]) - \
        set(enforcement.loc[enforcement["deadline"] > ctx.end, "loan_id"])
    has_lim = c["loan_id"].isin(lim.index)
    c["limitation_alive"] = np.where(has_lim, c["loan_id"].map(lim).gt(ctx.end).fillna(False),
                                     ~c["loan_id"].isin(enforcement_lost)).astype(bool)
    recent = ctx.end - pd.DateOffset(months=cfg.routes.restructure.recent_months)
    c["restructured_recently"] = (c["is_restructured"].fillna(False).astype(bool) & (c["restructure_date"] > recent)).fillna(False)
    legal = open_cases(cases_all, ctx.end)
    days_to_mat = (c["effective_maturity"] - ctx.end).dt.days
    c["stage"] = np.where(c["written_off"], "written_off",
                          collection_stage(c["dpd"], c["loan_id"].isin(legal.index), days_to_mat, ctx.policy.collection.stages))
    # guarantees still enforceable at M
    g = ctx.extract["guarantees"]
    g = g[g["loan_id"].isin(ids)].copy()
    lost = deadlines[deadlines["kind"].isin(LOST_KINDS) & (deadlines["deadline"] <= ctx.end)]["ref"]
    alive = g["loan_id"].map(c.set_index("loan_id")["limitation_alive"]).astype("boolean").fillna(False).astype(bool)
    g["enforceable"] = (~g["guarantee_id"].isin(lost)).astype(bool) & alive
    # write-off review and candidates (财金〔2017〕90号)
    review = has(REVIEW_EVENTS) | c["loan_id"].isin(terminated)
    ev_act = act[act["evidence"].fillna(False).astype(bool)]
    borrower_recourse = set(ev_act.loc[ev_act["contacted_party"] == "borrower", "loan_id"]) | set(
        cases_all.loc[cases_all["against"].fillna("borrower") == "borrower", "loan_id"])
    claimed_g = set(ev_act.loc[ev_act["contacted_party"] == "guarantor", "guarantee_id"].dropna()) | set(
        cases_all.loc[cases_all["against"] == "guarantor", "guarantee_id"].dropna())
    open_g = g[g["enforceable"] & ~g["guarantee_id"].isin(claimed_g)].groupby("loan_id").size()
    recourse = c["loan_id"].isin(borrower_recourse) & ~c["loan_id"].isin(open_g.index)
    limit = c["customer_type"].astype(object).map(cfg.write_off.small_claim_limit).astype(float)
    small = (c["claim"] <= limit) & (c["dpd"].fillna(0) >= cfg.write_off.small_claim_days) & recourse
    bankrupt_pending = c["bankrupt"] & ~c["loan_id"].isin(set(cases_all.loc[(cases_all["kind"] == "bankruptcy_claim")
                                                                         & (cases_all["closed_date"] <= ctx.end), "loan_id"]))
    c["write_off_review"] = review & ~c["written_off"]
    c["write_off_candidate"] = ~c["written_off"] & ((review & recourse & ~bankrupt_pending) | small)
    c["write_off_basis"] = np.select(
        [c["written_off"], review & recourse & ~bankrupt_pending, small, review & bankrupt_pending, review],
        ["已核销（账销案存）", "已发生核销事由且已向借款人和全部保证人追索", "小额债权：逾期达到天数且已向借款人和全部保证人追索",
         "破产程序尚未分配完毕", "已发生核销事由，尚未完成追索"], "")
    col = ctx.extract["collateral"]
    c["registered_collateral"] = c["loan_id"].isin(col.loc[col["registered"].fillna(False).astype(bool), "loan_id"])
    c["notarized"] = c["notarized_enforceable"].astype("boolean").fillna(False).astype(bool)
    c["enforceable_guarantees"] = c["loan_id"].map(g[g["enforceable"]].groupby("loan_id").size()).fillna(0).astype(int)
    c["routes_open"] = [_legal_routes(r) for r in c.itertuples()]
    return c.reset_index(drop=True), deadlines, g


def _legal_routes(r) -> str:
    """The legal routes open to the case, each with its basis (NPL_WORKOUT.md legal route checklist)."""
    if r.bankrupt:
        return "破产债权申报（企业破产法 第16、19条：个别清偿程序中止，担保债权就担保物优先受偿）"
    out = []
    if r.reachable and not r.written_off:
        out.append("支付令（民事诉讼法 第225条：债权到期、数额确定、可以送达；不约束保证人）")
    if r.registered_collateral:
        out.append("实现担保物权（民事诉讼法 第207条：已登记担保物，须无实质争议）")
    if r.notarized:
        out.append("强制执行公证（公证法 第37条：先取得执行证书）")
    if r.limitation_alive:
        out.append("诉讼/仲裁（诉讼时效未届满）")
    if r.enforceable_guarantees:
        out.append(f"向保证人主张（{r.enforceable_guarantees} 个保证仍可主张）")
    if r.missing:
        out.append("下落不明：公告送达")
    return "；".join(out) or "无可行法律路径"
