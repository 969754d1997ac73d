"""The sample bank is deterministic and rich enough that every report has something to show.

Each check reads the generated tables directly with plain pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from postloan.glossary import enum_labels
from postloan.sample.generate import TRUTH_TABLE, generate_sample_bank

from conftest import SEED


@pytest.fixture(scope="module")
def t(sample_tables):
    return sample_tables


def test_same_seed_same_bank_other_seed_other_bank(t):
    again = generate_sample_bank("small", SEED)
    for name in t:
        pd.testing.assert_frame_equal(t[name], again[name], obj=name)
    other = generate_sample_bank("small", SEED + 1)
    assert not other["loans"]["amount"].equals(t["loans"]["amount"])


def test_size_small_is_two_to_three_thousand_loans_over_24_months(t):
    assert 2000 <= len(t["loans"]) <= 3000
    assert t["loan_month"]["month"].astype(str).nunique() >= 24


def test_organisation_head_office_branches_and_sub_branches_with_chinese_names(t):
    b = t["branches"]
    assert (b["level"] == "head_office").sum() == 1
    branches = b[b["level"] == "branch"]
    assert len(branches) >= 3
    for bid in branches["branch_id"]:
        assert (b["parent_id"] == bid).sum() >= 2
    assert b["branch_name"].str.contains(r"[\u4e00-\u9fff]").all()
    assert t["customers"]["name"].str.contains(r"[\u4e00-\u9fff]").all()
    assert t["officers"]["name"].str.contains(r"[\u4e00-\u9fff]").all()


def test_officers_have_roles_hires_and_departures(t):
    o = t["officers"]
    assert set(o["role"]) == set(enum_labels("officer_role"))
    assert o["leave_date"].notna().sum() >= 3
    start = pd.Timestamp(str(t["loan_month"]["month"].astype(str).min()) + "-01")
    assert (o["hire_date"] > start).sum() >= 3          # hired during the history


def test_products_industries_and_guarantee_mix(t):
    loans, cust = t["loans"], t["customers"]
    assert set(loans["product"]) == set(enum_labels("product"))
    assert set(loans["guarantee_type"]) == set(enum_labels("guarantee_type"))
    assert cust["industry_code"].dropna().nunique() >= 10
    assert set(cust["customer_type"]) == set(enum_labels("customer_type"))
    med = loans.groupby("product")["amount"].median()
    assert med["fixed_asset"] > med["working_capital"] > med["personal_consumption"]


def test_delinquency_evolves_cures_rolls_defaults_and_exits(t):
    lm = t["loan_month"].copy()
    lm["month"] = lm["month"].astype(str)
    lm = lm.sort_values(["loan_id", "month"])
    prev = lm.groupby("loan_id")["dpd"].shift()
    assert ((prev > 0) & (lm["dpd"] == 0)).sum() >= 20                   # cures
    assert ((prev > 0) & (lm["dpd"] > prev)).sum() >= 50                 # roll-forwards
    assert ((prev <= 90) & (lm["dpd"] > 90)).sum() >= 10                 # defaults
    assert set(lm["status"].astype(str)) == set(enum_labels("loan_status"))
    npl = lm[lm["classification"].astype(str).isin(["substandard", "doubtful", "loss"]) & (lm["status"] == "active")]
    assert npl["month"].nunique() >= 24                                  # NPL every month


def test_classification_mostly_follows_the_floors_with_a_planted_minority_too_favourable(t):
    lm = t["loan_month"]
    a = lm[lm["status"] == "active"]
    order = ["normal", "special_mention", "substandard", "doubtful", "loss"]
    rank = a["classification"].astype(str).map({c: i for i, c in enumerate(order)})
    floor = np.select([a["dpd"] > 360, a["dpd"] > 270, a["dpd"] > 90, a["dpd"] > 0], [4, 3, 2, 1], 0)
    breach = rank.to_numpy() < floor
    overdue = a["dpd"].to_numpy() > 0
    assert breach.sum() >= 10
    assert breach[overdue].mean() < 0.2


def test_restructurings_and_extensions(t):
    loans = t["loans"]
    assert loans["is_restructured"].sum() >= 3
    assert loans["extended_maturity_date"].notna().sum() >= 10


def test_officers_differ_in_diligence_and_it_shows_in_their_work(t):
    traits = t[TRUTH_TABLE].set_index("officer_id")["diligence"]
    assert traits.std() > 0.15
    ins = t["inspections"]
    graded = ins[ins["quality_grade"].notna()].copy()
    graded["d"] = graded["officer_id"].map(traits)
    good = graded["quality_grade"].isin(["excellent", "good"])
    assert graded.loc[good, "d"].mean() > graded.loc[~good, "d"].mean() + 0.1


def test_handovers_of_every_reason_some_without_witness_or_signature(t):
    a = t["assignments"]
    h = a[a["handover_reason"].notna()]
    assert set(h["handover_reason"]) == set(enum_labels("handover_reason"))
    assert h["witness_officer_id"].isna().sum() >= 3
    assert h["handover_signed_date"].isna().sum() >= 3
    assert h["witness_officer_id"].notna().sum() >= 3


def test_warnings_full_lifecycles_across_categories_and_levels(t):
    w = t["warnings"]
    assert set(w["category"]) == set(enum_labels("warning_category"))
    assert set(w["level"]) == set(enum_labels("warning_level"))
    assert set(w["status"]) == set(enum_labels("warning_status"))
    full = w[(w["status"] == "released") & w["reported_date"].notna() & w["confirmed_date"].notna()
             & w["first_measure_date"].notna()]
    assert len(full) >= 10
    late = (w["reported_date"] - w["identified_date"]).dt.days > 7
    assert late.sum() >= 5 and w["reported_date"].isna().sum() >= 3


def test_inspections_of_all_five_kinds_with_quality_grades(t):
    ins = t["inspections"]
    assert set(ins["kind"]) == set(enum_labels("inspection_kind"))
    assert set(ins["quality_grade"].dropna()) == set(enum_labels("quality_grade"))


def test_collateral_stale_appraisals_and_missing_warrants(t):
    c = t["collateral"]
    end = pd.Timestamp(str(t["loan_month"]["month"].astype(str).max()) + "-01") + pd.offsets.MonthEnd(0)
    assert ((end - c["appraisal_date"]).dt.days > 365).sum() >= 10
    assert c["warrant_received_date"].isna().sum() >= 10
    loans = t["loans"].set_index("loan_id")
    v = c.merge(t["loan_month"][t["loan_month"]["month"].astype(str) == end.strftime("%Y-%m")], on="loan_id")
    assert (v["appraised_value"] < v["balance"]).sum() >= 1


def test_guarantee_agencies_near_their_limits(t):
    g, ag = t["guarantees"], t["guarantee_agencies"]
    last = t["loan_month"][t["loan_month"]["month"].astype(str) == t["loan_month"]["month"].astype(str).max()]
    active = set(last.loc[last["status"] == "active", "loan_id"].astype(str))
    exposure = g[g["loan_id"].isin(active)].groupby("agency_id")["amount"].sum()
    use = exposure / ag.set_index("agency_id")["cooperation_limit"]
    assert (use > 0.9).sum() >= 2
    assert set(g["guarantor_kind"]) == set(enum_labels("guarantor_kind"))
    assert (ag["status"] == "suspended").any()


def test_fund_payments_with_purpose_exceptions(t):
    p = t["fund_payments"]
    assert p["payee_category"].isin(["real_estate", "securities", "borrower_self"]).sum() >= 5
    loans = t["loans"].set_index("loan_id")
    prod = p["loan_id"].map(loans["product"])
    big_self = (p["mode"] == "self") & (((prod == "working_capital") & (p["amount"] > 10_000_000)) |
                                        ((prod == "fixed_asset") & (p["amount"] > 5_000_000)))
    assert big_self.sum() >= 1


def test_collections_across_channels_promises_night_and_third_party(t):
    c = t["collection_actions"]
    assert set(c["channel"]) == set(enum_labels("collection_channel"))
    assert (c["outcome"] == "promise_to_pay").sum() >= 20
    hour = c["action_time"].dt.hour
    assert ((hour >= 22) | (hour < 8)).sum() >= 2
    assert (c["contacted_party"] == "third_party").sum() >= 3
    assert c["agency_name"].notna().sum() >= 5


def test_recoveries_by_every_method_and_legal_cases(t):
    assert set(t["recoveries"]["method"]) == set(enum_labels("recovery_method"))
    lc = t["legal_cases"]
    assert len(lc) >= 5 and lc["judgment_date"].notna().sum() >= 2


def test_archives_with_missing_documents_and_meeting_actions_open_done_overdue(t):
    ar = t["archives"]
    assert ar["received_date"].isna().sum() >= 20
    assert (ar["received_date"] > ar["due_date"]).sum() >= 20
    ma = t["meeting_actions"]
    assert {"open", "done", "cancelled"} <= set(ma["status"])
    assert (ma["done_date"] > ma["due_date"]).sum() >= 3
    end = pd.Timestamp(str(t["loan_month"]["month"].astype(str).max()) + "-01") + pd.offsets.MonthEnd(0)
    assert ((ma["status"] == "open") & (ma["due_date"] < end)).sum() >= 3
