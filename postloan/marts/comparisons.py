"""Headline figures against last month, the start of the year and the same month last year,
and one row per branch for the bank-wide pack (issue: a pack management can decide from).
Pure functions of marts already built (`portfolio_trend`, `loan_snapshot`, …)."""
from __future__ import annotations

import pandas as pd

from postloan.policy import CLASS_ORDER, NPL_CLASSES

HEADLINE = ["total_balance", "npl_balance", "npl_ratio", "special_mention_ratio", "overdue_balance",
            "dpd_over_90_balance"]
RATIOS = {"npl_ratio", "special_mention_ratio"}


def headline_by_month(trend: pd.DataFrame) -> pd.DataFrame:
    """month → the balances by class and the headline figures of one scope's rows of
    `portfolio_trend` (the pack's trend charts and comparisons both read it)."""
    g = trend.groupby("month").sum(numeric_only=True).sort_index()
    out = g[[f"balance_{c}" for c in CLASS_ORDER]].copy()
    out["total_balance"] = g[[f"balance_{c}" for c in CLASS_ORDER]].sum(axis=1)
    out["npl_balance"] = g[[f"balance_{c}" for c in NPL_CLASSES]].sum(axis=1)
    total = out["total_balance"].where(out["total_balance"] > 0)
    out["npl_ratio"] = out["npl_balance"] / total
    out["special_mention_ratio"] = out["balance_special_mention"] / total
    out["overdue_balance"] = g["overdue_balance"]
    out["dpd_over_90_balance"] = g["dpd_over_90_balance"]
    return out


def reference_months(month: str) -> dict[str, str]:
    p = pd.Period(month, "M")
    return {"prev_month": str(p - 1), "year_start": f"{p.year - 1}-12", "last_year": str(p - 12)}


def comparisons(trend: pd.DataFrame, month: str) -> dict:
    """{figure: {"value", "prev_month", "year_start", "last_year"}}; a reference month the
    extract does not reach is None (the page shows —). Ratios compare in points."""
    h = headline_by_month(trend)
    out = {}
    refs = reference_months(month)
    for key in HEADLINE:
        def val(m, key=key):
            v = h[key].get(m)
            return None if v is None or pd.isna(v) else (float(v) if key in RATIOS else round(float(v), 2))
        out[key] = {"value": val(month), **{name: val(ref) for name, ref in refs.items()}}
    return out


def branch_rows(figures_of, branch_ids: list[str]) -> list[dict]:
    """One row per branch from its own figures (`figures_of(scope)` is the run's figure
    function, so a branch's row is the same number as its own pack)."""
    rows = []
    for b in branch_ids:
        f = figures_of(b)
        due = f["first_inspections_due"] + f["routine_inspections_due"]
        on_time = f["first_inspections_on_time"] + f["routine_inspections_on_time"]
        rows.append({"branch_id": b, "total_balance": f["total_balance"], "npl_balance": f["npl_balance"],
                     "npl_ratio": f["npl_ratio"], "npl_new": f["npl_new"],
                     "special_mention_ratio": f["special_mention_ratio"], "overdue_balance": f["overdue_balance"],
                     "inspections_due": due, "inspections_on_time": on_time,
                     "inspection_on_time_rate": on_time / due if due else None,
                     "warnings_reported_late": f.get("warnings_reported_late")})
    return rows
