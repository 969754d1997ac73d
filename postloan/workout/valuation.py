"""Recoverable value and the value of each disposal route (NPL_WORKOUT.md "Recoverable value
of a case", "Routes and their value"). Pure functions of three frames, so that each figure
can be checked by hand:

- `cases`: one row per case — loan_id, customer_type, product, guarantee_type, claim,
  reachable (no lost contact, not missing or deceased), insolvent (bankruptcy, deregistered,
  licence revoked, deceased), bankrupt (bankruptcy accepted), no_assets (终本 / enforcement
  without assets), operating (no insolvency, missing or deceased event), limitation_alive,
  restructured_recently, write_off_candidate;
- `collateral`: loan_id, kind, appraised_value, prior_claims, registered;
- `guarantees`: loan_id, guarantor_kind, amount, enforceable.

`route_values` gives one row per case × route (open or not, why, gross, costs, months,
net, present value); `recommend` picks the open route with the highest PV and marks a
recommendation that flips under the sensitivity runs as 不稳定.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.workout.config import WorkoutConfig
from postloan.workout.fees import banded_fee

ROUTES = ("negotiated", "litigation", "realize_security", "restructure", "foreclosure", "transfer", "write_off")


def components(cases: pd.DataFrame, collateral: pd.DataFrame, guarantees: pd.DataFrame, cfg: WorkoutConfig,
               realisation_factor: float = 1.0) -> pd.DataFrame:
    """Per case: collateral value, foreclosable collateral (appraisal, taking price, sale value),
    guarantor value and the unsecured rest, each capped so that their sum stays within the claim."""
    v = cfg.valuation
    ids = pd.Index(cases["loan_id"])
    col = collateral[collateral["loan_id"].isin(ids)]
    reg = col[col["registered"].fillna(False).astype(bool)]
    rate = reg["kind"].astype(object).map(v.realisation).astype("float64").fillna(0.0)
    rate = (rate * realisation_factor).clip(upper=1.0)
    prior = reg["prior_claims"].astype("float64").fillna(0.0)
    value = ((reg["appraised_value"] * rate - prior).clip(lower=0.0)) * (1 - v.disposal_tax_rate)
    coll = value.groupby(reg["loan_id"]).sum().reindex(ids).fillna(0.0)
    fc = cfg.routes.foreclosure
    fk = reg[reg["kind"].isin(fc.kinds)]
    fk_prior = fk["prior_claims"].astype("float64").fillna(0.0)
    taking = (fk["appraised_value"] * fc.foreclosure_ratio - fk_prior).clip(lower=0.0).groupby(fk["loan_id"]).sum()
    sale = (fk["appraised_value"] * rate[fk.index] - fk_prior).clip(lower=0.0).groupby(fk["loan_id"]).sum()
    g = guarantees[guarantees["loan_id"].isin(ids) & guarantees["enforceable"].fillna(False).astype(bool)]
    gv = (g["amount"] * g["guarantor_kind"].astype(object).map(v.guarantor_rate).astype("float64").fillna(0.0))
    guar = gv.groupby(g["loan_id"]).sum().reindex(ids).fillna(0.0)
    out = pd.DataFrame({"loan_id": ids}, index=ids)
    claim = cases.set_index("loan_id")["claim"].reindex(ids).astype("float64")
    out["claim"] = claim
    out["collateral_value"] = np.minimum(coll, claim)
    out["guarantor_value"] = np.minimum(guar, (claim - out["collateral_value"]).clip(lower=0))
    c = cases.set_index("loan_id").reindex(ids)
    base = c["customer_type"].astype(object).map(v.unsecured_rate).astype("float64").fillna(0.0)
    rate_u = np.where(c["no_assets"].fillna(False).astype(bool), 0.0,
                      np.where(c["insolvent"].fillna(False).astype(bool), v.unsecured_rate_insolvent, base))
    out["unsecured_rest"] = (claim - out["collateral_value"] - out["guarantor_value"]).clip(lower=0)
    out["unsecured_value"] = out["unsecured_rest"] * rate_u
    out["foreclosure_taking"] = taking.reindex(ids).fillna(0.0)
    out["foreclosure_sale"] = sale.reindex(ids).fillna(0.0)
    out["unregistered_collateral"] = col[~col["registered"].fillna(False).astype(bool)].groupby("loan_id").size() \
        .reindex(ids).fillna(0).astype(int)
    return out.reset_index(drop=True)


def present_value(net, months, claim, r, holding_rate):
    """PV = (net − holding) / (1 + r)^(months / 12), holding = holding_rate × claim × months / 12."""
    holding = holding_rate * claim * months / 12
    return (net - holding) / (1 + r) ** (months / 12)


def _litigation(claim, pool, cfg: WorkoutConfig):
    """(net, costs) of suing for `claim` against an asset pool `pool` (costs the law puts on
    the debtor are recovered from the pool first, lawyers' fees are the bank's)."""
    L, F = cfg.routes.litigation, cfg.fees
    case_fee = np.array([banded_fee(x, F.case) for x in claim])
    enforce_fee = np.array([banded_fee(min(p, c), F.enforcement) for p, c in zip(pool, claim)])
    preserve = np.array([banded_fee(x, F.preservation) for x in claim]) if L.preservation else np.zeros(len(claim))
    recoverable = case_fee + enforce_fee + preserve
    costs = recoverable + L.lawyer_rate * pool
    net = np.minimum(pool, claim + recoverable) - costs
    return net, costs


def route_values(cases: pd.DataFrame, collateral: pd.DataFrame, guarantees: pd.DataFrame, cfg: WorkoutConfig,
                 discount_rate: float | None = None, realisation_factor: float = 1.0) -> pd.DataFrame:
    v, R = cfg.valuation, cfg.routes
    r = v.discount_rate if discount_rate is None else discount_rate
    comp = components(cases, collateral, guarantees, cfg, realisation_factor)
    c = cases.set_index("loan_id").reindex(comp["loan_id"]).reset_index()
    claim = comp["claim"].to_numpy(dtype=float)
    coll, guar = comp["collateral_value"].to_numpy(), comp["guarantor_value"].to_numpy()
    unsec = comp["unsecured_value"].to_numpy()
    flag = lambda name: c[name].fillna(False).astype(bool).to_numpy()
    bankrupt, insolvent, reachable = flag("bankrupt"), flag("insolvent"), flag("reachable")
    operating, alive = flag("operating"), flag("limitation_alive")
    hold = v.bank_holding_cost_rate
    rows = []

    def add(route, open_, why, gross, costs, months, net, pv):
        rows.append(pd.DataFrame({"loan_id": comp["loan_id"], "route": route, "open": open_, "why": why,
                                  "gross": gross, "costs": costs, "months": months, "net": net, "pv": pv}))

    # 清收
    N = R.negotiated
    gross = (coll + guar + unsec) * N.negotiated_share
    costs = N.collection_cost_rate * gross
    ok = reachable & ~insolvent
    add("negotiated", ok, np.where(ok, "借款人可联系、未进入破产或注销", "借款人失联、死亡或已进入破产/注销"),
        gross, costs, N.months, gross - costs, present_value(gross - costs, N.months, claim, r, hold))
    # 诉讼执行
    L = R.litigation
    pool = coll + guar + (1 - L.no_assets_prob) * unsec
    net_l, costs_l = _litigation(claim, pool, cfg)
    ok = alive & ~bankrupt
    add("litigation", ok, np.where(ok, "诉讼时效未届满（或已中断、已起诉）", np.where(bankrupt, "已受理破产，个别清偿程序中止",
                                                                               "诉讼时效已届满")),
        pool, costs_l, L.months, net_l, present_value(net_l, L.months, claim, r, hold))
    # 实现担保物权: the collateral by the special procedure, the rest of the claim as litigation
    S = R.realize_security
    rest = (claim - coll).clip(min=0)
    pool_rest = guar + (1 - L.no_assets_prob) * unsec
    net_rest, costs_rest = _litigation(rest, pool_rest, cfg)
    sec_costs = L.lawyer_rate * coll
    ok = (coll > 0) & ~bankrupt
    pv = present_value(coll - sec_costs, S.months, coll, r, hold) + present_value(net_rest, L.months, rest, r, hold)
    add("realize_security", ok, np.where(ok, "有已登记的抵质押物（无实质争议时法院裁定拍卖、变卖）", "无已登记的抵质押物或已受理破产"),
        coll + pool_rest, sec_costs + costs_rest, S.months, coll - sec_costs + net_rest, pv)
    # 重组
    T = R.restructure
    gross = claim * T.restructure_success * T.restructure_recovery + (1 - T.restructure_success) * pool
    costs = N.collection_cost_rate * gross
    ok = operating & ~insolvent & ~flag("restructured_recently")
    add("restructure", ok, np.where(ok, "借款人仍在经营，近期未重组", "借款人已停止经营、失联或近期已重组"),
        gross, costs, T.months, gross - costs, present_value(gross - costs, T.months, claim, r, hold))
    # 以物抵债: the asset settles the taking price of the claim, the rest as litigation; the asset is sold later
    F = R.foreclosure
    # a taking price above the claim is settled by paying the excess back (找补): the bank keeps
    # the share of the asset that settles the claim
    full = comp["foreclosure_taking"].to_numpy()
    share = np.where(full > claim, claim / np.where(full > 0, full, 1.0), 1.0)
    taking = full * share
    sale = comp["foreclosure_sale"].to_numpy() * share
    asset_costs = F.deed_tax_rate * taking + F.asset_holding_rate * taking * F.months_to_sell / 12 + v.disposal_tax_rate * sale
    months_f = F.months_to_title + F.months_to_sell
    rest = (claim - taking).clip(min=0)
    net_rest_f, costs_rest_f = _litigation(rest, guar + (1 - L.no_assets_prob) * unsec, cfg)
    ok = (taking > 0) & ~bankrupt
    pv = present_value(sale - asset_costs, months_f, taking, r, hold) + present_value(net_rest_f, L.months, rest, r, hold)
    add("foreclosure", ok, np.where(ok, "有已登记的不动产、土地或股权抵质押物", "无可抵债的不动产、土地或股权，或已受理破产"),
        sale + guar + (1 - L.no_assets_prob) * unsec, asset_costs + costs_rest_f, months_f,
        sale - asset_costs + net_rest_f, pv)
    # 批量转让: the buyer's price of the litigation pool
    X = R.transfer
    individual = c["customer_type"].eq("individual").to_numpy()
    unsecured_retail = individual & c["guarantee_type"].isin(["credit", "guarantee"]).to_numpy() & \
        ~c["product"].eq("mortgage").to_numpy()
    price = pool * (1 - X.buyer_cost_rate) / (1 + X.buyer_discount_rate) ** (L.months / 12)
    price = np.minimum(price, claim)
    costs = X.transfer_cost_rate * price
    ok = ~individual | unsecured_retail
    add("transfer", ok, np.where(ok, np.where(individual, "个人无抵押不良贷款（批量转让试点）", "对公不良贷款可批量转让"),
                                 "个人住房抵押等不在转让范围"),
        price, costs, X.months, price - costs, present_value(price - costs, X.months, claim, r, hold))
    # 核销: keeps the claim alive; what comes back after write-off
    W = R.write_off
    gross = comp["unsecured_value"].to_numpy() * W.post_writeoff_share
    ok = flag("write_off_candidate")
    add("write_off", ok, np.where(ok, "已满足核销条件（账销案存、权在力催）", "未满足核销条件"),
        gross, 0.0, W.months, gross, present_value(gross, W.months, claim, r, hold))
    out = pd.concat(rows, ignore_index=True)
    out["open"] = out["open"].astype(bool)
    return out


def best_route(values: pd.DataFrame) -> pd.Series:
    """loan_id -> the open route with the highest PV (ties: the order of ROUTES)."""
    o = values[values["open"]].copy()
    o["order"] = o["route"].map({r: i for i, r in enumerate(ROUTES)})
    o = o.sort_values(["loan_id", "pv", "order"], ascending=[True, False, True])
    return o.drop_duplicates("loan_id").set_index("loan_id")["route"]


def recommend(cases: pd.DataFrame, collateral: pd.DataFrame, guarantees: pd.DataFrame,
              cfg: WorkoutConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values, recommendations): every route of every case, and per case the recommended route,
    its PV, the runner-up and whether a sensitivity run changes the choice (不稳定)."""
    values = route_values(cases, collateral, guarantees, cfg)
    best = best_route(values)
    s = cfg.sensitivity
    r0 = cfg.valuation.discount_rate
    runs = [dict(discount_rate=max(0.0, r0 - s.discount_rate_points)), dict(discount_rate=r0 + s.discount_rate_points)]
    runs += [dict(realisation_factor=f) for f in s.realisation_factors]
    flips = pd.Series(False, index=best.index)
    for kw in runs:
        alt = best_route(route_values(cases, collateral, guarantees, cfg, **kw)).reindex(best.index)
        flips |= alt.ne(best).fillna(False)
    o = values[values["open"]].sort_values(["loan_id", "pv"], ascending=[True, False])
    second = o.groupby("loan_id").nth(1).set_index("loan_id") if len(o) else o.set_index("loan_id")
    rec = pd.DataFrame({"loan_id": best.index, "route": best.to_numpy()})
    top = values.set_index(["loan_id", "route"])
    rec["pv"] = [top.loc[(k, b), "pv"] for k, b in zip(rec["loan_id"], rec["route"])]
    rec["runner_up"] = rec["loan_id"].map(second["route"]) if len(second) else None
    rec["runner_up_pv"] = rec["loan_id"].map(second["pv"]) if len(second) else np.nan
    rec["unstable"] = rec["loan_id"].map(flips).fillna(False).astype(bool).to_numpy()
    return values, rec
