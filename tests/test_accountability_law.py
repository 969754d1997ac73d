"""The accountability review by 金规〔2024〕11号 and the default cut-off: hand-built cases of
tests/law_bank.py (period 2025-10). Each test says what the earlier rules gave."""
from __future__ import annotations

import pandas as pd
import pytest

from data_connectors import load_extract
from law_bank import write_law_bank
from postloan.accountability.build import build_accountability_marts
from postloan.periods import parse_period
from postloan.policy import load_calendar, load_policy


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    extract = load_extract(write_law_bank(tmp_path_factory.mktemp("law")))
    return build_accountability_marts(extract, parse_period("2025-10"), load_policy(), load_calendar())


def _case(m, loan):
    return m["accountability_cases"].set_index("loan_id").loc[loan]


def _lapses(m, loan):
    lp = m["accountability_lapses"]
    return lp[lp["case_id"] == _case(m, loan)["case_id"]]


def _det(m, loan):
    d = m["accountability_determinations"]
    return d[d["case_id"] == _case(m, loan)["case_id"]].set_index("officer_id")


def test_a_sanction_does_not_grow_with_the_months_in_collection(review):
    c = _case(review, "L12")
    # dpd 96 at 2024-12-31: first above 90 on 2024-12-26, before the December NPL month-end
    assert c["default_date"] == pd.Timestamp("2024-12-26")
    lp = _lapses(review, "L12")
    missed = lp[lp["duty"] == "routine_inspection"]
    assert len(missed) == 11 and not missed["counted"].any() and (missed["points"] == 0).all()
    assert missed["status_cn"].str.contains("违约后").all()
    d = _det(review, "L12").loc["E13"]
    # earlier rules: 11 missed windows x 3 points = 33 -> 记大过; now none of them weighs
    assert (d["points"], d["degree"], d["exoneration"], d["sanction"]) == (0, "none", "exempt", "none")


def test_a_lost_right_opens_a_case_with_the_officer_responsible_when_it_passed(review):
    c = _case(review, "L14")
    # matured 2022-10-15, an unanswered call (no evidence) does not interrupt: lost on 2025-10-15
    assert (c["reasons"], c["case_date"]) == ("right_lost", pd.Timestamp("2025-10-15"))
    lim = _lapses(review, "L14").set_index("duty").loc["limitation"]
    assert (lim["officer_id"], lim["severity"], bool(lim["counted"])) == ("E15", "serious", True)
    assert lim["due_date"] == pd.Timestamp("2025-10-15")        # after the default, and still counted
    assert _det(review, "L14").loc["E15", "degree"] == "direct"


def test_a_departed_officer_is_marked_with_the_leave_date(review):
    from postloan.present.accountability import case_page_html
    d = _det(review, "L13").loc["E14"]
    assert d["officer_left_date"] == pd.Timestamp("2025-08-31") and "2025-08-31 离职" in d["reason"]
    page = case_page_html(review, _case(review, "L13")["case_id"])
    assert "何平（E14）（已于 2025-08-31 离职）" in page


def test_every_degree_is_reachable(review):
    d = _det(review, "L15")
    # 冯涛 6 of the officers' 7 points, no serious lapse -> 主要; 曹阳 1 point -> 次要
    assert (d.loc["E16", "degree"], d.loc["E17", "degree"]) == ("primary", "secondary")
    # 领导责任: the sub-branch head and the branch head in office when the lapses happened (E18, since
    # left); her successor E19 took office after every lapse. Earlier: only the sub-branch, never assigned.
    lead = set(d.index[d["degree"] == "leadership"])
    assert lead == {"E11", "E18"}
    assert "离职" in d.loc["E18", "reason"]
    assert _det(review, "L7").loc["E6", "degree"] == "none"
    direct = review["accountability_determinations"]
    assert (direct["degree"] == "direct").any()


def test_exoneration_follows_the_2024_rules_and_the_inclusive_scope_changes_it(review):
    small, large = _det(review, "L16").loc["E20"], _det(review, "L17").loc["E21"]
    # the same record: one warning reported 8 days late (a general lapse), 8 of 9 duties on time
    assert (small["worst"], large["worst"]) == ("major", "major")
    assert small["performed_share"] == pytest.approx(8 / 9) and large["performed_share"] == pytest.approx(8 / 9)
    assert small["exoneration"] == "reducible"         # 普惠: basically performed -> 可减责免责
    assert large["exoneration"] == "not_exempt"        # outside the scope: the bank's general rule
    # minor lapses only: 应免责 inside the scope (L8), 可减责免责 outside it (曹阳 on L15)
    assert _det(review, "L15").loc["E17", "exoneration"] == "reducible"
    # not basically performed (1 of 3 duties on time) -> 不得免责
    assert _det(review, "L15").loc["E16", "exoneration"] == "not_exempt"


def test_credit_and_recoveries_are_taken_at_the_case(review):
    c = _case(review, "L16")
    # C13's 20,000,000 loan was settled in 2020: its credit at the case date is L16 alone
    assert c["customer_credit"] == 800000 and bool(c["inclusive_scope"])
    c = _case(review, "L17")
    # guarantor payment 100,000 + foreclosure 200,000 + transfer 10,000 + cash 50,000
    assert c["recovered"] == 360000 and c["loss"] == 19640000 - 360000
