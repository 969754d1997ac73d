"""Officer scorecards. Hand-computed cases on the tiny bank (tests/tiny_bank.py) for
2025-10, then properties on the sample bank (diligence ordering, Excel = JSON)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
import yaml

from data_connectors import load_extract
from postloan.periods import parse_period
from postloan.paths import parameters_dir
from postloan.policy import load_calendar, load_policy
from postloan.scorecard.build import build_scorecard_marts
from postloan.scorecard.config import load_scorecard_config
from tiny_bank import write_tiny_bank


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_extract(write_tiny_bank(tmp_path_factory.mktemp("tiny")))


def _graded_monthly(cfg):
    """The tiny bank has two months only: grade its month so the grading rules can be checked."""
    return cfg.model_copy(update={"rating": cfg.rating.model_copy(update={"graded_periods": ["month", "quarter", "year"]})})


def _build(extract, period="2025-10", cfg=None, **kw):
    return build_scorecard_marts(extract, parse_period(period), load_policy(), load_calendar(),
                                 _graded_monthly(cfg or load_scorecard_config()), **kw)


@pytest.fixture(scope="module")
def sc(tiny):
    m = _build(tiny)
    t = m["scorecard_totals"].query("period == '2025-10'").set_index("officer_id")
    i = m["scorecard_indicators"].query("period == '2025-10'").set_index(["officer_id", "indicator_id"])
    return m, t, i


def test_every_indicator_of_an_officer_by_hand(sc):
    _, _, i = sc
    e1 = i.loc["E1"]
    # inspection on time: only C1's October window is E1's (C3 went to E5 on 10-16): 1 case < 3
    assert (e1.loc["kpi_inspection_on_time", "cases"], e1.loc["kpi_inspection_on_time", "status"]) == (1, "insufficient")
    # quality: I2 good (80) and I3 excellent (100), both performed by E1 -> 90
    assert e1.loc["kpi_inspection_quality", "value"] == 90 and e1.loc["kpi_inspection_quality", "score"] == 90
    # report: W1 (due 10-09, reported 10-10) and W6 (red, due 10-21, never reported): 0 of 2 -> 0
    assert (e1.loc["kpi_warning_report", "cases"], e1.loc["kpi_warning_report", "value"]) == (2, 0.0)
    assert e1.loc["kpi_warning_report", "score"] == 0
    # handling: W1 (due 10-14, measure 10-12) and W3 (orange from 09-26, due 10-16, measure 10-01): 2 of 2
    assert (e1.loc["kpi_warning_handling", "cases"], e1.loc["kpi_warning_handling", "score"]) == (2, 100)
    # entry: W1, W4, W6 entered within 3 working days
    assert (e1.loc["kpi_warning_entry", "cases"], e1.loc["kpi_warning_entry", "score"]) == (3, 100)
    # archives: L4 contract on time, iou missing: 2 cases < 3
    assert e1.loc["kpi_archives", "status"] == "insufficient" and e1.loc["kpi_archives", "value"] == 0.5
    # meeting actions: MA1 done on time, MA2 open past due: 0.5 on a 0..1 line -> 50
    assert e1.loc["kpi_meeting_actions", "score"] == 50
    # new NPL: opening book L1 1,000,000 + L2 450,000; L1 became NPL: 1,000,000 / 1,450,000, but 2 loans < 5
    assert e1.loc["kpi_new_npl", "value"] == pytest.approx(1_000_000 / 1_450_000)
    assert e1.loc["kpi_new_npl", "status"] == "insufficient"
    # recovery: R2 5,000 + R4 15,000 on L1 against 20,000 x 1 month x 31/31 days -> 1.0 -> 100
    assert e1.loc["kpi_recovery", "value"] == pytest.approx(1.0) and e1.loc["kpi_recovery", "score"] == 100


def test_weighting_deduction_and_veto(sc):
    _, t, i = sc
    e1 = i.loc["E1"]
    # scored: quality 15, report 10, handling 10, recovery 10, entry 5, meeting 5 = 55 -> weights / 55
    assert t.loc["E1", "scored_weight"] == 55
    assert e1.loc["kpi_inspection_quality", "effective_weight"] == pytest.approx(15 / 55)
    assert e1.loc["kpi_new_npl", "effective_weight"] == 0
    # (15*90 + 10*0 + 10*100 + 10*100 + 5*100 + 5*50) / 55 = 4100 / 55
    assert t.loc["E1", "weighted_score"] == pytest.approx(4100 / 55)
    # handing C3 over without a witness costs the outgoing officer 1 point
    assert t.loc["E1", "deductions"] == 1
    assert t.loc["E1", "total_score"] == pytest.approx(73.55)
    # 73.55 is 合格 by the bands, but W6 (red, never reported) caps the grade at 不合格
    assert "红色预警信号未报告" in t.loc["E1", "veto"] and t.loc["E1", "grade"] == "fail"
    # the accountability review of 2025-10 holds E1 directly responsible for L1 and L5, without a serious lapse
    assert t.loc["E1", "cases_veto_accountability_direct"] == 0 and t.loc["E1", "cases_ded_accountability_serious"] == 0


def test_small_samples_are_not_scored_and_an_officer_needs_enough_weight(sc):
    _, t, i = sc
    assert i.loc[("E2", "kpi_warning_report"), "status"] == "insufficient"     # W5 alone: 1 < 2
    assert i.loc[("E2", "kpi_warning_entry"), "score"] == 100                  # W2, W5
    assert t.loc["E2", "scored_weight"] == 5 and not t.loc["E2", "rated"]      # 5% < 40%: not graded
    assert pd.isna(t.loc["E2", "total_score"]) and pd.isna(t.loc["E2", "grade"])


def test_handover_in_mid_period_and_pro_rating(sc):
    m, t, i = sc
    d = m["scorecard_duties"]
    # C3 moved from E1 to E5 on 10-16: duties due after go to E5, before stay with E1
    first_l4 = d[(d["duty"] == "inspection") & (d["loan_id"] == "L4")]
    assert first_l4["officer_id"].tolist() == ["E5"] and first_l4["ok"].tolist() == [1.0]
    routine_c3 = d[(d["duty"] == "inspection") & (d["customer_id"] == "C3") & d["loan_id"].isna()]
    assert routine_c3["officer_id"].tolist() == ["E5"] and routine_c3["ok"].tolist() == [0.0]
    assert set(d.loc[d["duty"] == "archive", "officer_id"]) == {"E1"}           # due 10-10, before the handover
    # E5 joined on 10-16: 16 of 31 days; the recovery target is pro-rated
    assert (t.loc["E5", "present_days"], t.loc["E5", "period_days"]) == (16, 31)
    assert i.loc[("E5", "kpi_recovery"), "target_amount"] == pytest.approx(20_000 * 16 / 31)
    assert i.loc[("E5", "kpi_recovery"), "score"] == 0                         # L6 in the book, nothing recovered


def test_officer_with_no_book(sc):
    m, t, i = sc
    assert t.loc["E4", "book_type"] == "none" and t.loc["E4", "present_days"] == 31
    assert (i.loc["E4"]["status"] == "insufficient").all() and not t.loc["E4", "rated"]
    assert "E4" not in set(m["scorecard_duties"]["officer_id"])


def _cfg(tmp_path, edit):
    data = yaml.safe_load((parameters_dir() / "scorecard_policy.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "scorecard_policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_scorecard_config(path)


def test_a_month_is_monitored_not_graded_by_default(tiny):
    m = build_scorecard_marts(tiny, parse_period("2025-10"), load_policy(), load_calendar(), load_scorecard_config())
    t = m["scorecard_totals"].query("period == '2025-10'").set_index("officer_id")
    # E1 still has a score (73.55) but neither a grade nor a rank; earlier a month was graded and ranked
    assert t.loc["E1", "total_score"] == pytest.approx(73.55)
    assert pd.isna(t.loc["E1", "grade"]) and t.loc["E1", "grade_name"] == "过程监测" and pd.isna(t.loc["E1", "rank_branch"])
    assert not t["rated"].any()


def test_new_npl_bands_scale_with_the_period_and_recovery_targets_come_from_the_table(tiny):
    cfg = load_scorecard_config()
    npl = next(i for i in cfg.indicators if i.id == "kpi_new_npl")
    # 1 % / 5 % a year: a month is scored against 1/12 of each, a quarter against 1/4
    assert npl.bands_for(1) == pytest.approx((0.01 / 12, 0.05 / 12))
    assert npl.bands_for(3) == pytest.approx((0.0025, 0.0125))
    m = _build(tiny, recovery_targets={"E1": 40000})
    i = m["scorecard_indicators"].query("period == '2025-10'").set_index(["officer_id", "indicator_id"])
    # R2 5,000 + R4 15,000 against E1's own 40,000 a month (the flat default is 20,000)
    assert i.loc[("E1", "kpi_recovery"), "target_amount"] == 40000
    assert i.loc[("E1", "kpi_recovery"), "value"] == pytest.approx(0.5)
    assert i.loc[("E5", "kpi_recovery"), "target_amount"] == pytest.approx(20_000 * 16 / 31)
    assert i.loc[("E1", "kpi_new_npl"), "unit"] == "ratio" and i.loc[("E1", "kpi_inspection_quality"), "unit"] == "points"


def test_changing_a_weight_or_a_grade_band_in_parameters_changes_the_result(tiny, tmp_path):
    def no_veto(d):
        d["vetoes"] = []
    base = _build(tiny, cfg=_cfg(tmp_path, no_veto))["scorecard_totals"].query("period == '2025-10'").set_index("officer_id")
    assert base.loc["E1", "grade"] == "pass"                                   # 73.55 without the veto

    def heavier_recovery(d):
        no_veto(d)
        next(x for x in d["indicators"] if x["id"] == "kpi_recovery")["weight"] = 30
    t = _build(tiny, cfg=_cfg(tmp_path, heavier_recovery))["scorecard_totals"].query("period == '2025-10'").set_index("officer_id")
    # (1350 + 0 + 1000 + 30*100 + 500 + 250) / 75 - 1
    assert t.loc["E1", "total_score"] == pytest.approx(6100 / 75 - 1, abs=0.005) and t.loc["E1", "grade"] == "good"

    def stricter_band(d):
        no_veto(d)
        next(g for g in d["grades"] if g["id"] == "pass")["min"] = 75
    t = _build(tiny, cfg=_cfg(tmp_path, stricter_band))["scorecard_totals"].query("period == '2025-10'").set_index("officer_id")
    assert t.loc["E1", "total_score"] == pytest.approx(73.55) and t.loc["E1", "grade"] == "fail"


def test_unknown_key_in_the_scorecard_policy_is_named(tmp_path):
    from postloan.policy import ParameterError

    def bad(d):
        d["indicators"][0]["wieght"] = 5
    with pytest.raises(ParameterError, match=r"indicators\.0\.wieght"):
        _cfg(tmp_path, bad)


def test_diligent_officers_score_higher_than_negligent_ones(sample_duckdb):
    """Spearman >= 0.8 between the generator's hidden diligence and the total score of
    2025 over officers graded on at least five indicators (the scoring never reads it)."""
    extract = load_extract(sample_duckdb)
    m = _build(extract, "2025")
    t = m["scorecard_totals"].query("period == '2025' and rated")
    ind = m["scorecard_indicators"].query("period == '2025' and status == 'scored'")
    enough = ind.groupby("officer_id").size()
    t = t[t["officer_id"].map(enough).fillna(0) >= 5]
    traits = duckdb.connect(str(sample_duckdb), read_only=True).execute(
        "SELECT officer_id, diligence FROM sample_officer_traits").fetchdf()
    x = t.merge(traits, on="officer_id")
    assert len(x) >= 20
    rho = x["total_score"].rank().corr(x["diligence"].rank())
    assert rho >= 0.8, rho


@pytest.fixture(scope="module")
def scorecard_run(tmp_path_factory, sample_duckdb):
    from postloan.cli import main
    out = tmp_path_factory.mktemp("sc_out")
    assert main(["run", "--source", str(sample_duckdb), "--out", str(out), "--products", "scorecards",
                 "--period", "2026-Q3", "--scopes", "all,B100"]) == 0
    return next(out.glob("2026-Q3/run-*"))


def test_excel_for_hr_matches_the_figures_json(scorecard_run):
    for scope in ("all", "B100"):
        figures = json.loads((scorecard_run / "scorecards" / f"{scope}.json").read_text(encoding="utf-8"))
        wb = openpyxl.load_workbook(scorecard_run / "scorecards" / f"{scope}.xlsx", read_only=True)
        ws = wb["考核结果"]
        rows = list(ws.iter_rows(values_only=True))
        header, data = rows[0], rows[1:]
        assert "工号" in header and "总分" in header and "检查按时完成率-得分" in header and "等级" in header
        assert len(data) == len(figures["officers"]) > 0
        by_id = {r[header.index("工号")]: r for r in data}
        for o in figures["officers"]:
            total = by_id[o["officer_id"]][header.index("总分")]
            assert (total is None and o["total_score"] is None) or total == pytest.approx(o["total_score"])
        assert {"明细", "指标说明"} <= set(wb.sheetnames)
    all_ids = {o["officer_id"] for o in json.loads((scorecard_run / "scorecards" / "all.json").read_text())["officers"]}
    b100 = {o["officer_id"] for o in json.loads((scorecard_run / "scorecards" / "B100.json").read_text())["officers"]}
    assert b100 < all_ids


def test_each_officer_s_page_is_written_once_and_bound_into_each_scope_s_book(scorecard_run):
    """One HTML page per officer in scorecards/officers/, whatever scopes hold the officer; each
    scope's <scope>_pages.pdf holds a bookmarked page (or more) for each of its officers; the
    scope's workbook holds the ranking, one notebook per scope."""
    import re

    from test_books import _bookmarks                  # read without the code under test
    folder = scorecard_run / "scorecards"
    everyone = {o["officer_id"] for o in json.loads((folder / "all.json").read_text(encoding="utf-8"))["officers"]}
    assert {p.stem for p in (folder / "officers").glob("*.html")} == everyone
    assert not list((folder / "officers").glob("*.pdf"))                # no PDF per officer: the books
    for p in (folder / "officers").glob("*.html"):
        assert f"（{p.stem}）" in p.read_text(encoding="utf-8")
    for scope in ("all", "B100"):
        officers = [o["officer_id"] for o in json.loads((folder / f"{scope}.json").read_text(encoding="utf-8"))["officers"]]
        marks = _bookmarks(folder / f"{scope}_pages.pdf")
        ids = [re.search(r"（(E\d+)）", title).group(1) for title, _ in marks]
        assert sorted(ids) == sorted(officers)                          # every officer once
        starts = [page for _, page in marks]
        assert starts == sorted(set(starts)) and starts[0] == 0          # each on pages of its own
        ranking = (folder / f"{scope}.html").read_text(encoding="utf-8")
        assert "排名表" in ranking and f"{scope}_pages.pdf" in ranking
        assert ranking.count('class="pl-page"') == 0                     # no officer page in the ranking
    assert sorted(p.name for p in folder.glob("*.ipynb")) == ["B100.ipynb", "all.ipynb"]
    if shutil.which("pdfinfo"):
        import subprocess
        info = subprocess.run(["pdfinfo", str(folder / "B100_pages.pdf")], capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
        assert pages >= len(_bookmarks(folder / "B100_pages.pdf"))


def test_a_parameter_file_may_not_set_what_the_run_fills_nor_an_unknown_key(tmp_path):
    from postloan.products import PRODUCTS
    from postloan.run.params import load_workbook_parameters
    from postloan.policy import ParameterError
    nb = Path(__file__).resolve().parents[1] / "workbooks" / "scorecards.ipynb"
    p = tmp_path / "scorecards.yaml"
    p.write_text("workbook: scorecards\nparameters:\n  scope: B100\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="reserved_key"):
        load_workbook_parameters(PRODUCTS["scorecards"], nb, p)
    p.write_text("workbook: scorecards\nparameters:\n  officers_per_part: 300\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown_key.*officers_per_part"):
        load_workbook_parameters(PRODUCTS["scorecards"], nb, p)
    p.write_text("workbook: scorecards\nparameters:\n  top_n: 0\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="top_n"):
        load_workbook_parameters(PRODUCTS["scorecards"], nb, p)


def test_forced_distribution_caps_the_share_of_a_grade(sample_duckdb, tmp_path):
    def forced(d):
        d["vetoes"] = []
        d["forced_distribution"] = {"enabled": True, "max_share": {"good": 0.05}}

    def free_cfg(d):
        d["vetoes"] = []
    extract = load_extract(sample_duckdb)
    free = _build(extract, "2025", _cfg(tmp_path, free_cfg))["scorecard_totals"].query("period == '2025' and rated")
    capped = _build(extract, "2025", _cfg(tmp_path, forced))["scorecard_totals"].query("period == '2025' and rated")
    assert (free["grade"] == "good").sum() > int(0.05 * len(free))          # the cap has work to do
    for role, g in capped.groupby("role"):
        assert (g["grade"] == "good").sum() <= int(0.05 * len(g))
    moved = capped.set_index("officer_id")["grade"] != free.set_index("officer_id")["grade"]
    assert set(free.set_index("officer_id").loc[moved[moved].index, "grade"]) == {"good"}
    assert set(capped.set_index("officer_id").loc[moved[moved].index, "grade"]) == {"pass"}


def test_serious_lapses_found_by_the_accountability_review_are_deducted(tmp_path):
    from case_bank import write_case_bank
    extract = load_extract(write_case_bank(tmp_path / "cases"))
    t = _build(extract)["scorecard_totals"].query("period == '2025-10'").set_index("officer_id")
    # L10: E10 paid 15,000,000 by self payment (serious lapse, direct, not exempt): -5 points and a veto
    assert t.loc["E10", "cases_ded_accountability_serious"] == 1
    assert t.loc["E10", "deductions"] == 5 and t.loc["E10", "cases_veto_accountability_direct"] == 1
    # E6 did everything on L7; on L9 E6 is directly responsible but for a major lapse only: no veto
    assert t.loc["E6", "cases_ded_accountability_serious"] == 0 and t.loc["E6", "cases_veto_accountability_direct"] == 0


def test_a_loan_written_off_within_the_period_counts_as_new_npl(tiny):
    from postloan.validation import Extract
    tables = {k: v.copy() for k, v in tiny.tables.items()}
    lm = tables["loan_month"]
    row = (lm["month"] == "2025-10") & (lm["loan_id"] == "L2")       # special_mention at 2025-09
    lm.loc[row, ["balance", "status"]] = [0.0, "written_off"]
    m = _build(Extract(tiny.source, tiny.carrier, tables))
    i = m["scorecard_indicators"].query("period == '2025-10'").set_index(["officer_id", "indicator_id"])
    # L1 (1,000,000) became NPL and L2 (450,000) was written off: all of E1's opening 1,450,000;
    # earlier only loans NPL at the month-end counted (1,000,000 / 1,450,000)
    assert i.loc[("E1", "kpi_new_npl"), "value"] == pytest.approx(1.0)


def test_rows_are_ordered_as_sort_values_orders_them():
    """The officer pages and case files order a group's rows without a frame per group
    (`frame_rows.sort_order`): the same rows, in the same order, as pandas' `sort_values` of the
    group's rows, dates ascending and amounts descending — ties among many rows (numpy's
    quicksort is not stable beyond 16: a stable sort fails this) and missing keys last."""
    import numpy as np
    from postloan.frame_rows import sort_order
    rng = np.random.default_rng(7)
    n = 400
    frame = pd.DataFrame({
        "officer_id": rng.choice(["E1", "E2", "E3"], n),
        "due_date": pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 6, n), unit="D"),
        "pv": rng.integers(0, 5, n).astype(float),
        "row": np.arange(n)})
    frame.loc[rng.choice(n, 40, replace=False), "due_date"] = pd.NaT
    frame.loc[rng.choice(n, 30, replace=False), "pv"] = np.nan
    rows = frame["row"].to_numpy()
    for key, ascending in (("due_date", True), ("pv", False)):
        keys = frame[key].to_numpy()
        for officer, at in frame.groupby("officer_id", sort=False).indices.items():
            expected = frame[frame["officer_id"] == officer].sort_values(key, ascending=ascending)["row"].tolist()
            assert rows[sort_order(at, keys, ascending)].tolist() == expected, (key, officer)


def test_a_table_with_extra_columns_is_the_table_of_the_assigned_frame():
    from postloan.present.tables import table
    frame = pd.DataFrame({"id": ["L1", "L2", "L3"], "state": ["a", None, "b"], "amount": [1.0, None, 3e6]})
    labels = ["可行", None, "<不可行>"]
    columns = [("id", "借据号", None), ("ok", "可行", None), ("amount", "金额", "money")]
    for top_n in (None, 2):
        assert table(frame, columns, top_n, extra={"ok": labels}) == table(frame.assign(ok=labels), columns, top_n)
