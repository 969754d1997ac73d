"""NPL movement P → M and the change of the NPL ratio (METRICS.md "NPL movement";
第三部分 一.4 增量稀释). Pure functions of the loan snapshot of one scope.

Identity: npl_closing = npl_opening + npl_new − npl_upgraded − npl_settled − npl_written_off
− npl_transferred − npl_paid_down (it holds because the contract gives every loan a row in
the month it leaves the book).
"""
from __future__ import annotations

import pandas as pd

from postloan.policy import NPL_CLASSES

MOVEMENT_KEYS = ["npl_opening", "npl_new", "npl_upgraded", "npl_settled", "npl_written_off", "npl_transferred",
                 "npl_paid_down", "npl_closing"]
# the sign with which each step enters the identity
MOVEMENT_SIGNS = {"npl_new": 1, "npl_upgraded": -1, "npl_settled": -1, "npl_written_off": -1,
                  "npl_transferred": -1, "npl_paid_down": -1}


def new_npl(snap: pd.DataFrame) -> pd.DataFrame:
    """The loans NPL at M that were not NPL at P (performing then, or not yet on the book):
    the one definition of a new NPL for the movement, 要点 and the largest exposures."""
    npl_m = snap["active"] & snap["classification"].isin(NPL_CLASSES)
    return snap[npl_m & ~snap["class_p"].isin(NPL_CLASSES)]


def npl_movement(snap: pd.DataFrame) -> dict:
    """The keys of METRICS.md, in yuan."""
    npl_p = snap["class_p"].isin(NPL_CLASSES)                       # cohort N (active at P, NPL)
    npl_m = snap["active"] & snap["classification"].isin(NPL_CLASSES)
    bal_p, bal_m = snap["balance_p"].fillna(0.0), snap["balance"].fillna(0.0)
    status = snap["status"]
    f = {"npl_opening": float(bal_p[npl_p].sum()),
         "npl_new": float(new_npl(snap)["balance"].sum()),
         "npl_upgraded": float(bal_p[npl_p & snap["active"] & ~npl_m].sum())}
    for s in ("settled", "written_off", "transferred"):
        f[f"npl_{s}"] = float(bal_p[npl_p & (status == s)].sum())
    f["npl_paid_down"] = float((bal_p - bal_m)[npl_p & npl_m].sum())
    f["npl_closing"] = float(bal_m[npl_m].sum())
    return f


def npl_ratio_change(snap: pd.DataFrame) -> dict:
    """The change of the NPL ratio split into what the NPL balance did (at the opening book)
    and what the growth of the whole book did (增量稀释):
    closing/T_M − opening/T_P = (closing − opening)/T_P + (closing/T_M − closing/T_P)."""
    total_p = float(snap.loc[snap["class_p"].notna(), "balance_p"].sum())
    total_m = float(snap.loc[snap["active"], "balance"].sum())
    mv = npl_movement(snap)
    opening, closing = mv["npl_opening"], mv["npl_closing"]
    if total_p <= 0 or total_m <= 0:
        return {"npl_ratio_opening": None, "npl_ratio_change": None, "npl_ratio_change_npl": None,
                "npl_ratio_change_book": None, "total_balance_opening": total_p}
    return {"npl_ratio_opening": opening / total_p,
            "npl_ratio_change": closing / total_m - opening / total_p,
            "npl_ratio_change_npl": (closing - opening) / total_p,
            "npl_ratio_change_book": closing / total_m - closing / total_p,
            "total_balance_opening": total_p}
