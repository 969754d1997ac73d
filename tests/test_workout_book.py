"""The workout book on the tiny bank at 2025-10 with the contract's optional tables: which
loans are cases, their claims, the legal routes open, write-off review and candidates,
foreclosed-asset deadlines and a package price, worked out by hand; then the published run
of the sample bank: every NPL and every loan past queue_dpd is a case with a case file."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from data_connectors import load_extract
from postloan.policy import load_calendar, load_policy
from postloan.validation import Extract
from postloan.workout.build import build_workout_marts
from postloan.workout.config import load_workout_config
from postloan.workout.export import workout_figures
from postloan.workout.package import package_pricing
from rules_kit import frame
from tiny_bank import write_tiny_bank


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    base = load_extract(write_tiny_bank(tmp_path_factory.mktemp("tiny")))
    t = dict(base.tables)
    t["debtor_events"] = frame("debtor_events",
                               {"event_id": "D1", "customer_id": "C1", "kind": "bankruptcy_accepted", "event_date": "2025-10-05"},
                               {"event_id": "D2", "customer_id": "C3", "kind": "missing", "event_date": "2025-09-01"})
    t["foreclosed_assets"] = frame(
        "foreclosed_assets",
        {"asset_id": "FA1", "loan_id": "L5", "kind": "residential", "acquired_date": "2024-11-15", "booked_value": 100000.0},
        {"asset_id": "FA2", "loan_id": "L6", "kind": "equipment", "acquired_date": "2024-09-30", "booked_value": 20000.0},
        {"asset_id": "FA3", "loan_id": "L6", "kind": "land", "acquired_date": "2023-01-10", "booked_value": 5000.0,
         "disposed_date": "2025-03-01", "disposal_amount": 6000.0})
    # L20: a small claim, 400 days overdue, demanded with evidence, no event; L21: a deregistered
    # debtor whose joint guarantor (G21) was never claimed
    add = lambda name, *rows: pd.concat([t[name], frame(name, *rows)], ignore_index=True)
    t["customers"] = add("customers", {"customer_id": "C20", "name": "西湖小额商行", "customer_type": "small_business",
                                       "operating_branch_id": "B101", "is_key_customer": False},
                         {"customer_id": "C21", "name": "海曙注销实业有限公司", "customer_type": "corporate",
                          "operating_branch_id": "B201", "is_key_customer": False})
    loan = {"product": "working_capital", "interest_rate": 0.05, "guarantee_type": "credit", "payment_mode": "entrusted",
            "is_restructured": False}
    t["loans"] = add("loans", {**loan, "loan_id": "L20", "customer_id": "C20", "amount": 30000.0,
                               "disbursement_date": "2023-06-01", "maturity_date": "2024-06-01"},
                     {**loan, "loan_id": "L21", "customer_id": "C21", "amount": 800000.0, "guarantee_type": "guarantee",
                      "disbursement_date": "2024-06-01", "maturity_date": "2025-03-31"})
    lm = lambda m, l, b, d: {"month": m, "loan_id": l, "balance": b, "overdue_principal": b, "overdue_interest": 0.0,
                             "dpd": d, "classification": "loss" if d > 360 else "doubtful", "status": "active"}
    t["loan_month"] = add("loan_month", lm("2025-09", "L20", 30000.0, 370), lm("2025-10", "L20", 30000.0, 401),
                          lm("2025-09", "L21", 800000.0, 183), lm("2025-10", "L21", 800000.0, 214))
    t["guarantees"] = add("guarantees", {"guarantee_id": "G21", "loan_id": "L21", "guarantor_name": "孙富贵",
                                         "guarantor_kind": "individual", "amount": 800000.0, "mode": "joint",
                                         "period_end_date": "2028-03-31"})
    t["debtor_events"] = pd.concat([t["debtor_events"], frame("debtor_events", {
        "event_id": "D3", "customer_id": "C21", "kind": "deregistered", "event_date": "2025-08-01"})], ignore_index=True)
    act = lambda i, loan, day: {"action_id": i, "loan_id": loan, "action_time": f"{day} 10:00:00", "channel": "letter",
                                "contacted_party": "borrower", "outcome": "contacted", "evidence": True}
    t["collection_actions"] = add("collection_actions", act("A9", "L6", "2025-09-10"), act("A20", "L20", "2025-05-10"),
                                  act("A21", "L21", "2025-06-10"))
    return build_workout_marts(Extract(base.source, base.carrier, t), "2025-10", load_policy(), load_calendar(),
                               load_workout_config())


def _case(book, loan):
    return book["workout_cases"].set_index("loan_id").loc[loan]


def test_cases_and_claims(book):
    c = book["workout_cases"].set_index("loan_id")
    # L1, L6, L20, L21 NPL at 2025-10; L5 written off in 2025-10 with its claim alive; L2 (dpd 40) is below queue_dpd 60
    assert set(c.index) == {"L1", "L5", "L6", "L20", "L21"}
    assert c.loc["L1", "claim"] == 1_000_000 + 12_000            # principal + overdue interest at M
    assert c.loc["L6", "claim"] == 50_000 + 1_000
    assert c.loc["L5", "claim"] == 80_000 and c.loc["L5", "stage"] == "written_off"   # written off, nothing since


def test_legal_routes_follow_the_debtors_state(book):
    l1, l6 = _case(book, "L1"), _case(book, "L6")
    # C1's bankruptcy was accepted: every individual route is closed, the claim is filed with the administrator
    assert l1["routes_open"].startswith("破产债权申报") and "支付令" not in l1["routes_open"]
    r = book["workout_routes"]
    assert set(r[(r["loan_id"] == "L1") & r["open"]]["route"]) == {"transfer"}
    # C3 is missing: no payment order (cannot be served), public notice instead
    assert "支付令" not in l6["routes_open"] and "公告送达" in l6["routes_open"]
    assert not bool(l6["reachable"]) and not bool(l6["operating"])


def test_each_legal_route_condition():
    from types import SimpleNamespace
    from postloan.workout.cases import _legal_routes
    base = dict(bankrupt=False, reachable=True, written_off=False, registered_collateral=False, notarized=False,
                limitation_alive=True, enforceable_guarantees=0, missing=False)
    routes = lambda **kw: _legal_routes(SimpleNamespace(**{**base, **kw}))
    assert routes().startswith("支付令") and "诉讼/仲裁" in routes()
    assert "实现担保物权" not in routes() and "实现担保物权" in routes(registered_collateral=True)
    assert "强制执行公证" in routes(notarized=True) and "强制执行公证" not in routes()
    assert "诉讼/仲裁" not in routes(limitation_alive=False)
    assert "2 个保证仍可主张" in routes(enforceable_guarantees=2)
    missing = routes(reachable=False, missing=True)
    assert "支付令" not in missing and "公告送达" in missing
    assert routes(bankrupt=True, registered_collateral=True, notarized=True).startswith("破产债权申报") and \
        "支付令" not in routes(bankrupt=True)
    assert routes(reachable=False, limitation_alive=False) == "无可行法律路径"


def test_write_off_review_and_candidates(book):
    l1, l6 = _case(book, "L1"), _case(book, "L6")
    # bankruptcy accepted: under review, but not a candidate before the distribution
    assert bool(l1["write_off_review"]) and not bool(l1["write_off_candidate"])
    assert l1["write_off_basis"] == "破产程序尚未分配完毕"
    # missing debtor, an evidenced demand on it (A9) and no guarantor: recourse complete -> candidate
    assert bool(l6["write_off_candidate"]) and l6["write_off_basis"] == "已发生核销事由且已向借款人和全部保证人追索"
    # a small claim: 30,000 <= 10,000,000, 401 days >= 180, demanded with evidence -> candidate without an event
    l20 = _case(book, "L20")
    assert bool(l20["write_off_candidate"]) and not bool(l20["write_off_review"]) and l20["write_off_basis"].startswith("小额债权")
    # deregistered, but the joint guarantor G21 (period to 2028) was never claimed: under review only
    l21 = _case(book, "L21")
    assert bool(l21["write_off_review"]) and not bool(l21["write_off_candidate"])
    assert l21["write_off_basis"] == "已发生核销事由，尚未完成追索"


def test_foreclosed_asset_deadlines(book):
    fa = book["workout_foreclosed"].set_index("asset_id")
    assert set(fa.index) == {"FA1", "FA2"}                                  # FA3 was disposed of
    # real estate: 2 years from 2024-11-15; movables: 1 year from 2024-09-30 (passed a month ago)
    assert (fa.loc["FA1", "deadline"], fa.loc["FA1", "days_left"]) == (pd.Timestamp("2026-11-15"), 380)
    assert (fa.loc["FA2", "deadline"], fa.loc["FA2", "days_left"], bool(fa.loc["FA2", "overdue"])) == \
        (pd.Timestamp("2025-09-30"), -31, True)
    assert workout_figures(book, "all")["foreclosed_assets_overdue_count"] == 1


def test_a_package_price(book):
    p = package_pricing(book, "all")
    # buyers pay for the litigation pool, less their costs 10 %, discounted at 15 % over 24 months:
    # L1 (bankrupt, unsecured 5 %): 1,012,000 x 0.05 x 0.6; L6 (small business 8 %): 51,000 x 0.08 x 0.6;
    # L5: 80,000 x 0.08 x 0.6
    # L20 (small business, 8 %): 30,000 x 0.08 x 0.6; L21 (deregistered: insolvent 5 %, guarantor
    # 800,000 x 0.10 = 80,000 enforceable): (80,000 + 720,000 x 0.05 x 0.6)
    pools = [1_012_000 * 0.05 * 0.6, 51_000 * 0.08 * 0.6, 80_000 * 0.08 * 0.6, 30_000 * 0.08 * 0.6,
             80_000 + 720_000 * 0.05 * 0.6]
    assert p["accounts"] == 5 and p["claim"] == 1_143_000 + 30_000 + 800_000
    assert p["buyer_price"] == pytest.approx(sum(x * 0.9 / 1.15 ** 2 for x in pools), abs=0.01)
    r = book["workout_routes"]
    own = r[r["open"] & (r["route"] != "transfer")].groupby("loan_id")["pv"].max().clip(lower=0).sum()
    assert p["reserve_price"] == pytest.approx(own, abs=0.01) and p["bank_value"] == pytest.approx(own, abs=0.01)


def test_the_published_book_covers_every_npl_and_every_loan_past_queue_dpd(published_run, sample_duckdb):
    import duckdb
    f = json.loads((published_run / "workout" / "all.json").read_text(encoding="utf-8"))
    con = duckdb.connect(str(sample_duckdb), read_only=True)
    want = {r[0] for r in con.execute(
        "SELECT loan_id FROM loan_month WHERE month = $m AND status = 'active' "
        "AND (classification IN ('substandard', 'doubtful', 'loss') OR dpd > 60)", {"m": f["month"]}).fetchall()}
    con.close()
    assert want and want <= set(f["case_ids"])
    files = {p.stem for p in (published_run / "workout" / "cases").glob("*.html")}
    assert set(f["case_ids"]) <= files
    assert set(f["case_ids"]) <= set(_bookmarks(published_run / "workout" / "all_cases.pdf"))   # printed in the book


def _bookmarks(pdf) -> list[str]:
    import pikepdf
    with pikepdf.open(pdf) as doc, doc.open_outline() as outline:
        return [str(e.title).split()[0] for e in outline.root]


@pytest.mark.slow
def test_on_the_medium_bank_every_npl_and_every_loan_past_queue_dpd_has_a_case_file(tmp_path):
    from postloan.marts.scope import list_scopes
    from postloan.sample.generate import generate_sample_bank
    from postloan.sample.writers import write_duckdb
    from postloan.workout.export import write_case_files
    bank = write_duckdb(generate_sample_bank("medium", 42), tmp_path / "medium.duckdb")
    extract = load_extract(bank)
    month = str(extract["loan_month"]["month"].max())
    m = build_workout_marts(extract, month, load_policy(), load_calendar(), load_workout_config())
    lm = extract["loan_month"]
    at = lm[(lm["month"] == month) & (lm["status"] == "active")]
    want = set(at.loc[at["classification"].isin(["substandard", "doubtful", "loss"]) | (at["dpd"] > 60), "loan_id"])
    cases = set(m["workout_cases"]["loan_id"])
    assert len(want) > 100 and want <= cases
    folder = tmp_path / "workout"
    folder.mkdir()
    for scope in list_scopes(extract["branches"]):             # all, then each branch: each case written once
        write_case_files(m, scope, folder)
    assert {p.stem for p in (folder / "cases").glob("*.html")} == cases


def test_securitisation_is_valued_by_pool_of_one_product(book):
    """Hand-built cases: two mortgages of 60 and 50 million (a pool of 110 million ≥ the 100 million
    minimum), one consumer loan (a pool too small to issue), a corporate loan and a written-off
    mortgage (neither in a pool)."""
    from postloan.marts.build import Marts
    from postloan.workout.package import securitisation_pools
    row = lambda loan, ctype, product, claim, pv, wo=False, branch="B101": {
        "loan_id": loan, "customer_type": ctype, "product": product, "claim": claim, "recommended_pv": pv,
        "written_off": wo, "operating_branch_id": branch, "managing_branch_id": branch}
    cases = pd.DataFrame([row("M1", "individual", "mortgage", 60e6, 30e6), row("M2", "individual", "mortgage", 50e6, 20e6),
                          row("C1", "individual", "consumer", 2e6, -1e3, branch="B201"),
                          row("K1", "corporate", "working_capital", 90e6, 1e6),
                          row("M3", "individual", "mortgage", 9e6, 0.0, wo=True)])
    m = Marts("2025-10", {"workout_cases": cases, "workout_settings": book["workout_settings"]})
    pools = securitisation_pools(m, "all").set_index("product")
    assert set(pools.index) == {"mortgage", "consumer"}
    mort = pools.loc["mortgage"]
    # defaults: abs_price_ratio 0.16, abs_cost_rate 0.02 of the price, 6 months, discount 8 %, holding 3 % a year
    price = 110e6 * 0.16
    pv = (price - 0.02 * price - 0.03 * 110e6 * 6 / 12) / 1.08 ** 0.5
    assert mort["accounts"] == 2 and bool(mort["eligible"]) and mort["gross"] == pytest.approx(17_600_000)
    assert mort["pv"] == pytest.approx(pv, abs=0.01) and mort["bank_value"] == pytest.approx(50e6)
    assert mort["difference"] == pytest.approx(pv - 50e6, abs=0.01)
    cons = pools.loc["consumer"]
    assert not cons["eligible"] and cons["bank_value"] == 0.0        # a negative PV counts as nothing
    assert list(securitisation_pools(m, "B201")["product"]) == ["consumer"]


def test_the_accountability_review_carries_the_workout_value(tmp_path):
    """One computation: a review built with the workout policy reads the workout book of the
    period's last month — per case the recommended route's PV and the loss left after it."""
    from case_bank import write_case_bank
    from postloan.accountability.build import build_accountability_marts
    from postloan.periods import parse_period
    extract = load_extract(write_case_bank(tmp_path))
    cfg = load_workout_config()
    review = build_accountability_marts(extract, parse_period("2025-10"), load_policy(), load_calendar(),
                                        workout_cfg=cfg)["accountability_cases"]
    wb = build_workout_marts(extract, "2025-10", load_policy(), load_calendar(), cfg)["workout_cases"]
    pv = dict(zip(wb["loan_id"], wb["recommended_pv"]))
    in_book = review["loan_id"].isin(pv)
    assert in_book.any() and len(review) > 0
    for r in review.itertuples():
        value = max(pv.get(r.loan_id, 0.0), 0.0)
        assert r.workout_value == pytest.approx(value, abs=0.01)
        assert r.expected_loss == pytest.approx(max(r.loss - value, 0.0), abs=0.01)
    assert review.loc[~in_book, "workout_route_cn"].isna().all()


def test_a_case_file_shows_the_ten_latest_contacts_in_time_order_and_routes_by_value(published_run, sample_duckdb):
    """The case file of the loan with the most collection contacts (more than ten: the page shows
    the last ten) against a plain query of the extract; its route comparison in descending present
    value, as the route mart gives them."""
    import re

    import duckdb
    from postloan.run.export import page_file_name
    f = json.loads((published_run / "workout" / "all.json").read_text(encoding="utf-8"))
    con = duckdb.connect(str(sample_duckdb), read_only=True)
    loan, n = con.execute(
        "SELECT loan_id, count(*) AS n FROM collection_actions WHERE loan_id IN (SELECT unnest($ids)) "
        "GROUP BY loan_id ORDER BY n DESC, loan_id LIMIT 1", {"ids": f["case_ids"]}).fetchone()
    times = [r[0] for r in con.execute(
        "SELECT strftime(CAST(action_time AS TIMESTAMP), '%Y-%m-%d %H:%M:%S') FROM collection_actions "
        "WHERE loan_id = $l ORDER BY action_time", {"l": loan}).fetchall()]
    con.close()
    assert n > 10
    page = (published_run / "workout" / "cases" / f"{page_file_name(loan)}.html").read_text(encoding="utf-8")
    contacts = page.split("最近联系记录")[1].split("</table>")[0]
    shown = re.findall(r"<tr><td[^>]*>([^<]*)</td>", contacts)
    assert shown == times[-10:]
    routes = pd.read_parquet(published_run / "marts" / "workout" / "workout_routes.parquet")
    mine = routes[routes["loan_id"] == loan]
    table = page.split("处置路径比较")[1].split("</table>")[0]
    names = re.findall(r"<tr><td[^>]*>([^<]*)</td>", table)
    assert sorted(names) == sorted(mine["route_cn"])
    pv = dict(zip(mine["route_cn"], mine["pv"]))
    assert [pv[r] for r in names] == sorted(pv.values(), reverse=True)
