"""The 2023 classification rules (METRICS.md "Classification rules"), hand-built cases. The
earlier code knew only the dpd floor: each case below would have shown no breach."""
from __future__ import annotations

import pandas as pd
import pytest

from postloan.policy import load_policy
from postloan.rules.classification import floors, upgrade_breaches


@pytest.fixture(scope="module")
def rules():
    return load_policy().classification


def _at_m(*rows):
    base = {"customer_type": "corporate", "dpd": 0, "is_restructured": False, "restructure_date": pd.NaT}
    f = pd.DataFrame([{**base, **r} for r in rows])
    f["restructure_date"] = pd.to_datetime(f["restructure_date"])
    return f


def _lm(*rows):
    return pd.DataFrame(rows, columns=["month", "loan_id", "balance", "dpd", "classification", "status"])


def test_the_debtor_rule_pulls_every_loan_of_a_non_retail_customer_over_ten_percent_npl(rules):
    # C1: 110,000 of 1,000,000 NPL (11 % > 10 %): its normal loan must be at least substandard
    # C2: exactly 10 %: not more than 10 %, no floor
    # C3: a loan classified normal but 95 days overdue counts as NPL for the share (its dpd floor)
    # C4: an individual customer: the rule is for non-retail debtors only
    at = _at_m({"loan_id": "A1", "customer_id": "C1", "balance": 110000.0, "classification": "substandard", "dpd": 100},
               {"loan_id": "A2", "customer_id": "C1", "balance": 890000.0, "classification": "normal"},
               {"loan_id": "B1", "customer_id": "C2", "balance": 100000.0, "classification": "substandard", "dpd": 100},
               {"loan_id": "B2", "customer_id": "C2", "balance": 900000.0, "classification": "normal"},
               {"loan_id": "D1", "customer_id": "C3", "balance": 200000.0, "classification": "normal", "dpd": 95},
               {"loan_id": "D2", "customer_id": "C3", "balance": 800000.0, "classification": "special_mention"},
               {"loan_id": "E1", "customer_id": "C4", "customer_type": "individual", "balance": 500000.0,
                "classification": "doubtful", "dpd": 300},
               {"loan_id": "E2", "customer_id": "C4", "customer_type": "individual", "balance": 500000.0,
                "classification": "normal"})
    f = floors(at, _lm(), "2026-10", rules).set_index("loan_id")
    assert f.loc["A2", "floor_class"] == "substandard" and f.loc["A2", "floor_rules"] == "debtor"
    assert not f.loc["B2", "floor_breach"]
    assert f.loc["D2", "floor_rules"] == "debtor" and f.loc["D1", "floor_rules"] == "dpd,debtor"
    assert not f.loc["E2", "floor_breach"]
    assert f.loc["A2", "debtor_npl_share"] == pytest.approx(0.11)


def test_a_restructured_loan_stays_at_least_special_mention_and_its_prior_class_in_observation(rules):
    # restructured 2026-03-15 (within 12 months of 2026-10-31); doubtful at 2026-02, the month-end before
    at = _at_m({"loan_id": "R1", "customer_id": "C1", "balance": 1e6, "classification": "normal",
                "is_restructured": True, "restructure_date": "2026-03-15"},
               {"loan_id": "R2", "customer_id": "C2", "balance": 1e6, "classification": "normal",
                "is_restructured": True, "restructure_date": "2025-09-30"},      # observation over
               {"loan_id": "R3", "customer_id": "C3", "balance": 1e6, "classification": "normal",
                "is_restructured": True, "restructure_date": "2026-06-10"})      # no month-end row before
    lm = _lm(("2026-02", "R1", 1e6, 200, "doubtful", "active"))
    f = floors(at, lm, "2026-10", rules).set_index("loan_id")
    assert (f.loc["R1", "floor_class"], f.loc["R1", "floor_rules"]) == ("doubtful", "restructured")
    assert not f.loc["R2", "floor_breach"]
    assert (f.loc["R3", "floor_class"], f.loc["R3", "floor_rules"]) == ("special_mention", "restructured")


def _history(loan, months_dpd, last_class="normal"):
    """Month-ends 2026-03 … 2026-10 of one loan: NPL up to 2026-09, `last_class` at 2026-10."""
    months = [str(p) for p in pd.period_range("2026-03", "2026-10", freq="M")]
    return [(m, loan, 1e5, d, "substandard" if m < "2026-10" else last_class, "active")
            for m, d in zip(months, months_dpd)]


def test_an_upgrade_out_of_npl_needs_seven_clean_month_ends_and_no_other_npl(rules):
    loans = pd.DataFrame({"loan_id": ["U1", "U2", "U3", "U3b"], "customer_id": ["C1", "C2", "C3", "C3"]})
    lm = _lm(*_history("U1", [90, 60, 30, 0, 0, 0, 0, 0]),             # dpd 0 from 2026-06: five clean month-ends of seven
             *_history("U2", [95, 0, 0, 0, 0, 0, 0, 0]),               # 2026-04 … 2026-10: seven clean month-ends
             *_history("U3", [95, 0, 0, 0, 0, 0, 0, 0]),               # clean, but the customer has another NPL
             ("2026-10", "U3b", 1e5, 120, "substandard", "active"))
    up = upgrade_breaches(lm, loans, "2026-10", rules).set_index("loan_id")
    assert set(up.index) == {"U1", "U2", "U3"}
    assert (up.loc["U1", "clean_month_ends"], bool(up.loc["U1", "upgrade_breach"])) == (5, True)
    assert (up.loc["U2", "clean_month_ends"], bool(up.loc["U2", "upgrade_breach"])) == (7, False)
    assert (up.loc["U3", "other_npl_loans"], bool(up.loc["U3", "upgrade_breach"])) == (1, True)


def test_an_upgrade_after_one_clean_month(rules):
    loans = pd.DataFrame({"loan_id": ["V1"], "customer_id": ["C1"]})
    lm = _lm(("2026-09", "V1", 1e5, 100, "substandard", "active"), ("2026-10", "V1", 1e5, 0, "normal", "active"))
    up = upgrade_breaches(lm, loans, "2026-10", rules)
    assert up["upgrade_breach"].tolist() == [True] and up["clean_month_ends"].tolist() == [1]
