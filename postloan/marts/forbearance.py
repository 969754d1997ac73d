"""重组、展期与借新还旧: loans on the book at M whose terms were eased.

Mart `forbearance` — grain: active loan at M that is restructured (loans.is_restructured),
extended (loans.extended_maturity_date) or refinanced by a new loan (借新还旧: a purpose
naming it, as the contract has no field for it). A loan may be more than one of these.
"""
from __future__ import annotations

import pandas as pd

from postloan.marts.context import MonthContext
from postloan.policy import NPL_CLASSES

REFINANCE_WORDS = ("借新还旧", "还旧借新", "无还本续贷", "续贷")
KINDS = {"restructured": "重组", "extended": "展期", "refinanced": "借新还旧/续贷"}


def build_forbearance(ctx: MonthContext, snap: pd.DataFrame) -> pd.DataFrame:
    a = snap[snap["active"]][["loan_id", "customer_id", "customer_name", "product", "balance", "dpd", "classification",
                              "officer_id", "operating_branch_id", "managing_branch_id"]]
    loans = ctx.extract["loans"].set_index("loan_id")
    info = loans.reindex(a["loan_id"])
    purpose = info["purpose"].fillna("").astype(str)
    flags = pd.DataFrame({
        "restructured": info["is_restructured"].fillna(False).astype(bool).to_numpy(),
        "extended": info["extended_maturity_date"].notna().to_numpy(),
        "refinanced": purpose.apply(lambda p: any(w in p for w in REFINANCE_WORDS)).to_numpy()}, index=a.index)
    keep = flags.any(axis=1)
    out = a[keep].copy()
    out["kinds"] = flags[keep].apply(lambda r: "、".join(KINDS[k] for k in KINDS if r[k]), axis=1)
    for k in KINDS:
        out[k] = flags.loc[keep, k]
    out["restructure_date"] = info.loc[out["loan_id"], "restructure_date"].to_numpy()
    out["maturity_date"] = info.loc[out["loan_id"], "maturity_date"].to_numpy()
    out["extended_maturity_date"] = info.loc[out["loan_id"], "extended_maturity_date"].to_numpy()
    return out.sort_values("balance", ascending=False).reset_index(drop=True)


def forbearance_summary(f: pd.DataFrame) -> pd.DataFrame:
    """Per kind: loans, balance, of it NPL."""
    rows = []
    for k, label in KINDS.items():
        part = f[f[k]] if k in f else f.iloc[:0]
        npl = part["classification"].isin(NPL_CLASSES)
        rows.append({"kind": label, "loans": int(len(part)), "balance": float(part["balance"].sum()),
                     "npl_balance": float(part.loc[npl, "balance"].sum())})
    return pd.DataFrame(rows)
