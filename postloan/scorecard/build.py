"""Build the scorecard marts of a period (and the trend periods before it), once."""
from __future__ import annotations

import pandas as pd

from postloan.marts.context import MonthContext
from postloan.marts.build import Marts
from postloan.periods import Period
from postloan.policy import Policy, WorkCalendar
from postloan.scorecard.config import ScorecardConfig
from postloan.accountability.build import build_accountability_marts
from postloan.scorecard.duties import build_accountability_duties, build_book_duties, build_dated_duties, presence
from postloan.scorecard.scoring import add_ranks_and_peers, apply_forced_distribution, score_period
from postloan.validation import Extract

BOOK_TYPES = {"corporate": "对公", "small_business": "小微", "individual": "个人", "none": "无管户"}


def _officers(ctx: MonthContext, cfg: ScorecardConfig, period: Period) -> pd.DataFrame:
    off = ctx.officers
    off = off[off["role"].isin(cfg.roles) & (off["hire_date"] <= period.end) &
              (off["leave_date"].isna() | (off["leave_date"] > period.start))].copy()
    managing = ctx.branches.set_index("branch_id")["managing_branch_id"]
    off["operating_branch_id"] = off["branch_id"]
    off["managing_branch_id"] = off["branch_id"].map(managing)
    # book type: the customer type most of the officer's customers had at the period's end
    a = ctx.extract["assignments"]
    held = a[(a["start_date"] <= period.end) & (a["end_date"].isna() | (a["end_date"] > period.start))]
    held = held.merge(ctx.customers[["customer_id", "customer_type"]], on="customer_id")
    top = held.groupby(["officer_id", "customer_type"]).size().rename("n").reset_index()
    top = top.sort_values(["officer_id", "n"], ascending=[True, False]).drop_duplicates("officer_id")
    off["book_type"] = off["officer_id"].astype(object).map(dict(zip(top["officer_id"], top["customer_type"]))).fillna("none")
    off["customers_held"] = off["officer_id"].astype(object).map(held.groupby("officer_id")["customer_id"].nunique()).fillna(0)
    return off[["officer_id", "name", "role", "branch_id", "operating_branch_id", "managing_branch_id", "hire_date",
                "leave_date", "book_type", "customers_held"]].reset_index(drop=True)


def trend_periods(period: Period, cfg: ScorecardConfig, months=None) -> list[Period]:
    """The periods the scorecards score, oldest first, ending with `period`: `cfg.trend_periods` of
    them, those whose last month the extract holds when `months` is given (at least `period`)."""
    periods = [period.previous(k) for k in reversed(range(cfg.trend_periods))]
    if months is None:
        return periods
    held = set(months)
    return [p for p in periods if p.last_month in held] or [period]


def build_scorecard_marts(extract: Extract, period: Period, policy: Policy, calendar: WorkCalendar,
                          cfg: ScorecardConfig, review_cfg=None, recovery_targets: dict[str, float] | None = None) -> Marts:
    """`review_cfg`: the accountability policy whose review the scorecards read (default: the file's);
    `recovery_targets`: officer_id -> yuan per month (parameters/recovery_targets.csv; flat default otherwise)."""
    ctx = MonthContext(extract, period.last_month, policy, calendar)
    periods = trend_periods(period, cfg, extract.months())
    dated = build_dated_duties(ctx, periods[0].start, period.end, cfg.inspection_quality_points)
    all_ind, all_tot, main_cases = [], [], None
    for p in periods:
        review = build_accountability_marts(extract, p, policy, calendar, review_cfg)      # the link to 责任追究
        cases = pd.concat([dated[(dated["due_date"] >= p.start) & (dated["due_date"] <= p.end)],
                           build_book_duties(ctx, p), build_accountability_duties(review, p)], ignore_index=True)
        officers = _officers(ctx, cfg, p)
        pres = presence(ctx, p, officers["officer_id"])
        ind, tot = score_period(cfg, p, cases, pres, officers, recovery_targets)
        tot = add_ranks_and_peers(cfg, apply_forced_distribution(cfg, tot))
        all_ind.append(ind)
        all_tot.append(tot)
        if p == period:
            main_cases = cases
    grade_names = {g.id: g.name for g in cfg.grades}
    totals = pd.concat(all_tot, ignore_index=True)
    totals["grade_name"] = totals["grade"].map(grade_names).fillna("不评级").where(totals["graded_period"], "过程监测")
    totals["book_type_name"] = totals["book_type"].map(BOOK_TYPES)
    duties = main_cases.merge(totals.loc[totals["period"] == period.label,
                                         ["officer_id", "operating_branch_id", "managing_branch_id"]],
                              on="officer_id", how="inner")
    indicators = pd.concat(all_ind, ignore_index=True).merge(
        totals[["period", "officer_id", "operating_branch_id", "managing_branch_id"]], on=["period", "officer_id"])
    tables = {
        "scorecard_totals": totals, "scorecard_indicators": indicators, "scorecard_duties": duties,
        "branches": ctx.branches, "officers": ctx.officers,
        "scorecard_grades": pd.DataFrame([{"id": g.id, "name": g.name, "min": g.min} for g in cfg.grades]),
        "period": pd.DataFrame({"period": [period.label], "kind": [period.kind], "start": [period.start],
                                "end": [period.end], "label_cn": [period.label_cn],
                                "trend": [",".join(p.label for p in periods)]}),
    }
    return Marts(period.label, tables)
