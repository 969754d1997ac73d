"""Duty rules that several products share: entrusted-payment limits (个人贷款管理办法 2024
included), collateral value under the loan-to-value caps, and who is the outgoing officer."""
from __future__ import annotations

import pandas as pd
import pytest

from postloan.policy import load_policy
from postloan.rules.attribution import branch_heads, with_outgoing
from postloan.rules.collateral import coverage_by_loan
from postloan.rules.duties import payment_exceptions
from rules_kit import frame


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_entrusted_payment_limits_cover_individual_loans(policy):
    pay = frame("fund_payments",
                *[{"payment_id": f"P{i}", "loan_id": "L1", "payment_date": "2026-10-01", "amount": amount,
                   "mode": mode, "payee_category": "supplier"} for i, (amount, mode) in
                  enumerate([(350000.0, "self"), (250000.0, "self"), (350000.0, "entrusted"), (600000.0, "self"),
                             (450000.0, "self"), (12000000.0, "self")])])
    pay["product"] = ["personal_consumption", "personal_consumption", "personal_consumption", "personal_business",
                      "personal_business", "working_capital"]
    flags = payment_exceptions(pay, policy)
    # consumption above 300,000 and business above 500,000 paid by the borrower itself; earlier only
    # working capital and fixed-asset loans had limits, so the first and the fourth went unflagged
    assert flags["self_over_limit"].tolist() == [True, False, False, True, False, True]


def test_collateral_coverage_uses_the_ltv_cap_of_its_kind_and_prior_claims(policy):
    col = frame("collateral",
                {"collateral_id": "K1", "loan_id": "L1", "kind": "residential", "appraised_value": 1_000_000.0,
                 "appraisal_date": "2026-01-01", "registered": True},
                {"collateral_id": "K2", "loan_id": "L1", "kind": "equipment", "appraised_value": 500_000.0,
                 "appraisal_date": "2026-01-01", "registered": True, "prior_claims": 50_000.0},
                {"collateral_id": "K3", "loan_id": "L2", "kind": "land", "appraised_value": 100_000.0,
                 "appraisal_date": "2026-01-01", "registered": True, "prior_claims": 90_000.0})
    cover = coverage_by_loan(col, policy)
    # 1,000,000 x 0.7 + (500,000 x 0.4 - 50,000) = 850,000; earlier the full 1,500,000 was counted
    assert cover["L1"] == pytest.approx(850_000)
    assert cover["L2"] == 0                       # 100,000 x 0.6 - 90,000 < 0: nothing left for the bank


def test_the_outgoing_officer_and_the_branch_head_on_a_date():
    a = frame("assignments", {"customer_id": "C1", "officer_id": "E1", "start_date": "2025-01-01", "end_date": "2025-06-30"},
              {"customer_id": "C1", "officer_id": "E2", "start_date": "2025-07-01", "handover_reason": "rotation"})
    h = with_outgoing(a).set_index("officer_id")
    assert pd.isna(h.loc["E1", "outgoing_officer_id"]) and h.loc["E2", "outgoing_officer_id"] == "E1"
    off = frame("officers", {"officer_id": "H1", "name": "甲", "branch_id": "B1", "role": "branch_head",
                             "hire_date": "2015-01-01", "leave_date": "2025-08-31"},
                {"officer_id": "H2", "name": "乙", "branch_id": "B1", "role": "branch_head", "hire_date": "2025-09-01"})
    assert list(branch_heads(off, ["B1", "B1", "B2"], ["2025-08-30", "2025-09-01", "2025-09-01"])) == ["H1", "H2", None]
