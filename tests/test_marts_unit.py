"""Figures of the meeting pack on the hand-made tiny bank (tests/tiny_bank.py), 2025-10.

Every expected value below was worked out by hand from the rows of tiny_bank.py and
the definitions of METRICS.md; the comments show the arithmetic.
"""
from __future__ import annotations

import pandas as pd
import pytest

from data_connectors import load_extract
from postloan.marts.build import build_marts, figures_for_scope
from postloan.policy import load_calendar, load_policy
from tiny_bank import write_tiny_bank


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    extract = load_extract(write_tiny_bank(tmp_path_factory.mktemp("tiny")))
    return build_marts(extract, "2025-10", load_policy(), load_calendar())


@pytest.fixture(scope="module")
def f_all(marts):
    return figures_for_scope(marts, "all")


def test_asset_quality_whole_bank(f_all):
    # active at M: L1 1,000,000 sub; L2 440,000 normal; L3 299,000 normal; L4 200,000 normal; L6 50,000 loss
    assert f_all["total_balance"] == 1_989_000
    assert f_all["loan_count"] == 5 and f_all["customer_count"] == 3
    assert f_all["balance_normal"] == 939_000
    assert f_all["balance_special_mention"] == 0
    assert f_all["balance_substandard"] == 1_000_000 and f_all["balance_loss"] == 50_000
    assert f_all["npl_balance"] == 1_050_000
    assert f_all["npl_ratio"] == pytest.approx(1_050_000 / 1_989_000)
    assert f_all["overdue_balance"] == 1_490_000            # L1 (95) + L2 (40) + L6 (1076)
    assert (f_all["dpd_1_30_balance"], f_all["dpd_31_60_balance"], f_all["dpd_61_90_balance"]) == (0, 440_000, 0)
    assert f_all["dpd_over_90_balance"] == 1_050_000
    assert f_all["deviation_ratio"] == pytest.approx(1.0)
    assert f_all["provision_coverage"] == pytest.approx(350_000 / 1_050_000)   # provisions L1 + L6
    assert (f_all["floor_breach_count"], f_all["floor_breach_balance"]) == (1, 440_000)   # L2: dpd 40, normal


def test_migration_with_an_exit(f_all):
    # normal cohort at P: L1 1,000,000 + L3 300,000; R = 0 + 1,000; down: L1 now substandard
    assert f_all["migration_rate_normal"] == pytest.approx(1_000_000 / 1_299_000)
    # special-mention cohort: L2 450,000, R = 10,000, now normal -> 0
    assert f_all["migration_rate_special_mention"] == 0
    assert f_all["migration_rate_substandard"] is None and f_all["migration_rate_doubtful"] is None
    assert f_all["migration_rate_performing"] == pytest.approx(1_000_000 / (1_299_000 + 440_000))
    assert f_all["new_npl_balance"] == 1_000_000


def test_branch_scope(marts):
    f = figures_for_scope(marts, "B200")                      # only C2's mortgage L3
    assert f["total_balance"] == 299_000 and f["npl_balance"] == 0
    assert f["npl_ratio"] == 0 and f["deviation_ratio"] is None
    assert f["migration_rate_normal"] == 0                   # L3: 300,000 -> 299,000, still normal


def test_inspections_first_and_routine(f_all, marts):
    # first: L3 (2025-09-20 + 30 d) and L4 (2025-10-05 + 15 d) fall due on 2025-10-20;
    # L4 inspected 10-12 (on time), C2 (loan_id empty) inspected 10-25 (late)
    assert (f_all["first_inspections_due"], f_all["first_inspections_on_time"]) == (2, 1)
    d = marts["inspection_duties"].set_index("loan_id")
    assert d.loc["L3", "status"] == "late" and d.loc["L3", "days_late"] == 5
    # routine: C1 (L2 关注 at 09) and C3 (L5 损失 at 09) are risky -> October windows; C2's year window ends in Dec
    assert (f_all["routine_inspections_due"], f_all["routine_inspections_on_time"]) == (2, 1)


def test_warnings_with_working_days_over_national_day(f_all, marts):
    w = marts["warning_lifecycle"].set_index("warning_id")
    # W1 red on Tue 09-30: 1 working day -> Thu 10-09 (10-01..08 holidays); reported 10-10: late
    assert w.loc["W1", "report_deadline"] == pd.Timestamp("2025-10-09")
    # W3 orange on Fri 09-26: 3 working days -> Sun 09-28 (调休), Mon 09-29, Tue 09-30
    assert w.loc["W3", "report_deadline"] == pd.Timestamp("2025-09-30")
    # W5 orange on Thu 10-09: Fri 10-10, Sat 10-11 (调休), Mon 10-13
    assert w.loc["W5", "report_deadline"] == pd.Timestamp("2025-10-13")
    assert f_all["warnings_identified"] == 4                 # W2, W4, W5, W6
    assert f_all["warnings_reported_late"] == 3              # W1, W5, W6 (W4 rejected)
    assert f_all["warnings_open_end"] == 4                   # W1, W2, W5, W6
    assert f_all["warnings_released"] == 1                   # W3 on 10-20


def test_recoveries_limitation_and_meeting_actions(f_all, marts):
    assert f_all["recovered_cash"] == 20_000                 # R2 + R4; R3 was in September
    assert f_all["written_off_amount"] == 80_000             # R1
    # L6 matured 2022-11-20, no interrupting event (A1 left no evidence): ends 2025-11-20, 20 days after M
    assert f_all["limitation_expiring_90d_count"] == 1
    lim = marts["legal_deadlines"].query("kind == 'limitation'").set_index("loan_id")
    assert lim.loc["L6", "days_left"] == 20
    assert (f_all["meeting_actions_open"], f_all["meeting_actions_overdue"]) == (3, 2)   # MA2, MA3, MA4; MA2, MA4
    b100 = figures_for_scope(marts, "B100")
    assert (b100["meeting_actions_open"], b100["meeting_actions_overdue"]) == (1, 1)       # MA2
    assert figures_for_scope(marts, "B200")["meeting_actions_open"] == 1                  # MA3


def test_archives_and_proposals(marts):
    a = marts["archive_defects"]
    assert a[["loan_id", "doc_type", "defect"]].values.tolist() == [["L4", "iou", "missing"]]
    p = marts["proposed_resolutions"]
    assert set(p.columns) >= {"action_id", "meeting_month", "branch_id", "item", "owner_officer_id", "due_date",
                              "status", "done_date"}
    assert (p["basis"] == "法律时效 30 天内到期").sum() == 1 and p["owner_officer_id"].notna().all()


def test_proposal_deadlines_come_from_the_policy_file(tmp_path, marts):
    """meeting_actions.proposal_days in policy.yaml sets each proposed resolution's due date
    (month-end 2025-10-31 + days); a changed file changes them with no code change."""
    import yaml
    from postloan.paths import parameters_dir
    p = marts["proposed_resolutions"]
    assert len(p)
    end = pd.Timestamp("2025-10-31")
    days = load_policy().meeting_actions.proposal_days
    expect = p["basis"].map({"红色预警未处置": days.red_warning}).fillna(
        p["basis"].str.startswith("法律时效").map({True: days.legal_deadline, False: days.default}))
    assert ((p["due_date"] - end).dt.days == expect).all()
    data = yaml.safe_load((parameters_dir() / "policy.yaml").read_text(encoding="utf-8"))
    data["meeting_actions"]["proposal_days"] = {"default": 21, "red_warning": 3, "legal_deadline": 7}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    extract = load_extract(write_tiny_bank(tmp_path / "tiny"))
    q = build_marts(extract, "2025-10", load_policy(path), load_calendar())["proposed_resolutions"]
    assert sorted((q["due_date"] - end).dt.days.unique()) == sorted(
        {21 if b not in ("红色预警未处置",) and not b.startswith("法律时效") else (3 if b == "红色预警未处置" else 7)
         for b in q["basis"]})
    assert (q["branch_id"].notna()).all()


def test_agency_exposure_counts_only_guarantees_the_bank_can_still_enforce(tmp_path):
    from postloan.validation import Extract
    from rules_kit import frame
    base = load_extract(write_tiny_bank(tmp_path / "tiny"))
    tables = dict(base.tables)
    tables["guarantee_agencies"] = frame("guarantee_agencies", {"agency_id": "GA1", "name": "杭州信保担保有限公司",
                                                                "cooperation_limit": 1_000_000.0, "status": "active"})
    g = {"guarantor_name": "杭州信保担保有限公司", "guarantor_kind": "guarantee_agency", "agency_id": "GA1", "mode": "joint"}
    tables["guarantees"] = frame("guarantees", {**g, "guarantee_id": "G1", "loan_id": "L1", "amount": 600_000.0},
                                 {**g, "guarantee_id": "G2", "loan_id": "L6", "amount": 50_000.0},
                                 {**g, "guarantee_id": "G3", "loan_id": "L5", "amount": 80_000.0})
    a = build_marts(Extract(base.source, base.carrier, tables), "2025-10", load_policy(), load_calendar())
    ex = a["agency_exposure"].set_index("agency_id").loc["GA1"]
    # G1 on L1 (active, matures 2026-01-10): enforceable. G2 on L6 (matured 2022-11-20, never
    # claimed: released on 2023-05-20) no longer counts; G3's loan L5 was written off (not active).
    # Earlier: 650,000.
    assert (ex["exposure"], ex["loans"]) == (600_000, 1)


def test_rows_of_a_key_are_the_rows_a_mask_selects_in_order():
    """Marts.rows_of (grouped once per marts, for thousands of case files) gives what a boolean
    mask over the table gives; a value with no rows gives the table's columns and no rows; a
    table replaced in code is grouped again."""
    from postloan.marts.build import Marts
    t = pd.DataFrame({"case_id": ["A", "B", "A", None, "C", "A"], "v": [1, 2, 3, 4, 5, 6]})
    m = Marts("2026-10", {"t": t, "officers": pd.DataFrame(
        {"officer_id": ["E1", "E2", "E1"], "name": ["甲", "乙", "丙"],
         "leave_date": [pd.NaT, pd.Timestamp("2026-03-31"), pd.NaT]})})
    for key in ("A", "B", "C"):
        pd.testing.assert_frame_equal(m.rows_of("t", "case_id", key), t[t["case_id"] == key])
    missing = m.rows_of("t", "case_id", "Z")
    assert len(missing) == 0 and list(missing.columns) == ["case_id", "v"]
    assert m.rows_of("t", "case_id", "A")["v"].tolist() == [1, 3, 6]
    m.tables["t"] = t.assign(v=t["v"] * 10)
    assert m.rows_of("t", "case_id", "A")["v"].tolist() == [10, 30, 60]
    names = m.officer_names()
    assert names["E1"][0] == "甲" and pd.isna(names["E1"][1])          # the first row of an id
    assert names["E2"] == ("乙", pd.Timestamp("2026-03-31"))
    # a writer drops the lookups once a product is written: gone, and built again when asked
    groups = m.rows_by("t", "case_id")
    m.drop_lookups()
    assert not any(k in m.__dict__ for k in ("_rows_by", "_officer_names"))
    assert m.rows_by("t", "case_id") is not groups
    assert m.rows_of("t", "case_id", "A")["v"].tolist() == [10, 30, 60] and m.officer_names()["E1"][0] == "甲"


def test_rows_for_some_keys_are_the_rows_isin_selects_in_the_table_s_order():
    """Extract.rows_for (grouped once per extract, for a rule asked about a few loans thousands of
    times) gives what `isin` gives: the table's order whatever the keys' order, repeated keys
    once, unknown keys nothing, a null key never; a table replaced in code is grouped again."""
    from postloan.validation import Extract
    t = pd.DataFrame({"loan_id": pd.Series(["L2", "L1", None, "L2", "L3", "L1"], dtype="string"),
                      "v": [1, 2, 3, 4, 5, 6]})
    x = Extract("test", "test", {"recoveries": t})
    for keys in (["L1"], ["L3", "L2", "L2"], ["L9"], [], pd.Index(["L1", "L3"])):
        pd.testing.assert_frame_equal(x.rows_for("recoveries", "loan_id", keys), t[t["loan_id"].isin(keys)])
    assert x.rows_for("recoveries", "loan_id", ["L1", None])["v"].tolist() == [2, 6]     # isin would add the null row
    assert x.rows_for("recoveries", "loan_id", ["L3", "L2"])["v"].tolist() == [1, 4, 5]
    x.tables["recoveries"] = t.assign(v=t["v"] * 10)
    assert x.rows_for("recoveries", "loan_id", ["L1"])["v"].tolist() == [20, 60]


def test_a_render_kernel_keeps_the_marts_of_the_product_it_rendered_last(tmp_path, monkeypatch):
    """Between notebooks the run's kernel keeps the marts it used last and forgets the others
    (postloan.run.engine's reset calls keep_latest(1)); a dashboard keeps up to KEEP."""
    from postloan.marts.build import Marts, freeze_marts
    from postloan.present import loading
    from postloan.run.engine import RESET
    assert "keep_latest(1)" in RESET
    monkeypatch.setattr(loading, "_MARTS", loading.OrderedDict())
    for product in ("a", "b", "c"):
        freeze_marts(Marts("2026-10", {"t": pd.DataFrame({"v": [1, 2]})}), tmp_path / "marts" / product)
    run = str(tmp_path)
    first = loading._cached(run, "a")
    assert loading._cached(run, "a") is first                    # loaded once
    loading._cached(run, "b")
    loading.keep_latest(1)
    assert [p for _, p in loading._MARTS] == ["b"]
    assert loading._cached(run, "a") is not first                 # read again when asked again
    monkeypatch.setattr(loading, "KEEP", 2)
    loading._cached(run, "c")
    loading._cached(run, "b")
    assert [p for _, p in loading._MARTS] == ["c", "b"]           # the least recently used goes first
