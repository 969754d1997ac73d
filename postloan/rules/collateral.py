"""What collateral is worth to the bank: the appraised value times the loan-to-value cap
of its kind (policy.yaml `collateral.ltv_cap`), less claims ranking before the bank."""
from __future__ import annotations

import pandas as pd


def pledgeable_value(collateral: pd.DataFrame, policy) -> pd.Series:
    """Per collateral row: max(0, appraised_value × cap of its kind − prior_claims)."""
    caps = policy.collateral.ltv_cap
    cap = collateral["kind"].astype(object).map(lambda k: caps.get(k, caps["default"])).astype("float64")
    prior = collateral["prior_claims"].astype("float64").fillna(0.0)
    return (collateral["appraised_value"] * cap - prior).clip(lower=0.0)


def coverage_by_loan(collateral: pd.DataFrame, policy) -> pd.Series:
    """loan_id -> Σ pledgeable value of its collateral."""
    return pledgeable_value(collateral, policy).groupby(collateral["loan_id"]).sum()
