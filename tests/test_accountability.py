"""The accountability review. Hand-built cases (tests/case_bank.py) for 2025-10; then the
register on the sample bank against independent plain queries; then a policy change."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from case_bank import write_case_bank
from data_connectors import load_extract
from postloan.accountability.build import build_accountability_marts
from postloan.periods import parse_period
from postloan.paths import parameters_dir
from postloan.policy import load_calendar, load_policy


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    extract = load_extract(write_case_bank(tmp_path_factory.mktemp("cases")))
    return build_accountability_marts(extract, parse_period("2025-10"), load_policy(), load_calendar())


def _case(m, loan):
    return m["accountability_cases"].set_index("loan_id").loc[loan, "case_id"]


def _lapses(m, loan):
    lp = m["accountability_lapses"]
    return lp[lp["case_id"] == _case(m, loan)]


def _det(m, loan):
    d = m["accountability_determinations"]
    return d[d["case_id"] == _case(m, loan)].set_index("officer_id")


def test_case_selection(review):
    c = review["accountability_cases"].set_index("loan_id")
    assert set(c.index) == {"L1", "L5", "L7", "L8", "L9", "L10", "L11"}   # L6 was already NPL in September
    assert c.loc["L5", "reason"] == "written_off" and c.loc["L7", "reason"] == "became_npl"
    assert (c["case_date"] == pd.Timestamp("2025-10-31")).all()


def test_officer_who_did_everything_is_exempt(review):
    assert len(_lapses(review, "L7")) == 0
    d = _det(review, "L7").loc["E6"]
    # first inspection, Q3 and October windows, W7 report/handling/entry, P1, collection start, contract
    assert d["duties_on_time"] == 9
    assert (d["exoneration"], d["degree"], d["sanction"]) == ("exempt", "none", "none")
    assert bool(d["inclusive_scope"]) and "普惠" in d["basis"]


def test_minor_lapses_only_are_exempt_in_the_inclusive_scope(review):
    lp = _lapses(review, "L8").set_index("duty")
    # first inspection 3 days late, contract filed 2 days late: within the 5-day grace -> minor, 1 point each
    assert set(lp.index) == {"first_inspection", "archives"}
    assert lp.loc["first_inspection", "days_late"] == 3 and (lp["severity"] == "minor").all()
    d = _det(review, "L8").loc["E7"]
    # 金规〔2024〕11号: none or minor lapses -> 应免责 (was 可减责免责 under the old points rule)
    assert (d["points"], d["exoneration"], d["sanction"]) == (2, "exempt", "none")


def test_nobody_assigned_and_a_handover_inside_the_window(review):
    lp = _lapses(review, "L9").set_index("duty")
    # Q3 window (07-01..09-30) missed: C6 moved from E6 (to 08-10) to E8 (from 08-20): the officer at the due date answers
    assert lp.loc["routine_inspection", "officer_id"] == "E8"
    # collection should have started by 08-01 (spell from 07-29) while E6 held the customer
    assert lp.loc["collection_start", "officer_id"] == "E6"
    # the iou fell due on 08-15, when nobody was assigned
    assert lp.loc["archives", "ref"] == "iou" and pd.isna(lp.loc["archives", "officer_id"])
    tl = review["accountability_timeline"]
    ev = tl[(tl["case_id"] == _case(review, "L9")) & (tl["status"] == "event")].set_index("duty")
    assert ev.loc["unassigned", "due_date"] == pd.Timestamp("2025-08-10")
    assert ev.loc["unassigned", "done_date"] == pd.Timestamp("2025-08-20")
    assert "无监交人" in ev.loc["handover", "detail"]
    d = _det(review, "L9")
    # 3 points each, no serious lapse: each half of the officers' points -> 主要 (no one 直接)
    assert d.loc["E6", "degree"] == "primary" and d.loc["E8", "degree"] == "primary"
    assert d.loc["E11", "degree"] == "leadership"                                        # case points 7 >= 6


def test_serious_lapse_outside_the_inclusive_scope(review):
    lp = _lapses(review, "L10")
    assert lp[["duty", "ref", "severity"]].values.tolist() == [["entrusted_payment", "P2", "serious"]]
    d = _det(review, "L10").loc["E10"]
    assert (d["degree"], d["exoneration"]) == ("direct", "not_exempt")
    assert not d["inclusive_scope"] and "一般规定" in d["basis"]
    # 6 (serious) + 4 (loss 20,000,000 over 5,000,000) = 10 -> 警告
    assert (d["loss_points"], d["sanction_points"], d["sanction"]) == (4, 10, "warning")


def test_collateral_guarantee_limitation_conduct_and_entry_lapses(review):
    lp = _lapses(review, "L11").set_index("duty")
    # matured 2022-09-01, no interrupting event (A5 left no evidence): limitation ran out 2025-09-01
    assert lp.loc["limitation", "due_date"] == pd.Timestamp("2025-09-01") and lp.loc["limitation", "severity"] == "serious"
    # joint guarantee with no agreed period: 6 months after maturity, no claim on the guarantor
    assert lp.loc["guarantee_period", "due_date"] == pd.Timestamp("2023-03-01") and lp.loc["guarantee_period", "ref"] == "G1"
    # last appraisal 2023-05-01: revaluation due 2024-05-01 (12 months)
    assert lp.loc["collateral_revaluation", "due_date"] == pd.Timestamp("2024-05-01")
    # warrant due 2022-07-01 (30 days), received 2022-08-15: 45 days late -> major
    assert (lp.loc["title_warrant", "days_late"], lp.loc["title_warrant", "severity"]) == (45, "major")
    # A5: a phone call at 23:10 to a third party
    assert lp.loc["collection_conduct", "ref"] == "A5" and "collection_start" not in lp.index
    # W8 identified Mon 10-13, to be entered within 3 working days (10-16), entered 10-28
    assert (lp.loc["warning_entry", "days_late"], lp.loc["warning_entry", "severity"]) == (12, "minor")
    assert lp["points"].sum() == 6 + 6 + 1 + 3 + 1 + 1 and set(lp["officer_id"]) == {"E12"}
    d = _det(review, "L11").loc["E12"]
    assert (d["degree"], d["exoneration"]) == ("direct", "not_exempt")


def test_tiny_bank_case_lapses_by_duty(review):
    # L1 (C1, E1): first inspection due 01-25 missing; Q3 window missing; W1 reported a day late (minor);
    # W6 red never reported and never handled; collection due 08-01 (spell from 07-29) never started
    lp = _lapses(review, "L1")
    got = sorted(zip(lp["duty"], lp["status"], lp["severity"]))
    assert got == sorted([("first_inspection", "missing", "major"), ("routine_inspection", "missing", "major"),
                          ("warning_report", "late", "minor"), ("warning_report", "missing", "major"),
                          ("warning_handling", "missing", "major"), ("collection_start", "missing", "major")])
    assert set(lp["officer_id"]) == {"E1"} and lp["points"].sum() == 16


def test_register_and_case_files_say_they_are_drafts(review, tmp_path):
    from postloan.accountability.export import DRAFT, accountability_figures, write_case_files, write_register
    f = accountability_figures(review, "all")
    assert f["status"] == "draft_for_committee" and f["cases"] == 7
    path = write_register(review, "all", tmp_path / "r.xlsx")
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    header = next(wb["责任认定"].iter_rows(values_only=True))
    assert "委员会最终认定" in header and "申诉结果（不得加重）" in header
    files = write_case_files(review, "all", tmp_path)
    assert len(files) == 7 and all(DRAFT in p.read_text(encoding="utf-8") for _, p in files)


# ---- the sample bank: the register against plain queries written here ----------------------

@pytest.fixture(scope="module")
def sample_review(sample_duckdb):
    extract = load_extract(sample_duckdb)
    return extract, build_accountability_marts(extract, parse_period("2025"), load_policy(), load_calendar())


def _register(m, duty):
    lp = m["accountability_lapses"]
    return sorted((r.loan_id, str(r.ref), r.due_date.date()) for r in lp[lp["duty"] == duty].itertuples())


def test_archive_title_warrant_and_first_inspection_lapses_equal_plain_queries(sample_review):
    e, m = sample_review
    cases = m["accountability_cases"][["loan_id", "case_date", "disbursement_date", "customer_id", "customer_type",
                                       "guarantee_type"]]
    assert len(cases) >= 5
    # archives: due on or before the case date, received late, never, or after the case date
    a = e["archives"].merge(cases, on="loan_id")
    a = a[(a["due_date"] <= a["case_date"]) & (a["received_date"].isna() | (a["received_date"] > a["due_date"]))]
    assert _register(m, "archives") == sorted((r.loan_id, r.doc_type, r.due_date.date()) for r in a.itertuples())
    # title warrants of mortgage/pledge loans: due 30 days after disbursement
    c = e["collateral"].merge(cases[cases["guarantee_type"].isin(["mortgage", "pledge"])], on="loan_id")
    c = c.assign(due=c["disbursement_date"] + pd.Timedelta(days=30))
    c = c[(c["due"] <= c["case_date"]) & (c["warrant_received_date"].isna() | (c["warrant_received_date"] > c["due"]))]
    assert _register(m, "title_warrant") == sorted((r.loan_id, r.collateral_id, r.due.date()) for r in c.itertuples())
    # first inspection: 15 days (30 for individuals); a first inspection of the loan or (no loan id) of the customer
    f = cases.assign(due=cases["disbursement_date"] + pd.to_timedelta(
        cases["customer_type"].astype(object).map({"individual": 30}).fillna(15), unit="D"))
    f = f[f["due"] <= f["case_date"]]
    ins = e["inspections"][e["inspections"]["kind"] == "first"]
    expected = []
    for r in f.itertuples():
        own = ins[(ins["loan_id"] == r.loan_id) | (ins["loan_id"].isna() & (ins["customer_id"] == r.customer_id))]
        own = own[own["completed_date"] >= r.disbursement_date]
        done = own["completed_date"].min()
        if pd.isna(done) or done > r.due:
            expected.append((r.loan_id, "首次检查", r.due.date()))
    assert _register(m, "first_inspection") == sorted(expected)
    assert len(expected) > 0 and len(a) > 0 and len(c) > 0          # three non-empty comparisons


def test_a_policy_threshold_changes_the_lapses_without_code(sample_review, tmp_path):
    e, m = sample_review
    data = yaml.safe_load((parameters_dir() / "policy.yaml").read_text(encoding="utf-8"))
    data["inspection"]["first"]["days"] = {"corporate": 90, "small_business": 90, "individual": 90}
    data["collection"]["start"]["days"] = 45
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    relaxed = build_accountability_marts(e, parse_period("2025"), load_policy(path), load_calendar())
    before, after = _register(m, "collection_start"), _register(relaxed, "collection_start")
    assert len(after) < len(before)                     # actions within 45 days are now in time
    assert {x[:2] for x in after} <= {x[:2] for x in before}
    # the first-inspection deadline moved: the same lapses, due 90 days after disbursement
    assert _register(relaxed, "first_inspection") != _register(m, "first_inspection")


def test_the_recovered_share_comes_from_the_policy_file(sample_review):
    """determination.mitigation_points.recovered_share (0.5 by default) decides loss_recovered:
    recoveries of at least that share of the case balance, worked out here from the cases."""
    from postloan.accountability.config import load_accountability_config
    e, m = sample_review
    c = m["accountability_cases"].set_index("case_id")
    for share in (0.5, 0.05):
        base = load_accountability_config()
        mit = base.determination.mitigation_points.model_copy(update={"recovered_share": share})
        cfg = base.model_copy(update={"determination": base.determination.model_copy(
            update={"mitigation_points": mit})})
        det = build_accountability_marts(e, parse_period("2025"), load_policy(), load_calendar(), cfg)[
            "accountability_determinations"]
        expected = [(c.loc[k, "case_balance"] > 0) and (c.loc[k, "recovered"] >= share * c.loc[k, "case_balance"])
                    for k in det["case_id"]]
        assert det["loss_recovered"].tolist() == expected
    assert any(expected)                     # at 5 % some case counts as recovered
