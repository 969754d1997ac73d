"""Accountability outputs: the register (Excel), figures JSON, and a case file per case."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from postloan.marts.build import Marts
from postloan.marts.scope import scope_frame
from postloan.present.excel import write_workbook
from postloan.present.fmt import duty_ref

DRAFT = "本材料为系统生成的责任认定建议稿，仅供责任认定委员会审议，不构成最终处理决定。"


def accountability_figures(m: Marts, scope: str) -> dict:
    cases = scope_frame(m["accountability_cases"], scope)
    lapses = scope_frame(m["accountability_lapses"], scope)
    det = scope_frame(m["accountability_determinations"], scope)
    return {
        "period": m.month, "scope": scope, "status": "draft_for_committee", "note": DRAFT,
        "cases": int(len(cases)), "lapses": int(len(lapses)),
        "loss": round(float(cases["loss"].sum()), 2) if len(cases) else 0.0,
        "expected_loss": round(float(cases["expected_loss"].sum()), 2) if "expected_loss" in cases else None,
        "lapses_by_duty": {k: int(v) for k, v in lapses.groupby("duty").size().items()} if len(lapses) else {},
        "lapses_by_severity": {k: int(v) for k, v in lapses.groupby("severity").size().items()} if len(lapses) else {},
        "determinations": [
            {"case_id": r.case_id, "officer_id": r.officer_id, "degree": r.degree, "exoneration": r.exoneration,
             "sanction": r.sanction, "points": float(r.points)} for r in det.itertuples()] if len(det) else [],
    }


def write_register(m: Marts, scope: str, path: Path) -> Path:
    from postloan.marts.scope import scope_name
    cases = scope_frame(m["accountability_cases"], scope)
    lapses = scope_frame(m["accountability_lapses"], scope)
    det = scope_frame(m["accountability_determinations"], scope)
    tl = scope_frame(m["accountability_timeline"], scope)
    names = dict(zip(m["officers"]["officer_id"], m["officers"]["name"]))
    who = lambda o: f"{names.get(o, '')}（{o}）" if isinstance(o, str) else "无人管户"
    col = lambda name: cases[name] if name in cases else pd.Series([None] * len(cases), index=cases.index, dtype=object)
    case_sheet = pd.DataFrame({
        "案件编号": col("case_id"), "借据号": col("loan_id"), "客户号": col("customer_id"), "客户名称": col("customer_name"),
        "原因": col("reason_cn"), "案件日期": col("case_date"), "违约日": col("default_date"),
        "债权金额（元）": col("case_balance"), "已回收（元）": col("recovered"), "损失（元）": col("loss"),
        "处置建议路径": col("workout_route_cn"), "预计可回收现值（元）": col("workout_value"),
        "预计损失（元）": col("expected_loss"), "客户授信（元）": col("customer_credit"), "普惠免责范围": col("inclusive_scope")})
    case_kinds = {"案件编号": "text", "借据号": "text", "客户号": "text", "客户名称": "text", "原因": "text",
                  "案件日期": "date", "违约日": "date", "债权金额（元）": "amount", "已回收（元）": "amount",
                  "损失（元）": "amount", "处置建议路径": "text", "预计可回收现值（元）": "amount",
                  "预计损失（元）": "amount", "客户授信（元）": "amount", "普惠免责范围": "flag"}
    sheets = [("案件", case_sheet, case_kinds)]
    if len(lapses):
        sheets.append(("失职事项", pd.DataFrame({
            "案件编号": lapses["case_id"], "借据号": lapses["loan_id"], "职责": lapses["duty_cn"],
            "环节": lapses["stage_cn"], "应履行日": lapses["due_date"], "履行日": lapses["done_date"],
            "状态": lapses["status_cn"], "逾期天数": lapses["days_late"], "责任人": lapses["officer_id"].map(who),
            "严重程度": lapses["severity_cn"], "计分": lapses["points"],
            "计入认定": lapses["counted"].map({True: "是", False: "否（违约后）"}), "编号": lapses["ref"].map(duty_ref),
            "委员会认定": "", "申诉": ""}),
            {"案件编号": "text", "借据号": "text", "职责": "text", "环节": "text", "应履行日": "date", "履行日": "date",
             "状态": "text", "逾期天数": "count", "责任人": "text", "严重程度": "text", "计分": "number",
             "计入认定": "text", "编号": "text", "委员会认定": "text", "申诉": "text"}))
    if len(det):
        sheets.append(("责任认定", pd.DataFrame({
            "案件编号": det["case_id"], "工号": det["officer_id"], "姓名": det["officer_name"],
            "离职日期": det["officer_left_date"], "责任程度": det["degree_cn"], "免责认定": det["exoneration_cn"],
            "依据": det["basis"], "理由": det["reason"], "失职计分": det["points"], "损失（元）": det["loss"],
            "建议处理": det["sanction_cn"], "委员会最终认定": "", "申诉": "", "申诉结果（不得加重）": ""}),
            {"案件编号": "text", "工号": "text", "姓名": "text", "离职日期": "date", "责任程度": "text", "免责认定": "text",
             "依据": "text", "理由": "text", "失职计分": "number", "损失（元）": "amount", "建议处理": "text",
             "委员会最终认定": "text", "申诉": "text", "申诉结果（不得加重）": "text"}))
    ok = tl[tl["status"] == "on_time"] if len(tl) else tl
    if len(ok):
        sheets.append(("尽职证据", pd.DataFrame({"案件编号": ok["case_id"], "工号": ok["officer_id"], "职责": ok["duty_cn"],
                                             "应履行日": ok["due_date"], "履行日": ok["done_date"],
                                             "编号": ok["ref"].map(duty_ref)}),
                       {"案件编号": "text", "工号": "text", "职责": "text", "应履行日": "date", "履行日": "date",
                        "编号": "text"}))
    about = {"产品": "贷后管理工作责任追究", "期间": str(m["period"].iloc[0]["label_cn"]),
             "范围": scope_name(m["branches"], scope), "性质": DRAFT,
             "填写": "委员会认定、申诉两列由责任认定委员会填写；申诉不得加重处理。"}
    return write_workbook(path, sheets, about)


def write_case_files(m: Marts, scope: str, folder: Path) -> list[tuple[str, Path]]:
    """One self-contained HTML case file per case, written once however many scopes hold it
    (in `accountability/cases/`); every case of the scope is returned as a "case" page, which
    the runner prints once and binds into the scope's book `<scope>_cases.pdf`."""
    from postloan.present.accountability import case_page_html
    from postloan.run.export import page_file_name, page_html
    out = []
    cases_dir = Path(folder) / "cases"
    cases_dir.mkdir(exist_ok=True)
    for case_id in scope_frame(m["accountability_cases"], scope).get("case_id", []):
        path = cases_dir / f"{page_file_name(case_id)}.html"
        if not path.exists():
            path.write_text(page_html(f"{case_id} 责任认定案卷", case_page_html(m, case_id)), encoding="utf-8")
        out.append(("case", path))
    return out
