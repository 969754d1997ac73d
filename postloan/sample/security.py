"""Collateral, guarantees, guarantee agencies and loan fund payments."""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.sample.duties import diligence_of
from postloan.sample.names import COMPANY_HEADS, SUPPLIER_WORDS, person_names
from postloan.sample.util import DAY, clip_future, ids, pick


def build_collateral(rng, ctx) -> pd.DataFrame:
    loans, we = ctx.loans, ctx.window_end
    secured = loans[loans["guarantee_type"].isin(["mortgage", "pledge"])]
    extra = secured.sample(frac=0.15, random_state=int(rng.integers(1 << 31)))
    rows = pd.concat([secured, extra], ignore_index=True)
    n = len(rows)
    gtype, product = rows["guarantee_type"].to_numpy(), rows["product"].to_numpy()
    kind = np.where(gtype == "pledge", pick(rng, {"deposit": 4, "equity": 3, "receivables": 3}, n),
                    np.where(product == "mortgage", "residential",
                             pick(rng, {"commercial_property": 45, "land": 20, "equipment": 15, "residential": 20}, n)))
    disb = rows["disbursement_date"].to_numpy().astype("datetime64[D]")
    who = ctx.responsible(rows["customer_id"].to_numpy(), np.minimum(disb + 30 * DAY, we))
    dil = diligence_of(ctx, who)
    limit = np.where(np.isin(kind, ["equity", "receivables"]), 182, 365)
    fresh = rng.random(n) < 0.4 + 0.6 * dil
    appraisal = np.where(fresh, we - (rng.random(n) * limit).astype(int) * DAY,
                         we - (limit + rng.integers(1, 500, n)) * DAY)
    appraisal = np.maximum(appraisal, disb - rng.integers(1, 30, n) * DAY)
    value = rows["amount"].to_numpy() * rng.uniform(1.1, 2.2, n)
    stressed = rng.random(n) < 0.06                      # values fallen below the loan
    value = np.round(np.where(stressed, rows["amount"].to_numpy() * rng.uniform(0.4, 0.9, n), value), -2)
    on_time = rng.random(n) < 0.5 + 0.5 * dil
    late = ~on_time & (rng.random(n) < 0.6)
    warrant = np.where(on_time, disb + rng.integers(3, 31, n) * DAY,
                       np.where(late, disb + rng.integers(31, 150, n) * DAY, np.datetime64("NaT", "D")))
    insured = np.isin(kind, ["residential", "commercial_property", "equipment"]) & (rng.random(n) < 0.6)
    return pd.DataFrame({
        "collateral_id": ids("G", n, 7), "loan_id": rows["loan_id"].to_numpy(), "kind": kind,
        "appraised_value": value, "appraisal_date": appraisal, "registered": rng.random(n) < 0.97,
        "warrant_received_date": clip_future(warrant, we),
        "insurance_expiry": np.where(insured, we + rng.integers(-200, 800, n) * DAY, np.datetime64("NaT", "D")),
    })


def build_guarantees(rng, ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    loans, cust, we = ctx.loans, ctx.customers, ctx.window_end
    base = loans[(loans["guarantee_type"] == "guarantee") |
                 ((loans["guarantee_type"] == "mortgage") & (loans["product"] != "mortgage") &
                  (rng.random(len(loans)) < 0.2))]
    second = base.sample(frac=0.25, random_state=int(rng.integers(1 << 31)))
    rows = pd.concat([base, second], ignore_index=True)
    n = len(rows)
    ctype = cust["customer_type"].to_numpy()[rows["_cust"].to_numpy()]
    kind = np.where(ctype == "corporate", pick(rng, {"company": 70, "individual": 20, "guarantee_agency": 10}, n),
                    np.where(ctype == "small_business",
                             pick(rng, {"company": 30, "individual": 35, "guarantee_agency": 35}, n),
                             pick(rng, {"individual": 80, "guarantee_agency": 20}, n)))
    n_agency = 4 + 2 * len(ctx.branches[ctx.branches["level"] == "branch"])
    agency_ids = ids("GA", n_agency, 3)
    agency = np.where(kind == "guarantee_agency", rng.choice(agency_ids, n), None)
    heads = rng.choice(COMPANY_HEADS, (n_agency, 2))
    agency_names = np.array([f"{a}{b}融资担保有限公司" for a, b in heads], dtype=object)
    comp = np.array([f"{a}{b}{w}有限公司" for a, b, w in zip(rng.choice(COMPANY_HEADS, n), rng.choice(COMPANY_HEADS, n),
                                                          rng.choice(SUPPLIER_WORDS, n))], dtype=object)
    name_of_agency = dict(zip(agency_ids, agency_names))
    gname = np.where(kind == "company", comp, np.where(kind == "individual", person_names(rng, n).astype(object),
                                                       [name_of_agency.get(a) for a in agency]))
    amount = np.round(rows["amount"].to_numpy() * np.where(rng.random(n) < 0.8, 1.0, rng.uniform(0.3, 0.9, n)), 2)
    mat = rows["maturity_date"].to_numpy().astype("datetime64[D]")
    period = pick(rng, {"none": 55, "6m": 10, "2y": 15, "3y": 20}, n)
    months = np.select([period == "6m", period == "2y", period == "3y"], [6, 24, 36], 0)
    period_end = np.where(period == "none", np.datetime64("NaT", "D"),
                          (mat.astype("datetime64[M]") + months).astype("datetime64[D]") + 14 * DAY)
    g = pd.DataFrame({"guarantee_id": ids("Q", n, 7), "loan_id": rows["loan_id"].to_numpy(),
                      "guarantor_name": gname, "guarantor_kind": kind, "agency_id": agency, "amount": amount,
                      "mode": pick(rng, {"joint": 85, "general": 15}, n), "period_end_date": period_end})
    # cooperation limits: most agencies have headroom, two sit at or just over their limit
    last = ctx.lm[ctx.lm["_t"] == len(ctx.months) - 1]
    active = set(loans["loan_id"].to_numpy()[last.loc[last["_status"] == 0, "_loan"].to_numpy()])
    exposure = g[g["loan_id"].isin(active) & g["agency_id"].notna()].groupby("agency_id")["amount"].sum()
    exposure = exposure.reindex(agency_ids, fill_value=0.0).to_numpy()
    factor = rng.uniform(1.15, 2.0, n_agency)
    factor[:2] = [0.97, 1.03]
    limit = np.round(np.maximum(exposure * factor, 5e6), -4)
    status = np.where(np.arange(n_agency) == n_agency - 1, "suspended", "active").astype(object)
    agencies = pd.DataFrame({"agency_id": agency_ids, "name": agency_names, "cooperation_limit": limit,
                             "status": status})
    return g, agencies


def build_fund_payments(rng, ctx) -> pd.DataFrame:
    loans, we = ctx.loans, ctx.window_end
    paid = loans[(loans["product"] != "mortgage") & (loans["disbursement_date"].to_numpy() >= ctx.window_start)]
    k = np.where(paid["product"].isin(["personal_consumption", "trade_finance"]).to_numpy(), 1,
                 rng.integers(1, 4, len(paid)))
    idx = np.repeat(np.arange(len(paid)), k)
    n = len(idx)
    share = rng.dirichlet(np.ones(3), len(paid))
    part = _shares_vector(share, k, idx)
    amount = np.round(paid["amount"].to_numpy()[idx] * part, 2)
    amount = np.maximum(amount, 100.0)
    disb = paid["disbursement_date"].to_numpy().astype("datetime64[D]")[idx]
    date = disb + rng.integers(0, 45, n) * DAY
    mode = paid["payment_mode"].to_numpy()[idx]
    mode = np.where((mode == "entrusted") & (rng.random(n) < 0.03), "self", mode)
    cat = pick(rng, {"supplier": 84, "other": 6, "related_party": 4, "borrower_self": 2.5, "real_estate": 2,
                     "securities": 1.5}, n)
    payee = np.array([f"{a}{b}{w}有限公司" for a, b, w in zip(rng.choice(COMPANY_HEADS, n), rng.choice(COMPANY_HEADS, n),
                                                           rng.choice(SUPPLIER_WORDS, n))], dtype=object)
    out = pd.DataFrame({"payment_id": ids("P", n, 8), "loan_id": paid["loan_id"].to_numpy()[idx],
                        "payment_date": date, "amount": amount, "mode": mode, "payee_name": payee,
                        "payee_category": cat})
    return out[out["payment_date"].to_numpy() <= we].reset_index(drop=True)


def _seq(k):
    return np.concatenate([np.arange(x) for x in k]) if len(k) else np.array([], dtype=int)


def _shares_vector(share, k, idx):
    pos = _seq(k)
    mask = np.arange(3)[None, :] < k[:, None]
    sums = (share * mask).sum(axis=1)
    return share[idx, pos] / sums[idx]
