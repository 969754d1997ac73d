"""Transfer package pricing (NPL_WORKOUT.md "Transfer package pricing"): the package of a
scope is every transfer-eligible case (or the loan ids the policy lists); its reserve
price comes from the bank's own valuation, never from the modelled buyer's price."""
from __future__ import annotations

import pandas as pd

from postloan.marts.build import Marts
from postloan.marts.scope import scope_frame


def package_pricing(m: Marts, scope: str) -> dict:
    """The run's package settings are in the mart `workout_settings` (computed with the run's policy)."""
    st = m["workout_settings"].iloc[0]
    reserve_ratio = float(st["reserve_ratio"])
    loan_ids = [x for x in str(st["package_loan_ids"] or "").split(",") if x]
    cases = scope_frame(m["workout_cases"], scope)
    routes = scope_frame(m["workout_routes"], scope)
    pkg = cases[cases["loan_id"].isin(loan_ids)] if loan_ids else cases[cases["transfer_eligible"]]
    r = routes[routes["loan_id"].isin(pkg["loan_id"]) & routes["open"]]
    own = r[r["route"] != "transfer"].groupby("loan_id")["pv"].max()
    buyer = r[r["route"] == "transfer"].set_index("loan_id")["gross"]
    bank_value = float(own.clip(lower=0).reindex(pkg["loan_id"]).fillna(0).sum())
    buyer_price = float(buyer.reindex(pkg["loan_id"]).fillna(0).sum())
    claim = float(pkg["claim"].sum())
    provision = float(pkg.get("provision", pd.Series(dtype=float)).fillna(0).sum()) if "provision" in pkg else 0.0
    reserve = reserve_ratio * bank_value
    return {"accounts": int(len(pkg)), "claim": round(claim, 2), "bank_value": round(bank_value, 2),
            "buyer_price": round(buyer_price, 2), "reserve_price": round(reserve, 2),
            "buyer_price_ratio": buyer_price / claim if claim else None,
            "value_given_up": round(max(0.0, reserve - buyer_price), 2),
            "loss_at_buyer_price": round(claim - buyer_price, 2), "provision_held": round(provision, 2),
            "loss_beyond_provision": round(max(0.0, claim - buyer_price - provision), 2),
            "loan_ids": pkg["loan_id"].tolist()}


def securitisation_pools(m: Marts, scope: str) -> pd.DataFrame:
    """资产证券化 is valued at pool level (NPL_WORKOUT.md, routes): per product, the scope's
    individual customers' cases still on the books form a pool; it can be issued when its claim
    reaches `abs_min_pool`. Price = pool claim × abs_price_ratio; costs = abs_cost_rate × price
    (the issue's proceeds, as the transfer route's costs are of its price); PV over `months` as
    every route. Beside it, the bank's own value of the same cases (Σ PV of their recommended
    routes), so the committee sees what issuing gives up or gains."""
    from postloan.workout.valuation import present_value
    st = m["workout_settings"].iloc[0]
    cases = scope_frame(m["workout_cases"], scope)
    pool = cases[(cases["customer_type"] == "individual") & ~cases["written_off"].astype(bool)]
    cols = ["product", "accounts", "claim", "eligible", "gross", "costs", "months", "pv", "bank_value", "difference"]
    if pool.empty or "abs_min_pool" not in st.index:      # (runs published before pools were valued)
        return pd.DataFrame(columns=cols)
    g = pool.groupby("product", observed=True).agg(accounts=("loan_id", "size"), claim=("claim", "sum"),
                                                   bank_value=("recommended_pv", lambda s: s.clip(lower=0).sum()))
    g = g.reset_index()
    months = int(st["abs_months"])
    g["eligible"] = g["claim"] >= float(st["abs_min_pool"])
    g["gross"] = g["claim"] * float(st["abs_price_ratio"])
    g["costs"] = g["gross"] * float(st["abs_cost_rate"])
    g["months"] = months
    g["pv"] = present_value(g["gross"] - g["costs"], months, g["claim"], float(st["discount_rate"]),
                            float(st["bank_holding_cost_rate"]))
    g["difference"] = g["pv"] - g["bank_value"]
    return g[cols].sort_values("claim", ascending=False).reset_index(drop=True)
