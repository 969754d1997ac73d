"""批量监管: the six monitoring areas of the course outline, as exceptions.

Mart `monitoring_exceptions` — grain: one exception (area, rule, the loan or
customer it concerns, a Chinese description, the amount at stake).
Mart `agency_exposure` — grain: guarantee agency: guaranteed balance of active
loans against the cooperation limit, and overdue guaranteed loans.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.glossary import enum_labels, term_labels
from postloan.marts.context import MonthContext
from postloan.rules.collateral import coverage_by_loan
from postloan.rules.deadlines import legal_deadlines
from postloan.rules.duties import payment_exceptions, revaluation_due, warrant_due



def _exc(area, rule, frame, text, amount=None) -> pd.DataFrame:
    return pd.DataFrame({
        "area": area, "rule": rule, "loan_id": frame.get("loan_id"), "customer_id": frame["customer_id"].to_numpy(),
        "customer_name": frame["customer_name"].to_numpy(), "detail": text,
        "amount": amount if amount is not None else np.nan,
        "operating_branch_id": frame["operating_branch_id"].to_numpy(),
        "managing_branch_id": frame["managing_branch_id"].to_numpy()})


def build_monitoring_exceptions(ctx: MonthContext, snap: pd.DataFrame, agencies: pd.DataFrame) -> pd.DataFrame:
    pol, end = ctx.policy, ctx.end
    active = snap[snap["active"]]
    active_c = set(active["customer_id"])
    parts = []
    # 1 customer information: expired ID / licence, stale financial statements
    c = ctx.customers[ctx.customers["customer_id"].isin(list(active_c))]
    exp = c[c["id_expiry_date"].notna() & (c["id_expiry_date"] < end)]
    parts.append(_exc("customer_info", "id_expired", exp,
                      "证件/营业执照已于 " + exp["id_expiry_date"].dt.strftime("%Y-%m-%d") + " 到期"))
    stale_before = end - pd.DateOffset(months=pol.monitoring.customer_info.financials_stale_months)
    nonind = c[c["customer_type"] != "individual"]
    stale = nonind[nonind["latest_financials_date"].isna() | (nonind["latest_financials_date"] < stale_before)]
    parts.append(_exc("customer_info", "financials_stale", stale,
                      "最近财务报表日期 " + stale["latest_financials_date"].dt.strftime("%Y-%m-%d").fillna("无")))
    # 2 purpose: large self payments, prohibited payees (payments in the look-back window to M)
    pay = ctx.extract["fund_payments"]
    since = end - pd.DateOffset(months=pol.monitoring.purpose_lookback_months)
    pay = pay[(pay["payment_date"] <= end) & (pay["payment_date"] > since)]
    pay = pay.merge(ctx.loans[["loan_id", "product", "customer_id", "customer_name", "operating_branch_id",
                               "managing_branch_id"]], on="loan_id")
    flags = payment_exceptions(pay, pol)
    ep_id = pol.entrusted_payment.id
    big_self = pay[flags["self_over_limit"]]
    parts.append(_exc("purpose", ep_id + ":self_over_limit", big_self,
                      "单笔 " + (big_self["amount"] / 1e4).round(2).astype(str) + " 万元自主支付，超过受托支付起点 " +
                      (flags.loc[big_self.index, "limit"] / 1e4).round(2).astype(str) + " 万元",
                      big_self["amount"].to_numpy()))
    bad_payee = pay[flags["prohibited_payee"]]
    lab = enum_labels("payee_category")
    parts.append(_exc("purpose", ep_id + ":prohibited_payee", bad_payee,
                      "资金流向" + bad_payee["payee_category"].map(lab) + "：" + bad_payee["payee_name"].fillna(""),
                      bad_payee["amount"].to_numpy()))
    # 3 title warrants: mortgage/pledge loans with the warrant missing or received late
    tw = pol.title_warrant
    col = ctx.extract["collateral"].merge(active[["loan_id", "customer_id", "customer_name", "guarantee_type",
                                                  "disbursement_date", "balance", "operating_branch_id",
                                                  "managing_branch_id"]], on="loan_id")
    deadline = warrant_due(col, pol)
    need = col[deadline.notna()]
    deadline = deadline[need.index]
    missing = need[need["warrant_received_date"].isna() & (deadline < end)]
    parts.append(_exc("warrant", tw.id + ":missing", missing,
                      "押品 " + missing["collateral_id"] + " 他项权证未入库（应于 " + deadline[missing.index].dt.strftime("%Y-%m-%d") + " 前）",
                      missing["balance"].to_numpy()))
    late = need[need["warrant_received_date"] > deadline]
    parts.append(_exc("warrant", tw.id + ":late", late,
                      "押品 " + late["collateral_id"] + " 他项权证逾期入库 " +
                      (late["warrant_received_date"] - deadline[late.index]).dt.days.astype(str) + " 天",
                      late["balance"].to_numpy()))
    # 4 collateral: stale appraisals, value below the loan balance
    cp = pol.collateral
    stale_c = col[revaluation_due(col, pol) < end]
    parts.append(_exc("collateral", cp.id + ":stale", stale_c,
                      "押品 " + stale_c["collateral_id"] + " 最近评估 " + stale_c["appraisal_date"].dt.strftime("%Y-%m-%d"),
                      stale_c["appraised_value"].to_numpy()))
    covered = coverage_by_loan(col, pol)
    bal = col.groupby("loan_id")["balance"].first()
    low_ids = covered.index[covered < bal.reindex(covered.index)]
    low = active[active["loan_id"].isin(low_ids)]
    parts.append(_exc("collateral", "collateral_below_balance", low,
                      "押品按抵质押率折算价值 " + (low["loan_id"].astype(object).map(covered).astype("float64") / 1e4).round(2).astype(str)
                      + " 万元，低于贷款余额", low["balance"].to_numpy()))
    # 5 guarantee agencies: near or over the cooperation limit
    near = agencies[agencies["usage"] >= pol.monitoring.guarantee_agency.near_limit_ratio]
    if len(near):
        fake = pd.DataFrame({"customer_id": near["agency_id"], "customer_name": near["name"],
                             "operating_branch_id": None, "managing_branch_id": None})
        parts.append(_exc("agency", "agency_near_limit", fake,
                          "担保余额占合作额度 " + (near["usage"] * 100).round(1).astype(str) + "%",
                          near["exposure"].to_numpy()))
    # 6 asset quality: classification-rule breaches and upgrades without their conditions, loan by loan
    br = active[active["floor_breach"]]
    cl = enum_labels("classification")
    rule_cn = term_labels("classification_rule")
    why = br["floor_rules"].map(lambda r: "、".join(rule_cn.get(x, x) for x in r.split(",") if x))
    parts.append(_exc("asset_quality", "classification_floor_breach", br,
                      "逾期 " + br["dpd"].astype(int).astype(str) + " 天，分类为" + br["classification"].map(cl) +
                      "，按" + why + "应至少为" + br["floor_class"].map(cl), br["balance"].to_numpy()))
    up = active[active["upgrade_breach"]]
    n = pol.classification.upgrade.clean_month_ends
    parts.append(_exc("asset_quality", "upgrade_breach", up, [
        f"由{cl.get(r.class_p, r.class_p)}上调为{cl.get(r.classification, r.classification)}，近 {n} 个月末中逾期为 0 的"
        f"仅 {int(r.clean_month_ends)} 个" + (f"，同一客户仍有 {int(r.other_npl_loans)} 笔不良" if r.other_npl_loans > 0 else "")
        for r in up.itertuples()], up["balance"].to_numpy()))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    out["area_label"] = out["area"].map(term_labels("monitoring_area"))
    return out


def build_agency_exposure(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    """Guarantees of each agency that the bank can still enforce, on loans active at M: a
    guarantee whose period or guarantee-debt limitation has run out (rules.deadlines) no
    longer counts against the agency's cooperation limit."""
    g = ctx.extract["guarantees"]
    g = g[g["agency_id"].notna()].merge(snap[snap["active"]][["loan_id", "dpd", "balance"]], on="loan_id")
    d = legal_deadlines(ctx.extract, ctx.loans[ctx.loans["loan_id"].isin(g["loan_id"])], ctx.policy, ctx.end)
    lost = d[d["kind"].isin(["guarantee_period", "guarantee_debt"]) & (d["deadline"] <= ctx.end)]
    g = g[~g["guarantee_id"].isin(lost["ref"])]
    exp = g.groupby("agency_id").agg(exposure=("amount", "sum"), loans=("loan_id", "nunique"),
                                     overdue_loans=("dpd", lambda s: int((s > 0).sum())))
    a = ctx.extract["guarantee_agencies"].set_index("agency_id").join(exp, how="left")
    a[["exposure", "loans", "overdue_loans"]] = a[["exposure", "loans", "overdue_loans"]].fillna(0)
    a["usage"] = np.where(a["cooperation_limit"] > 0, a["exposure"] / a["cooperation_limit"], np.nan)
    return a.reset_index()
