"""Build the accountability marts of a period, once."""
from __future__ import annotations

import pandas as pd

from postloan.accountability.config import AccountabilityConfig, load_accountability_config
from postloan.accountability.determination import build_determinations, build_lapses, build_officer_summary
from postloan.accountability.timeline import build_timeline, select_cases
from postloan.marts.build import Marts
from postloan.marts.context import MonthContext
from postloan.periods import Period
from postloan.policy import Policy, WorkCalendar
from postloan.validation import Extract


def with_workout_value(cases: pd.DataFrame, extract: Extract, period: Period, policy: Policy,
                       calendar: WorkCalendar, workout_cfg) -> pd.DataFrame:
    """The loss the committee reads beside the booked one: what the workout book still expects to
    recover on the loan (the PV of its recommended route, 0 when the loan is not in the book at
    the period's end) and the loss left after it. Determination points stay on the booked loss
    (accountability_policy.yaml); this is the committee's estimate, not a second rule."""
    from postloan.workout.build import build_workout_marts
    wm = build_workout_marts(extract, period.last_month, policy, calendar, workout_cfg)
    w = wm["workout_cases"].set_index("loan_id")
    out = cases.copy()
    ids = out["loan_id"].astype(object)
    out["workout_route_cn"] = ids.map(w["recommended_cn"])
    out["workout_value"] = ids.map(w["recommended_pv"].clip(lower=0)).astype(float).fillna(0.0)
    out["expected_loss"] = (out["loss"] - out["workout_value"]).clip(lower=0)
    return out


def build_accountability_marts(extract: Extract, period: Period, policy: Policy, calendar: WorkCalendar,
                               cfg: AccountabilityConfig | None = None, workout_cfg=None) -> Marts:
    """`workout_cfg`: with it, each case carries the workout book's valuation at the period's
    last month (recommended route, its present value, the loss expected after it) — the same
    computation as the workout product, once per run."""
    cfg = cfg or load_accountability_config()
    key = ("accountability_review", period.label, period.kind, policy.model_dump_json(),
           calendar.holidays.tobytes() + b"|" + calendar.adjusted.tobytes(), cfg.model_dump_json())
    if key not in extract.memo:
        extract.memo[key] = _review(extract, period, policy, calendar, cfg)
    review = extract.memo[key]          # once per extract: the scorecards read the review this product publishes
    if workout_cfg is None or not len(review["accountability_cases"]):
        return review
    tables = dict(review.tables)
    tables["accountability_cases"] = with_workout_value(review["accountability_cases"], extract, period, policy,
                                                        calendar, workout_cfg)
    return Marts(review.month, tables)


def _review(extract, period, policy, calendar, cfg) -> Marts:
    ctx = MonthContext(extract, period.last_month, policy, calendar)
    cases = select_cases(ctx, period, cfg)
    if len(cases):
        timeline = build_timeline(ctx, cases, cfg)
        timeline = timeline.merge(cases[["case_id", "operating_branch_id", "managing_branch_id"]], on="case_id")
        lapses = build_lapses(timeline, cases, cfg)
        det = build_determinations(cases, timeline, lapses, ctx.officers, extract["warnings"], cfg)
    else:
        timeline = lapses = det = pd.DataFrame(columns=["case_id", "officer_id", "operating_branch_id",
                                                        "managing_branch_id"])
    tables = {
        "accountability_cases": cases, "accountability_timeline": timeline, "accountability_lapses": lapses,
        "accountability_determinations": det, "accountability_officers": build_officer_summary(det) if len(det) else
        pd.DataFrame(columns=["officer_id", "cases", "lapses", "serious_lapses", "not_exempt_direct", "exempt_cases"]),
        "branches": ctx.branches, "officers": ctx.officers,
        "period": pd.DataFrame({"period": [period.label], "label_cn": [period.label_cn]}),
    }
    return Marts(period.label, tables)
