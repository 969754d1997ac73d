"""Officer scorecards (贷后管理考核评价): the branch ranking and one page per officer.

    book = load_scorecards(run_dir, scope="all")
    show_ranking(book); show_officer_pages(book, show=False)     # or officer_page_html(book, "E00012")

Officer pages draw their charts as inline SVG (svg.py): ~15 ms a page instead of ~0.3 s
for a matplotlib figure, so thousands of pages fit in one run.

All values come from the scorecard marts; nothing is computed from the extract here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from postloan.frame_rows import group_positions, row_values, sort_order
from postloan.glossary import enum_labels
from postloan.marts.build import Marts
from postloan.marts.scope import scope_name
from postloan.present import fmt, svg
from postloan.present.loading import ScopeError, product_marts  # noqa: F401  (ScopeError re-exported)
from postloan.present.tables import CSS, heading, kpis, labels_of, lead, table, values_table
from postloan.scorecard.export import DUTY_CN, page_order as page_order_of

ROLE = enum_labels("officer_role")
PAGE_CSS = "<style>.pl-page { break-before: page; page-break-before: always; }</style>"

@dataclass
class ScorecardBook:
    marts: Marts
    scope: str
    top_n: int = 8

    @property
    def period(self) -> str:
        return self.marts.month

    @property
    def period_row(self):
        return self.marts["period"].iloc[0]

    def totals(self, period: str | None = None) -> pd.DataFrame:
        t = self.marts.for_scope("scorecard_totals", self.scope)
        return t[t["period"] == (period or self.period)]

    def indicators(self) -> pd.DataFrame:
        i = self.marts.for_scope("scorecard_indicators", self.scope)
        return i[i["period"] == self.period]

    def duties(self) -> pd.DataFrame:
        return self.marts.for_scope("scorecard_duties", self.scope)

    @property
    def grades(self) -> list:
        """The run's grade bands, best first."""
        return list(self.marts["scorecard_grades"].itertuples())

    @property
    def scope_label(self) -> str:
        return scope_name(self.marts["branches"], self.scope)

    def branch(self, ids):
        names = dict(zip(self.marts["branches"]["branch_id"], self.marts["branches"]["branch_name"]))
        return pd.Series(ids).map(lambda i: names.get(i, i))


def load_scorecards(run_dir, scope: str = "all", top_n: int = 8) -> ScorecardBook:
    return ScorecardBook(product_marts(run_dir, "scorecards", scope), scope, top_n)


def show_ranking(book: ScorecardBook):
    t = book.totals()
    rated = t[t["rated"]]
    counts = rated["grade_name"].value_counts()
    graded = bool(t["graded_period"].all()) if len(t) else True
    display(HTML(CSS + PAGE_CSS + heading(1, f'{book.scope_label} 贷后管理考核评价（{book.period_row["label_cn"]}）'
                                          + ("" if graded else "· 过程监测"))))
    if not graded:
        scored = t[t["total_score"].notna()]
        display(HTML(lead(f"本期为月度过程监测：一个月的样本不足以评定人员等级，考核制度规定按季度、年度评级排名，"
                          f"本页只列示各项指标得分，不评等级、不排名。参与监测的客户经理 {len(t)} 人，"
                          f"有足够样本计算得分的 {len(scored)} 人" + (f"，平均得分 {scored['total_score'].mean():.1f} 分。" if len(scored) else "。"))))
    else:
        display(HTML(lead(f"参与考核的客户经理 {len(t)} 人，其中评级 {len(rated)} 人、因样本不足不评级 {len(t) - len(rated)} 人；",
                          "等级分布：" + "，".join(f"{g.name} {int(counts.get(g.name, 0))} 人" for g in book.grades) + "；",
                          f"平均得分 {rated['total_score'].mean():.1f} 分。" if len(rated) else "")))
    r = t.sort_values(["rated", "total_score"], ascending=[False, False]).assign(
        branch_name=lambda x: book.branch(x["branch_id"]).to_numpy(),
        role_cn=lambda x: x["role"].map(ROLE), score=lambda x: x["total_score"].map(lambda v: "—" if pd.isna(v) else f"{v:.2f}"),
        peer=lambda x: x["peer_median"].map(lambda v: "—" if pd.isna(v) else f"{v:.1f}"),
        presence=lambda x: x["present_days"].astype("Int64").astype(str) + "/" + x["period_days"].astype(str))
    display(HTML("<h2 class='pl'>排名表</h2>" + table(r, [
        ("rank_branch", "分行内排名", "int"), ("officer_id", "工号", None), ("name", "姓名", None), ("branch_name", "机构", None),
        ("role_cn", "岗位", None), ("score", "总分", None), ("grade_name", "等级", None), ("veto", "一票否决", None),
        ("peer", "同类中位数", None), ("presence", "在岗天数", None)])))


_INDICATOR_COLUMNS = ["indicator_name", "unit", "value", "direction", "target", "cases", "ok_cases", "status", "score",
                      "weight", "effective_weight"]


def _indicator_table(rows: list[tuple]) -> str:
    """An officer's indicators: `rows` of the _INDICATOR_COLUMNS values, in the marts' order."""
    out = []
    for name, unit, value, direction, target, cases, ok_cases, status, score, weight, effective in rows:
        show = (lambda v, d: f"{v:.{d}f} 分") if unit == "points" else (lambda v, d: fmt.pct(v, 2 if abs(v) < 0.01 else d))
        shown = "—" if pd.isna(value) else show(value, 1)
        goal = ("≤ " if direction == "lower_better" else "") + show(target, 0)
        ev = f"{int(cases)}" + ("" if pd.isna(ok_cases) else f"（达标 {int(ok_cases)}）")
        points = "样本不足" if status != "scored" else f"{score:.1f}"
        weights = f"{weight:.0f}%" + ("" if status != "scored" else f" → {effective * 100:.1f}%")
        out.append((name, shown, goal, points, weights, ev))
    return values_table([list(c) for c in zip(*out)] or [[]] * 6, len(out), [
        ("name", "指标", None), ("value", "实际值", None), ("target", "目标", None), ("score", "得分", None),
        ("weight", "权重（重新分配后）", None), ("ev", "样本数", None)])


def _charts(names: list, scores: list, periods: list, totals: list) -> str:
    """The bars of an officer's indicator scores and the line of the total over the periods."""
    bars = svg.hbars(names, [None if pd.isna(v) else float(v) for v in scores], "各项得分（空白 = 样本不足）")
    line = svg.trend([str(p) for p in periods], [None if pd.isna(v) else float(v) for v in totals], "总分走势")
    return f'<div class="pl-charts" style="display:flex;gap:12px;align-items:flex-start">{bars}{line}</div>'


def _presence_note(r) -> str:
    parts = [f"本期在岗 {int(r.present_days)}/{int(r.period_days)} 天"]
    if r.joined_in_period:
        parts.append(f"{fmt.day(r.hire_date)} 入职")
    if r.left_in_period:
        parts.append(f"{fmt.day(r.leave_date)} 离职")
    if r.away_days:
        parts.append(f"休假移交 {int(r.away_days)} 天")
    note = "，".join(parts)
    if r.presence_share < 1:
        note += f"；清收目标按在岗天数折算（系数 {r.presence_share:.2f}），比率类指标只计本人管户期间到期的事项"
    return note + "。"


def page_order(book: ScorecardBook) -> list[str]:
    """The scope's officers in page order: managing branch, then rank (scorecard.export.page_order)."""
    return page_order_of(book.marts, book.scope)


def show_officer_pages(book: ScorecardBook, show: bool = True):
    """Every officer's page of the scope; with `show` false, where they are: each page is
    written once per run (officers/<工号>.html) and bound into the scope's book."""
    from postloan.products import PRODUCTS          # the book's name is the product's (run.scope_files binds it)
    ids = page_order(book)
    if not show:
        display(HTML(lead(f"本范围客户经理 {len(ids):,} 人，每人一页个人考核评价表：PDF 装订为 "
                          f"{book.scope}_{PRODUCTS['scorecards'].book}.pdf"
                          "（按机构、分行内排名顺序，每人一个书签），网页为 officers/ 目录下的单独文件；仪表板可按客户经理查看。")))
        return
    for html in officer_pages_html(book, ids):
        display(HTML(html))


def officer_page_html(book: ScorecardBook, officer_id: str) -> str:
    """One officer's page (the dashboard's officer view, a run's officers/<工号>.html)."""
    return next(officer_pages_html(book, [officer_id]))


def officer_pages_html(book: ScorecardBook, chosen: list[str]):
    """The pages of the officers `chosen`, in that order (one HTML string each): the tables of
    the period are split by officer, and their columns taken out as lists, once for all of them
    (a frame per officer cost more than the page: 10 ms a page, 4,049 pages on `large`)."""
    if not chosen:
        return
    t = book.totals().set_index("officer_id").loc[chosen].reset_index()
    ind_all = book.indicators()
    ind_sel = ind_all[ind_all["officer_id"].isin(chosen)]
    ind_rows = list(row_values(ind_sel, _INDICATOR_COLUMNS))
    ind_at = group_positions(ind_sel, "officer_id")
    ids = ind_sel["indicator_id"].tolist()
    npl_cols = [ind_sel[c].tolist() if c in ind_sel else None for c in ("value_originated", "value_inherited")]
    duties = book.duties()
    miss_all = duties[(duties["ok"] == 0) & ~duties["duty"].isin(["new_npl"]) & duties["officer_id"].isin(chosen)]
    miss_all = miss_all.reset_index(drop=True)
    miss_at = group_positions(miss_all, "officer_id")
    due = miss_all["due_date"].to_numpy()
    miss_columns = [("duty_cn", "事项", None), ("ref", "编号", "ref"), ("customer_id", "客户号", None),
                    ("due_date", "应完成日", "date"), ("done_date", "完成日", "date"), ("days_late", "逾期天数", "int")]
    miss_values = [labels_of(miss_all["duty"], DUTY_CN)] + [miss_all[c].tolist() for c, _, _ in miss_columns[1:]]
    hist = book.marts["scorecard_totals"]              # one row per officer and period
    hist = hist[hist["officer_id"].isin(chosen)].sort_values(["officer_id", "period"])
    periods_all, totals_all = hist["period"].tolist(), hist["total_score"].tolist()
    trends = {k: ([periods_all[i] for i in at], [totals_all[i] for i in at]) for k, at in group_positions(hist, "officer_id").items()}
    no_trend = ([], [])
    none = np.array([], dtype=np.int64)
    branches = dict(zip(book.marts["branches"]["branch_id"], book.marts["branches"]["branch_name"]))
    for r in t.itertuples():
        at = ind_at.get(r.officer_id, none)
        ind = [ind_rows[i] for i in at]
        score = "—" if pd.isna(r.total_score) else f"{r.total_score:.2f}"
        head = '<div class="pl-page"></div>' + heading(
            2, f"{r.name}（{r.officer_id}） · {branches.get(r.branch_id, r.branch_id)} · {ROLE.get(r.role, r.role)}")
        rank = "—" if pd.isna(r.rank_branch) else f"{int(r.rank_branch)}/{int(r.n_branch)}"
        rank_role = "—" if pd.isna(r.rank_role) else f"{int(r.rank_role)}/{int(r.n_role)}"
        box = kpis([("总分", score), ("等级", r.grade_name), ("分行内排名", rank), ("岗位排名", rank_role),
                    ("同类中位数", "—" if pd.isna(r.peer_median) else f"{r.peer_median:.1f}"),
                    ("扣分", f"{r.deductions:.1f}")])
        notes = [_presence_note(r), f"同类比较组：{ROLE.get(r.role, r.role)}，以{r.book_type_name}客户为主。"]
        if r.veto:
            notes.append(f"一票否决：{r.veto}，等级最高为{r.grade_name}。")
        if not r.graded_period:
            notes.append("本期为月度过程监测，不评等级、不排名；等级以季度、年度考核为准。")
        elif not r.rated:
            notes.append(f"本期有足够样本的指标权重合计 {r.scored_weight:.0f}%，低于评级所需，不评级。")
        npl = [i for i in at if ids[i] == "kpi_new_npl"]
        if npl and npl_cols[0] is not None:
            notes.append(f"新增不良率：本人发放部分 {fmt.pct(npl_cols[0][npl[0]])}，"
                         f"接手部分 {fmt.pct(npl_cols[1][npl[0]] if npl_cols[1] is not None else None)}。")
        order = sort_order(miss_at.get(r.officer_id, none), due)
        shown = order[:book.top_n]
        miss = values_table([[col[i] for i in shown] for col in miss_values], len(order), miss_columns,
                            book.top_n, "本期没有未达标事项。")
        periods, totals = trends.get(r.officer_id, no_trend)
        yield (CSS + PAGE_CSS + head + box + lead(*notes) + _indicator_table(ind)
                     + _charts([row[0] for row in ind], [row[8] for row in ind], periods, totals)
                     + "<h3 class='pl'>未达标事项（完整明细见 Excel“明细”页）</h3>" + miss)
