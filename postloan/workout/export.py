"""Workout outputs: the figures JSON (NPL_WORKOUT.md keys) and the committee's Excel workbook."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from postloan.marts.build import Marts
from postloan.marts.scope import scope_frame
from postloan.present.excel import write_workbook
from postloan.workout.package import package_pricing, securitisation_pools


def _r(x):
    return None if x is None or pd.isna(x) else round(float(x), 2)


def workout_figures(m: Marts, scope: str) -> dict:
    c = scope_frame(m["workout_cases"], scope)
    dl = scope_frame(m["workout_deadlines"], scope)
    fa = scope_frame(m["workout_foreclosed"], scope)
    pr = scope_frame(m["workout_promises"], scope)
    claim, value = float(c["claim"].sum()), float(c["recommended_pv"].clip(lower=0).sum())
    by_route = c.groupby("recommended").agg(count=("loan_id", "size"), claim=("claim", "sum"))
    pkg = package_pricing(m, scope)
    cand = c[c["write_off_candidate"]]
    passed = dl["days_left"] <= 0
    return {
        "month": m.month, "scope": scope,
        "workout_cases": int(len(c)), "workout_claim": _r(claim), "workout_value": _r(value),
        "workout_value_ratio": value / claim if claim else None,
        "cases_by_recommended_route": {k: {"count": int(v["count"]), "claim": _r(v["claim"])} for k, v in by_route.iterrows()},
        "unstable_recommendations": int(c["unstable"].sum()),
        "transfer_eligible_claim": _r(c.loc[c["transfer_eligible"], "claim"].sum()),
        "package_buyer_price": pkg["buyer_price"], "package_reserve_price": pkg["reserve_price"],
        "writeoff_review_count": int(c["write_off_review"].sum()),
        "writeoff_candidates_count": int(len(cand)), "writeoff_candidates_claim": _r(cand["claim"].sum()),
        "foreclosed_assets_overdue_count": int(fa["overdue"].sum()) if len(fa) else 0,
        "guarantee_periods_lost_count": int((passed & dl["kind"].isin(["guarantee_period", "guarantee_debt"])).sum()),
        "limitation_expired_count": int((passed & (dl["kind"] == "limitation")).sum()),
        "broken_promises_count": int(pr["broken"].sum()) if len(pr) else 0,
        "securitisation_pools": [{"product": r.product, "accounts": int(r.accounts), "claim": _r(r.claim),
                                  "eligible": bool(r.eligible), "price": _r(r.gross), "pv": _r(r.pv),
                                  "bank_value": _r(r.bank_value)} for r in securitisation_pools(m, scope).itertuples()],
        "case_ids": c["loan_id"].tolist(),
    }


def write_excel(m: Marts, scope: str, path: Path) -> Path:
    """Sheets 案件, 路径比较, 转让包定价, 资产证券化, 核销候选, 账销案存, 抵债资产, 估值假设 after 说明."""
    from postloan.marts.scope import scope_name
    c = scope_frame(m["workout_cases"], scope)
    r = scope_frame(m["workout_routes"], scope)
    fa = scope_frame(m["workout_foreclosed"], scope)
    pkg = package_pricing(m, scope)
    T, A, F, N, D = "text", "amount", "flag", "count", "date"
    cases = (pd.DataFrame({"借据号": c["loan_id"], "客户号": c["customer_id"], "客户名称": c["customer_name"],
                           "阶段": c["stage"], "债权金额（元）": c["claim"], "押品价值（元）": c["collateral_value"],
                           "保证价值（元）": c["guarantor_value"], "建议路径": c["recommended_cn"],
                           "建议路径现值（元）": c["recommended_pv"], "不稳定": c["unstable"],
                           "可行法律路径": c["routes_open"]}),
             {"借据号": T, "客户号": T, "客户名称": T, "阶段": "term:collection_stage", "债权金额（元）": A,
              "押品价值（元）": A, "保证价值（元）": A, "建议路径": T, "建议路径现值（元）": A, "不稳定": F, "可行法律路径": T})
    routes = (pd.DataFrame({"借据号": r["loan_id"], "路径": r["route_cn"], "可行": r["open"], "理由": r["why"],
                            "回收总额（元）": r["gross"], "费用（元）": r["costs"], "月数": r["months"],
                            "净回收（元）": r["net"], "现值（元）": r["pv"]}),
              {"借据号": T, "路径": T, "可行": F, "理由": T, "回收总额（元）": A, "费用（元）": A, "月数": N,
               "净回收（元）": A, "现值（元）": A})
    package = (pd.DataFrame({"项目": ["债权金额", "本行自有估值", "模型买方报价", "建议底价", "按买方报价的损失",
                                    "已计提拨备", "超出拨备的损失", "低于底价而放弃的价值"],
                             "金额（元）": [pkg["claim"], pkg["bank_value"], pkg["buyer_price"], pkg["reserve_price"],
                                         pkg["loss_at_buyer_price"], pkg["provision_held"],
                                         pkg["loss_beyond_provision"], pkg["value_given_up"]],
                             "户数": [pkg["accounts"]] + [None] * 7}),
               {"项目": T, "金额（元）": A, "户数": N})
    cand = c[c["write_off_candidate"] | c["write_off_review"]]
    writeoff = (pd.DataFrame({"借据号": cand["loan_id"], "客户名称": cand["customer_name"], "债权金额（元）": cand["claim"],
                              "核销候选": cand["write_off_candidate"].map({True: "是", False: "否（审查中）"}),
                              "依据": cand["write_off_basis"]}),
                {"借据号": T, "客户名称": T, "债权金额（元）": A, "核销候选": T, "依据": T})
    wo = c[c["written_off"]]
    kept = (pd.DataFrame({"借据号": wo["loan_id"], "客户名称": wo["customer_name"], "账销案存债权（元）": wo["claim"],
                          "诉讼时效存续": wo["limitation_alive"]}),
            {"借据号": T, "客户名称": T, "账销案存债权（元）": A, "诉讼时效存续": F})
    assets = (pd.DataFrame({"资产编号": fa.get("asset_id"), "借据号": fa.get("loan_id"), "类别": fa.get("kind"),
                            "入账价值（元）": fa.get("booked_value"), "取得日": fa.get("acquired_date"),
                            "处置期限": fa.get("deadline"), "剩余天数": fa.get("days_left")}),
              {"资产编号": T, "借据号": T, "类别": "code:collateral_kind", "入账价值（元）": A, "取得日": D,
               "处置期限": D, "剩余天数": N})
    pools = securitisation_pools(m, scope)
    abs_sheet = (pd.DataFrame({"产品": pools["product"], "户数": pools["accounts"], "资产池债权（元）": pools["claim"],
                               "达到发行规模": pools["eligible"], "发行价（元）": pools["gross"], "费用（元）": pools["costs"],
                               "月数": pools["months"], "现值（元）": pools["pv"], "本行自有估值（元）": pools["bank_value"],
                               "差额（元）": pools["difference"]}),
                 {"产品": "code:product", "户数": N, "资产池债权（元）": A, "达到发行规模": F, "发行价（元）": A,
                  "费用（元）": A, "月数": N, "现值（元）": A, "本行自有估值（元）": A, "差额（元）": A})
    a = m["workout_assumptions"]
    assumptions = (pd.DataFrame({"参数": a["label"] if "label" in a else a["key"], "取值": a["value"]}),
                   {"参数": T, "取值": T})
    sheets = [("案件", *cases), ("路径比较", *routes), ("转让包定价", *package), ("资产证券化", *abs_sheet),
              ("核销候选", *writeoff), ("账销案存", *kept), ("抵债资产", *assets), ("估值假设", *assumptions)]
    about = {"产品": "不良资产清收处置", "期间": m.month, "范围": scope_name(m["branches"], scope),
             "估值": "模型估算，参数见“估值假设”（parameters/workout_policy.yaml），须以本行处置经验校准；金额单位为元"}
    return write_workbook(path, sheets, about)


def write_case_files(m: Marts, scope: str, folder: Path) -> list[tuple[str, Path]]:
    """One self-contained HTML case file per case, written once however many scopes hold it
    (in `workout/cases/`); every case of the scope is returned as a "case" page, which the
    runner prints once and binds into the scope's book `<scope>_cases.pdf`."""
    from postloan.present.workout import case_page_html
    from postloan.run.export import page_file_name, page_html
    cases_dir = Path(folder) / "cases"
    cases_dir.mkdir(exist_ok=True)
    out = []
    for loan_id in scope_frame(m["workout_cases"], scope)["loan_id"]:
        path = cases_dir / f"{page_file_name(loan_id)}.html"
        if not path.exists():
            path.write_text(page_html(f"{loan_id} 催收/处置案卷", case_page_html(m, loan_id)), encoding="utf-8")
        out.append(("case", path))
    return out
