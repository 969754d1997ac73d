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
