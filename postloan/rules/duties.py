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


def payment_exceptions(payments: pd.DataFrame, policy) -> pd.DataFrame:
    """For each fund payment (with the loan's `product`): `self_over_limit` — paid by the
    borrower itself above the entrusted-payment threshold of its product (流动资金贷款
    管理办法 / 固定资产贷款管理办法 / 个人贷款管理办法 2024); `prohibited_payee` — paid to a
    payee category the policy prohibits; `exception` either."""
    ep = policy.entrusted_payment
    limit = payments["product"].astype(object).map(ep.single_payment_over).astype("float64")
    over = ((payments["mode"] == "self") & limit.notna() & (payments["amount"] > limit)).fillna(False).astype(bool)
    banned = payments["payee_category"].isin(ep.prohibited_payees).fillna(False).astype(bool)
    return pd.DataFrame({"limit": limit, "self_over_limit": over, "prohibited_payee": banned,
                         "exception": over | banned}, index=payments.index)


def revaluation_due(collateral: pd.DataFrame, policy) -> pd.Series:
    """The day each collateral's latest appraisal goes stale: appraisal_date + the months its kind allows."""
    ages = policy.collateral.max_age_months
    months = collateral["kind"].astype(object).map(lambda k: ages.get(k, ages["default"]))
    return pd.Series([a + pd.DateOffset(months=int(m)) if pd.notna(a) else pd.NaT
                      for a, m in zip(collateral["appraisal_date"], months)], index=collateral.index, dtype="datetime64[ns]")


def warrant_due(collateral_with_loans: pd.DataFrame, policy) -> pd.Series:
    """The day the title warrant of a mortgage or pledge must be in the vault (disbursement + days);
    NaT for a loan whose guarantee type needs none."""
    tw = policy.title_warrant
    need = collateral_with_loans["guarantee_type"].isin(tw.guarantee_types)
    due = collateral_with_loans["disbursement_date"] + pd.Timedelta(days=tw.days)
    return due.where(need)


def first_inspection_done(loans: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """The first inspection of each loan (index as `loans`): the earliest `first` inspection of
    the loan — or, recorded without a loan_id, of its customer — completed on or after the
    disbursement; `done_date` and `inspection_id`, NaT/None when there is none."""
    first = inspections[inspections["kind"] == "first"]
    q = loans[["loan_id", "customer_id", "disbursement_date"]].assign(_i=range(len(loans)))
    by_loan = q.merge(first[first["loan_id"].notna()][["loan_id", "completed_date", "inspection_id"]], on="loan_id")
    by_cust = q.merge(first[first["loan_id"].isna()][["customer_id", "completed_date", "inspection_id"]],
                      on="customer_id")
    cand = pd.concat([by_loan, by_cust], ignore_index=True)
    cand = cand[cand["completed_date"] >= cand["disbursement_date"]].sort_values(["completed_date", "inspection_id"])
    best = cand.drop_duplicates("_i").set_index("_i").reindex(range(len(loans)))
    return pd.DataFrame({"done_date": pd.to_datetime(best["completed_date"]).to_numpy(),
                         "inspection_id": best["inspection_id"].astype(object).to_numpy()}, index=loans.index)
