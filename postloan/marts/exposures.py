"""Largest exposures, concentration, provisions and breakdowns of the book at M (one scope's
loan snapshot). Pure functions; the pack and the figures JSON read them."""
from __future__ import annotations

import pandas as pd

from postloan.policy import CLASS_ORDER, NPL_CLASSES

RANK = {c: i for i, c in enumerate(CLASS_ORDER)}


def _active(snap: pd.DataFrame) -> pd.DataFrame:
    return snap[snap["active"]]


def top_customers(snap: pd.DataFrame, warnings: pd.DataFrame, n: int) -> pd.DataFrame:
    """The `n` customers with the largest balance: balance, share of the book, worst class and
    the warnings open at M (red/orange/yellow)."""
    a = _active(snap)
    total = float(a["balance"].sum())
    worst = a.assign(rank=a["classification"].map(RANK)).groupby("customer_id")["rank"].max()
    g = a.groupby("customer_id").agg(customer_name=("customer_name", "first"), customer_type=("customer_type", "first"),
                                     loans=("loan_id", "size"), balance=("balance", "sum"),
                                     operating_branch_id=("operating_branch_id", "first"),
                                     managing_branch_id=("managing_branch_id", "first"),
                                     officer_id=("officer_id", "first"))
    g["worst_class"] = worst.map(dict(enumerate(CLASS_ORDER)))
    g = g.sort_values("balance", ascending=False).head(n).reset_index()
    g["share"] = g["balance"] / total if total else None
    w = warnings[warnings["open_at_end"]] if "open_at_end" in warnings else warnings.iloc[:0]
    levels = w.groupby("customer_id")["level"].agg(lambda s: sorted(set(s)))
    g["open_warnings"] = g["customer_id"].map(levels)
    return g


def concentration(snap: pd.DataFrame, n: int) -> float | None:
    """Share of the `n` largest customers in the book's balance."""
    a = _active(snap)
    total = float(a["balance"].sum())
    if total <= 0:
        return None
    return float(a.groupby("customer_id")["balance"].sum().nlargest(n).sum()) / total


def large_new_npl_and_special_mention(snap: pd.DataFrame, amount: float) -> pd.DataFrame:
    """Every loan that became NPL this month, and every special-mention loan, with a balance
    above `amount`: one line each (kind new_npl / special_mention)."""
    from postloan.marts.npl_movement import new_npl
    a = _active(snap)
    new = new_npl(snap)
    new = new[new["balance"] > amount].assign(kind="new_npl")
    sm = a[(a["classification"] == "special_mention") & (a["balance"] > amount)].assign(kind="special_mention")
    return pd.concat([new, sm]).sort_values(["kind", "balance"], ascending=[True, False]).reset_index(drop=True)


def provision_figures(snap: pd.DataFrame, required) -> dict:
    """`required`: coverage_required and loan_ratio_required (policy.yaml provisions). Provision coverage (Σ provision ÷ NPL) and 拨贷比 (Σ provision ÷ loans) against the bank's
    requirements; the gap in yuan is what must be added so that both are met."""
    a = _active(snap)
    if not a["provision"].notna().any():
        return {"provision_total": None, "loan_provision_ratio": None, "provision_required": None,
                "provision_gap": None}
    prov = float(a["provision"].fillna(0.0).sum())
    total = float(a["balance"].sum())
    npl = float(a.loc[a["classification"].isin(NPL_CLASSES), "balance"].sum())
    need = max(float(required["coverage_required"]) * npl, float(required["loan_ratio_required"]) * total)
    return {"provision_total": prov, "loan_provision_ratio": prov / total if total else None,
            "provision_required": need, "provision_gap": max(0.0, need - prov)}


def breakdown(snap: pd.DataFrame, by: str) -> pd.DataFrame:
    """Balance, NPL balance and NPL ratio at M and at P by `by` (product, customer_type,
    industry_code), with the change of the ratio in points."""
    a = _active(snap)
    p = snap[snap["class_p"].notna()]
    now = a.groupby(by, dropna=False).agg(balance=("balance", "sum"))
    now["npl_balance"] = a[a["classification"].isin(NPL_CLASSES)].groupby(by, dropna=False)["balance"].sum()
    before = p.groupby(by, dropna=False).agg(balance_p=("balance_p", "sum"))
    before["npl_balance_p"] = p[p["class_p"].isin(NPL_CLASSES)].groupby(by, dropna=False)["balance_p"].sum()
    t = now.join(before, how="outer").fillna(0.0)
    t["npl_ratio"] = t["npl_balance"] / t["balance"].where(t["balance"] > 0)
    t["npl_ratio_p"] = t["npl_balance_p"] / t["balance_p"].where(t["balance_p"] > 0)
    t["npl_ratio_change"] = t["npl_ratio"] - t["npl_ratio_p"]
    return t.sort_values("balance", ascending=False).reset_index()
