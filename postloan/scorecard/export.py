"""Scorecard outputs for HR: the figures JSON and the Excel workbook of one scope."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from postloan.frame_rows import row_values
from postloan.glossary import term_labels
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



def page_order(m: Marts, scope: str) -> list[str]:
    """The officers of the scope in page order: managing branch, then rank in the branch."""
    t = _current(m, "scorecard_totals", scope).sort_values(["managing_branch_id", "rank_branch", "officer_id"])
    return t["officer_id"].tolist()


def write_officer_pages(m: Marts, scope: str, folder: Path, top_n: int) -> list[tuple[str, Path]]:
    """One self-contained HTML page per officer, written once however many scopes hold the
    officer (in `scorecards/officers/<工号>.html`); every officer of the scope is returned, in
    page order, as a "case" page, which the runner prints once and binds into the scope's book
    `<scope>_pages.pdf`. `top_n`: the unmet duties an officer's page lists."""
    from postloan.present.scorecards import ScorecardBook, officer_pages_html
    from postloan.run.export import page_file_name, page_html
    pages = Path(folder) / "officers"
    pages.mkdir(exist_ok=True)
    ids = page_order(m, scope)
    paths = [pages / f"{page_file_name(officer_id)}.html" for officer_id in ids]
    new = [(officer_id, path) for officer_id, path in zip(ids, paths) if not path.exists()]
    names = dict(zip(m["scorecard_totals"]["officer_id"], m["scorecard_totals"]["name"]))
    book = ScorecardBook(m, scope, top_n)
    for (officer_id, path), html in zip(new, officer_pages_html(book, [i for i, _ in new])):
        path.write_text(page_html(f"{names.get(officer_id, '')}（{officer_id}） 个人考核评价表（{m.month}）", html),
                        encoding="utf-8")
    return [("case", p) for p in paths]


def scorecard_figures(m: Marts, scope: str) -> dict:
    t = _current(m, "scorecard_totals", scope).sort_values("officer_id")
    ind = _current(m, "scorecard_indicators", scope)
    by_officer: dict = {}
    for officer_id, iid, value, score, cases, status, weight in row_values(
            ind, ["officer_id", "indicator_id", "value", "score", "cases", "status", "effective_weight"]):
        by_officer.setdefault(officer_id, {})[iid] = {"value": _num(value), "score": _num(score), "cases": int(cases),
                                                      "status": status, "effective_weight": _num(weight)}
    officers = []
    for (officer_id, name, branch_id, role, period, weighted, deductions, total, grade, veto, rank_branch, rank_role,
         peer_median, present_days) in row_values(t, ["officer_id", "name", "branch_id", "role", "period", "weighted_score",
                                                  "deductions", "total_score", "grade", "veto", "rank_branch",
                                                  "rank_role", "peer_median", "present_days"]):
        officers.append({
            "officer_id": officer_id, "name": name, "branch_id": branch_id, "role": role, "period": period,
            "indicators": by_officer.get(officer_id, {}),
            "weighted_score": _num(weighted), "deductions": _num(deductions),
            "total_score": _num(total), "grade": grade, "veto": veto or None,
            "rank_branch": _num(rank_branch), "rank_role": _num(rank_role),
            "peer_median": _num(peer_median), "present_days": _num(present_days)})
    return {"period": m.month, "scope": scope, "officers": officers}


def write_excel(m: Marts, scope: str, path: Path) -> Path:
    from postloan.marts.scope import scope_name
    t = _current(m, "scorecard_totals", scope).sort_values(["managing_branch_id", "rank_branch", "officer_id"])
    ind = _current(m, "scorecard_indicators", scope)
    names = dict(zip(m["branches"]["branch_id"], m["branches"]["branch_name"]))
    sheet = pd.DataFrame({
        "工号": t["officer_id"].to_numpy(), "姓名": t["name"].to_numpy(),
        "机构": t["branch_id"].map(names).to_numpy(), "岗位": t["role"].to_numpy(),
        "考核期间": t["period"].to_numpy(), "在岗天数": t["present_days"].to_numpy(),
        "期间天数": t["period_days"].to_numpy()})
    kinds = {"工号": "text", "姓名": "text", "机构": "text", "岗位": "code:officer_role", "考核期间": "text",
             "在岗天数": "count", "期间天数": "count"}
    order = ind[["indicator_id", "indicator_name", "unit"]].drop_duplicates("indicator_id")
    for iid, iname, unit in order.itertuples(index=False):
        x = ind[ind["indicator_id"] == iid].set_index("officer_id")
        sheet[f"{iname}-实际值"] = t["officer_id"].map(x["value"]).to_numpy()
        sheet[f"{iname}-得分"] = t["officer_id"].map(x["score"]).to_numpy()
        sheet[f"{iname}-样本数"] = t["officer_id"].map(x["cases"]).to_numpy()
        sheet[f"{iname}-状态"] = t["officer_id"].map(x["status"]).map({"scored": "已评分", "insufficient": "样本不足"}).to_numpy()
        kinds.update({f"{iname}-实际值": "number" if unit == "points" else "rate", f"{iname}-得分": "number",
                      f"{iname}-样本数": "count", f"{iname}-状态": "text"})
    sheet["加权得分"] = t["weighted_score"].to_numpy()
    sheet["扣分"] = t["deductions"].to_numpy()
    sheet["总分"] = t["total_score"].to_numpy()
    sheet["等级"] = t["grade_name"].to_numpy()
    sheet["一票否决"] = t["veto"].to_numpy()
    sheet["分行内排名"] = t["rank_branch"].to_numpy()
    sheet["岗位排名"] = t["rank_role"].to_numpy()
    sheet["同类中位数"] = t["peer_median"].to_numpy()
    kinds.update({"加权得分": "number", "扣分": "number", "总分": "number", "等级": "text", "一票否决": "text",
                  "分行内排名": "count", "岗位排名": "count", "同类中位数": "number"})
    d = scope_frame(m["scorecard_duties"], scope)
    detail = pd.DataFrame({
        "工号": d["officer_id"].to_numpy(), "事项": d["duty"].map(DUTY_CN).to_numpy(), "编号": d["ref"].map(duty_ref).to_numpy(),
        "客户号": d["customer_id"].to_numpy(), "借据号": d["loan_id"].to_numpy(),
        "应完成日": d["due_date"].to_numpy(), "完成日": d["done_date"].to_numpy(),
        "逾期天数": d["days_late"].to_numpy(), "达标": d["ok"].map({1.0: True, 0.0: False}).to_numpy(),
        "得分点": d["points"].to_numpy(), "金额（元）": d["amount"].to_numpy()}).sort_values(["工号", "事项", "应完成日"])
    detail_kinds = {"工号": "text", "事项": "text", "编号": "text", "客户号": "text", "借据号": "text", "应完成日": "date",
                    "完成日": "date", "逾期天数": "count", "达标": "flag", "得分点": "number", "金额（元）": "amount"}
    lib = ind[["indicator_id", "indicator_name", "weight", "target", "direction", "unit"]].drop_duplicates("indicator_id")
    lib = pd.DataFrame({"指标编号": lib["indicator_id"].to_numpy(), "指标": lib["indicator_name"].to_numpy(),
                        "权重（%）": lib["weight"].to_numpy(),
                        "目标": [f"{v:.0f} 分" if u == "points" else f"{v:.1%}" for v, u in zip(lib["target"], lib["unit"])],
                        "方向": lib["direction"].map({"higher_better": "越高越好", "lower_better": "越低越好"}).to_numpy()})
    lib_kinds = {"指标编号": "text", "指标": "text", "权重（%）": "number", "目标": "text", "方向": "text"}
    period = t["period"].iloc[0] if len(t) else m.month
    about = {"产品": "贷后管理考核评价", "期间": str(period), "范围": scope_name(m["branches"], scope),
             "内容": "考核结果（每位客户经理一行）、明细（每项职责一行）、指标说明；权重与等级见 parameters/scorecard_policy.yaml"}
    return write_workbook(path, [("考核结果", sheet, kinds), ("明细", detail, detail_kinds), ("指标说明", lib, lib_kinds)],
                          about)
