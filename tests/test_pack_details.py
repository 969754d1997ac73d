"""The detail tables of the pack's sections, by hand on small frames and against plain
queries of the sample bank."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from postloan.marts import collection, disposal, inspections, warnings
from postloan.policy import load_policy

D = pd.Timestamp


def test_inspections_by_kind_with_the_on_site_share():
    done = pd.DataFrame({"inspection_id": ["I1", "I2", "I3", "I4", "I5"],
                         "kind": ["routine", "routine", "routine", "supervisory", "first"],
                         "on_site": [True, False, True, True, None]})
    t = inspections.inspections_by_kind(done).set_index("kind")
    assert t.loc["routine", "done"] == 3 and t.loc["routine", "on_site"] == 2
    assert t.loc["routine", "on_site_share"] == pytest.approx(2 / 3)
    assert t.loc["supervisory", "on_site_share"] == 1.0 and t.loc["first", "on_site"] == 0


def test_warnings_by_source_age_and_release_reason():
    end, start = D("2025-10-31"), D("2025-10-01")
    w = pd.DataFrame({"warning_id": ["W1", "W2", "W3", "W4", "W5"],
                      "source": ["system", "system", "officer", "system", "inspection"],
                      "level": ["red", "yellow", "yellow", "orange", "red"],
                      "identified_date": [D("2025-10-20"), D("2025-08-01"), D("2025-03-01"), D("2025-09-01"), D("2025-06-01")],
                      "open_at_end": [True, True, True, False, False],
                      "released_date": [pd.NaT, pd.NaT, pd.NaT, D("2025-10-11"), D("2025-09-30")],
                      "release_reason": [None, None, None, "经营恢复正常", "经核实信号不实"]})
    src = warnings.open_by_source(w).set_index("source")
    assert src.loc["system", "red"] == 1 and src.loc["system", "yellow"] == 1 and src.loc["system", "total"] == 2
    assert "inspection" not in src.index                          # released: not open
    age = warnings.open_by_age(w, end).set_index("band")["n"]
    # W1 11 days, W2 91 days, W3 244 days
    assert (age["30 天以内"], age["31–90 天"], age["91–180 天"], age["180 天以上"]) == (1, 0, 1, 1)
    rel = warnings.release_reasons(w, start, end)
    assert list(rel["release_reason"]) == ["经营恢复正常"] and rel["days"].iat[0] == 40   # W5 was released in September


def test_first_collection_action_on_time_late_or_pending():
    end = D("2025-10-31")
    pol = load_policy()                         # collection.start.days of the fixture policy
    days = pol.collection.start.days
    assert days >= 1
    snap = pd.DataFrame({"loan_id": ["A", "B", "C", "D"], "active": True, "dpd": [20, 20, 1, 40], "dpd_p": [0, 0, 0, 10],
                         "customer_name": "x", "balance": 1.0, "officer_id": "E1",
                         "operating_branch_id": "B1", "managing_branch_id": "B1"})
    start = end - pd.Timedelta(days=19)         # A and B fell overdue on 12 October
    acts = pd.DataFrame({"loan_id": ["A", "B", "B"], "action_time": [start + pd.Timedelta(days=days), start - pd.Timedelta(days=5),
                                                                     start + pd.Timedelta(days=days + 1)]})
    t = collection.first_action_timeliness(snap, acts, end, pol).set_index("loan_id")
    assert set(t.index) == {"A", "B", "C"}      # D was already overdue at P
    assert t.loc["A", "status"] == "on_time" and t.loc["B", "status"] == "late"     # B's earlier call was before the spell
    assert t.loc["C", "status"] == "pending"           # fell overdue on the 31st: its first call is not due yet
    am = pd.DataFrame({"action_id": ["1", "2", "3", "4"], "contacted_party": ["borrower", "borrower", "guarantor", "borrower"],
                       "outcome": ["contacted", "no_answer", "contacted", "promise_to_pay"],
                       "agency_name": [None, "甲公司", "甲公司", "甲公司"]})
    pr = pd.DataFrame({"action_id": ["4"], "kept": [True], "agency_name": ["甲公司"]})
    e = collection.collection_effectiveness(am, pr, t.reset_index())
    assert (e["first_action_due"], e["first_action_on_time"]) == (2, 1)
    assert e["right_party_contacts"] == 2 and e["right_party_contact_rate"] == 0.5 and e["promises_kept_rate"] == 1.0
    ag = collection.by_agency(am, pr).set_index("agency_name")
    assert ag.loc["甲公司", "actions"] == 3 and ag.loc["甲公司", "right_party"] == 1 and ag.loc["甲公司", "promises_kept"] == 1


def test_disposal_economics_and_the_registers_equal_plain_queries(sample_duckdb):
    from data_connectors import load_extract
    from postloan.marts.build import build_marts
    from postloan.policy import load_calendar
    con = duckdb.connect(str(sample_duckdb), read_only=True)
    month = con.execute("SELECT max(month) FROM loan_month").fetchone()[0]
    m = build_marts(load_extract(sample_duckdb), month, load_policy(), load_calendar())
    year = month[:4]
    # transfers this year: price ÷ (balance + overdue interest) at the month-end before
    price, claim = con.execute(f"""
        SELECT sum(r.amount), sum(lm.balance + lm.overdue_interest) FROM recoveries r JOIN loan_month lm
          ON lm.loan_id = r.loan_id AND lm.month = strftime(r.recovery_date - INTERVAL 1 MONTH, '%Y-%m')
        WHERE r.method = 'transfer' AND r.recovery_date BETWEEN DATE '{year}-01-01' AND last_day(CAST('{month}-01' AS DATE))""").fetchone()
    t = disposal.disposal_economics(m["recoveries_ytd"]).set_index("method")
    assert price and t.loc["transfer", "price_ratio"] == pytest.approx(float(price) / float(claim))
    assert pd.isna(t.loc["write_off", "net"]) and t.loc["cash", "net"] == pytest.approx(
        t.loc["cash", "amount"] - t.loc["cash", "cost"])
    # legal cases open at M's end
    n_open = con.execute(f"""SELECT count(*) FROM legal_cases WHERE filed_date <= last_day(CAST('{month}-01' AS DATE))
                             AND status NOT IN ('closed', 'withdrawn')""").fetchone()[0]
    assert len(m["legal_cases_open"]) == n_open
    # restructured or extended loans on the book at M
    n_forb = con.execute(f"""SELECT count(*) FROM loans l JOIN loan_month lm ON lm.loan_id = l.loan_id
                             WHERE lm.month = '{month}' AND lm.status = 'active'
                               AND (l.is_restructured OR l.extended_maturity_date IS NOT NULL)""").fetchone()[0]
    assert len(m["forbearance"]) == n_forb > 0
