"""The accountability review (贷后管理工作责任追究): the register and one case file per case.

`case_page_html` renders a case file as HTML (used in the workbook and, unchanged, for the
per-case HTML/PDF files); nothing is computed from the extract here.
"""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML, display

from postloan.accountability.export import DRAFT
from postloan.marts.build import Marts
from postloan.marts.scope import scope_frame, scope_name
from postloan.present import fmt, svg
from postloan.present.loading import ScopeError, product_marts  # noqa: F401  (ScopeError re-exported)
from postloan.present.tables import CSS, book_note, heading, kpis, lead, table



def load_review(run_dir, scope: str = "all") -> tuple[Marts, str]:
    return product_marts(run_dir, "accountability", scope), scope


def _officer(m: Marts, oid) -> str:
    """Name (id), with the leave date of an officer who has left; 无人管户 for nobody."""
    if not isinstance(oid, str):
        return "无人管户"
    name, left = m.officer_names().get(oid, ("", None))
    return f"{name}（{oid}）" + (f"（已于 {fmt.day(left)} 离职）" if pd.notna(left) else "")


def _chart(tl: pd.DataFrame) -> str:
    """The duties of the case on a time axis (inline SVG: one per case, thousands per run);
    grey bands are the periods nobody managed the customer."""
    rows = list(zip(*(tl[c].tolist() for c in ("duty", "duty_cn", "due_date", "done_date", "status"))))
    points = [(label, due, status) for _, label, due, _, status in rows if status != "event"]
    duties = list(dict.fromkeys(label for label, _, _ in points if not pd.isna(label)))   # in order, once each
    spans = [(due, done) for duty, _, due, done, status in rows if status == "event" and duty == "unassigned"]
    return svg.timeline(duties, points, spans, "职责时间线（灰色区间 = 无人管户）")


def _workout_line(c) -> str:
    """The workout book's estimate beside the booked loss (cases of runs with the workout policy)."""
    if "expected_loss" not in c.index:
        return ""
    route = c.workout_route_cn if isinstance(c.workout_route_cn, str) else None
    return lead(("不良资产清收处置估值：建议路径" + route + "，预计可回收现值 " + fmt.money(c.workout_value, "万元")
                 if route else "该借据本月不在清收处置台账中，预计可回收现值按 0 计")
                + f"；扣除后的预计损失 {fmt.money(c.expected_loss, '万元')}。认定计分按账面损失（已回收后的余额），预计损失供委员会参考。")


def case_page_html(m: Marts, case_id: str) -> str:
    c = m.rows_of("accountability_cases", "case_id", case_id).iloc[0]
    tl = m.rows_of("accountability_timeline", "case_id", case_id)
    lp = m.rows_of("accountability_lapses", "case_id", case_id)
    det = m.rows_of("accountability_determinations", "case_id", case_id)
    parts = [CSS, '<div style="break-before: page"></div>',
             heading(2, f"{case_id} 责任认定案卷：{c.customer_name}（{c.customer_id}）借据 {c.loan_id}"),
             f'<p class="pl pl-note"><b>{DRAFT}</b></p>',
             kpis([("认定原因", c.reason_cn), ("案件日期", fmt.day(c.case_date)),
                   ("违约日", fmt.day(c.default_date) if pd.notna(c.default_date) else "未违约"),
                   ("债权金额", fmt.money(c.case_balance, "万元")), ("已回收", fmt.money(c.recovered, "万元")),
                   ("损失", fmt.money(c.loss, "万元")), ("普惠免责范围", "是" if c.inclusive_scope else "否")]),
             _workout_line(c),
             lead(f"借据于 {fmt.day(c.disbursement_date)} 发放，金额 {fmt.money(c.amount, '万元')}，到期日 {fmt.day(c.effective_maturity)}；",
                  f"自发放至案件日期共梳理职责 {int((tl['status'] != 'event').sum())} 项，其中失职 {len(lp)} 项"
                  f"（违约后发生、不计入认定的 {int((~lp['counted']).sum()) if len(lp) else 0} 项）。"
                  "违约日取逾期天数首次超过认定标准之日与首次分类为不良的月末孰早；已收回含现金、保证人代偿、处置押品、转让价款与以物抵债。")]
    if (tl["status"] != "event").any():
        parts.append(_chart(tl))
    ev = tl[tl["status"] == "event"]
    if len(ev):
        parts.append("<h3 class='pl'>管户与移交</h3>" + table(ev, [
            ("duty_cn", "事项", None), ("due_date", "日期", "date"), ("detail", "说明", None), ("who", "接收人", None)],
            extra={"who": [_officer(m, o) for o in ev["officer_id"].tolist()]}))
    parts.append("<h3 class='pl'>失职事项</h3>" + table(lp, [
        ("duty_cn", "职责", None), ("stage_cn", "环节", None), ("ref", "编号", "ref"), ("due_date", "应履行日", "date"),
        ("done_date", "履行日", "date"), ("status_cn", "状态", None), ("days_late", "逾期天数", "int"),
        ("who", "责任人", None), ("severity_cn", "严重程度", None)], None, "未发现失职事项。",
        extra={"who": [_officer(m, o) for o in lp["officer_id"].tolist()]}))
    parts.append("<h3 class='pl'>责任认定建议（待委员会审定）</h3>" + table(det, [
        ("who", "人员", None), ("degree_cn", "责任程度", None), ("exoneration_cn", "免责认定", None),
        ("reason", "理由（依据数据）", None), ("basis", "适用规定", None), ("sanction_cn", "建议处理", None)],
        extra={"who": [_officer(m, o) for o in det["officer_id"].tolist()]}))
    ok = tl[tl["status"] == "on_time"]
    ev_rows = []
    for oid, g in ok.groupby("officer_id"):
        ev_rows.append({"who": _officer(m, oid), "n": len(g),
                        "list": "；".join(f"{r.duty_cn} {fmt.day(r.due_date)}" for r in g.head(12).itertuples())
                        + ("……" if len(g) > 12 else "")})
    parts.append("<h3 class='pl'>尽职免责证据：按时履行的职责</h3>" + table(pd.DataFrame(ev_rows), [
        ("who", "人员", None), ("n", "按时履行项数", "int"), ("list", "事项（应履行日）", None)], None, "无。"))
    return "".join(parts)


def show_register(m: Marts, scope: str):
    cases = scope_frame(m["accountability_cases"], scope)
    lapses = scope_frame(m["accountability_lapses"], scope)
    det = scope_frame(m["accountability_determinations"], scope)
    label = m["period"].iloc[0]["label_cn"]
    display(HTML(CSS + heading(1, f'{scope_name(m["branches"], scope)} 贷后管理工作责任追究（{label}）')
                 + f'<p class="pl pl-note"><b>{DRAFT}</b></p>'))
    by_class = det[det["degree"] != "leadership"].groupby("exoneration_cn").size() if len(det) else pd.Series(dtype=int)
    display(HTML(lead(f"本期纳入责任认定的案件 {len(cases)} 笔，梳理出失职事项 {len(lapses)} 项；",
                      "涉及人员的免责认定建议：" + ("，".join(f"{k} {v} 人次" for k, v in by_class.items()) or "无") + "。")))
    if len(cases):
        n_lapses = lapses.groupby("case_id").size() if len(lapses) else pd.Series(dtype=int)
        reg = cases.assign(n=cases["case_id"].map(n_lapses).fillna(0))
        display(HTML("<h2 class='pl'>案件登记簿</h2>" + table(reg, [
            ("case_id", "案件编号", None), ("loan_id", "借据号", None), ("customer_id", "客户号", None),
            ("customer_name", "客户名称", None), ("reason_cn", "原因", None), ("case_date", "案件日期", "date"),
            ("case_balance", "风险余额（万元）", "money"), ("loss", "账面损失（万元）", "money")]
            + ([("expected_loss", "处置后预计损失（万元）", "money")] if "expected_loss" in reg else [])
            + [("n", "失职事项", "int")])))
    if len(lapses):
        by = lapses.groupby(["duty_cn", "severity_cn"]).size().rename("n").reset_index()
        display(HTML("<h2 class='pl'>失职事项按职责</h2>" + table(by, [("duty_cn", "职责", None), ("severity_cn", "严重程度", None),
                                                                 ("n", "项数", "int")])))


def show_cases(m: Marts, scope: str, pages: bool = True):
    """Every case file of the scope; with `pages` false, where they are (the scope's case book)."""
    ids = list(scope_frame(m["accountability_cases"], scope).get("case_id", []))
    if not pages:
        display(HTML(book_note(len(ids), scope)))
        return
    for case_id in ids:
        display(HTML(case_page_html(m, case_id)))
