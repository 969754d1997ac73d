"""When a loan defaulted: the first day its dpd exceeded 90, or the month-end it was
first classified NPL, whichever came first (the cut-off after which a missed duty no
longer caused the loss; accountability review)."""
from __future__ import annotations

import pandas as pd

from postloan.policy import NPL_CLASSES



def default_dates(loan_month: pd.DataFrame, loan_ids, dpd_over: int) -> pd.Series:
    """loan_id -> default date (NaT when the loan never defaulted in the extract); `dpd_over`
    from accountability_policy.yaml `default_dpd_over` (90)."""
    lm = loan_month[loan_month["loan_id"].isin(loan_ids) & (loan_month["status"] == "active")]
    month_end = pd.PeriodIndex(lm["month"], freq="M").end_time.normalize()
    month_end = pd.Series(month_end, index=lm.index)
    over = lm["dpd"] > dpd_over
    by_dpd = (month_end[over] - pd.to_timedelta(lm.loc[over, "dpd"].astype("int64") - (dpd_over + 1), unit="D"))
    by_dpd = by_dpd.groupby(lm.loc[over, "loan_id"]).min()
    npl = lm["classification"].isin(NPL_CLASSES)
    by_class = month_end[npl].groupby(lm.loc[npl, "loan_id"]).min()
    out = pd.concat([by_dpd, by_class]).groupby(level=0).min()
    return out.reindex(pd.Index(list(loan_ids))).astype("datetime64[ns]")
