"""The pack's decision pages (要点, NPL movement, targets, comparisons, branches, exposures,
provisions), checked against figures worked out by hand on a small bank, against plain
queries of the sample bank, and the identity of the NPL movement on every published scope."""
from __future__ import annotations

import json
import subprocess

import duckdb
import pandas as pd
import pytest

from data_connectors import load_extract
from postloan.marts import exposures
from postloan.marts.build import build_marts, figures_for_scope
from postloan.marts.highlights import highlights
from postloan.policy import load_calendar, load_policy
from postloan.targets import load_targets
from tiny_bank import write_rows

# Five more loans at P = 2025-09 → M = 2025-10: L7 NPL upgraded, L8 NPL settled, L9 NPL
# transferred, L10 NPL paid down by 5,000, L11 new in October and NPL at once.
MORE = {
    "loans": [
        "L7,C1,working_capital,60000,2024-01-10,2025-01-10,,0.05,credit,self,经营周转,false,",
        "L8,C1,working_capital,40000,2024-01-10,2025-01-10,,0.05,credit,self,经营周转,false,",
        "L9,C2,personal_business,30000,2024-01-10,2025-01-10,,0.05,credit,self,经营周转,false,",
        "L10,C2,personal_business,25000,2024-01-10,2025-01-10,,0.05,credit,self,经营周转,false,",
        "L11,C2,personal_business,10000,2025-10-02,2026-10-02,,0.05,credit,self,经营周转,false,"],
    "loan_month": [
        "2025-09,L7,60000,60000,500,400,doubtful,active,", "2025-10,L7,55000,0,0,0,normal,active,",
        "2025-09,L8,40000,40000,0,200,substandard,active,", "2025-10,L8,0,0,0,0,substandard,settled,",
        "2025-09,L9,30000,30000,0,300,doubtful,active,", "2025-10,L9,0,0,0,331,doubtful,transferred,",
        "2025-09,L10,25000,25000,0,100,substandard,active,", "2025-10,L10,20000,20000,0,131,substandard,active,",
        "2025-10,L11,10000,10000,0,0,substandard,active,"],
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    return load_extract(write_rows(tmp_path_factory.mktemp("movement"), MORE))


@pytest.fixture(scope="module")
def marts(bank):
    return build_marts(bank, "2025-10", load_policy(), load_calendar())


def test_npl_movement_by_hand(marts):
    f = figures_for_scope(marts, "all")
    # opening: L5 80,000 + L6 50,000 + L7 60,000 + L8 40,000 + L9 30,000 + L10 25,000
    assert f["npl_opening"] == 285_000
    assert f["npl_new"] == 1_000_000 + 10_000                    # L1 turned substandard; L11 not on the book at P
    assert f["npl_upgraded"] == 60_000 and f["npl_settled"] == 40_000
    assert f["npl_written_off"] == 80_000 and f["npl_transferred"] == 30_000
    assert f["npl_paid_down"] == 5_000                            # L10 25,000 → 20,000; L6 unchanged
    assert f["npl_closing"] == 1_000_000 + 50_000 + 20_000 + 10_000 == f["npl_balance"]
    b = figures_for_scope(marts, "B100")                          # C1 and C3: L1, L2, L4–L8
    assert (b["npl_opening"], b["npl_new"], b["npl_upgraded"], b["npl_settled"], b["npl_written_off"],
            b["npl_transferred"], b["npl_paid_down"], b["npl_closing"]) == \
        (230_000, 1_000_000, 60_000, 40_000, 80_000, 0, 0, 1_050_000)
    # the ratio's change: (closing − opening) at the opening book, and the book's change
    total_p = 1_000_000 + 450_000 + 300_000 + 80_000 + 50_000 + 60_000 + 40_000 + 30_000 + 25_000
    total_m = 1_000_000 + 440_000 + 299_000 + 200_000 + 50_000 + 55_000 + 20_000 + 10_000
    assert f["npl_ratio_change"] == pytest.approx(1_080_000 / total_m - 285_000 / total_p)
    assert f["npl_ratio_change_npl"] == pytest.approx((1_080_000 - 285_000) / total_p)
    assert f["npl_ratio_change_book"] == pytest.approx(1_080_000 / total_m - 1_080_000 / total_p)


def test_provisions_top_customers_and_concentration_by_hand(marts):
    f = figures_for_scope(marts, "all")
    total_m, npl = 2_074_000, 1_080_000
    assert f["provision_total"] == 350_000                       # L1 300,000 + L6 50,000
    assert f["loan_provision_ratio"] == pytest.approx(350_000 / total_m)
    # fixture policy: coverage 150 % of NPL (1,620,000) and 2.5 % of loans (51,850): the higher
    assert f["provision_required"] == pytest.approx(1.5 * npl) and f["provision_gap"] == pytest.approx(1.5 * npl - 350_000)
    snap = marts["loan_snapshot"]
    top = exposures.top_customers(snap, marts["warning_lifecycle"], 2)
    assert list(top["customer_id"]) == ["C1", "C2"]
    assert list(top["balance"]) == [1_000_000 + 440_000 + 55_000, 299_000 + 20_000 + 10_000]
    assert list(top["worst_class"]) == ["substandard", "substandard"]
    assert exposures.concentration(snap, 2) == pytest.approx((1_495_000 + 329_000) / total_m)
    assert f["top_customers_share"] == pytest.approx(1.0)         # three customers, top 10
    big = exposures.large_new_npl_and_special_mention(snap, 100_000)
    assert list(big["loan_id"]) == ["L1"]                         # L11 is new NPL but 10,000


def test_targets_gap_and_pace_by_hand(bank, tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("version: 1\ntargets:\n"
                    "  - {year: 2025, scope: all, npl_ratio_max: 0.4, cash_recovery: 240000,\n"
                    "     disposal_plan: {write_off: 60000}}\n"
                    "  - {year: 2024, scope: all, npl_ratio_max: 0.01}\n", encoding="utf-8")
    m = build_marts(bank, "2025-10", load_policy(), load_calendar(), targets=load_targets(path))
    rows = {r["key"]: r for r in figures_for_scope(m, "all")["targets"]}
    assert set(rows) == {"npl_ratio_max", "cash_recovery", "plan_write_off"}     # 2024's is not this year's
    ratio = 1_080_000 / 2_074_000
    assert rows["npl_ratio_max"]["gap"] == pytest.approx(ratio - 0.4) and rows["npl_ratio_max"]["missed"]
    # cash (cash, guarantor payment, collateral sale) this year: 5,000 + 15,000 + 2,000; pace 10/12 of 240,000
    assert rows["cash_recovery"]["actual"] == 22_000 and rows["cash_recovery"]["pace"] == pytest.approx(200_000)
    assert rows["cash_recovery"]["gap"] == pytest.approx(-178_000) and rows["cash_recovery"]["missed"]
    assert rows["plan_write_off"]["actual"] == 80_000 and not rows["plan_write_off"]["missed"]
    assert "targets" not in figures_for_scope(m, "B100")           # no target for the branch: not shown


def test_a_bad_targets_file_is_refused(tmp_path):
    from postloan.policy import ParameterError
    path = tmp_path / "targets.yaml"
    path.write_text("version: 1\ntargets:\n  - {year: 2025, scope: all, npl_ratio_max: 2}\n"
                    "  - {year: 2025, scope: all, disposal_plan: {bribe: 1}}\n", encoding="utf-8")
    with pytest.raises(ParameterError) as e:
        load_targets(path)
    assert "npl_ratio_max" in str(e.value) and "bribe" in str(e.value)


def _hl_settings(**kw):
    return pd.Series({"max_items": 8, "deadline_days": 30, "largest_new_npl": 2, **kw})


def test_each_rule_of_the_highlights():
    end = pd.Timestamp("2025-10-31")
    quiet = {"npl_ratio": 0.01, "npl_ratio_change": -0.001, "meeting_actions_overdue": 0, "floor_breach_count": 0,
             "upgrade_breach_count": 0, "provision_gap": 0.0, "warnings_reported_late": 0}
    snap = pd.DataFrame({"active": [True, True, True, True], "classification": ["doubtful", "substandard", "loss", "normal"],
                         "class_p": ["normal", "special_mention", "loss", "normal"], "balance": [300.0, 500.0, 900.0, 50.0],
                         "customer_name": ["甲", "乙", "丙", "丁"]})
    dl = pd.DataFrame({"deadline": pd.to_datetime(["2025-11-20", "2025-12-15", "2025-10-30"]),
                       "customer_name": ["甲", "乙", "丙"], "kind_label": ["诉讼时效", "保证期间", "诉讼时效"]})
    none = highlights(quiet, snap.iloc[2:], dl.iloc[1:], end, _hl_settings())
    assert none == []                                  # no rule fires: nothing on the page
    loud = {**quiet, "npl_ratio": 0.02, "npl_ratio_change": 0.004, "npl_ratio_change_npl": 0.005,
            "npl_ratio_change_book": -0.001, "meeting_actions_overdue": 3, "floor_breach_count": 2,
            "floor_breach_balance": 20000.0, "upgrade_breach_count": 1, "upgrade_breach_balance": 10000.0,
            "provision_gap": 5e4, "provision_total": 1e5, "provision_required": 1.5e5, "warnings_reported_late": 4,
            "targets": [{"key": "npl_ratio_max", "actual": 0.02, "target": 0.015, "gap": 0.005, "pace": None, "missed": True},
                        {"key": "cash_recovery", "actual": 1e5, "target": 6e5, "pace": 5e5, "gap": -4e5, "missed": True},
                        {"key": "npl_balance_max", "actual": 1.0, "target": 2.0, "gap": -1.0, "pace": None, "missed": False}]}
    items = highlights(loud, snap, dl, end, _hl_settings())
    rules = [h["rule"] for h in items]
    assert rules == ["target_missed", "target_missed", "npl_ratio_up", "overdue_resolutions", "floor_breach",
                     "upgrade_breach", "provision_gap", "deadlines_soon", "largest_new_npl", "warnings_late"][:8]
    text = {h["rule"]: h["sentence"] for h in highlights(loud, snap, dl, end, _hl_settings(max_items=12))}
    assert items[0]["sentence"] == "不良率 2.00%，超过目标上限 1.50%，高出 0.50 个百分点。"
    assert "落后 40.00 万元" in items[1]["sentence"]
    assert "上升 0.40 个百分点" in text["npl_ratio_up"]
    assert "逾期未完成 3 项" in text["overdue_resolutions"] and "超时限 4 个" in text["warnings_late"]
    # within 30 days and not yet passed: 甲's (20 Nov) only; 乙's is 45 days out, 丙's has passed
    assert "法律期限 1 项" in text["deadlines_soon"] and "甲" in text["deadlines_soon"]
    # new NPL this month: 甲 (from normal) and 乙 (from special mention), largest first; 丙 was NPL before
    assert "新增不良 2 笔、0.08 万元" in text["largest_new_npl"] and text["largest_new_npl"].index("乙") < text["largest_new_npl"].index("甲")
    assert "缺口 5.00 万元" in text["provision_gap"]
    assert len(highlights(loud, snap, dl, end, _hl_settings(max_items=3))) == 3


def test_every_published_scope_satisfies_the_movement_identity_and_the_branch_rows(published_run):
    figures = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (published_run / "meeting_pack").glob("*.json")}
    assert len(figures) > 1
    for scope, f in figures.items():
        identity = (f["npl_opening"] + f["npl_new"] - f["npl_upgraded"] - f["npl_settled"] - f["npl_written_off"]
                    - f["npl_transferred"] - f["npl_paid_down"])
        assert identity == pytest.approx(f["npl_closing"], abs=0.01), scope
        assert f["npl_closing"] == pytest.approx(f["npl_balance"], abs=0.01)
    rows = {r["branch_id"]: r for r in figures["all"]["branches"]}
    assert set(rows) == set(figures) - {"all"}
    for b, r in rows.items():                         # the bank-wide table says what each branch's pack says
        for key in ("total_balance", "npl_ratio", "npl_new", "special_mention_ratio", "overdue_balance",
                    "warnings_reported_late"):
            assert r[key] == pytest.approx(figures[b][key]), (b, key)


def test_year_on_year_and_year_start_equal_plain_queries(published_run, sample_duckdb):
    f = json.loads((published_run / "meeting_pack" / "all.json").read_text(encoding="utf-8"))
    month = pd.Period(f["month"], "M")
    con = duckdb.connect(str(sample_duckdb), read_only=True)

    def at(m):
        total, npl = con.execute(
            "SELECT sum(balance), sum(CASE WHEN classification IN ('substandard','doubtful','loss') THEN balance ELSE 0 END) "
            "FROM loan_month WHERE month = ? AND status = 'active'", [str(m)]).fetchone()
        return float(total), float(npl)
    c = f["comparisons"]
    for ref, m in (("last_year", month - 12), ("year_start", pd.Period(f"{month.year - 1}-12", "M")),
                   ("prev_month", month - 1)):
        total, npl = at(m)
        assert c["total_balance"][ref] == pytest.approx(total, abs=0.01)
        assert c["npl_balance"][ref] == pytest.approx(npl, abs=0.01)
        assert c["npl_ratio"][ref] == pytest.approx(npl / total)


def test_the_pack_opens_with_the_highlights(published_run):
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(published_run / "meeting_pack" / "all.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "要点" in text and "截至本月末，以往例会决议" not in text     # section 一 starts on page 2
    f = json.loads((published_run / "meeting_pack" / "all.json").read_text(encoding="utf-8"))
    flat = "".join(text.split())
    assert f["highlights"] and "".join(f["highlights"][0]["sentence"].split())[:10] in flat


def test_the_example_targets_file_validates():
    from pathlib import Path
    t = load_targets(Path(__file__).resolve().parents[1] / "parameters" / "targets.example.yaml")
    assert {x.scope for x in t.targets} >= {"all"}


def test_the_full_lists_are_published_as_an_excel_appendix_per_scope(published_run, sample_duckdb):
    import openpyxl
    folder = published_run / "meeting_pack"
    scopes = [p.stem for p in folder.glob("*.json")]
    for scope in scopes:
        assert (folder / f"{scope}_明细表.xlsx").is_file(), scope
    wb = openpyxl.load_workbook(folder / "all_明细表.xlsx", read_only=True)
    assert "档案缺失与逾期" in wb.sheetnames and "未解除预警" in wb.sheetnames
    # every archive defect of the bank, not the page's first 15
    con = duckdb.connect(str(sample_duckdb), read_only=True)
    f = json.loads((folder / "all.json").read_text(encoding="utf-8"))
    end = pd.Period(f["month"], "M").end_time.normalize()
    n = con.execute("SELECT count(*) FROM archives WHERE (received_date IS NULL AND due_date <= ?) "
                    "OR received_date > due_date", [end.date()]).fetchone()[0]
    rows = wb["档案缺失与逾期"].max_row - 1
    assert rows == n > 15
