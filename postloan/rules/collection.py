"""The collection stage of a loan (第二部分 二、三; NPL_WORKOUT.md "Collection stage"):
逾期前 (performing, maturing within the pre-due window), 逾期前期 (dpd 1 … early_max_dpd),
逾期后期 (… legal_over_dpd), 法律清收 (above, or a legal case open). Thresholds from
policy.yaml `collection.stages`; labels in the glossary (terms.collection_stage)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def collection_stage(dpd: pd.Series, in_legal: pd.Series, days_to_maturity: pd.Series, stages) -> np.ndarray:
    dpd = dpd.fillna(0)
    return np.select(
        [in_legal.fillna(False).astype(bool), dpd > stages.legal_over_dpd, dpd > stages.early_max_dpd, dpd > 0,
         (days_to_maturity > 0) & (days_to_maturity <= stages.pre_due_days)],
        ["legal", "legal", "late", "early", "pre_due"], None)


def open_cases(legal_cases: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """Loans with a legal case filed by `end` and not closed by then."""
    c = legal_cases[(legal_cases["filed_date"] <= end) & ~(legal_cases["closed_date"] <= end).fillna(False)
                    & (legal_cases["status"] != "closed")]
    return pd.Series(True, index=pd.Index(c["loan_id"].unique()))


def paid_by_promised_date(promises: pd.DataFrame, recoveries: pd.DataFrame) -> pd.Series:
    """For each promise to pay (index as `promises`): a cash-like recovery of the loan was
    recorded between the day of the promise and the promised date."""
    from postloan.rules.recovery import cash_recoveries
    q = promises[["loan_id", "action_time", "promised_date"]].assign(_i=range(len(promises)))
    m = q.merge(cash_recoveries(recoveries)[["loan_id", "recovery_date"]], on="loan_id")
    hit = set(m.loc[(m["recovery_date"] >= m["action_time"].dt.normalize()) & (m["recovery_date"] <= m["promised_date"]),
                    "_i"])
    return pd.Series([i in hit for i in range(len(promises))], index=promises.index, dtype=bool)
