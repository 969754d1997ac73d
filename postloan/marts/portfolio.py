"""Asset quality and migration (METRICS.md "Portfolio and asset quality", "Migration").

Marts:
- `loan_snapshot` — grain: loan active at P or with a row at M. Balances, class,
  dpd at M and at P, the dpd floor and whether it is breached, the officer at M.
- `portfolio_trend` — grain: month × operating branch. Balances by class for the
  trend charts and the month-on-month / year-to-date comparisons.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext
from postloan.policy import CLASS_ORDER, NPL_CLASSES
from postloan.rules import classification

EXITS = ["settled", "written_off", "transferred"]


def build_loan_snapshot(ctx: MonthContext) -> pd.DataFrame:
    lm = ctx.extract["loan_month"]
    cols = ["loan_id", "balance", "overdue_principal", "overdue_interest", "dpd", "classification", "status",
            "provision"]
    at_m = lm.loc[lm["month"] == ctx.month, cols]
    at_p = lm.loc[(lm["month"] == ctx.prev_month) & (lm["status"] == "active"),
                  ["loan_id", "balance", "classification", "dpd"]].rename(
        columns={"balance": "balance_p", "classification": "class_p", "dpd": "dpd_p"})
    snap = at_m.merge(at_p, on="loan_id", how="outer")
    snap["in_m"] = snap["status"].notna()
    snap["balance"] = snap["balance"].fillna(0.0)
    snap["active"] = (snap["status"] == "active").fillna(False).astype(bool)
    info = ctx.loans[["loan_id", "customer_id", "customer_name", "customer_type", "industry_code", "product", "amount",
                      "disbursement_date", "effective_maturity", "guarantee_type", "operating_branch_id",
                      "managing_branch_id", "operating_branch_name", "is_key_customer"]]
    snap = snap.merge(info, on="loan_id", how="left")
    rules = ctx.policy.classification
    active = snap[(snap["status"] == "active").fillna(False).to_numpy(dtype=bool)]
    restr = ctx.loans.set_index("loan_id")[["is_restructured", "restructure_date"]]
    fl = classification.floors(active.join(restr, on="loan_id"), lm, ctx.month, rules)
    snap = snap.merge(fl, on="loan_id", how="left")
    snap["floor_breach"] = snap["floor_breach"].fillna(False).astype(bool)
    snap["floor_rules"] = snap["floor_rules"].fillna("")
    up = classification.upgrade_breaches(lm, ctx.loans, ctx.month, rules)
    snap = snap.merge(up[["loan_id", "clean_month_ends", "other_npl_loans", "upgrade_breach"]], on="loan_id", how="left")
    snap["upgrade_breach"] = snap["upgrade_breach"].fillna(False).astype(bool)
    snap["dpd_band"] = classification.dpd_band(snap["dpd"], ctx.policy.dpd_bands)
    snap["is_npl"] = snap["active"] & snap["classification"].isin(NPL_CLASSES).fillna(False)
    snap["officer_id"] = ctx.responsible(snap["customer_id"], [ctx.end] * len(snap))
    return snap.reset_index(drop=True)


def build_portfolio_trend(ctx: MonthContext, months_back: int = 12) -> pd.DataFrame:
    """Balances by class per month × operating branch, for the last `months_back`
    months up to M, the December before M's year (year-to-date change) and M a year earlier
    (year-on-year)."""
    wanted = trend_months(ctx.period, months_back)
    summed = ctx.extract.aggregate("loan_month_by_branch")
    if summed is not None:                     # summed in the source (--compute-in-source)
        return _trend_from_sums(summed[summed["month"].isin(list(wanted))], ctx.branches)
    lm = ctx.extract["loan_month"]
    rows = lm[lm["month"].isin(list(wanted)) & (lm["status"] == "active")]
    rows = rows.merge(ctx.loans[["loan_id", "operating_branch_id", "managing_branch_id"]], on="loan_id")
    rows = rows.assign(overdue_balance=rows["balance"].where(rows["dpd"] > 0, 0.0),
                       dpd_over_90_balance=rows["balance"].where(rows["dpd"] > 90, 0.0))
    by_class = rows.pivot_table(index=["month", "operating_branch_id", "managing_branch_id"],
                                columns="classification", values="balance", aggfunc="sum", fill_value=0.0,
                                observed=True)
    by_class = by_class.reindex(columns=CLASS_ORDER, fill_value=0.0).add_prefix("balance_")
    other = rows.groupby(["month", "operating_branch_id", "managing_branch_id"], observed=True).agg(
        loan_count=("loan_id", "size"), overdue_balance=("overdue_balance", "sum"),
        dpd_over_90_balance=("dpd_over_90_balance", "sum"))
    return by_class.join(other).reset_index()


def trend_months(period: pd.Period, months_back: int = 12) -> set[str]:
    """The months of the trend: the last `months_back` up to M, December of the year before, M − 12."""
    return {str(period - k) for k in range(months_back)} | {f"{period.year - 1}-12", str(period - 12)}


def _trend_from_sums(sums: pd.DataFrame, branches: pd.DataFrame) -> pd.DataFrame:
    """The trend of `build_portfolio_trend` from sums by month × operating branch × class."""
    managing = branches.set_index("branch_id")["managing_branch_id"]
    sums = sums.assign(month=sums["month"].astype(str),
                       managing_branch_id=sums["operating_branch_id"].map(managing).astype(object))
    keys = ["month", "operating_branch_id", "managing_branch_id"]
    by_class = sums.pivot_table(index=keys, columns="classification", values="balance", aggfunc="sum", fill_value=0.0,
                                observed=True)
    by_class = by_class.reindex(columns=CLASS_ORDER, fill_value=0.0).add_prefix("balance_")
    other = sums.groupby(keys, observed=True)[["loan_count", "overdue_balance", "dpd_over_90_balance"]].sum()
    return by_class.join(other).reset_index()


def _safe(n, d):
    return None if d == 0 or pd.isna(d) else float(n) / float(d)


def portfolio_figures(snap: pd.DataFrame, bands: list[str]) -> dict:
    """Asset-quality figures at M of the loans in `snap` (one scope)."""
    a = snap[snap["active"]]
    bal = a["balance"]
    f = {"total_balance": float(bal.sum()), "loan_count": int(len(a)), "customer_count": int(a["customer_id"].nunique())}
    for c in CLASS_ORDER:
        f[f"balance_{c}"] = float(bal[a["classification"] == c].sum())
    f["npl_balance"] = f["balance_substandard"] + f["balance_doubtful"] + f["balance_loss"]
    f["npl_ratio"] = _safe(f["npl_balance"], f["total_balance"])
    f["special_mention_ratio"] = _safe(f["balance_special_mention"], f["total_balance"])
    f["overdue_balance"] = float(bal[a["dpd"] > 0].sum())
    for band in bands:               # one key per policy dpd band (METRICS.md: dpd_1_30_balance …)
        f[f"{band}_balance"] = float(bal[a["dpd_band"] == band].sum())
    # 偏离度: the regulator's core indicator is defined on dpd > 90, whatever the bank's bands
    f["deviation_ratio"] = _safe(float(bal[a["dpd"] > 90].sum()), f["npl_balance"])
    has_prov = a["provision"].notna().any()
    f["provision_coverage"] = _safe(a["provision"].sum(), f["npl_balance"]) if has_prov else None
    f["floor_breach_count"] = int(a["floor_breach"].sum())
    f["floor_breach_balance"] = float(bal[a["floor_breach"]].sum())
    f["upgrade_breach_count"] = int(a["upgrade_breach"].sum())
    f["upgrade_breach_balance"] = float(bal[a["upgrade_breach"]].sum())
    return f


def migration_figures(snap: pd.DataFrame) -> dict:
    """Migration rates P -> M over the cohorts active at P (balance at M = 0 when gone)."""
    c = snap[snap["class_p"].notna()]
    bal_m = c["balance"].where(c["active"], 0.0)
    rank_m = c["classification"].map({k: i for i, k in enumerate(CLASS_ORDER)}).where(c["active"])
    npl_m = c["active"] & c["classification"].isin(NPL_CLASSES)

    def cohort(cls):
        m = c["class_p"] == cls
        b = float(c.loc[m, "balance_p"].sum())
        r = float(np.maximum(0.0, c.loc[m, "balance_p"] - bal_m[m]).sum())
        return m, b, r

    f = {}
    m, b, r = cohort("normal")
    f["migration_rate_normal"] = _safe(bal_m[m & (rank_m > 0)].sum(), b - r)
    bn, rn = b, r
    down_n_npl = float(bal_m[m & npl_m].sum())
    m, b, r = cohort("special_mention")
    down_sm_npl = float(bal_m[m & npl_m].sum())
    f["migration_rate_special_mention"] = _safe(down_sm_npl, b - r)
    bsm, rsm = b, r
    m, b, r = cohort("substandard")
    f["migration_rate_substandard"] = _safe(bal_m[m & (rank_m >= 3)].sum(), b - r)
    m, b, r = cohort("doubtful")
    f["migration_rate_doubtful"] = _safe(bal_m[m & (rank_m >= 4)].sum(), b - r)
    f["migration_rate_performing"] = _safe(down_n_npl + down_sm_npl, bn - rn + bsm - rsm)
    performing_p = c["class_p"].isin(["normal", "special_mention"])
    f["new_npl_balance"] = float(bal_m[performing_p & npl_m].sum())
    return f


def migration_matrix(snap: pd.DataFrame) -> pd.DataFrame:
    """Rows: class at P. Columns: class at M (balance at M) and each way of leaving the
    book (balance at P that left). Values in yuan."""
    c = snap[snap["class_p"].notna()].copy()
    c["to"] = np.where(c["active"], c["classification"].astype(object), c["status"].fillna("settled").astype(object))
    c["value"] = np.where(c["active"], c["balance"], c["balance_p"])
    m = c.pivot_table(index="class_p", columns="to", values="value", aggfunc="sum", fill_value=0.0, observed=True)
    return m.reindex(index=CLASS_ORDER, columns=CLASS_ORDER + EXITS, fill_value=0.0)
