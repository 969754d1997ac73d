"""The monthly post-loan meeting pack (贷后管理例会材料), section by section.

    pack = load_pack(run_dir, scope="all")
    show_asset_quality(pack)

Each `show_*` displays a section: two or three generated sentences with the
month's figures, then tables and charts. Every figure comes from the frozen marts
and `figures_for_scope`; nothing is computed from the extract here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from IPython.display import HTML, display

from postloan.glossary import enum_labels, term_labels
from postloan.marts.build import Marts, figures_for_scope
from postloan.marts.collection import roll_rates
from postloan.marts.scope import scope_name
from postloan.parameter_set import run_policy
from postloan.policy import CLASS_ORDER, Policy
from postloan.present import charts, fmt, pack_details, pack_overview
from postloan.present.pack_appendix import APPENDIX_SUFFIX
from postloan.present.loading import ScopeError, product_marts  # noqa: F401  (ScopeError re-exported)
from postloan.present.tables import CSS, esc, heading, kpis, lead, table

CLS = enum_labels("classification")

SECTIONS = [
    ("highlights", "要点"),
    ("resolutions_followup", "一、上次会议决议落实情况"),
    ("overview", "二、总体情况与目标"),
    ("asset_quality", "三、资产质量"),
    ("warnings", "四、风险预警"),
    ("inspections", "五、现场检查"),
    ("monitoring", "六、批量监管"),
    ("credit_recovery", "七、信用收回"),
    ("collection", "八、逾期催收"),
    ("legal", "九、法律时效"),
    ("disposal", "十、不良处置"),
    ("records", "十一、档案与数据质量"),
    ("handovers", "十二、工作移交"),
    ("proposals", "十三、本次会议建议决议"),
]


@dataclass
class Pack:
    marts: Marts
    scope: str
    unit: str = "亿元"
    top_n: int = 15
    trend_months: int = 12
    figures: dict = field(default_factory=dict)
    policy: Policy | None = None          # the run's own policy (its snapshot), never today's file

    @property
    def month(self) -> str:
        return self.marts.month

    def m(self, name: str) -> pd.DataFrame:
        return self.marts.for_scope(name, self.scope)

    @property
    def scope_label(self) -> str:
        return scope_name(self.marts["branches"], self.scope)

    def officer(self, ids: pd.Series) -> pd.Series:
        names = dict(zip(self.marts["officers"]["officer_id"], self.marts["officers"]["name"]))
        return ids.map(lambda i: f"{names.get(i, '')}（{i}）" if isinstance(i, str) else "无人管户")

    def branch(self, ids: pd.Series) -> pd.Series:
        names = dict(zip(self.marts["branches"]["branch_id"], self.marts["branches"]["branch_name"]))
        return ids.map(lambda i: names.get(i, i))


def load_pack(run_dir, scope: str = "all", amount_unit: str = "亿元", top_n: int = 15,
              trend_months: int = 12) -> Pack:
    marts = product_marts(run_dir, "meeting_pack", scope)
    return Pack(marts, scope, amount_unit, top_n, trend_months, figures_for_scope(marts, scope), run_policy(run_dir))


def _show(*parts):
    for p in parts:
        if p is None:
            continue
        if isinstance(p, str):
            display(HTML(p))
        else:
            display(p)
            import matplotlib.pyplot as plt
            plt.close(p)


def show_header(pack: Pack):
    f = pack.figures
    _show(CSS, heading(1, f"{pack.scope_label} 贷后管理例会材料（{fmt.month_cn(pack.month)}）"),
          kpis([("贷款余额", fmt.money(f["total_balance"], pack.unit)),
                ("不良贷款余额", fmt.money(f["npl_balance"], pack.unit)),
                ("不良率", fmt.pct(f["npl_ratio"])), ("关注类占比", fmt.pct(f["special_mention_ratio"])),
                ("本月新发生不良", fmt.money(f["new_npl_balance"], "万元")),
                ("待落实决议", f"{f['meeting_actions_open']} 项")]),
          f'<p class="pl pl-note">{esc(f"各表只列前 {pack.top_n} 行；全部明细见本次运行 meeting_pack 目录下的 {pack.scope}{APPENDIX_SUFFIX}。")}</p>')


# ---- 要点 and 二 (postloan.present.pack_overview) ---------------------------------------
def show_highlights(pack: Pack):
    pack_overview.show_highlights(pack, dict(SECTIONS))


def show_overview(pack: Pack):
    pack_overview.show_overview(pack)


# ---- 1 ------------------------------------------------------------------------------
def show_resolutions_followup(pack: Pack):
    a = pack.m("meeting_actions_status")
    a = a[a["state"] != "cancelled"]
    prev = a[a["meeting_month"] < pack.month]
    f = pack.figures
    done_now = prev[(prev["state"] == "done") & (prev["done_date"] >= pd.Period(pack.month).start_time)]
    labels = {"open": "未到期", "overdue": "已逾期", "done": "已完成"}
    todo = prev[prev["state"].isin(["open", "overdue"])].sort_values(["state", "due_date"], ascending=[False, True])
    this_month = int(a.loc[a["meeting_month"] == pack.month, "open_at_end"].sum())
    _show(lead(f"截至本月末，例会决议尚未完成 {f['meeting_actions_open']} 项，其中已逾期 {f['meeting_actions_overdue']} 项；"
               f"以往会议的决议本月完成 {len(done_now)} 项，尚未完成 {len(todo)} 项（列于下表）"
               + (f"，另有本月会议新作出的决议 {this_month} 项。" if this_month else "。")))
    head = todo.get("owner_is_head", pd.Series(False, index=todo.index)).fillna(False).astype(bool)
    todo = todo.assign(state_cn=todo["state"].map(labels),
                       owner=pack.officer(todo["owner_officer_id"]).where(~head, pack.officer(todo["owner_officer_id"]) + "（机构负责人）"),
                       meeting=pack.branch(todo["branch_id"]))
    _show(table(todo, [("action_id", "编号", None), ("meeting_month", "会议月份", None), ("meeting", "会议机构", None),
                       ("item", "决议事项", None), ("owner", "责任人", None), ("due_date", "完成时限", "date"),
                       ("state_cn", "状态", None)], pack.top_n, "没有未完成的决议事项。"),
          lead("决议未指定责任人的，由会议机构负责人负责落实。") if head.any() else "")


# ---- 2 ------------------------------------------------------------------------------
def _trend(pack: Pack) -> pd.DataFrame:
    from postloan.marts.comparisons import headline_by_month
    return headline_by_month(pack.m("portfolio_trend"))


def show_asset_quality(pack: Pack):
    f, u = pack.figures, pack.unit
    g = _trend(pack)
    prev_m = str(pd.Period(pack.month, "M") - 1)
    dec = f"{pd.Period(pack.month, 'M').year - 1}-12"
    p = g.loc[prev_m] if prev_m in g.index else None
    d = g.loc[dec] if dec in g.index else None
    _show(lead(f"月末贷款余额 {fmt.money(f['total_balance'], u)}，不良贷款余额 {fmt.money(f['npl_balance'], u)}，"
               f"较上月{fmt.signed_money(f['npl_balance'] - p['npl_balance'] if p is not None else None, u)}，"
               f"不良率 {fmt.pct(f['npl_ratio'])}，较上月{fmt.signed_pct_points(f['npl_ratio'] - p['npl_ratio'] if p is not None else None)}。",
               f"关注类贷款占比 {fmt.pct(f['special_mention_ratio'])}；本月新发生不良 {fmt.money(f['new_npl_balance'], '万元')}。",
               f"逾期 90 天以上贷款与不良贷款之比（偏离度）为 {fmt.pct(f['deviation_ratio'])}"
               + ("，超过 100%，存在逾期未足额认定不良的情况。" if (f['deviation_ratio'] or 0) > 1 else "。")))
    rows = []
    for c in CLASS_ORDER:
        k = f"balance_{c}"
        rows.append({"cls": CLS[c], "m": f[k], "mom": f[k] - p[k] if p is not None else None,
                     "ytd": f[k] - d[k] if d is not None else None,
                     "share": f[k] / f["total_balance"] if f["total_balance"] else None})
    rows.append({"cls": "合计", "m": f["total_balance"], "mom": f["total_balance"] - p["total_balance"] if p is not None else None,
                 "ytd": f["total_balance"] - d["total_balance"] if d is not None else None, "share": 1.0})
    _show("<h3 class='pl'>五级分类（万元）</h3>",
          table(pd.DataFrame(rows), [("cls", "分类", None), ("m", "月末余额", "money"), ("mom", "比上月", "money"),
                                     ("ytd", "比年初", "money"), ("share", "占比", "pct")]))
    bands = pd.DataFrame([{"band": b.label, "bal": f[f"{b.band}_balance"]} for b in pack.marts["dpd_bands"].itertuples()]
                         + [{"band": "逾期合计", "bal": f["overdue_balance"]}])
    ratios = pd.DataFrame([
        {"k": "不良率", "v": fmt.pct(f["npl_ratio"])}, {"k": "关注类占比", "v": fmt.pct(f["special_mention_ratio"])},
        {"k": "偏离度（逾期 90 天以上 ÷ 不良）", "v": fmt.pct(f["deviation_ratio"])},
        {"k": "拨备覆盖率", "v": fmt.pct(f["provision_coverage"])},
        {"k": "正常类迁徙率", "v": fmt.pct(f["migration_rate_normal"])},
        {"k": "关注类迁徙率", "v": fmt.pct(f["migration_rate_special_mention"])},
        {"k": "次级类迁徙率", "v": fmt.pct(f["migration_rate_substandard"])},
        {"k": "可疑类迁徙率", "v": fmt.pct(f["migration_rate_doubtful"])},
        {"k": "正常贷款迁徙率", "v": fmt.pct(f["migration_rate_performing"])}])
    _show("<h3 class='pl'>逾期分布（万元）与主要比率</h3>",
          table(bands, [("band", "逾期天数", None), ("bal", "余额", "money")]),
          table(ratios, [("k", "指标", None), ("v", "数值", None)]))
    from postloan.marts.portfolio import migration_matrix
    mm = migration_matrix(pack.m("loan_snapshot")).reset_index()
    mm["class_p"] = mm["class_p"].map(CLS)
    cols = [("class_p", "上月分类 \\ 本月", None)] + [(c, CLS[c], "money") for c in CLASS_ORDER] + [
        ("settled", "结清（上月余额）", "money"), ("written_off", "核销（上月余额）", "money"),
        ("transferred", "转让（上月余额）", "money")]
    _show("<h3 class='pl'>迁徙矩阵（万元）</h3>", table(mm, cols))
    snap = pack.m("loan_snapshot")
    rules = term_labels("classification_rule")
    br = snap[snap["floor_breach"]].sort_values("balance", ascending=False)
    br = br.assign(rules=br["floor_rules"].map(lambda r: "、".join(rules.get(x, x) for x in r.split(",") if x)))
    _show(f"<h3 class='pl'>分类低于分类规则底线的贷款（{len(br)} 笔，{fmt.money(f['floor_breach_balance'], '万元')}）</h3>",
          table(br, [("loan_id", "借据号", None), ("customer_id", "客户号", None), ("customer_name", "客户名称", None),
                     ("balance", "余额（万元）", "money"), ("dpd", "逾期天数", "int"),
                     ("classification", "现分类", "enum:classification"), ("floor_class", "应至少为", "enum:classification"),
                     ("rules", "违反的规则", None)],
                pack.top_n, "没有分类低于底线的贷款。"))
    up = snap[snap["upgrade_breach"]].sort_values("balance", ascending=False)
    up = up.assign(why=[f"{int(r.clean_month_ends)} 个月末逾期为 0" + (
        f"；同一客户仍有 {int(r.other_npl_loans)} 笔不良" if r.other_npl_loans > 0 else "") for r in up.itertuples()])
    _show(f"<h3 class='pl'>不满足条件的不良上调（{len(up)} 笔，{fmt.money(f['upgrade_breach_balance'], '万元')}）</h3>",
          table(up, [("loan_id", "借据号", None), ("customer_name", "客户名称", None), ("balance", "余额（万元）", "money"),
                     ("class_p", "上月分类", "enum:classification"), ("classification", "本月分类", "enum:classification"),
                     ("why", "情况", None)], pack.top_n, "本月没有不满足条件的不良上调。"))
    rank = {c: i for i, c in enumerate(CLASS_ORDER)}
    moved = snap[snap["active"] & snap["class_p"].notna()]
    delta = moved["classification"].map(rank) - moved["class_p"].map(rank)
    moved = moved.assign(direction=pd.Series(delta, index=moved.index).map(lambda x: "下调" if x > 0 else "上调"))
    moved = moved[delta.fillna(0) != 0].sort_values(["direction", "balance"], ascending=[True, False])
    _show(f"<h3 class='pl'>本月分类调整（下调 {int((delta > 0).sum())} 笔，上调 {int((delta < 0).sum())} 笔）</h3>",
          table(moved, [("direction", "方向", None), ("loan_id", "借据号", None), ("customer_name", "客户名称", None),
                        ("balance", "余额（万元）", "money"), ("class_p", "上月分类", "enum:classification"),
                        ("classification", "本月分类", "enum:classification"), ("dpd", "逾期天数", "int")],
                pack.top_n, "本月没有分类调整。"))
    last = g.tail(pack.trend_months)
    ceiling = next((t["target"] for t in f.get("targets", []) if t["key"] == "npl_ratio_max"), None)
    _show(charts.line_chart(last.index, {"不良率": last["npl_ratio"].tolist(), "关注类占比": last["special_mention_ratio"].tolist()},
                            f"不良率与关注类占比（近 {len(last)} 个月）", "比率", percent=True,
                            target=("不良率目标上限", ceiling) if ceiling is not None else None),
          charts.line_chart(last.index, {"贷款余额": (last["total_balance"] / fmt.UNITS[pack.unit]).tolist()},
                            f"贷款余额（近 {len(last)} 个月）", pack.unit))
    pack_overview.show_breakdowns_and_exposures(pack)


# ---- 3 ------------------------------------------------------------------------------
def show_warnings(pack: Pack):
    w, f = pack.m("warning_lifecycle"), pack.figures
    start = pd.Period(pack.month).start_time
    _show(lead(f"本月新识别风险预警信号 {f['warnings_identified']} 个，本月应报告的预警中超时限 {f['warnings_reported_late']} 个，",
               f"本月解除 {f['warnings_released']} 个，月末仍未解除 {f['warnings_open_end']} 个。"))
    lv = enum_labels("warning_level")
    new = w[w["identified_date"] >= start]
    summary = []
    for level in ("red", "orange", "yellow"):
        x = w[w["level"] == level]
        summary.append({"level": lv[level], "new": int((new["level"] == level).sum()),
                        "open": int(x["open_at_end"].sum()), "handling": int((x["state_at_end"] == "handling").sum()),
                        "late": int(x["report_late"].sum()), "hlate": int((x["handling_late"] & x["open_at_end"]).sum())})
    _show("<h3 class='pl'>按级别</h3>", table(pd.DataFrame(summary), [
        ("level", "级别", None), ("new", "本月新增", "int"), ("open", "月末未解除", "int"), ("handling", "处置中", "int"),
        ("late", "累计逾期报告", "int"), ("hlate", "处置超时未解除", "int")]))
    cat = w[w["open_at_end"]].groupby("category").size().rename("n").reset_index()
    _show("<h3 class='pl'>未解除信号按类别</h3>", table(cat, [("category", "类别", "enum:warning_category"), ("n", "个数", "int")]))
    flow = w[w["identified_date"] >= (pd.Period(pack.month) - (pack.trend_months - 1)).start_time].groupby("flow").agg(
        n=("warning_id", "size"), late=("report_late", "sum"), days=("report_days", "median")).reset_index()
    flow["flow"] = flow["flow"].map(term_labels("warning_flow"))
    _show(f"<h3 class='pl'>三条报告流程（近 {pack.trend_months} 个月）</h3>", table(flow, [
        ("flow", "报告流程", None), ("n", "信号数", "int"), ("late", "逾期报告", "int"), ("days", "报告用时中位数（天）", None)]))
    sla = w[w["report_late"] | w["handling_late"]].groupby("officer_id", dropna=False).agg(
        report=("report_late", "sum"), handling=("handling_late", "sum")).reset_index()
    sla["officer"] = pack.officer(sla["officer_id"])
    _show("<h3 class='pl'>时限违规按客户经理</h3>", table(sla.sort_values("report", ascending=False), [
        ("officer", "客户经理", None), ("report", "逾期报告", "int"), ("handling", "处置超时", "int")], pack.top_n))
    red = w[w["open_at_end"] & (w["level"] == "red")].sort_values("identified_date")
    red = red.assign(officer=pack.officer(red["officer_id"]))
    _show("<h3 class='pl'>红色预警客户逐户审议</h3>", table(red, [
        ("customer_id", "客户号", None), ("customer_name", "客户名称", None), ("warning_id", "信号编号", None),
        ("signal_code", "信号代码", None), ("category", "类别", "enum:warning_category"),
        ("identified_date", "识别日期", "date"), ("reported_date", "报告日期", "date"),
        ("first_measure_date", "首项措施", "date"), ("measures", "措施", None), ("officer", "管户人", None)],
        None, "月末没有未解除的红色预警。"))
    eff = pack.m("warning_effectiveness")
    warned = eff[eff["warned"]]
    _show(lead(f"预警有效性：近 {pack.policy.warning_effectiveness.lookback_months} 个月新发生不良 {len(eff)} 笔，其中事先有预警 {len(warned)} 笔"
               + (f"，预警早于不良中位 {int(warned['days_before'].median())} 天。" if len(warned) else "。")))
    pack_details.warnings_detail(pack)


# ---- 4 ------------------------------------------------------------------------------
def show_inspections(pack: Pack):
    d, f = pack.m("inspection_duties"), pack.figures
    _show(lead(f"本月到期的首次检查 {f['first_inspections_due']} 笔，按时完成 {f['first_inspections_on_time']} 笔；",
               f"本月结束的例行检查周期 {f['routine_inspections_due']} 个，按时完成 {f['routine_inspections_on_time']} 个。"))
    d = d.assign(kind_cn=d["kind"].map(lambda k: "首次检查" if k == "first" else "例行检查"),
                 sub=pack.branch(d["operating_branch_id"]), officer=pack.officer(d["officer_id"]))
    by = d.groupby(["sub", "kind_cn"]).agg(due=("duty", "size"), on_time=("status", lambda s: int((s == "on_time").sum())),
                                           late=("status", lambda s: int((s == "late").sum())),
                                           missing=("status", lambda s: int((s == "missing").sum()))).reset_index()
    _show("<h3 class='pl'>按经营行</h3>", table(by, [("sub", "经营行", None), ("kind_cn", "检查类型", None), ("due", "应检查", "int"),
                                                 ("on_time", "按时", "int"), ("late", "逾期完成", "int"), ("missing", "未检查", "int")]))
    bo = d.groupby("officer").agg(due=("duty", "size"), missing=("status", lambda s: int((s == "missing").sum())),
                                  late=("status", lambda s: int((s == "late").sum()))).reset_index()
    _show("<h3 class='pl'>按客户经理（未检查较多者在前）</h3>",
          table(bo.sort_values("missing", ascending=False), [("officer", "客户经理", None), ("due", "应检查", "int"),
                                                            ("late", "逾期完成", "int"), ("missing", "未检查", "int")], pack.top_n))
    miss = d[d["status"] != "on_time"].sort_values("due_date")
    _show("<h3 class='pl'>未按时完成的检查</h3>", table(miss, [
        ("kind_cn", "类型", None), ("loan_id", "借据号", None), ("customer_id", "客户号", None),
        ("customer_name", "客户名称", None), ("due_date", "应完成日", "date"), ("done_date", "完成日", "date"),
        ("officer", "责任人", None)], pack.top_n, "本月到期的检查均按时完成。"))
    q = pack.m("inspection_quality")
    grades = q.groupby("quality_grade").size().reindex(list(enum_labels("quality_grade")), fill_value=0)
    _show(f"<h3 class='pl'>检查质量抽查（近 {pack.policy.inspection.quality_lookback_months} 个月）</h3>",
          table(grades.rename("n").reset_index(), [("quality_grade", "质量等级", "enum:quality_grade"), ("n", "份数", "int")]))
    pack_details.inspections_by_kind(pack)


# ---- 5 ------------------------------------------------------------------------------
def show_monitoring(pack: Pack):
    x = pack.m("monitoring_exceptions")
    if pack.scope == "all":
        x = pd.concat([x, pack.marts["monitoring_exceptions"].query("area == 'agency'")]).drop_duplicates(
            subset=["area", "rule", "customer_id", "detail"])
    counts = x.groupby("area").size()
    areas = term_labels("monitoring_area")
    _show(lead("批量监管发现：" + "，".join(f"{areas[a]} {int(counts.get(a, 0))} 项" for a in areas) + "。"))
    for area, title in areas.items():
        part = x[x["area"] == area].sort_values("amount", ascending=False)
        _show(f"<h3 class='pl'>{title}（{len(part)} 项）</h3>", table(part, [
            ("loan_id", "借据号", None), ("customer_id", "客户号/机构号", None), ("customer_name", "名称", None),
            ("detail", "情况", None), ("amount", "金额（万元）", "money")], pack.top_n, "未发现异常。"))
    if pack.scope == "all":
        ag = pack.marts["agency_exposure"].sort_values("usage", ascending=False)
        _show("<h3 class='pl'>担保机构合作额度使用</h3>", table(ag, [
            ("agency_id", "机构号", None), ("name", "担保机构", None), ("exposure", "担保余额（万元）", "money"),
            ("cooperation_limit", "合作额度（万元）", "money"), ("usage", "使用率", "pct"),
            ("overdue_loans", "逾期担保贷款笔数", "int"), ("status", "状态", "enum:agency_status")]))


# ---- 6 ------------------------------------------------------------------------------
def show_credit_recovery(pack: Pack):
    mt = pack.m("maturities")
    ev = pack.m("maturity_events")
    by = mt.groupby("horizon").agg(n=("loan_id", "size"), bal=("balance", "sum")).reindex(
        sorted(pack.policy.maturities.horizons_days), fill_value=0)
    _show(lead("未来 " + "、".join(f"{h} 天内到期 {int(by.loc[h, 'n'])} 笔 {fmt.money(by.loc[h, 'bal'], '万元')}"
                                   for h in by.index) + "（按到期区间分列，不累计）；",
               f"本月展期 {int((ev['event'] == 'extension').sum())} 笔，提前还款结清 {int((ev['event'] == 'prepayment').sum())} 笔。"))
    _show("<h3 class='pl'>即将到期的贷款（需在到期前 30 天核实还款来源）</h3>", table(mt, [
        ("loan_id", "借据号", None), ("customer_id", "客户号", None), ("customer_name", "客户名称", None),
        ("product", "品种", "enum:product"), ("balance", "余额（万元）", "money"),
        ("effective_maturity", "到期日", "date"), ("days_to_maturity", "剩余天数", "int"),
        ("classification", "分类", "enum:classification")], pack.top_n, "未来 90 天内没有到期贷款。"))
    ev = ev.assign(event_cn=ev["event"].map({"extension": "展期", "prepayment": "提前还款"}))
    _show("<h3 class='pl'>本月展期与提前还款</h3>", table(ev, [
        ("event_cn", "事项", None), ("loan_id", "借据号", None), ("customer_name", "客户名称", None),
        ("maturity_date", "原到期日", "date"), ("extended_maturity_date", "展期后到期日", "date"),
        ("event_amount", "提前还款金额（万元）", "money")], pack.top_n))
    pack_details.forbearance_detail(pack)


# ---- 7 ------------------------------------------------------------------------------
def show_collection(pack: Pack):
    cases, acts, prom = pack.m("collection_cases"), pack.m("collection_actions_month"), pack.m("promises")
    stages = term_labels("collection_stage")
    by = cases.groupby("stage").agg(n=("loan_id", "size"), bal=("balance", "sum")).reindex(list(stages), fill_value=0)
    kept = int(prom["kept"].sum()) if len(prom) else 0
    _show(lead("催收分阶段：" + "，".join(f"{stages[s]} {int(by.loc[s, 'n'])} 笔" for s in stages) + "；",
               f"本月催收 {len(acts)} 次，承诺还款到期 {len(prom)} 笔，兑现 {kept} 笔，未兑现 {len(prom) - kept} 笔；",
               f"夜间催收 {int(acts['night_contact'].sum()) if len(acts) else 0} 次，向第三方催收 {int(acts['forbidden_party'].sum()) if len(acts) else 0} 次。"))
    by = by.reset_index().assign(stage_cn=lambda x: x["stage"].map(stages))
    _show(table(by, [("stage_cn", "阶段", None), ("n", "笔数", "int"), ("bal", "余额（万元）", "money")]))
    ch = acts.groupby("channel").agg(n=("action_id", "size"), ptp=("outcome", lambda s: int((s == "promise_to_pay").sum()))).reset_index()
    _show("<h3 class='pl'>本月催收方式</h3>", table(ch, [("channel", "方式", "enum:collection_channel"), ("n", "次数", "int"),
                                                      ("ptp", "获得还款承诺", "int")]))
    rr = roll_rates(pack.m("loan_snapshot"), pack.policy.dpd_bands)
    rr["band"] = rr["band"].map({b.id: b.label for b in pack.policy.dpd_bands})
    _show("<h3 class='pl'>迁徙与回收（按上月逾期分段）</h3>", table(rr, [
        ("band", "上月逾期分段", None), ("loans", "笔数", "int"), ("balance_p", "上月余额（万元）", "money"),
        ("cure_rate", "回到正常", "pct"), ("roll_rate", "滚动恶化", "pct")]))
    bad = acts[acts["night_contact"] | acts["forbidden_party"]]
    quiet = pack.policy.collection.conduct
    bad = bad.assign(issue=bad["night_contact"].map({True: f"夜间 {quiet.quiet_from}-{quiet.quiet_until} 联系", False: ""}) +
                     bad["forbidden_party"].map({True: " 联系第三方", False: ""}), officer=pack.officer(bad["officer_id"]))
    _show("<h3 class='pl'>催收行为异常</h3>", table(bad, [
        ("action_id", "记录号", None), ("loan_id", "借据号", None), ("customer_name", "客户名称", None),
        ("action_time", "时间", None), ("channel", "方式", "enum:collection_channel"), ("issue", "问题", None),
        ("officer", "催收人", None)], pack.top_n, "本月未发现违规催收行为。"))
    pack_details.collection_detail(pack)


# ---- 8 ------------------------------------------------------------------------------
def show_legal(pack: Pack):
    d = pack.m("legal_deadlines")
    h90 = d[(d["days_left"] > 0) & (d["days_left"] <= 90)]
    h30 = h90[h90["days_left"] <= 30]
    expired = d[d["days_left"] <= 0].sort_values("deadline", ascending=False)
    _show(lead(f"90 天内到期的法律期限 {len(h90)} 项（其中 30 天内 {len(h30)} 项），诉讼时效 90 天内到期的贷款 "
               f"{pack.figures['limitation_expiring_90d_count']} 笔；",
               f"已届满未保全 {len(expired)} 项，逐项列示如下，需评估损失并启动责任认定。"
               "诉讼时效仅由对借款人有证据的催收、借款人还款或对借款人的起诉/申请中断；诉讼期间不计时效，判决后按申请执行期限跟踪；"
               "保证期间自原到期日起算（保证人同意展期的除外）。法律规定不明之处，均按不会把期限报晚的理解计算。"))
    cols = [("kind_label", "期限类型", None), ("loan_id", "借据号", None), ("customer_id", "客户号", None),
            ("customer_name", "客户名称", None), ("party", "保证人/案号", None), ("deadline", "到期日", "date"),
            ("days_left", "剩余天数", "int"), ("balance", "余额（万元）", "money"), ("officer", "管户人", None),
            ("note", "说明", None)]
    _show("<h3 class='pl'>30 天内到期</h3>", table(h30.assign(officer=pack.officer(h30["officer_id"])), cols, None, "无。"),
          "<h3 class='pl'>31-90 天内到期</h3>",
          table(h90[h90["days_left"] > 30].assign(officer=pack.officer(h90.loc[h90["days_left"] > 30, "officer_id"])),
                cols, pack.top_n, "无。"))
    legal_parts = ("loans.accelerated_date", "loans.notarized_enforceable", "guarantees.extension_consented",
                   "collection_actions.guarantee_id", "legal_cases.", "debtor_events")
    missing = [p for p in pack.marts["inputs_missing"]["part"] if p.startswith(legal_parts)] \
        if "inputs_missing" in pack.marts.tables else []
    if missing:
        _show(f'<p class="pl pl-note">{esc("数据中未提供：" + "、".join(missing) + "。相应情形按未发生计算（例如未提供保证人同意展期的，保证期间自原到期日起算），期限不会因此报晚。")}</p>')
    expired = expired.assign(officer=pack.officer(expired["officer_at_deadline"]),
                             wo=expired["written_off"].map({True: "是", False: "否"}))
    _show(f"<h3 class='pl'>已届满的法律期限（{len(expired)} 项）</h3>", table(expired, [
        ("kind_label", "期限类型", None), ("loan_id", "借据号", None), ("customer_name", "客户名称", None),
        ("party", "保证人/案号", None), ("deadline", "届满日", "date"), ("claim", "债权金额（万元）", "money"),
        ("wo", "已核销", None), ("officer", "届满时管户人", None), ("note", "说明", None)],
        None, "没有已届满的法律期限。"))
    pack_details.legal_case_register(pack)


# ---- 9 ------------------------------------------------------------------------------
def show_disposal(pack: Pack):
    r, f = pack.m("recoveries_ytd"), pack.figures
    lab = enum_labels("recovery_method")
    m = r[r["in_month"]]
    _show(lead(f"本月现金回收（含保证人代偿、处置押品）{fmt.money(f['recovered_cash'], '万元')}，核销 {fmt.money(f['written_off_amount'], '万元')}；",
               f"年初以来处置 {len(r)} 笔，合计 {fmt.money(r['amount'].sum(), '万元')}。"))
    tab = pd.DataFrame({"method": list(lab)})
    tab["m_n"] = tab["method"].map(m.groupby("method").size()).fillna(0)
    tab["m_amt"] = tab["method"].map(m.groupby("method")["amount"].sum()).fillna(0)
    tab["y_n"] = tab["method"].map(r.groupby("method").size()).fillna(0)
    tab["y_amt"] = tab["method"].map(r.groupby("method")["amount"].sum()).fillna(0)
    _show(table(tab, [("method", "处置方式", "enum:recovery_method"), ("m_n", "本月笔数", "int"),
                      ("m_amt", "本月金额（万元）", "money"), ("y_n", "年初以来笔数", "int"),
                      ("y_amt", "年初以来金额（万元）", "money")]))
    _show("<h3 class='pl'>本月处置明细</h3>", table(m.sort_values("amount", ascending=False), [
        ("recovery_id", "编号", None), ("loan_id", "借据号", None), ("customer_name", "客户名称", None),
        ("method", "方式", "enum:recovery_method"), ("amount", "金额（万元）", "money"), ("package_id", "资产包", None)],
        pack.top_n))
    if "workout_cases" in pack.marts.tables:          # the workout book's own figures, not a second computation
        w = pack.m("workout_cases")
        fa = pack.m("workout_foreclosed")
        by = w.groupby("recommended_cn").agg(n=("loan_id", "size"), claim=("claim", "sum"),
                                            pv=("recommended_pv", "sum")).reset_index().sort_values("claim", ascending=False)
        _show("<h3 class='pl'>清收处置建议（见不良资产清收处置簿）</h3>",
              lead(f"清收处置案件 {len(w)} 笔，债权 {fmt.money(w['claim'].sum(), '万元')}，按建议路径估算现值 "
                   f"{fmt.money(w['recommended_pv'].clip(lower=0).sum(), '万元')}；建议不稳定 {int(w['unstable'].sum())} 笔，"
                   f"核销候选 {int(w['write_off_candidate'].sum())} 笔；持有中的抵债资产 {len(fa)} 项，"
                   f"其中超过法定处置期限 {int(fa['overdue'].sum()) if len(fa) else 0} 项。"),
              table(by, [("recommended_cn", "建议路径", None), ("n", "笔数", "int"), ("claim", "债权（万元）", "money"),
                         ("pv", "现值（万元）", "money")], None, "本月没有清收处置案件。"))
    pack_details.disposal_economics(pack)


# ---- 10 -----------------------------------------------------------------------------
def show_records(pack: Pack):
    a, dq = pack.m("archive_defects"), pack.m("data_quality")
    _show(lead(f"信贷档案缺失 {int((a['defect'] == 'missing').sum())} 份，逾期归档 {int((a['defect'] == 'late').sum())} 份；",
               f"数据质量提示 {len(dq)} 项。"))
    by = a.groupby("doc_type").agg(missing=("defect", lambda s: int((s == "missing").sum())),
                                   late=("defect", lambda s: int((s == "late").sum()))).reset_index()
    _show(table(by, [("doc_type", "档案类型", "term:archive_doc_type"), ("missing", "缺失", "int"), ("late", "逾期归档", "int")]))
    miss = a[a["defect"] == "missing"].sort_values("days_late", ascending=False)
    _show("<h3 class='pl'>缺失档案</h3>", table(miss.assign(officer=pack.officer(miss["officer_id"])), [
        ("loan_id", "借据号", None), ("customer_name", "客户名称", None), ("doc_type", "档案类型", "term:archive_doc_type"),
        ("due_date", "应归档日", "date"), ("days_late", "逾期天数", "int"), ("officer", "责任人", None)], pack.top_n))
    _show("<h3 class='pl'>数据质量</h3>", table(dq, [("label", "检查项", None), ("loan_id", "借据号", None),
                                                   ("customer_id", "客户号", None), ("detail", "说明", None)],
                                              pack.top_n, "未发现数据质量问题。"))


# ---- 11 -----------------------------------------------------------------------------
def show_handovers(pack: Pack):
    h = pack.m("handovers")
    _show(lead(f"本月工作移交 {len(h)} 户，其中无监交人 {int(h['missing_witness'].sum())} 户，"
               f"移交清单未签字 {int(h['missing_signature'].sum())} 户。"))
    h = h.assign(outgoing=pack.officer(h["outgoing_officer_id"]), incoming=pack.officer(h["officer_id"]),
                 witness=h["witness_officer_id"].fillna("⚠ 无监交人"),
                 signed=h["handover_signed_date"].dt.strftime("%Y-%m-%d").fillna("⚠ 未签字"))
    _show(table(h, [("customer_id", "客户号", None), ("customer_name", "客户名称", None),
                    ("handover_reason", "原因", "enum:handover_reason"), ("start_date", "生效日", "date"),
                    ("outgoing", "移交人", None), ("incoming", "接收人", None), ("witness", "监交人", None),
                    ("signed", "签字日期", None)], pack.top_n, "本月没有工作移交。"))


# ---- 12 -----------------------------------------------------------------------------
def show_proposals(pack: Pack):
    p = pack.m("proposed_resolutions")
    _show(lead(f"根据本月发现，建议本次会议形成决议 {len(p)} 项（格式同例会决议事项，可直接采纳）。"))
    p = p.assign(owner=pack.officer(p["owner_officer_id"]), meeting=pack.branch(p["branch_id"]))
    _show(table(p, [("action_id", "建议编号", None), ("meeting", "会议机构", None), ("item", "建议决议事项", None),
                    ("owner", "责任人", None), ("due_date", "完成时限", "date"), ("basis", "依据", None)],
                pack.top_n * 2, "本月没有需要形成决议的事项。"))
