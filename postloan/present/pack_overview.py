"""The meeting pack's decision pages: 要点 (first page), 总体情况与目标 (comparisons, targets,
NPL movement, provisions, branches) and the breakdowns and largest exposures of 资产质量.
Presentation only: the figures come from `figures_for_scope` (postloan.marts.npl_movement,
comparisons, exposures, highlights, postloan.targets)."""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML, display

from postloan.glossary import enum_labels, term_labels
from postloan.marts import exposures
from postloan.present import fmt, svg
from postloan.present.tables import esc, lead, table
from postloan.targets import target_label


def _show(*parts: str) -> None:
    display(HTML("".join(parts)))


def show_highlights(pack, titles: dict[str, str]):
    """The facts that need a decision, each with the section that details it; a page of its own."""
    items = pack.figures.get("highlights")
    if items is None:                     # a run published before 要点 existed
        _show(lead("本次运行未生成要点（运行早于该功能）。"))
        return
    if not items:
        body = '<p class="pl pl-lead">本月没有需要会议决策的事项。</p>'
    else:
        body = '<ol class="pl pl-lead">' + "".join(
            f"<li>{esc(h['sentence'])}<span class='pl-note'>（详见{esc(titles.get(h['section'], ''))}）</span></li>"
            for h in items) + "</ol>"
    _show(body, lead("要点按规则选出（目标未完成、违规分类、准备缺口、临近到期的法律期限、最大的新增不良、逾期决议、"
                     "超时限预警），阈值见 parameters/policy.yaml 的 highlights。"),
          '<div style="break-after: page"></div>')


def _cmp_rows(f: dict, unit: str) -> pd.DataFrame:
    labels = term_labels("headline")
    rows = []
    for key, c in f["comparisons"].items():
        ratio = "ratio" in key
        show = (lambda v: fmt.pct(v)) if ratio else (lambda v: fmt.money(v, unit))
        delta = (lambda a, b: "—" if a is None or b is None else fmt.signed_pct_points(a - b)) if ratio else \
            (lambda a, b: "—" if a is None or b is None else fmt.signed_money(a - b, unit))
        rows.append({"k": labels.get(key, key), "v": show(c["value"]) if c["value"] is not None else "—",
                     "mom": delta(c["value"], c["prev_month"]), "ytd": delta(c["value"], c["year_start"]),
                     "yoy": delta(c["value"], c["last_year"])})
    return pd.DataFrame(rows)


def show_overview(pack):
    f, u = pack.figures, pack.unit
    if "npl_opening" not in f:
        _show(lead("本次运行早于该部分，未计算不良变动与比较。"))
        return
    _show("<h3 class='pl'>主要指标比较</h3>",
          table(_cmp_rows(f, u), [("k", "指标", None), ("v", "本月末", None), ("mom", "比上月", None),
                                  ("ytd", "比年初", None), ("yoy", "比上年同期", None)]),
          lead("比上年同期为与上年同月末相比；数据不足一年时显示“—”。"))
    _show_targets(pack)
    # NPL movement
    keys = ["npl_opening", "npl_new", "npl_upgraded", "npl_settled", "npl_written_off", "npl_transferred",
            "npl_paid_down", "npl_closing"]
    names = term_labels("npl_movement")
    mv = pd.DataFrame([{"k": names[k], "v": f[k] if k in ("npl_opening", "npl_closing", "npl_new") else -f[k]}
                       for k in keys])
    change = f.get("npl_ratio_change")
    sentence = "" if change is None else (
        f"不良率由上月末 {fmt.pct(f['npl_ratio_opening'])} 变为 {fmt.pct(f['npl_ratio'])}，{fmt.signed_pct_points(change)}；"
        f"其中不良余额变动使不良率{fmt.signed_pct_points(f['npl_ratio_change_npl'])}，"
        f"贷款规模变动（增量稀释）使不良率{fmt.signed_pct_points(f['npl_ratio_change_book'])}。")
    wan = 1e4
    steps = [("上月末", f["npl_opening"] / wan, "total"), ("新增", f["npl_new"] / wan, "up"),
             ("上调", f["npl_upgraded"] / wan, "down"), ("结清", f["npl_settled"] / wan, "down"),
             ("核销", f["npl_written_off"] / wan, "down"), ("转让", f["npl_transferred"] / wan, "down"),
             ("收回", f["npl_paid_down"] / wan, "down" if f["npl_paid_down"] >= 0 else "up"),
             ("本月末", f["npl_closing"] / wan, "total")]
    steps = [(label, abs(v), kind) for label, v, kind in steps]
    _show("<h3 class='pl'>不良贷款变动（万元）</h3>",
          lead("本月末不良 = 上月末不良 + 新增 − 上调 − 结清 − 核销 − 转让 − 收回。", sentence),
          svg.waterfall(steps, "不良贷款余额变动", "万元"),
          table(mv, [("k", "项目", None), ("v", "金额（万元，减少为负）", "money")]))
    _show_provisions(pack)
    _show_branches(pack)


def _show_targets(pack):
    rows = pack.figures.get("targets")
    if not rows:
        return                            # no targets.yaml entry for this scope and year: not shown
    t = pd.DataFrame(rows)
    amount = ~t["key"].str.contains("ratio")
    fmt_v = lambda v, is_amount: "—" if v is None or pd.isna(v) else (fmt.money(v, "万元") if is_amount else fmt.pct(v))
    t = t.assign(label=t["key"].map(target_label),
                 a=[fmt_v(v, m) for v, m in zip(t["actual"], amount)],
                 tg=[fmt_v(v, m) for v, m in zip(t["target"], amount)],
                 pace=[fmt_v(v, True) if v is not None and not pd.isna(v) else "—" for v in t["pace"]],
                 gap=[("—" if g is None or pd.isna(g) else (fmt.signed_money(g, "万元") if m else fmt.signed_pct_points(g)))
                      for g, m in zip(t["gap"], amount)],
                 st=t["missed"].map({True: "未达成", False: "达成"}))
    _show("<h3 class='pl'>目标完成情况</h3>",
          lead("上限类目标（不良率、不良余额、关注类占比）比较月末实际与上限；全年金额类目标（现金清收、处置计划）"
               "比较年内累计与按月进度（全年目标 × 已过月数 ÷ 12）。"),
          table(t, [("label", "目标", None), ("a", "实际", None), ("tg", "目标值", None), ("pace", "按进度应达", None),
                    ("gap", "差距", None), ("st", "状态", None)]))


def _show_provisions(pack):
    f = pack.figures
    if f.get("provision_total") is None:
        _show("<h3 class='pl'>贷款损失准备</h3>", lead("数据中未提供贷款损失准备（loan_month.provision），本项不计算。"))
        return
    st = pack.marts["policy_settings"].iloc[0]
    rows = pd.DataFrame([
        {"k": "拨备覆盖率", "v": fmt.pct(f["provision_coverage"]), "req": fmt.pct(st["coverage_required"]),
         "range": "120%–150%"},
        {"k": "拨贷比", "v": fmt.pct(f["loan_provision_ratio"]), "req": fmt.pct(st["loan_ratio_required"]),
         "range": "1.5%–2.5%"}])
    gap = f["provision_gap"]
    _show("<h3 class='pl'>贷款损失准备</h3>",
          lead(f"贷款损失准备余额 {fmt.money(f['provision_total'], '万元')}；按本行要求应不低于 "
               f"{fmt.money(f['provision_required'], '万元')}（拨备覆盖率与拨贷比两项要求取高者），"
               + (f"缺口 {fmt.money(gap, '万元')}。" if gap > 0 else "满足要求。")),
          table(rows, [("k", "指标", None), ("v", "本月末", None), ("req", "本行要求", None), ("range", "监管区间", None)]))


def _show_branches(pack):
    rows = pack.figures.get("branches")
    if not rows:
        return
    t = pd.DataFrame(rows)
    t["name"] = pack.branch(t["branch_id"])
    level = "分行" if pack.scope == "all" else "支行"
    t = t.sort_values("npl_ratio", ascending=False, na_position="last")
    avg = pack.figures["npl_ratio"]
    chart = svg.hbars(t["name"].tolist(), [None if v is None or pd.isna(v) else v * 100 for v in t["npl_ratio"]],
                      f"各{level}不良率（%）", vmax=max([1.0] + [v * 100 * 1.15 for v in t["npl_ratio"].dropna()]),
                      missing="无贷款", ref=(f"{pack.scope_label}平均", avg * 100 if avg is not None else None), digits=2)
    _show(f"<h3 class='pl'>各{level}比较</h3>", chart,
          table(t, [("name", level, None), ("total_balance", "贷款余额（万元）", "money"),
                    ("npl_ratio", "不良率", "pct"), ("npl_new", "本月新增不良（万元）", "money"),
                    ("special_mention_ratio", "关注类占比", "pct"), ("overdue_balance", "逾期余额（万元）", "money"),
                    ("inspection_on_time_rate", "检查按时率", "pct"), ("warnings_reported_late", "预警超时限报告", "int")]))


def show_breakdowns_and_exposures(pack):
    """Breakdowns by product, customer type and industry; the largest customers and
    concentration; every new NPL and special-mention loan above the threshold."""
    if "policy_settings" not in pack.marts.tables:
        return
    st = pack.marts["policy_settings"].iloc[0]
    snap = pack.m("loan_snapshot")
    cols = [("label", "类别", None), ("balance", "余额（万元）", "money"), ("npl_balance", "不良余额（万元）", "money"),
            ("npl_ratio", "不良率", "pct"), ("change", "不良率比上月", None)]
    for by, title, labels in (("product", "按产品", enum_labels("product")),
                              ("customer_type", "按客户类型", enum_labels("customer_type")),
                              ("industry_code", "按行业（国民经济行业分类门类）", term_labels("industry_section"))):
        b = exposures.breakdown(snap, by)
        b["label"] = b[by].map(lambda c: labels.get(c, c) if isinstance(c, str) else "未分行业（个人等）")
        b["change"] = b["npl_ratio_change"].map(lambda v: "—" if pd.isna(v) else fmt.signed_pct_points(v))
        _show(f"<h3 class='pl'>{title}</h3>", table(b, cols, pack.top_n))
    n = int(st["top_customers"])
    top = exposures.top_customers(snap, pack.m("warning_lifecycle"), n)
    lvl = enum_labels("warning_level")
    top = top.assign(cls=top["worst_class"].map(enum_labels("classification")),
                     warn=top["open_warnings"].map(lambda x: "、".join(lvl.get(v, v) for v in x) if isinstance(x, list) and x else "无"),
                     officer=pack.officer(top["officer_id"]))
    share = pack.figures.get("top_customers_share")
    _show(f"<h3 class='pl'>最大 {n} 户客户</h3>",
          lead(f"最大 {n} 户客户贷款余额合计占全部贷款的 {fmt.pct(share)}。"),
          table(top, [("customer_name", "客户名称", None), ("loans", "笔数", "int"), ("balance", "余额（万元）", "money"),
                      ("share", "占比", "pct"), ("cls", "最差分类", None), ("warn", "未解除预警", None),
                      ("officer", "管户人", None)]))
    big = exposures.large_new_npl_and_special_mention(snap, float(st["large_exposure_amount"]))
    kinds = {"new_npl": "本月新增不良", "special_mention": "关注类"}
    big = big.assign(kind_cn=big["kind"].map(kinds), cls=big["classification"].map(enum_labels("classification")),
                     officer=pack.officer(big["officer_id"]),
                     step=big["kind"].map({"new_npl": "移交清收，确定处置路径", "special_mention": "按月检查，制定风险化解方案"}))
    _show(f"<h3 class='pl'>{fmt.money(float(st['large_exposure_amount']), '万元')}以上的新增不良与关注类贷款</h3>",
          table(big, [("kind_cn", "类别", None), ("loan_id", "借据号", None), ("customer_name", "客户名称", None),
                      ("balance", "余额（万元）", "money"), ("dpd", "逾期天数", "int"), ("cls", "分类", None),
                      ("officer", "管户人", None), ("step", "下一步", None)], pack.top_n, "无。"))
