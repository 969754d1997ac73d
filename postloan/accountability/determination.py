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
from postloan.accountability.timeline import DUTY_CN

DEGREE_CN = {"direct": "直接责任", "primary": "主要责任", "secondary": "次要责任", "leadership": "领导责任",
             "none": "无责任"}
CLASS_CN = {"exempt": "应免责", "reducible": "可减责免责", "not_exempt": "不得免责"}
SEVERITY_CN = {"minor": "一般", "major": "较重", "serious": "严重"}


def build_lapses(timeline: pd.DataFrame, cfg: AccountabilityConfig) -> pd.DataFrame:
    lp = timeline[timeline["status"].isin(["late", "missing", "lapse"])].copy()
    rule = lp["duty"].map(lambda d: cfg.duties[d])
    lp["stage"] = rule.map(lambda r: r.stage)
    lp["stage_cn"] = lp["stage"].map(cfg.stages)
    sev = rule.map(lambda r: r.severity)
    minor_late = (lp["status"] == "late") & (lp["days_late"] <= cfg.late_grace_days)
    lp["severity"] = np.where(minor_late, "minor", sev)
    lp["severity_cn"] = lp["severity"].map(SEVERITY_CN)
    lp["points"] = lp["severity"].map(cfg.severity_points).astype(float)
    lp["status_cn"] = lp["status"].map({"late": "逾期完成", "missing": "未履行", "lapse": "违规"})
    return lp.reset_index(drop=True)


def build_determinations(cases: pd.DataFrame, timeline: pd.DataFrame, lapses: pd.DataFrame, officers: pd.DataFrame,
                         warnings: pd.DataFrame, cfg: AccountabilityConfig) -> pd.DataFrame:
    d = cfg.determination
    duties = timeline[timeline["status"] != "event"]
    people = duties.dropna(subset=["officer_id"])[["case_id", "officer_id"]].drop_duplicates()
    pts = lapses.dropna(subset=["officer_id"]).groupby(["case_id", "officer_id"])["points"].sum()
    serious = lapses[lapses["severity"] == "serious"].groupby(["case_id", "officer_id"]).size()
    only_minor = lapses.groupby(["case_id", "officer_id"])["severity"].agg(lambda s: set(s) <= {"minor"})
    on_time = duties[duties["status"] == "on_time"].groupby(["case_id", "officer_id"]).size()
    n_lapses = lapses.groupby(["case_id", "officer_id"]).size()
    case_pts = lapses.groupby("case_id")["points"].sum()
    key = list(zip(people["case_id"], people["officer_id"]))
    det = people.copy()
    det["points"] = [float(pts.get(k, 0.0)) for k in key]
    det["lapses"] = [int(n_lapses.get(k, 0)) for k in key]
    det["duties_on_time"] = [int(on_time.get(k, 0)) for k in key]
    det["serious"] = [int(serious.get(k, 0)) for k in key]
    det["case_points"] = det["case_id"].map(case_pts).fillna(0.0)
    det["share"] = np.where(det["case_points"] > 0, det["points"] / det["case_points"].where(det["case_points"] > 0), 0.0)
    top = det.groupby("case_id")["points"].transform("max")
    det["degree"] = np.select([det["points"] <= 0, (det["points"] == top) | (det["serious"] > 0),
                               det["share"] >= d.primary_share], ["none", "direct", "primary"], "secondary")
    minor_only = [bool(only_minor.get(k, True)) for k in key]
    det["exoneration"] = np.select(
        [det["points"] <= d.exempt_max_points, np.array(minor_only) & (det["points"] <= d.reducible_max_points)],
        ["exempt", "reducible"], "not_exempt")
    # leadership: the head of the case's operating branch when the case's lapses add up
    heads = officers[officers["role"] == "branch_head"].drop_duplicates("branch_id").set_index("branch_id")["officer_id"]
    lead = cases[cases["case_id"].map(case_pts).fillna(0) >= d.leadership_min_points][["case_id", "operating_branch_id"]]
    lead = lead.assign(officer_id=lead["operating_branch_id"].astype(object).map(heads)).dropna(subset=["officer_id"])
    lead = lead[~lead.set_index(["case_id", "officer_id"]).index.isin(det.set_index(["case_id", "officer_id"]).index)]
    lead = lead.drop(columns="operating_branch_id").assign(
        points=0.0, lapses=0, duties_on_time=0, serious=0, degree="leadership", exoneration="reducible",
        case_points=lambda x: x["case_id"].map(case_pts), share=0.0)
    det = pd.concat([det, lead], ignore_index=True)
    c = cases.set_index("case_id")
    det["inclusive_scope"] = det["case_id"].map(c["inclusive_scope"]).astype(bool)
    loss = (det["case_id"].map(c["case_balance"]) - det["case_id"].map(c["recovered"])).clip(lower=0)
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
    self_rep = [i in hit for i in range(len(det))]
    recovered = (det["case_id"].map(c["recovered"]) >= d.mitigation_points.recovered_share
                 * det["case_id"].map(c["case_balance"])) & \
        (det["case_id"].map(c["case_balance"]) > 0)
    det["self_reported"] = self_rep
    det["loss_recovered"] = recovered.to_numpy()
    det["mitigation_points"] = np.where(det["self_reported"], d.mitigation_points.self_reported, 0.0) + \
        np.where(det["loss_recovered"], d.mitigation_points.loss_recovered, 0.0)
    det["sanction_points"] = np.where(
        det["degree"] == "leadership", det["case_points"] / d.leadership_divisor,
        np.where(det["exoneration"] == "exempt", 0.0,
                 (det["points"] + det["loss_points"] + det["repeat_points"] - det["mitigation_points"]).clip(lower=0)))
    rung = [d.sanction(p) for p in det["sanction_points"]]
    det["sanction"] = [r.id for r in rung]
    det["sanction_cn"] = [r.name for r in rung]
    det["degree_cn"] = det["degree"].map(DEGREE_CN)
    det["exoneration_cn"] = det["exoneration"].map(CLASS_CN)
    det["basis"] = np.where(det["inclusive_scope"], "普惠信贷尽职免责（金规〔2024〕11号）",
                            "不属普惠尽职免责范围，按本行一般规定")
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


def _reason(r, by_duty) -> str:
    if r.degree == "leadership":
        return f"所辖机构本案失职事项合计 {r.case_points:.0f} 分，负有管理责任。"
    try:
        items = by_duty.loc[(r.case_id, r.officer_id)]
        lapses = "、".join(f"{DUTY_CN.get(k, k)} {v} 项" for k, v in items.items())
    except KeyError:
        lapses = ""
    text = f"本案期间负责的职责中按时履行 {r.duties_on_time} 项"
    text += f"，失职 {r.lapses} 项（{lapses}），计 {r.points:.0f} 分" if r.lapses else "，无失职事项"
    if r.exoneration == "exempt":
        text += "；尽职证据完整，建议免责。"
    elif r.exoneration == "reducible":
        text += "；仅有轻微过失，建议减责或免责。"
    else:
        text += "；存在" + ("严重" if r.serious else "较重") + "失职，不得免责。"
    if r.self_reported:
        text += "本人曾事先报告风险预警（主动发现）。"
    if r.loss_recovered:
        text += "损失已大部分收回。"
    return text


def build_officer_summary(det: pd.DataFrame) -> pd.DataFrame:
    x = det[det["degree"] != "leadership"]
    g = x.groupby("officer_id")
    out = pd.DataFrame({
        "cases": g["case_id"].nunique(), "lapses": g["lapses"].sum(), "serious_lapses": g["serious"].sum(),
        "not_exempt_direct": x[(x["exoneration"] == "not_exempt") & (x["degree"] == "direct")].groupby("officer_id").size(),
        "exempt_cases": x[x["exoneration"] == "exempt"].groupby("officer_id").size()}).fillna(0)
    return out.astype(int).reset_index()
