"""Lapses and advisory determinations (a draft for the 责任认定委员会).

Mart `accountability_lapses` — grain: one missed or late duty of a case.
Mart `accountability_determinations` — grain: case × officer (incl. the branch head for
领导责任): degree, exoneration class with its reason, suggested sanction, mitigation, and
empty columns for the committee's decision and an appeal (which may not worsen it).
Mart `accountability_officers` — grain: officer: the summary the scorecards read.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.accountability.config import AccountabilityConfig
from postloan.glossary import term_labels
from postloan.rules.attribution import branch_heads

SEVERITY_RANK = {"minor": 1, "major": 2, "serious": 3}


def build_lapses(timeline: pd.DataFrame, cases: pd.DataFrame, cfg: AccountabilityConfig) -> pd.DataFrame:
    """Every missed or late duty; `counted` False when it fell due after the loan's default
    (listed, not weighed), except the duties that keep legal rights (policy)."""
    lp = timeline[timeline["status"].isin(["late", "missing", "lapse"])].copy()
    default = lp["case_id"].map(cases.set_index("case_id")["default_date"])
    lp["after_default"] = (lp["due_date"] > default).fillna(False).astype(bool)
    lp["counted"] = ~lp["after_default"] | lp["duty"].isin(cfg.after_default_counts)
    rule = lp["duty"].map(lambda d: cfg.duties[d])
    lp["stage"] = rule.map(lambda r: r.stage)
    lp["stage_cn"] = lp["stage"].map(cfg.stages)
    sev = rule.map(lambda r: r.severity)
    minor_late = (lp["status"] == "late") & (lp["days_late"] <= cfg.late_grace_days)
    lp["severity"] = np.where(minor_late, "minor", sev)
    lp["severity_cn"] = lp["severity"].map(term_labels("severity"))
    lp["points"] = np.where(lp["counted"], lp["severity"].map(cfg.severity_points).astype(float), 0.0)
    lp["status_cn"] = lp["status"].map(term_labels("lapse_status")) + np.where(
        lp["counted"], "", "（违约后，不计入认定）")
    return lp.reset_index(drop=True)


def _outcome(worst: str, performed: bool, negative: bool, outcomes) -> str:
    if negative or worst == "serious":
        return outcomes.serious
    if worst == "major":
        return outcomes.general_performed if performed else outcomes.general
    return getattr(outcomes, worst)          # none / minor


def build_determinations(cases: pd.DataFrame, timeline: pd.DataFrame, lapses: pd.DataFrame, officers: pd.DataFrame,
                         warnings: pd.DataFrame, cfg: AccountabilityConfig) -> pd.DataFrame:
    d = cfg.determination
    duties = timeline[timeline["status"] != "event"]
    lapses = lapses[lapses["counted"]]
    people = duties.dropna(subset=["officer_id"])[["case_id", "officer_id"]].drop_duplicates()
    mine = lapses.dropna(subset=["officer_id"]).groupby(["case_id", "officer_id"])
    pts = mine["points"].sum()
    serious = lapses[lapses["severity"] == "serious"].groupby(["case_id", "officer_id"]).size()
    worst = mine["severity"].agg(lambda s: max(s, key=SEVERITY_RANK.get))
    negative = lapses[lapses["duty"].isin(d.exoneration.negative_list)].groupby(["case_id", "officer_id"]).size()
    on_time = duties[duties["status"] == "on_time"].groupby(["case_id", "officer_id"]).size()
    n_duties = duties.dropna(subset=["officer_id"]).groupby(["case_id", "officer_id"]).size()
    n_lapses = mine.size()
    case_pts = lapses.groupby("case_id")["points"].sum()
    key = list(zip(people["case_id"], people["officer_id"]))
    det = people.copy()
    det["points"] = [float(pts.get(k, 0.0)) for k in key]
    det["lapses"] = [int(n_lapses.get(k, 0)) for k in key]
    det["duties_on_time"] = [int(on_time.get(k, 0)) for k in key]
    det["duties"] = [int(n_duties.get(k, 0)) for k in key]
    det["serious"] = [int(serious.get(k, 0)) for k in key]
    det["negative_list"] = [int(negative.get(k, 0)) > 0 for k in key]
    det["worst"] = [worst.get(k, "none") for k in key]
    det["case_points"] = det["case_id"].map(case_pts).fillna(0.0)
    named = det.groupby("case_id")["points"].transform("sum")      # the case's points that fall on a named officer
    det["share"] = np.where(named > 0, det["points"] / named.where(named > 0), 0.0)
    det["performed_share"] = np.where(det["duties"] > 0, det["duties_on_time"] / det["duties"].clip(lower=1), 1.0)
    dg = d.degrees
    det["degree"] = np.select([det["points"] <= 0, dg.direct_if_serious & (det["serious"] > 0),
                               det["share"] >= dg.primary_share], ["none", "direct", "primary"], "secondary")
    c = cases.set_index("case_id")
    det["inclusive_scope"] = det["case_id"].map(c["inclusive_scope"]).astype(bool)
    ex = d.exoneration
    det["exoneration"] = [
        _outcome(r.worst, r.performed_share >= ex.basically_performed_share, r.negative_list,
                 ex.inclusive if r.inclusive_scope else ex.other) for r in det.itertuples()]
    det = pd.concat([det, _leadership(cases, lapses, officers, det, cfg)], ignore_index=True)
    det["inclusive_scope"] = det["case_id"].map(c["inclusive_scope"]).astype(bool)
    loss = det["case_id"].map(c["loss"])
    det["loss"] = loss
    det["loss_points"] = [max([lp.points for lp in d.loss_points if x > lp.over], default=0.0) for x in loss]
    cases_per_officer = det[det["points"] > 0].groupby("officer_id")["case_id"].nunique()
    det["repeat_points"] = (det["officer_id"].map(cases_per_officer).fillna(1).clip(lower=1) - 1) * d.repeat_points_per_case
    rep = warnings[warnings["reported_by"].notna()][["customer_id", "reported_by", "reported_date"]]
    cust = det["case_id"].map(c["customer_id"])
    case_date = det["case_id"].map(c["case_date"])
    q = pd.DataFrame({"_i": np.arange(len(det)), "customer_id": cust.astype(object).to_numpy(),
                      "reported_by": det["officer_id"].astype(object).to_numpy(), "case_date": case_date.to_numpy()})
    hits = q.merge(rep.astype({"customer_id": object, "reported_by": object}), on=["customer_id", "reported_by"])
    hit = set(hits.loc[hits["reported_date"] <= hits["case_date"], "_i"])
    det["self_reported"] = [i in hit for i in range(len(det))]
    claim = det["case_id"].map(c["case_balance"])
    det["loss_recovered"] = ((det["case_id"].map(c["recovered"]) >= d.mitigation_points.recovered_share * claim)
                             & (claim > 0)).to_numpy()
    det["mitigation_points"] = np.where(det["self_reported"], d.mitigation_points.self_reported, 0.0) + \
        np.where(det["loss_recovered"], d.mitigation_points.loss_recovered, 0.0)
    own = (det["points"] + det["loss_points"] + det["repeat_points"] - det["mitigation_points"]).clip(lower=0)
    det["sanction_points"] = np.select(
        [det["degree"] == "leadership", det["exoneration"] == "exempt", det["exoneration"] == "reducible"],
        [det["case_points"] / d.leadership.divisor, 0.0, own * ex.reducible_factor], own)
    rung = [d.sanction(p) for p in det["sanction_points"]]
    det["sanction"] = [r.id for r in rung]
    det["sanction_cn"] = [r.name for r in rung]
    det["degree_cn"] = det["degree"].map(term_labels("responsibility_degree"))
    det["exoneration_cn"] = det["exoneration"].map(term_labels("exoneration"))
    det["basis"] = np.where(det["inclusive_scope"], "普惠信贷尽职免责（金规〔2024〕11号）",
                            "不属普惠尽职免责范围，按本行一般规定")
    left = officers.set_index("officer_id")["leave_date"]
    left = left[~left.index.duplicated()]
    det["officer_left_date"] = pd.to_datetime(det["officer_id"].map(left))
    by_duty = lapses.dropna(subset=["officer_id"]).groupby(["case_id", "officer_id", "duty"]).size()
    det["reason"] = [_reason(r, by_duty) for r in det.itertuples()]
    det["committee_decision"] = ""
    det["appeal"] = ""
    det["appeal_result"] = ""
    names = dict(zip(officers["officer_id"], officers["name"]))
    det["officer_name"] = det["officer_id"].map(names)
    det["operating_branch_id"] = det["case_id"].map(c["operating_branch_id"])
    det["managing_branch_id"] = det["case_id"].map(c["managing_branch_id"])
    return det.sort_values(["case_id", "degree"]).reset_index(drop=True)


def _leadership(cases, lapses, officers, det, cfg) -> pd.DataFrame:
    """领导责任: the heads of the case's operating and/or managing branch on the day of each
    counted lapse, when the case's lapse points reach the policy's minimum."""
    L = cfg.determination.leadership
    case_pts = lapses.groupby("case_id")["points"].sum()
    big = case_pts[case_pts >= L.min_case_points].index
    lp = lapses[lapses["case_id"].isin(big) & (lapses["points"] > 0)]
    c = cases.set_index("case_id")
    heads = []
    for which in L.branches:
        branch = lp["case_id"].map(c[f"{which}_branch_id"])
        heads.append(pd.DataFrame({"case_id": lp["case_id"].to_numpy(),
                                   "officer_id": branch_heads(officers, branch, lp["due_date"]),
                                   "worst": lp["severity"].to_numpy()}))
    h = pd.concat(heads, ignore_index=True).dropna(subset=["officer_id"]) if heads else pd.DataFrame()
    if h.empty:
        return pd.DataFrame(columns=det.columns)
    h["rank"] = h["worst"].map(SEVERITY_RANK)
    h = h.sort_values("rank").drop_duplicates(["case_id", "officer_id"], keep="last")
    h = h[~h.set_index(["case_id", "officer_id"]).index.isin(det.set_index(["case_id", "officer_id"]).index)]
    ex = cfg.determination.exoneration
    incl = h["case_id"].map(c["inclusive_scope"]).astype(bool)
    outcome = [_outcome("major" if w != "serious" else "serious", False, False, ex.inclusive if i else ex.other)
               for w, i in zip(h["worst"], incl)]
    return h.drop(columns=["rank"]).assign(
        points=0.0, lapses=0, duties_on_time=0, duties=0, serious=0, negative_list=False, degree="leadership",
        exoneration=outcome, case_points=h["case_id"].map(case_pts).to_numpy(), share=0.0, performed_share=np.nan)


def _reason(r, by_duty) -> str:
    left = f"（该员工已于 {r.officer_left_date:%Y-%m-%d} 离职，按离职人员责任追究程序办理）" \
        if pd.notna(r.officer_left_date) else ""
    if r.degree == "leadership":
        return f"所辖机构本案失职事项合计 {r.case_points:.0f} 分，失职发生时任机构负责人，负有管理责任。" + left
    try:
        items = by_duty.loc[(r.case_id, r.officer_id)]
        labels = term_labels("duty")
        lapses = "、".join(f"{labels.get(k, k)} {v} 项" for k, v in items.items())
    except KeyError:
        lapses = ""
    text = f"本案违约前负责的职责 {r.duties} 项中按时履行 {r.duties_on_time} 项"
    text += f"，失职 {r.lapses} 项（{lapses}），计 {r.points:.0f} 分" if r.lapses else "，无失职事项"
    if r.negative_list:
        text += "；涉及负面清单事项，不得免责。"
    elif r.exoneration == "exempt":
        text += "；无失职或仅有轻微过失，建议免责。" if r.lapses else "；尽职证据完整，建议免责。"
    elif r.exoneration == "reducible":
        text += "；存在轻微或一般过失" + ("但基本履职" if r.worst == "major" else "") + "，建议减责或免责。"
    else:
        text += "；存在" + ("严重" if r.serious else "一般") + "失职" + \
            ("且未基本履职" if r.worst == "major" else "") + "，不得免责。"
    if r.self_reported:
        text += "本人曾事先报告风险预警（主动发现）。"
    if r.loss_recovered:
        text += "损失已大部分收回。"
    return text + left


def build_officer_summary(det: pd.DataFrame) -> pd.DataFrame:
    x = det[det["degree"] != "leadership"]
    g = x.groupby("officer_id")
    out = pd.DataFrame({
        "cases": g["case_id"].nunique(), "lapses": g["lapses"].sum(), "serious_lapses": g["serious"].sum(),
        "not_exempt_direct": x[(x["exoneration"] == "not_exempt") & (x["degree"] == "direct")].groupby("officer_id").size(),
        "exempt_cases": x[x["exoneration"] == "exempt"].groupby("officer_id").size()}).fillna(0)
    return out.astype(int).reset_index()
