"""The NPL workout book (不良资产清收处置): registers per scope and one case file per case.
Presentation only: every figure comes from the marts of postloan.workout."""
from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from postloan.frame_rows import sort_order
from postloan.glossary import enum_labels, term_labels
from postloan.marts.build import Marts
from postloan.marts.scope import scope_frame, scope_name
from postloan.present import fmt
from postloan.present.loading import ScopeError, product_marts  # noqa: F401  (ScopeError re-exported)
from postloan.present.tables import CSS, book_note, esc, heading, kpis, lead, table, values_table
from postloan.workout.export import workout_figures
from postloan.workout.package import package_pricing, securitisation_pools

YES = {True: "是", False: "否"}


def load_book(run_dir, scope: str = "all") -> tuple[Marts, str]:
    return product_marts(run_dir, "workout", scope), scope


def _officer_name(names: dict, i) -> str:
    return f"{names.get(i, ('',))[0]}（{i}）" if isinstance(i, str) else "无人管户"


def _officer(m: Marts, ids: pd.Series) -> pd.Series:
    names = m.officer_names()
    return ids.map(lambda i: _officer_name(names, i))


def _not_provided(m: Marts, table_name: str, what: str) -> str:
    t = m[table_name] if table_name in m.tables else None
    return "" if t is not None and len(t) else f"（数据中未提供{what}，本项按未发生处理。）"


def show_summary(m: Marts, scope: str):
    f = workout_figures(m, scope)
    display(HTML(CSS + heading(1, f"{scope_name(m['branches'], scope)} 不良资产清收处置（{m.month}）")))
    display(HTML(kpis([("案件", f"{f['workout_cases']:,}"), ("债权", fmt.money(f["workout_claim"], "万元")),
                       ("建议路径现值", fmt.money(f["workout_value"], "万元")), ("现值/债权", fmt.pct(f["workout_value_ratio"])),
                       ("不稳定建议", str(f["unstable_recommendations"])), ("核销候选", str(f["writeoff_candidates_count"]))])))
    display(HTML(lead(f"纳入清收处置的案件 {f['workout_cases']} 笔（不良、逾期超过 {_queue_dpd(m)} 天或账销案存），债权合计 "
                      f"{fmt.money(f['workout_claim'], '万元')}；按各案件的建议路径估算的现值 {fmt.money(f['workout_value'], '万元')}。",
                      f"已届满的保证期间或保证债务诉讼时效 {f['guarantee_periods_lost_count']} 项，诉讼时效已届满 "
                      f"{f['limitation_expired_count']} 项，到期未履行的还款承诺 {f['broken_promises_count']} 次。",
                      "估值为模型估算，参数见文末“估值假设”，须以本行处置经验校准。")))
    missing = m["workout_inputs_missing"]["part"].tolist() if "workout_inputs_missing" in m.tables else []
    if missing:
        display(HTML(f'<p class="pl pl-note">{esc("数据中未提供以下可选表或字段，相关判断按未发生处理（如债务人重大事项、抵债资产、公证、保证人同意展期）："+ "、".join(missing))}</p>'))


def _queue_dpd(m: Marts) -> str:
    a = m["workout_assumptions"].set_index("key")["value"]
    return a.get("cases.queue_dpd", "")


def show_queue(m: Marts, scope: str, top_n: int | None = None):
    c = scope_frame(m["workout_cases"], scope)
    a = scope_frame(m["workout_actions"], scope)
    stages = term_labels("collection_stage")
    missing = a[a["status"] == "missing"].groupby("loan_id").size()
    q = c.assign(stage_cn=c["stage"].map(stages), officer=_officer(m, c["officer_id"]),
                 missing=c["loan_id"].map(missing).fillna(0).astype(int)).sort_values(["stage", "claim"],
                                                                                     ascending=[True, False])
    by = q.groupby("stage_cn").agg(n=("loan_id", "size"), claim=("claim", "sum"), missing=("missing", "sum")).reset_index()
    display(HTML("<h2 class='pl'>一、催收队列</h2>" + table(by, [("stage_cn", "阶段", None), ("n", "笔数", "int"),
                                                          ("claim", "债权（万元）", "money"), ("missing", "逾期未做的动作", "int")])
                 + table(q, [("loan_id", "借据号", None), ("customer_name", "客户名称", None), ("stage_cn", "阶段", None),
                             ("dpd", "逾期天数", "int"), ("claim", "债权（万元）", "money"), ("missing", "逾期未做", "int"),
                             ("officer", "管户人", None)], top_n, "本期没有清收处置案件。")))


def show_routes(m: Marts, scope: str, top_n: int | None = None):
    """Per case (largest claims first), every open route: gross, costs, months and PV; ★ marks
    the recommended one. `top_n` cases (the Excel sheet 路径比较 has every case and route)."""
    c = scope_frame(m["workout_cases"], scope).sort_values("claim", ascending=False)
    r = scope_frame(m["workout_routes"], scope)
    shown = c if top_n is None else c.head(top_n)
    r = r[r["open"] & r["loan_id"].isin(shown["loan_id"])]
    t = shown[["loan_id", "customer_name", "claim", "recommended", "unstable"]].merge(r, on="loan_id")
    t["order"] = t["loan_id"].map({k: i for i, k in enumerate(shown["loan_id"])})
    t = t.sort_values(["order", "pv"], ascending=[True, False]).reset_index(drop=True)
    first = ~t["loan_id"].duplicated()
    t["mark"] = (t["route"] == t["recommended"]).map({True: "★ 建议", False: ""})
    t.loc[t["mark"].ne("") & t["unstable"], "mark"] = "★ 建议（不稳定）"
    for col in ("loan_id", "customer_name", "claim"):
        t[col] = t[col].where(first, None)
    more = ""
    if top_n is not None and len(c) > top_n:
        more = f'<p class="pl pl-note">……仅列债权最大的 {top_n:,} 户，共 {len(c):,} 户（全部见 Excel 工作表“路径比较”）。</p>'
    display(HTML("<h2 class='pl'>二、处置路径比较</h2>"
                 + lead("每户列出可行路径的回收总额、费用、回收月数和现值；现值 = （净回收 − 本行持有成本）÷（1 + 折现率）^（月数/12），"
                        "★ 为现值最高的建议路径。折现率 ±2 个百分点或变现率 ×0.9/×1.1 时建议路径改变的，标为“不稳定”，提交委员会审议。")
                 + table(t, [("loan_id", "借据号", None), ("customer_name", "客户名称", None), ("claim", "债权（万元）", "money"),
                             ("route_cn", "路径", None), ("gross", "回收总额（万元）", "money"), ("costs", "费用（万元）", "money"),
                             ("months", "月数", "int"), ("pv", "现值（万元）", "money"), ("mark", "建议", None)],
                         None, "本期没有清收处置案件。") + more))


def show_package(m: Marts, scope: str):
    p = package_pricing(m, scope)
    hist = scope_frame(m["workout_transfer_history"], scope)
    text = (f"拟转让资产包 {p['accounts']} 户，债权 {fmt.money(p['claim'], '万元')}；本行自有估值（各户除转让外最优路径现值）"
            f"{fmt.money(p['bank_value'], '万元')}，建议底价 {fmt.money(p['reserve_price'], '万元')}；"
            f"模型买方报价 {fmt.money(p['buyer_price'], '万元')}（{fmt.pct(p['buyer_price_ratio'])}）。")
    if p["value_given_up"] > 0:
        text += f"按买方报价出售将放弃价值 {fmt.money(p['value_given_up'], '万元')}，低于底价，不宜按此价格转让。"
    text += f"按买方报价的损失 {fmt.money(p['loss_at_buyer_price'], '万元')}，已计提拨备 {fmt.money(p['provision_held'], '万元')}。"
    hist = hist.assign(product_cn=hist["product"].map(enum_labels("product")),
                       gt=hist["guarantee_type"].map(enum_labels("guarantee_type")))
    display(HTML("<h2 class='pl'>三、转让资产包定价</h2>" + lead(text) + "<h3 class='pl'>本行历史转让价格比率</h3>"
                 + table(hist, [("product_cn", "产品", None), ("gt", "担保方式", None), ("transfers", "笔数", "int"),
                                ("price", "成交价（万元）", "money"), ("claim", "转让前债权（万元）", "money"),
                                ("ratio", "价格/债权", "pct")], None, "本行尚无转让记录。")
                 + lead("市场参考：全国性平台个人不良资产包成交价约为本息的 2.6%–7%（2022–2025）。")))
    pools = securitisation_pools(m, scope)
    st = m["workout_settings"].iloc[0]
    size = fmt.money(float(st["abs_min_pool"]), "万元") if "abs_min_pool" in st.index else "—"
    display(HTML("<h3 class='pl'>资产证券化（按产品组成的个人不良资产池）</h3>"
                 + lead(f"证券化按资产池估值：同一产品的个人不良贷款组成资产池，池债权达到 {size} 方可发行；"
                        "发行价 = 池债权 × 发行价格比率，费用按发行价计，现值与其他路径同一公式。"
                        "“差额”为证券化现值减去这些案件各自建议路径现值之和，为正时证券化更优。")
                 + table(pools.assign(product_cn=pools["product"].map(enum_labels("product")),
                                      ok=pools["eligible"].map(YES)),
                         [("product_cn", "产品", None), ("accounts", "户数", "int"), ("claim", "池债权（万元）", "money"),
                          ("ok", "达到发行规模", None), ("gross", "发行价（万元）", "money"), ("costs", "费用（万元）", "money"),
                          ("months", "月数", "int"), ("pv", "现值（万元）", "money"), ("bank_value", "本行自有估值（万元）", "money"),
                          ("difference", "差额（万元）", "money")], None, "本范围没有个人不良贷款，不适用证券化。")))


def show_writeoff(m: Marts, scope: str, top_n: int | None = None):
    c = scope_frame(m["workout_cases"], scope)
    cand = c[(c["write_off_candidate"] | c["write_off_review"]) & ~c["written_off"]]
    cand = cand.assign(status=cand["write_off_candidate"].map({True: "核销候选", False: "核销审查中"}))
    wo = c[c["written_off"]].assign(alive=lambda x: x["limitation_alive"].map(YES))
    display(HTML("<h2 class='pl'>四、核销候选与账销案存</h2>"
                 + table(cand, [("loan_id", "借据号", None), ("customer_name", "客户名称", None), ("claim", "债权（万元）", "money"),
                                ("status", "状态", None), ("write_off_basis", "依据", None)], top_n, "本期没有核销候选或审查中的案件。")
                 + "<h3 class='pl'>账销案存（已核销、债权仍存续）</h3>"
                 + table(wo, [("loan_id", "借据号", None), ("customer_name", "客户名称", None), ("claim", "账销案存债权（万元）", "money"),
                              ("alive", "诉讼时效存续", None), ("routes_open", "可行法律路径", None)], top_n, "无。")))


def show_foreclosed(m: Marts, scope: str, top_n: int | None = None):
    fa = scope_frame(m["workout_foreclosed"], scope)
    fa = fa.assign(kind_cn=fa["kind"].map(enum_labels("collateral_kind")))
    note = "" if len(m["workout_foreclosed"]) else "（数据中未提供抵债资产表 foreclosed_assets，或本行没有持有中的抵债资产。）"
    display(HTML("<h2 class='pl'>五、抵债资产（按法定处置期限剩余天数）</h2>"
                 + lead("商业银行法 第42条：以物抵债取得的不动产、股权应自取得之日起二年内处分，动产一年内。" + note)
                 + table(fa, [("asset_id", "资产编号", None), ("loan_id", "借据号", None), ("kind_cn", "类别", None),
                              ("booked_value", "入账价值（万元）", "money"), ("acquired_date", "取得日", "date"),
                              ("deadline", "处置期限", "date"), ("days_left", "剩余天数", "int")], top_n, "无持有中的抵债资产。")))


def show_assumptions(m: Marts, scope: str):
    a = m["workout_assumptions"]
    display(HTML("<h2 class='pl'>估值假设</h2>" + lead("以下参数来自本次运行的 parameters/workout_policy.yaml 快照，"
                                                   "[M] 类参数为行业经验估计，须以本行处置数据校准。")
                 + table(a, [("label" if "label" in a else "key", "参数", None), ("value", "取值", None)])))


def show_book(m: Marts, scope: str, top_n: int | None = None):
    """The registers; `top_n` rows a table (the Excel workbook and the marts have them all)."""
    show_summary(m, scope)
    show_queue(m, scope, top_n)
    show_routes(m, scope, top_n)
    show_package(m, scope)
    show_writeoff(m, scope, top_n)
    show_foreclosed(m, scope, top_n)
    show_assumptions(m, scope)


class _Case(dict):
    """A case's row of `workout_cases` by column name, read as attributes (`c.claim`)."""
    __getattr__ = dict.__getitem__


_NO_ROWS = np.array([], dtype=np.int64)


def case_page_html(m: Marts, loan_id: str) -> str:
    """One case file (催收/处置案卷): what a collector takes to a call or a visit.

    Each table's rows are taken as column lists (`Marts.positions_by`, `column_list`), in the
    order and number a frame of the case's rows would give (`tail`, `sort_values`: frame_rows.sort_order):
    thousands of case files a run, and a frame per case and table cost more than the page."""
    def at(name):
        return m.positions_by(name, "loan_id").get(loan_id, _NO_ROWS)

    def rows(name, positions, columns, extra=None):
        """(the values of each of `columns` at `positions`, or `extra`'s list; the row count): what
        `table` takes out of a frame of those rows, for `values_table`."""
        extra, have = extra or {}, m[name].columns
        values = []
        for c, _, _ in columns:
            if c in extra:
                values.append(extra[c])
            elif c in have:
                column = m.column_list(name, c)
                values.append([column[i] for i in positions])
            else:
                values.append([None] * len(positions))
        return values, len(positions)

    def labels(name, positions, c, mapping):
        return [mapping.get(v) for v in (m.column_list(name, c)[i] for i in positions)]
    cases = m["workout_cases"]
    i = at("workout_cases")[0]
    c = _Case((col, m.column_list("workout_cases", col)[i]) for col in cases.columns)
    cls = enum_labels("classification")
    routes = term_labels("workout_route")
    officer = _officer_name(m.officer_names(), c.officer_id)
    parts = [CSS, '<div style="break-before: page"></div>',
             heading(2, f"催收/处置案卷：{c.customer_name}（{c.customer_id}）借据 {loan_id}"),
             kpis([("阶段", term_labels("collection_stage").get(c.stage, c.stage)), ("债权", fmt.money(c.claim, "万元")),
                   ("逾期天数", "—" if pd.isna(c.dpd) else f"{int(c.dpd)}"),
                   ("分类", cls.get(c.classification, "已核销") if isinstance(c.classification, str) else "—"),
                   ("建议路径", c.recommended_cn or "—"), ("管户人", officer)]),
             lead(f"{enum_labels('product').get(c['product'], c['product'])}，金额 {fmt.money(c.amount, '万元')}，"
                  f"{fmt.day(c.disbursement_date)} 发放，到期日 {fmt.day(c.effective_maturity)}，担保方式"
                  f"{enum_labels('guarantee_type').get(c.guarantee_type, c.guarantee_type)}。",
                  f"借款人状态：{'已进入破产程序' if c.bankrupt else ('失联/下落不明' if c.missing else '可联系')}"
                  f"{'，无可供执行财产' if c.no_assets else ''}。")]
    h = at("workout_history")[-12:]
    columns = [("month", "月份", None), ("balance", "余额（万元）", "money"), ("dpd", "逾期天数", "int"), ("cls", "分类", None)]
    parts.append("<h3 class='pl'>近 12 个月分类与逾期</h3>" + values_table(*rows(
        "workout_history", h, columns, {"cls": labels("workout_history", h, "classification", cls)}), columns))
    col = at("workout_collateral")
    columns = [("collateral_id", "编号", None), ("kind_cn", "类别", None), ("appraised_value", "评估值（万元）", "money"),
               ("appraisal_date", "评估日", "date"), ("reg", "已登记", None)]
    parts.append("<h3 class='pl'>押品</h3>" + values_table(*rows("workout_collateral", col, columns, {
        "kind_cn": labels("workout_collateral", col, "kind", enum_labels("collateral_kind")),
        "reg": labels("workout_collateral", col, "registered", YES)}), columns, None, "无押品。"))
    g = at("workout_guarantees")
    columns = [("guarantor_name", "保证人", None), ("amount", "保证金额（万元）", "money"), ("mode", "方式", "enum:guarantee_mode"),
               ("state", "状态", None)]
    parts.append("<h3 class='pl'>保证人</h3>" + values_table(*rows("workout_guarantees", g, columns, {
        "state": labels("workout_guarantees", g, "enforceable", {True: "可主张", False: "已丧失"})}), columns, None, "无保证。"))
    a = at("workout_actions")
    status = {"done": "已按时完成", "late": "逾期完成", "missing": "逾期未做", "next": "待办"}
    columns = [("label", "动作", None), ("due_date", "应完成日", "date"), ("done_date", "完成日", "date"), ("st", "状态", None)]
    parts.append("<h3 class='pl'>催收动作：已做、缺失与下一步</h3>" + values_table(*rows(
        "workout_actions", a, columns, {"st": labels("workout_actions", a, "status", status)}), columns, None,
        "无（未逾期或已核销）。"))
    ct = sort_order(at("workout_contacts"), m["workout_contacts"]["action_time"].to_numpy())[-10:]
    columns = [("action_time", "时间", None), ("channel", "方式", "enum:collection_channel"),
               ("contacted_party", "对象", "enum:contacted_party"), ("outcome", "结果", "enum:collection_outcome"),
               ("promised_date", "承诺还款日", "date")]
    parts.append("<h3 class='pl'>最近联系记录</h3>" + values_table(*rows("workout_contacts", ct, columns), columns, None,
                                                              "无联系记录。"))
    pr = at("workout_promises")
    if len(pr):
        broken = m.column_list("workout_promises", "broken")
        parts.append(lead(f"还款承诺 {len(pr)} 次，其中到期未履行 {int(sum(broken[i] for i in pr))} 次。"))
    dl = at("workout_deadlines")
    columns = [("kind_label", "期限", None), ("party", "对象", None), ("deadline", "到期日", "date"),
               ("days_left", "剩余天数", "int"), ("note", "说明", None)]
    parts.append("<h3 class='pl'>法律期限</h3>" + values_table(*rows("workout_deadlines", dl, columns), columns, None, "无。"))
    parts.append("<h3 class='pl'>可行法律路径</h3>" + f'<p class="pl">{esc(c.routes_open)}</p>')
    r = sort_order(at("workout_routes"), m["workout_routes"]["pv"].to_numpy(), ascending=False)
    reason = (f"建议：{c.recommended_cn}，现值 {fmt.money(c.recommended_pv, '万元')}"
              + (f"；次优为{routes.get(c.runner_up, '')}（{fmt.money(c.runner_up_pv, '万元')}）" if isinstance(c.runner_up, str) else "")
              + ("；敏感性测试下建议会改变，标为不稳定，提交委员会审议。" if c.unstable else "。"))
    columns = [("route_cn", "路径", None), ("ok", "可行", None), ("why", "理由", None), ("gross", "回收（万元）", "money"),
               ("costs", "费用（万元）", "money"), ("months", "月数", "int"), ("pv", "现值（万元）", "money")]
    parts.append("<h3 class='pl'>处置路径比较</h3>" + lead(reason) + values_table(*rows(
        "workout_routes", r, columns, {"ok": labels("workout_routes", r, "open", {True: "可行", False: "不可行"})}), columns))
    return "".join(parts)


def show_cases(m: Marts, scope: str, pages: bool = True):
    """Every case file of the scope; with `pages` false, where they are (the scope's case book)."""
    ids = scope_frame(m["workout_cases"], scope)["loan_id"].tolist()
    if not pages:
        display(HTML(book_note(len(ids), scope)))
        return
    for loan_id in ids:
        show_case(m, loan_id)


def show_case(m: Marts, loan_id: str):
    display(HTML(case_page_html(m, loan_id)))
