"""Risk classification rules (商业银行金融资产风险分类办法, 2023; METRICS.md "Classification
rules"): the floor each active loan may not be classified better than, the conditions
for an upgrade out of NPL, and the dpd bands. Thresholds from policy.yaml
`classification` and `dpd_bands`.

Rule codes (labelled in the glossary, group `classification_rule`): `dpd`, `debtor`,
`restructured`, `upgrade`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.policy import CLASS_ORDER, NPL_CLASSES

RANK = {c: i for i, c in enumerate(CLASS_ORDER)}
NPL_RANK = RANK["substandard"]
FLOOR_RULES = ("dpd", "debtor", "restructured")


def dpd_floor_rank(dpd, rules) -> np.ndarray:
    """Minimum classification rank (0 = normal … 4 = loss) each dpd requires: above the
    technical-overdue days special_mention, then each dpd floor."""
    dpd = np.nan_to_num(np.asarray(dpd, dtype="float64"), nan=0.0)
    rank = np.where(dpd > rules.technical_overdue_days.days, RANK["special_mention"], RANK["normal"])
    for f in rules.dpd_floors:
        rank = np.where(dpd > f.dpd_over, np.maximum(rank, RANK[f.at_least]), rank)
    return rank


def dpd_band(dpd, bands) -> np.ndarray:
    """The id of each dpd's band (policy `dpd_bands`, upper bound inclusive), None when current."""
    dpd = np.nan_to_num(np.asarray(dpd, dtype="float64"), nan=0.0)
    return np.select([(dpd >= b.from_) & ((b.to is None) | (dpd <= (b.to or 0))) for b in bands],
                     [b.id for b in bands], None)


def floors(at_m: pd.DataFrame, loan_month: pd.DataFrame, month: str, rules) -> pd.DataFrame:
    """For each active loan at M (`at_m`: loan_id, customer_id, customer_type, balance, dpd,
    classification, is_restructured, restructure_date): the floor each rule sets, the
    highest floor, and the rules the recorded class breaks."""
    a = at_m[["loan_id", "customer_id", "customer_type", "balance", "dpd", "classification", "is_restructured",
              "restructure_date"]].copy()
    rank = a["classification"].astype(object).map(RANK).fillna(0).astype(int).to_numpy()
    f_dpd = dpd_floor_rank(a["dpd"], rules)
    # the debtor rule: count each loan at the worse of its class and its dpd floor
    dr = rules.debtor
    worse = np.maximum(rank, f_dpd)
    npl_bal = pd.Series(np.where(worse >= NPL_RANK, a["balance"], 0.0), index=a.index)
    share = npl_bal.groupby(a["customer_id"]).transform("sum") / a["balance"].groupby(a["customer_id"]).transform("sum")
    hit = a["customer_type"].isin(dr.customer_types) & (share > dr.npl_share_over)
    f_debtor = np.where(hit.fillna(False), RANK[dr.at_least], 0)
    # restructured in the observation period: the worse of special_mention and the class
    # at the month-end before restructuring
    rr = rules.restructured
    end = pd.Period(month, "M").end_time.normalize()
    since = end - pd.DateOffset(months=rr.observation_months)
    in_obs = a["is_restructured"].fillna(False).astype(bool) & (a["restructure_date"] > since) & \
        (a["restructure_date"] <= end)
    in_obs = in_obs.fillna(False).astype(bool)
    before = pd.PeriodIndex(a["restructure_date"], freq="M") - 1
    prior = pd.Series([str(p) if not pd.isna(p) else None for p in before], index=a.index)
    lm = loan_month.set_index(["loan_id", "month"])["classification"]
    lm = lm[~lm.index.duplicated()]
    keys = pd.MultiIndex.from_arrays([a["loan_id"].astype(object), prior.astype(object)])
    prior_rank = pd.Series(lm.reindex(keys).to_numpy(), index=a.index).astype(object).map(RANK).fillna(0)
    f_restr = np.where(in_obs, np.maximum(RANK[rr.at_least], prior_rank.astype(int)), 0)
    floor = np.maximum.reduce([f_dpd, f_debtor, f_restr])
    out = a[["loan_id"]].copy()
    out["floor_dpd"], out["floor_debtor"], out["floor_restructured"] = f_dpd, f_debtor, f_restr
    out["debtor_npl_share"] = share.where(a["customer_type"].isin(dr.customer_types)).to_numpy()
    out["floor_rank"] = floor
    out["floor_class"] = np.array(CLASS_ORDER, dtype=object)[floor]
    out["floor_breach"] = rank < floor
    broken = [[r for r, f in zip(FLOOR_RULES, fs) if rk < f] for rk, fs in zip(rank, zip(f_dpd, f_debtor, f_restr))]
    out["floor_rules"] = [",".join(b) for b in broken]
    return out.reset_index(drop=True)


def upgrade_breaches(loan_month: pd.DataFrame, loans: pd.DataFrame, month: str, rules) -> pd.DataFrame:
    """Loans NPL at P and performing at M without the conditions for an upgrade: dpd 0 at
    each of the last `clean_month_ends` month-ends up to M (a missing month-end is not
    clean), and no other NPL loan of the customer at M."""
    n = rules.upgrade.clean_month_ends
    m = pd.Period(month, "M")
    lm = loan_month[loan_month["status"] == "active"]
    at_p = lm[(lm["month"] == str(m - 1)) & lm["classification"].isin(NPL_CLASSES)]
    at_m = lm[(lm["month"] == month) & lm["classification"].isin(["normal", "special_mention"])]
    up = at_m[at_m["loan_id"].isin(at_p["loan_id"])][["loan_id", "balance", "classification"]]
    up = up.merge(at_p[["loan_id", "classification"]].rename(columns={"classification": "class_p"}), on="loan_id")
    up = up.merge(loans[["loan_id", "customer_id"]], on="loan_id", how="left")
    window = [str(m - k) for k in range(n)]
    w = lm[lm["month"].isin(window) & lm["loan_id"].isin(up["loan_id"])]
    clean = w[w["dpd"] == 0].groupby("loan_id")["month"].nunique()
    up["clean_month_ends"] = up["loan_id"].astype(object).map(clean).fillna(0).astype(int)
    npl_m = lm[(lm["month"] == month) & lm["classification"].isin(NPL_CLASSES)].merge(
        loans[["loan_id", "customer_id"]], on="loan_id")
    others = npl_m.groupby("customer_id")["loan_id"].nunique()
    up["other_npl_loans"] = up["customer_id"].astype(object).map(others).fillna(0).astype(int)
    up["upgrade_breach"] = (up["clean_month_ends"] < n) | (up["other_npl_loans"] > 0)
    up["required_clean_month_ends"] = n
    return up.reset_index(drop=True)
