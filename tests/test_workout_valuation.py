"""The workout book's fees and valuation (NPL_WORKOUT.md), worked out by hand: the court-fee
schedules at their band edges, each route of one hand-built case, a recommendation that a
sensitivity run flips, and a parameter change that moves the values with no code change."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from postloan.paths import parameters_dir
from postloan.workout.config import load_workout_config
from postloan.workout.fees import banded_fee
from postloan.workout.valuation import recommend, route_values


@pytest.fixture(scope="module")
def cfg():
    return load_workout_config()


@pytest.mark.parametrize("amount, case, enforcement, preservation", [
    (10_000, 50, 50, 120),                # flat 50; preservation 30 + 9,000 x 1 %
    (100_000, 2_300, 1_400, 1_020),       # 50 + 90,000 x 2.5 %; 50 + 90,000 x 1.5 %; 30 + 99,000 x 1 % ... = 1,020
    (1_000_000, 13_800, 12_400, 5_000),   # 2,300 + 2,000 + 4,500 + 5,000; 50 + 7,350 + 5,000; capped at 5,000
    (20_000_000, 141_800, 87_400, 5_000),  # 13,800 + 9,000 + 24,000 + 35,000 + 60,000; 12,400 + 45,000 + 25,000 + 10,000
])
def test_court_fees_at_the_band_edges(cfg, amount, case, enforcement, preservation):
    assert banded_fee(amount, cfg.fees.case) == case
    assert banded_fee(amount, cfg.fees.enforcement) == enforcement
    assert banded_fee(amount, cfg.fees.preservation) == preservation


def _case(**kw) -> pd.DataFrame:
    base = dict(loan_id="H1", customer_type="corporate", product="working_capital", guarantee_type="mortgage",
                claim=1_000_000.0, reachable=True, insolvent=False, bankrupt=False, no_assets=False, operating=True,
                limitation_alive=True, restructured_recently=False, write_off_candidate=False)
    return pd.DataFrame([{**base, **kw}])


def _collateral(value=800_000.0, kind="residential", registered=True) -> pd.DataFrame:
    return pd.DataFrame({"loan_id": ["H1"], "kind": [kind], "appraised_value": [value], "prior_claims": [0.0],
                         "registered": [registered]})


GUARANTOR = pd.DataFrame({"loan_id": ["H1"], "guarantor_kind": ["company"], "amount": [500_000.0], "enforceable": [True]})
NONE = GUARANTOR.iloc[:0]


def test_each_route_of_a_secured_guaranteed_corporate_case(cfg):
    v = route_values(_case(), _collateral(), GUARANTOR, cfg).set_index("route")
    # collateral 800,000 x 0.70 x 0.95 = 532,000; guarantor 500,000 x 0.15 = 75,000;
    # unsecured (1,000,000 - 607,000) x 0.10 = 39,300
    # 清收: (646,300 x 0.9) x 0.97 = 564,219.90 net; holding 0.03 x 1,000,000 x 6/12 = 15,000
    assert v.loc["negotiated", "net"] == pytest.approx(564_219.90)
    assert v.loc["negotiated", "pv"] == pytest.approx(549_219.90 / 1.08 ** 0.5)
    # 诉讼: pool 532,000 + 75,000 + 0.6 x 39,300 = 630,580; case fee 13,800, enforcement fee on
    # 630,580 = 50 + 7,350 + 1,305.80, preservation 5,000, lawyers 8 % = 50,446.40
    assert v.loc["litigation", "costs"] == pytest.approx(13_800 + 8_705.80 + 5_000 + 50_446.40)
    assert v.loc["litigation", "pv"] == pytest.approx((630_580 - 77_952.20 - 60_000) / 1.08 ** 2)
    # 实现担保物权: 532,000 less lawyers 42,560 in 9 months (holding on 532,000: 11,970) + the rest
    # 468,000 sued against 98,580 (fees 8,320 + 1,378.70 + 2,860, lawyers 7,886.40; holding 28,080)
    rs = (532_000 - 42_560 - 11_970) / 1.08 ** 0.75 + (98_580 - 20_445.10 - 28_080) / 1.08 ** 2
    assert v.loc["realize_security", "pv"] == pytest.approx(rs)
    # 重组: 1,000,000 x 0.6 x 0.85 + 0.4 x 630,580 = 762,232, less 3 %; holding 60,000 over 24 months
    assert v.loc["restructure", "pv"] == pytest.approx((762_232 * 0.97 - 60_000) / 1.08 ** 2)
    # 以物抵债: taken at 560,000 (70 %), sold for 560,000 after 18 months less deed tax 16,800, holding
    # 11,200 and 5 % tax 28,000 (bank holding 25,200); the rest 440,000 as litigation
    fc = (560_000 - 56_000 - 25_200) / 1.08 ** 1.5 + (98_580 - (7_900 + 1_378.70 + 2_720 + 7_886.40) - 26_400) / 1.08 ** 2
    assert v.loc["foreclosure", "pv"] == pytest.approx(fc)
    # 转让: the buyer pays 630,580 x 0.9 / 1.15^2 = 429,128.17, the bank's costs 1 %, 3 months
    price = 630_580 * 0.9 / 1.15 ** 2
    assert v.loc["transfer", "pv"] == pytest.approx((price * 0.99 - 7_500) / 1.08 ** 0.25)
    assert not v.loc["write_off", "open"]
    _, rec = recommend(_case(), _collateral(), GUARANTOR, cfg)
    assert rec.iloc[0]["route"] == "restructure" and rec.iloc[0]["runner_up"] == "negotiated"


def test_route_eligibility(cfg):
    v = route_values(_case(reachable=False, operating=False), _collateral(registered=False), NONE, cfg).set_index("route")
    # unreachable: no negotiation; missing: no restructuring; unregistered collateral counts 0
    assert not v.loc["negotiated", "open"] and not v.loc["restructure", "open"]
    assert not v.loc["realize_security", "open"] and not v.loc["foreclosure", "open"]
    v = route_values(_case(bankrupt=True, insolvent=True), _collateral(), NONE, cfg).set_index("route")
    assert set(v.index[v["open"]]) == {"transfer"}          # bankruptcy stops every individual route
    v = route_values(_case(limitation_alive=False), _collateral(kind="equipment"), NONE, cfg).set_index("route")
    assert not v.loc["litigation", "open"] and not v.loc["foreclosure", "open"] and v.loc["realize_security", "open"]
    v = route_values(_case(customer_type="individual", product="mortgage"), _collateral(), NONE, cfg).set_index("route")
    assert not v.loc["transfer", "open"]                     # residential mortgages are not in retail packages
    v = route_values(_case(customer_type="individual", product="personal_consumption", guarantee_type="credit"),
                     _collateral(0.0), NONE, cfg).set_index("route")
    assert v.loc["transfer", "open"]
    v = route_values(_case(write_off_candidate=True, no_assets=True), _collateral(0.0), NONE, cfg).set_index("route")
    assert v.loc["write_off", "open"] and v.loc["write_off", "gross"] == 0     # no assets: unsecured rate 0


def test_a_recommendation_that_a_lower_discount_rate_flips_is_unstable(cfg):
    col = _collateral(1_100_000.0)
    # collateral 731,500; unsecured 268,500 x 0.10 = 26,850
    neg = lambda r: (758_350 * 0.9 * 0.97 - 15_000) / (1 + r) ** 0.5
    res = lambda r: ((510_000 + 0.4 * (731_500 + 0.6 * 26_850)) * 0.97 - 60_000) / (1 + r) ** 2
    assert neg(0.08) > res(0.08) and res(0.06) > neg(0.06)
    values, rec = recommend(_case(), col, NONE, cfg)
    r = rec.iloc[0]
    assert (r["route"], r["runner_up"], bool(r["unstable"])) == ("negotiated", "restructure", True)
    assert r["pv"] == pytest.approx(neg(0.08))
    _, rec = recommend(_case(), _collateral(), GUARANTOR, cfg)
    assert not rec.iloc[0]["unstable"]                          # 582,446 against 528,487: no run flips it


def test_a_rate_in_parameters_changes_the_values_without_code(tmp_path, cfg):
    data = yaml.safe_load((parameters_dir() / "workout_policy.yaml").read_text(encoding="utf-8"))
    data["valuation"]["realisation"]["residential"] = 0.5
    data["valuation"]["discount_rate"] = 0.12
    path = tmp_path / "workout_policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    other = load_workout_config(path)
    v = route_values(_case(), _collateral(), GUARANTOR, other).set_index("route")
    # collateral 800,000 x 0.5 x 0.95 = 380,000; unsecured (1,000,000 - 455,000) x 0.1 = 54,500
    assert v.loc["negotiated", "pv"] == pytest.approx(((380_000 + 75_000 + 54_500) * 0.9 * 0.97 - 15_000) / 1.12 ** 0.5)
