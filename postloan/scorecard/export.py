"""Scorecard outputs for HR: the figures JSON and the Excel workbook of one scope."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from postloan.glossary import enum_labels, term_labels
from postloan.marts.build import Marts
from postloan.marts.scope import scope_frame
from postloan.present.excel import write_workbook
from postloan.present.fmt import duty_ref

DUTY_CN = term_labels("duty")


def _num(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else (
        float(v) if isinstance(v, (float, np.floating)) else (int(v) if isinstance(v, (np.integer,)) else v))


def _current(m: Marts, name: str, scope: str) -> pd.DataFrame:
    t = scope_frame(m[name], scope)
    return t[t["period"] == m.month]



def page_sets(m: Marts, scope: str, per_set: int) -> list[list[str]]:
    """The officers of the scope in page order (managing branch, rank), cut into sets of at
    most `per_set` one-page scorecards: each set is one notebook, HTML and PDF of the run."""
    t = _current(m, "scorecard_totals", scope).sort_values(["managing_branch_id", "rank_branch", "officer_id"])
    ids = t["officer_id"].tolist()
    return [ids[i:i + per_set] for i in range(0, len(ids), per_set)] or [[]]


def scorecard_figures(m: Marts, scope: str) -> dict:
    t = _current(m, "scorecard_totals", scope).sort_values("officer_id")
    ind = _current(m, "scorecard_indicators", scope)
    by_officer = {k: g for k, g in ind.groupby("officer_id", sort=False)}
    officers = []
    for r in t.itertuples():
        rows = by_officer.get(r.officer_id, ind.iloc[:0])
        officers.append({
            "officer_id": r.officer_id, "name": r.name, "branch_id": r.branch_id, "role": r.role, "period": r.period,
            "indicators": {i.indicator_id: {"value": _num(i.value), "score": _num(i.score), "cases": int(i.cases),
                                            "status": i.status, "effective_weight": _num(i.effective_weight)}
                           for i in rows.itertuples()},
            "weighted_score": _num(r.weighted_score), "deductions": _num(r.deductions),
            "total_score": _num(r.total_score), "grade": r.grade, "veto": r.veto or None,
            "rank_branch": _num(r.rank_branch), "rank_role": _num(r.rank_role),
            "peer_median": _num(r.peer_median), "present_days": _num(r.present_days)})
    return {"period": m.month, "scope": scope, "officers": officers}


def write_excel(m: Marts, scope: str, path: Path) -> Path:
    t = _current(m, "scorecard_totals", scope).sort_values(["managing_branch_id", "rank_branch", "officer_id"])
    ind = _current(m, "scorecard_indicators", scope)
    names = dict(zip(m["branches"]["branch_id"], m["branches"]["branch_name"]))
    role = enum_labels("officer_role")
    sheet = pd.DataFrame({
        "工号": t["officer_id"].to_numpy(), "姓名": t["name"].to_numpy(),
        "机构": t["branch_id"].map(names).to_numpy(), "岗位": t["role"].map(role).to_numpy(),
        "考核期间": t["period"].to_numpy(), "在岗天数": t["present_days"].to_numpy(),
        "期间天数": t["period_days"].to_numpy()})
    order = ind[["indicator_id", "indicator_name"]].drop_duplicates()
    for iid, iname in order.itertuples(index=False):
        x = ind[ind["indicator_id"] == iid].set_index("officer_id")
        sheet[f"{iname}-实际值"] = t["officer_id"].map(x["value"]).to_numpy()
        sheet[f"{iname}-得分"] = t["officer_id"].map(x["score"]).to_numpy()
        sheet[f"{iname}-样本数"] = t["officer_id"].map(x["cases"]).to_numpy()
        sheet[f"{iname}-状态"] = t["officer_id"].map(x["status"]).map({"scored": "已评分", "insufficient": "样本不足"}).to_numpy()
    sheet["加权得分"] = t["weighted_score"].to_numpy()
    sheet["扣分"] = t["deductions"].to_numpy()
    sheet["总分"] = t["total_score"].to_numpy()
    sheet["等级"] = t["grade_name"].to_numpy()
    sheet["一票否决"] = t["veto"].to_numpy()
    sheet["分行内排名"] = t["rank_branch"].to_numpy()
    sheet["岗位排名"] = t["rank_role"].to_numpy()
    sheet["同类中位数"] = t["peer_median"].to_numpy()
    d = scope_frame(m["scorecard_duties"], scope)
    detail = pd.DataFrame({
        "工号": d["officer_id"].to_numpy(), "事项": d["duty"].map(DUTY_CN).to_numpy(), "编号": d["ref"].map(duty_ref).to_numpy(),
        "客户号": d["customer_id"].to_numpy(), "借据号": d["loan_id"].to_numpy(),
        "应完成日": d["due_date"].dt.date.to_numpy(), "完成日": d["done_date"].dt.date.to_numpy(),
        "逾期天数": d["days_late"].to_numpy(), "达标": d["ok"].map({1.0: "是", 0.0: "否"}).to_numpy(),
        "得分点": d["points"].to_numpy(), "金额": d["amount"].to_numpy()}).sort_values(["工号", "事项", "应完成日"])
    lib = ind[["indicator_id", "indicator_name", "weight", "target", "direction"]].drop_duplicates("indicator_id")
    lib = lib.rename(columns={"indicator_id": "指标编号", "indicator_name": "指标", "weight": "权重",
                              "target": "目标", "direction": "方向"})
    return write_workbook(path, [("考核结果", sheet), ("明细", detail), ("指标说明", lib)])
