"""Scoring: duty cases -> indicator values and scores -> weighted total, deductions,
vetoes, grade, ranks and peer medians, for one period.

Mart `scorecard_indicators` — grain: period × officer × indicator.
Mart `scorecard_totals` — grain: period × officer.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.periods import Period
from postloan.scorecard.config import Indicator, ScorecardConfig

INSUFFICIENT = "insufficient"   # 样本不足
SCORED = "scored"


def score_value(ind: Indicator, value: float, months: int = 1) -> float:
    """The 0-100 score of an indicator value under its rule, for a period of `months` months."""
    if value is None or np.isnan(value):
        return np.nan
    if ind.rule == "points":
        return float(np.clip(value, 0, 100))
    target, zero_at = ind.bands_for(months)
    if ind.rule == "linear_higher":
        frac = (value - zero_at) / (target - zero_at)
    else:
        frac = (zero_at - value) / (zero_at - target)
    return float(np.clip(frac, 0.0, 1.0) * 100)


def _indicator_rows(ind: Indicator, cases: pd.DataFrame, officers: pd.Index, pres: pd.DataFrame,
                    period: Period, recovery_targets: dict[str, float]) -> pd.DataFrame:
    c = cases[cases["duty"] == ind.duty]
    g = c.groupby("officer_id")
    rows = pd.DataFrame(index=officers)
    if ind.duty == "inspection_quality":
        rows["cases"] = g.size()
        rows["ok_cases"] = np.nan
        rows["value"] = g["points"].mean()
    elif ind.duty == "new_npl":
        rows["cases"] = g.size()
        opening = g["amount"].sum()
        bad = c[c["ok"] == 0].groupby("officer_id")["amount"].sum()
        rows["ok_cases"] = g["ok"].sum()
        rows["value"] = bad.reindex(opening.index, fill_value=0) / opening.where(opening > 0)
        for label, flag in (("originated", 1.0), ("inherited", 0.0)):
            sub = c[c["originated"] == flag]
            op = sub.groupby("officer_id")["amount"].sum()
            bd = sub[sub["ok"] == 0].groupby("officer_id")["amount"].sum().reindex(op.index, fill_value=0)
            rows[f"value_{label}"] = bd / op.where(op > 0)
            rows[f"cases_{label}"] = sub.groupby("officer_id").size()
    elif ind.duty == "recovery":
        npl = c[c["ref"].astype(str).str.startswith("npl:")]
        rows["cases"] = npl.groupby("officer_id").size()
        rows["ok_cases"] = np.nan
        recovered = c[~c["ref"].astype(str).str.startswith("npl:")].groupby("officer_id")["amount"].sum()
        months = len(period.months)
        share = pres.set_index("officer_id")["presence_share"].reindex(officers)
        per_month = pd.Series(officers.map(lambda o: recovery_targets.get(o, ind.target_yuan_per_month)),
                              index=officers, dtype="float64")
        target = per_month * months * share
        rows["recovered"] = recovered.reindex(officers).fillna(0.0)
        rows["target_amount"] = target
        # nothing to recover (no NPL held): no rate, shown as —, never as 0 %
        rows["value"] = (rows["recovered"] / target.where(target > 0)).where(rows["cases"].fillna(0) > 0)
    else:
        rows["cases"] = g.size()
        rows["ok_cases"] = g["ok"].sum()
        rows["value"] = g["ok"].mean()
    rows["cases"] = rows["cases"].fillna(0).astype(int)
    rows["status"] = np.where((rows["cases"] >= ind.min_cases) & rows["value"].notna(), SCORED, INSUFFICIENT)
    months = len(period.months)
    rows["score"] = [score_value(ind, v, months) if s == SCORED else np.nan for v, s in zip(rows["value"], rows["status"])]
    rows["indicator_id"] = ind.id
    rows["indicator_name"] = ind.name
    rows["weight"] = ind.weight
    rows["target"], rows["zero_at"] = ind.bands_for(months)
    rows["unit"] = ind.unit
    rows["direction"] = ind.direction
    return rows.rename_axis("officer_id").reset_index()


def score_period(cfg: ScorecardConfig, period: Period, cases: pd.DataFrame, pres: pd.DataFrame,
                 officers: pd.DataFrame, recovery_targets: dict[str, float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`cases`: the duty cases of this period (dated duties due in it + its book duties);
    `officers`: the officers to score with officer_id, name, role, branch ids, book_type.
    A period of a kind the policy does not grade (default: a month) gets scores only
    (过程监测): no grade, no veto cap, no rank."""
    ids = pd.Index(officers["officer_id"], name="officer_id")
    ind = pd.concat([_indicator_rows(i, cases, ids, pres, period, recovery_targets or {}) for i in cfg.indicators],
                    ignore_index=True)
    scored = ind["status"] == SCORED
    w_sum = ind[scored].groupby("officer_id")["weight"].sum()
    ind["effective_weight"] = np.where(scored, ind["weight"] / ind["officer_id"].map(w_sum), 0.0)
    weighted = (ind["score"].fillna(0) * ind["effective_weight"]).groupby(ind["officer_id"]).sum()
    rated = ids.isin(w_sum[(w_sum > 0) & (w_sum >= cfg.rating.min_scored_weight)].index)
    t = officers.set_index("officer_id").copy()
    t["scored_weight"] = w_sum.reindex(ids).fillna(0).to_numpy()
    t["weighted_score"] = weighted.reindex(ids).where(rated)
    t["deductions"] = 0.0
    for d in cfg.deductions:
        n = cases[cases["duty"] == d.duty].groupby("officer_id").size().reindex(ids, fill_value=0)
        t[f"cases_{d.id}"] = n.to_numpy()
        t["deductions"] += np.minimum(n * d.points_per_case, d.max_points).to_numpy()
    t["total_score"] = (t["weighted_score"] - t["deductions"]).clip(lower=0).round(2)
    order = {g.id: k for k, g in enumerate(cfg.grades)}          # 0 = best
    t["grade"] = [cfg.grade_for(s).id if pd.notna(s) else None for s in t["total_score"]]
    t["veto"] = ""
    for v in cfg.vetoes:
        hit = cases[cases["duty"] == v.duty].groupby("officer_id").size().reindex(ids, fill_value=0) > 0
        t[f"cases_{v.id}"] = cases[cases["duty"] == v.duty].groupby("officer_id").size().reindex(ids, fill_value=0).to_numpy()
        capped = hit.to_numpy() & t["grade"].notna().to_numpy()
        t.loc[capped, "grade"] = [g if order[g] >= order[v.cap_grade] else v.cap_grade for g in t.loc[capped, "grade"]]
        t.loc[hit.to_numpy(), "veto"] = (t.loc[hit.to_numpy(), "veto"] + v.name).to_numpy()
    t["graded_period"] = period.kind in cfg.rating.graded_periods
    if not t["graded_period"].all():
        t["grade"] = None
    t["rated"] = t["total_score"].notna() & t["graded_period"]
    t = t.reset_index()
    t = t.merge(pres, on="officer_id", how="left")
    t["period"] = period.label
    ind["period"] = period.label
    return ind, t


def apply_forced_distribution(cfg: ScorecardConfig, t: pd.DataFrame) -> pd.DataFrame:
    """At most `max_share` of the rated officers of a role in a grade; those ranked below
    the quota move to the next grade down."""
    if not cfg.forced_distribution.enabled:
        return t
    ids = [g.id for g in cfg.grades]
    t = t.copy()
    for _, idx in t[t["rated"]].groupby("role").groups.items():
        g = t.loc[idx].sort_values("total_score", ascending=False)
        for grade, share in cfg.forced_distribution.max_share.items():
            quota = int(np.floor(share * len(g)))
            members = g[t.loc[g.index, "grade"] == grade]
            over = members.index[quota:]
            nxt = ids[min(ids.index(grade) + 1, len(ids) - 1)]
            t.loc[over, "grade"] = nxt
    return t


def add_ranks_and_peers(cfg: ScorecardConfig, t: pd.DataFrame) -> pd.DataFrame:
    t = t.copy()
    r = t["rated"]
    t["rank_branch"] = t[r].groupby("managing_branch_id")["total_score"].rank(ascending=False, method="min")
    t["n_branch"] = t[r].groupby("managing_branch_id")["total_score"].transform("size")
    t["rank_role"] = t[r].groupby("role")["total_score"].rank(ascending=False, method="min")
    t["n_role"] = t[r].groupby("role")["total_score"].transform("size")
    peers = t[r].groupby(["role", "book_type"])["total_score"].agg(["median", "size"])
    role_med = t[r].groupby("role")["total_score"].median()
    key = list(zip(t["role"], t["book_type"]))
    enough = [peers["size"].get(k, 0) >= cfg.peers.min_peers for k in key]
    t["peer_group"] = np.where(enough, t["role"] + "/" + t["book_type"].astype(str), t["role"] + "/全部")
    t["peer_median"] = [peers["median"].get(k) if e else role_med.get(k[0]) for k, e in zip(key, enough)]
    return t
