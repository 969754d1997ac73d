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


def build_accountability_marts(extract: Extract, period: Period, policy: Policy, calendar: WorkCalendar,
                               cfg: AccountabilityConfig | None = None) -> Marts:
    cfg = cfg or load_accountability_config()
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
