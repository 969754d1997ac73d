"""要点: the facts of the month that need a decision, chosen by rules (thresholds in
policy.yaml `highlights`), each one sentence with its figure and the section that details it.

Rules, in the order they are listed (the first `max_items` are kept):
  target_missed      a target of parameters/targets.yaml missed (ceiling exceeded, or the
                     year-to-date amount behind the pace)
  npl_ratio_up       the NPL ratio rose against last month: by how much, and how much of it the
                     NPL balance did and the book's change did
  overdue_resolutions  resolutions of earlier meetings past their deadline
  floor_breach       loans classified above a classification floor
  upgrade_breach     NPL upgrades that do not meet the conditions
  provision_gap      provisions short of the bank's requirement
  deadlines_soon     legal deadlines (limitation, guarantee periods, enforcement, …) that expire
                     within `deadline_days` and are still open
  largest_new_npl    the largest loans that became NPL this month
  warnings_late      warnings whose report deadline fell in the month and were reported late
"""
from __future__ import annotations

import pandas as pd

from postloan.marts.npl_movement import new_npl
from postloan.targets import target_label


def _wan(x: float) -> str:
    return f"{x / 10000:,.2f} 万元"


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def _pts(x: float) -> str:
    return f"{abs(x) * 100:.2f} 个百分点"


def highlights(f: dict, snap: pd.DataFrame, deadlines: pd.DataFrame, end: pd.Timestamp, settings) -> list[dict]:
    """[{rule, section, sentence}] — `f` the scope's figures (with the management figures),
    `snap` its loan snapshot, `deadlines` its legal deadlines, `settings` policy.highlights."""
    out: list[dict] = []

    def add(rule, section, sentence):
        out.append({"rule": rule, "section": section, "sentence": sentence})

    for t in f.get("targets", []):
        if not t["missed"]:
            continue
        label = target_label(t["key"])
        if t["key"].endswith("_max"):
            ratio = "ratio" in t["key"]
            show = _pct if ratio else _wan
            add("target_missed", "overview", f"{label} {show(t['actual'])}，超过目标上限 {show(t['target'])}，高出 "
                                             f"{_pts(t['gap']) if ratio else _wan(t['gap'])}。")
        else:
            add("target_missed", "overview", f"{label}年内累计 {_wan(t['actual'])}，按进度应达 {_wan(t['pace'])}，"
                                             f"落后 {_wan(-t['gap'])}（全年目标 {_wan(t['target'])}）。")
    ch = f.get("npl_ratio_change")
    if ch is not None and ch > 0:
        add("npl_ratio_up", "overview",
            f"不良率 {_pct(f['npl_ratio'])}，较上月上升 {_pts(ch)}：其中不良余额变动使不良率"
            f"{'上升' if f['npl_ratio_change_npl'] >= 0 else '下降'} {_pts(f['npl_ratio_change_npl'])}，贷款规模变动使不良率"
            f"{'上升' if f['npl_ratio_change_book'] >= 0 else '下降'} {_pts(f['npl_ratio_change_book'])}。")
    if f.get("meeting_actions_overdue", 0) > 0:
        add("overdue_resolutions", "resolutions_followup",
            f"以往例会决议逾期未完成 {f['meeting_actions_overdue']} 项。")
    if f.get("floor_breach_count", 0) > 0:
        add("floor_breach", "asset_quality", f"分类未达到分类规则底线（应下调）的贷款 {f['floor_breach_count']} 笔、"
                                             f"{_wan(f['floor_breach_balance'])}，须本月下调分类。")
    if f.get("upgrade_breach_count", 0) > 0:
        add("upgrade_breach", "asset_quality", f"不满足上调条件的不良贷款上调 {f['upgrade_breach_count']} 笔、"
                                               f"{_wan(f['upgrade_breach_balance'])}，须复核。")
    if (f.get("provision_gap") or 0) > 0:
        add("provision_gap", "overview", f"贷款损失准备 {_wan(f['provision_total'])}，低于本行要求 "
                                         f"{_wan(f['provision_required'])}，缺口 {_wan(f['provision_gap'])}。")
    soon = deadlines[(deadlines["deadline"] > end) &
                     (deadlines["deadline"] <= end + pd.Timedelta(days=int(settings["deadline_days"])))]
    if len(soon):
        first = soon.sort_values("deadline").iloc[0]
        add("deadlines_soon", "legal",
            f"{int(settings['deadline_days'])} 天内到期的法律期限 {len(soon)} 项，最早为{first['customer_name']}"
            f"的{first['kind_label']}（{first['deadline']:%Y-%m-%d} 到期），须在到期前主张权利。")
    new = new_npl(snap)
    k = int(settings["largest_new_npl"])
    if k and len(new):
        top = new.nlargest(k, "balance")
        add("largest_new_npl", "asset_quality",
            f"本月新增不良 {len(new)} 笔、{_wan(float(new['balance'].sum()))}，最大的为"
            + "、".join(f"{r.customer_name} {_wan(r.balance)}" for r in top.itertuples()) + "。")
    if f.get("warnings_reported_late", 0) > 0:
        add("warnings_late", "warnings", f"本月应报告的预警中超时限 {f['warnings_reported_late']} 个。")
    return out[:int(settings["max_items"])]
