"""Risk warnings (风险预警): lifecycle, SLA deadlines and reporting flows.

Mart `warning_lifecycle` — grain: warning identified on or before the end of M.
Deadlines in working days from the calendar in parameters/; state at the end of M;
the reporting flow of the course outline (经营行客户经理 / 管理行直管重点客户 /
管理行客户经理); the officer responsible when the signal was identified.

Mart `warning_effectiveness` — grain: loan that became NPL in the lookback window:
whether its customer had a warning before, and how many days before.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.marts.context import MonthContext, lookup
from postloan.policy import NPL_CLASSES
from postloan.rules.duties import warning_deadlines



def build_warning_lifecycle(ctx: MonthContext) -> pd.DataFrame:
    w = ctx.extract["warnings"]
    w = w[w["identified_date"] <= ctx.end].copy()
    w = w.join(warning_deadlines(w, ctx.policy, ctx.calendar))
    end = ctx.end
    rejected = w["status"] == "rejected"
    reported_by_end = w["reported_date"].notna() & (w["reported_date"] <= end)
    w["report_late"] = ~rejected & (w["report_deadline"] <= end) & \
        (~reported_by_end | (w["reported_date"] > w["report_deadline"]))
    measured = w["first_measure_date"].notna() & (w["first_measure_date"] <= end)
    w["handling_late"] = ~rejected & (w["handling_deadline"] <= end) & \
        (~measured | (w["first_measure_date"] > w["handling_deadline"]))
    entered = w["entered_date"].notna() & (w["entered_date"] <= end)
    w["entry_late"] = (w["entry_deadline"] <= end) & (~entered | (w["entered_date"] > w["entry_deadline"]))
    released_by_end = w["released_date"].notna() & (w["released_date"] <= end)
    w["open_at_end"] = ~rejected & ~released_by_end
    w["state_at_end"] = np.select(
        [rejected, released_by_end, measured, w["confirmed_date"].notna() & (w["confirmed_date"] <= end), reported_by_end],
        ["rejected", "released", "handling", "confirmed", "reported"], "identified")
    w["report_days"] = (w["reported_date"] - w["identified_date"]).dt.days
    c = ctx.customers.set_index("customer_id")
    w["customer_name"] = w["customer_id"].map(c["customer_name"])
    w["operating_branch_id"] = w["customer_id"].map(c["operating_branch_id"])
    w["managing_branch_id"] = w["customer_id"].map(c["managing_branch_id"])
    w["officer_id"] = ctx.responsible(w["customer_id"], w["identified_date"])
    off_branch = w["officer_id"].map(dict(zip(ctx.officers["officer_id"], ctx.officers["branch_id"])))
    key = w["customer_id"].map(c["is_key_customer"]).fillna(False).astype(bool)
    at_managing = off_branch.notna() & (off_branch == w["managing_branch_id"])
    w["flow"] = np.where(key, "key_customer", np.where(at_managing, "branch_officer", "sub_branch_officer"))
    return w.reset_index(drop=True)


def warning_figures(w: pd.DataFrame, ctx_start: pd.Timestamp, ctx_end: pd.Timestamp) -> dict:
    """The warning keys of METRICS.md for the warnings of one scope."""
    in_m = lambda s: (s >= ctx_start) & (s <= ctx_end)
    return {
        "warnings_identified": int(in_m(w["identified_date"]).sum()),
        "warnings_reported_late": int((w["report_late"] & in_m(w["report_deadline"])).sum()),
        "warnings_open_end": int(w["open_at_end"].sum()),
        "warnings_released": int(in_m(w["released_date"]).fillna(False).sum()),
    }


def build_warning_effectiveness(ctx: MonthContext) -> pd.DataFrame:
    months = [str(ctx.period - k) for k in range(ctx.policy.warning_effectiveness.lookback_months + 1)]
    lm = ctx.extract["loan_month"]
    lm = lm[lm["month"].isin(months) & (lm["status"] == "active")][["month", "loan_id", "classification"]]
    lm = lm.sort_values(["loan_id", "month"])
    npl = lm["classification"].isin(NPL_CLASSES)
    prev_npl = npl.groupby(lm["loan_id"]).shift(fill_value=True)        # first row: unknown -> not new
    new = lm[npl & ~prev_npl.astype(bool)].drop_duplicates("loan_id")
    new = new.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "operating_branch_id",
                               "managing_branch_id"]], on="loan_id")
    new["npl_month_end"] = pd.PeriodIndex(new["month"], freq="M").end_time.normalize()
    w = ctx.extract["warnings"]
    w = w[w["status"] != "rejected"][["customer_id", "identified_date", "level"]]
    m = new.merge(w, on="customer_id", how="left")
    m = m[m["identified_date"] <= m["npl_month_end"]]
    first = m.sort_values("identified_date").drop_duplicates("loan_id").set_index("loan_id")
    new["warned"] = new["loan_id"].isin(first.index)
    new["first_warning_date"] = pd.to_datetime(lookup(new["loan_id"], first["identified_date"]))
    new["days_before"] = (new["npl_month_end"] - new["first_warning_date"]).dt.days
    return new.rename(columns={"month": "npl_month"}).reset_index(drop=True)


AGE_BANDS = [(0, 30, "30 天以内"), (31, 90, "31–90 天"), (91, 180, "91–180 天"), (181, None, "180 天以上")]


def open_by_source(w: pd.DataFrame) -> pd.DataFrame:
    """Warnings open at the end of M by source × level."""
    o = w[w["open_at_end"]]
    t = o.pivot_table(index="source", columns="level", values="warning_id", aggfunc="size", fill_value=0,
                      observed=True).reindex(columns=["red", "orange", "yellow"], fill_value=0)
    t["total"] = t.sum(axis=1)
    return t.reset_index()


def open_by_age(w: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Warnings open at the end of M by days since identified, in named bands (30 天以内 …)."""
    o = w[w["open_at_end"]]
    age = (end - o["identified_date"]).dt.days
    rows = []
    for lo, hi, label in AGE_BANDS:
        m = (age >= lo) & ((age <= hi) if hi is not None else True)
        rows.append({"band": label, "n": int(m.sum()), "red": int((m & (o["level"] == "red")).sum())})
    return pd.DataFrame(rows)


def release_reasons(w: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Warnings released in M by the reason given, with the days they stayed open."""
    r = w[(w["released_date"] >= start) & (w["released_date"] <= end)]
    days = (r["released_date"] - r["identified_date"]).dt.days
    g = r.assign(days=days).groupby("release_reason").agg(n=("warning_id", "size"), days=("days", "median"))
    return g.sort_values("n", ascending=False).reset_index()
