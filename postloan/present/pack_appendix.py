"""明细表: the full lists behind the meeting pack's tables, one Excel workbook per scope
(`meeting_pack/<scope>_明细表.xlsx`), so that a manager can open every line the pages cut
at `top_n`. Columns are labelled in Chinese, codes shown by their labels, amounts in yuan."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from postloan.glossary import enum_labels, term_labels
from postloan.marts.build import Marts
from postloan.marts.scope import scope_frame
from postloan.present import fmt
from postloan.present.excel import write_workbook

APPENDIX_SUFFIX = "_明细表.xlsx"


XLSX_KIND = {"money": "amount", "int": "count", "date": "date"}


def _sheet(frame: pd.DataFrame, columns: list[tuple], officers: dict) -> tuple[pd.DataFrame, dict]:
    """(table, {header: Excel column kind}). `columns`: (column, header, kind) with kind None
    (text), money (yuan), int, date, enum:<name>, term:<group>, ref, officer."""
    out = {}
    for col, header, kind in columns:
        s = frame[col] if col in frame else pd.Series([None] * len(frame), index=frame.index)
        if kind == "date":
            s = pd.to_datetime(s).dt.date
        elif kind and kind.startswith("enum:"):
            labels = enum_labels(kind[5:])
            s = s.map(lambda v: labels.get(v, v))
        elif kind and kind.startswith("term:"):
            labels = term_labels(kind[5:])
            s = s.map(lambda v: labels.get(v, v))
        elif kind == "ref":
            s = s.map(fmt.duty_ref)
        elif kind == "officer":
            s = s.map(lambda o: f"{officers.get(o, '')}（{o}）" if isinstance(o, str) else "")
        out[header] = s.to_numpy()
    return pd.DataFrame(out), {header: XLSX_KIND.get(kind, "text") for _, header, kind in columns}


def appendix_sheets(m: Marts, scope: str) -> list[tuple[str, pd.DataFrame, dict]]:
    officers = dict(zip(m["officers"]["officer_id"], m["officers"]["name"]))
    sf = lambda name: scope_frame(m[name], scope) if name in m.tables else pd.DataFrame()
    snap = sf("loan_snapshot")
    active = snap[snap["active"]] if len(snap) else snap
    moved = active[active["class_p"].notna() & (active["classification"] != active["class_p"])]
    actions = sf("meeting_actions_status")
    actions = actions[actions["state"].isin(["open", "overdue"])] if len(actions) else actions
    duties = sf("inspection_duties")
    duties = duties[duties["status"] != "on_time"] if len(duties) else duties
    warnings = sf("warning_lifecycle")
    warnings = warnings[warnings["open_at_end"]] if len(warnings) else warnings
    archives = sf("archive_defects")
    loan = [("loan_id", "借据号", None), ("customer_id", "客户号", None), ("customer_name", "客户名称", None)]
    return [
        ("未完成决议", *_sheet(actions, [("action_id", "编号", None), ("meeting_month", "会议月份", None),
                                    ("item", "决议事项", None), ("owner_officer_id", "责任人", "officer"),
                                    ("due_date", "完成时限", "date"), ("state", "状态", "term:action_state")], officers)),
        ("分类低于底线", *_sheet(active[active["floor_breach"]] if len(active) else active, loan + [
            ("balance", "余额（元）", "money"), ("dpd", "逾期天数", "int"), ("classification", "现分类", "enum:classification"),
            ("floor_class", "应至少为", "enum:classification"), ("officer_id", "管户人", "officer")], officers)),
        ("分类调整", *_sheet(moved, loan + [("balance", "余额（元）", "money"), ("class_p", "上月分类", "enum:classification"),
                                       ("classification", "本月分类", "enum:classification"), ("dpd", "逾期天数", "int"),
                                       ("officer_id", "管户人", "officer")], officers)),
        ("检查未按时", *_sheet(duties, [("duty", "检查", "term:duty"), ("loan_id", "借据号", None),
                                   ("customer_id", "客户号", None), ("customer_name", "客户名称", None),
                                   ("due_date", "应完成日", "date"), ("done_date", "完成日", "date"),
                                   ("officer_id", "责任人", "officer")], officers)),
        ("未解除预警", *_sheet(warnings, [("warning_id", "预警编号", None), ("customer_id", "客户号", None),
                                    ("customer_name", "客户名称", None), ("level", "级别", "enum:warning_level"),
                                    ("category", "类别", "enum:warning_category"), ("source", "来源", "enum:warning_source"),
                                    ("identified_date", "识别日", "date"), ("officer_id", "管户人", "officer")], officers)),
        ("批量监管发现", *_sheet(sf("monitoring_exceptions"), [("area", "领域", "term:monitoring_area"),
                                                        ("loan_id", "借据号", None), ("customer_id", "客户号/机构号", None),
                                                        ("customer_name", "名称", None), ("detail", "情况", None),
                                                        ("amount", "金额（元）", "money")], officers)),
        ("催收案件", *_sheet(sf("collection_cases"), loan + [("stage", "阶段", "term:collection_stage"),
                                                       ("balance", "余额（元）", "money"), ("dpd", "逾期天数", "int"),
                                                       ("officer_id", "管户人", "officer")], officers)),
        ("法律期限", *_sheet(sf("legal_deadlines"), loan + [("kind_label", "期限", None), ("party", "对象", None),
                                                      ("deadline", "到期日", "date"), ("days_left", "剩余天数", "int"),
                                                      ("claim", "债权（元）", "money"), ("note", "说明", None)], officers)),
        ("处置明细", *_sheet(sf("recoveries_ytd"), [("recovery_id", "编号", None), ("loan_id", "借据号", None),
                                               ("customer_name", "客户名称", None), ("recovery_date", "日期", "date"),
                                               ("method", "方式", "enum:recovery_method"), ("amount", "金额（元）", "money"),
                                               ("cost", "费用（元）", "money")], officers)),
        ("档案缺失与逾期", *_sheet(archives, [("loan_id", "借据号", None), ("customer_name", "客户名称", None),
                                        ("doc_type", "档案类型", "term:archive_doc_type"), ("due_date", "应归档日", "date"),
                                        ("defect", "问题", "term:archive_defect"), ("days_late", "逾期天数", "int"),
                                        ("officer_id", "责任人", "officer")], officers)),
    ]


def write_appendix(m: Marts, scope: str, folder: Path) -> Path:
    from postloan.marts.scope import scope_name
    about = {"产品": "贷后管理例会材料 · 明细表", "期间": m.month, "范围": scope_name(m["branches"], scope),
             "内容": "例会材料各表的完整清单（页面只列前若干行）；金额单位为元"}
    return write_workbook(Path(folder) / f"{scope}{APPENDIX_SUFFIX}", appendix_sheets(m, scope), about)


DOWNLOAD_LIMIT = 8 * 1024 * 1024        # larger appendices are fetched from the run folder instead


def download_link(run_dir, scope: str) -> str:
    """For the dashboard: the scope's published 明细表 as a download link (a data: URI of the
    published file — read-only, and only on a view the user may already see)."""
    import base64
    import html
    path = Path(run_dir) / "meeting_pack" / f"{scope}{APPENDIX_SUFFIX}"
    if not path.is_file():
        return '<p class="pl pl-note">本次运行没有发布明细表（运行早于该功能）。</p>'
    if path.stat().st_size > DOWNLOAD_LIMIT:
        return (f'<p class="pl pl-note">本范围明细表较大（{path.stat().st_size / 1024 / 1024:.1f} MB），'
                f'请从运行目录 meeting_pack/{html.escape(path.name)} 获取。</p>')
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return (f'<p class="pl pl-note"><a download="{html.escape(path.name)}" href="data:{mime};base64,{data}">'
            f'下载本范围的全部明细（Excel：{html.escape(path.name)}）</a></p>')
