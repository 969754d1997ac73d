"""When a post-loan duty falls due (METRICS.md "Due-diligence policy defaults").

Every product that checks a duty takes its deadline from here: the meeting pack's
inspection and warning marts, the scorecards and the accountability timeline.
Thresholds from policy.yaml; working days from the run's calendar.
"""
from __future__ import annotations

import pandas as pd

LEVELS = ("red", "orange", "yellow")


def first_inspection_due(loans: pd.DataFrame, policy) -> pd.Series:
    """Deadline of each loan's first inspection: disbursement + the days for its customer type."""
    days = loans["customer_type"].astype(object).map(policy.inspection.first.days).astype("float64")
    return loans["disbursement_date"] + pd.to_timedelta(days, unit="D")


def warning_deadlines(warnings: pd.DataFrame, policy, calendar) -> pd.DataFrame:
    """report_deadline, handling_deadline and entry_deadline of each warning, in working
    days after identified_date by level."""
    pol = policy.warning
    by_level = lambda spec: warnings["level"].map({lv: spec.for_level(lv) for lv in LEVELS})
    ident = warnings["identified_date"]
    return pd.DataFrame({
        "report_deadline": calendar.add_working_days(ident, by_level(pol.report_working_days)),
        "handling_deadline": calendar.add_working_days(ident, by_level(pol.handling_working_days)),
        "entry_deadline": calendar.add_working_days(ident, pol.entry_working_days.days)}, index=warnings.index)


def collection_start_due(spell_start: pd.Series, policy) -> pd.Series:
    """A first collection action is due this many days after dpd first becomes > 0."""
    return spell_start + pd.Timedelta(days=policy.collection.start.days)
