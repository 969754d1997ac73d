"""The contract's optional parts for the sample bank (DATA_CONTRACT.md): notarised contracts,
guarantors who did or did not consent to an extension, claims naming the guarantee, cases
against guarantors, performance dates, closings, seizures that lapse, 终本 rulings, debtors
who go bankrupt, die, disappear or are deregistered, and foreclosed assets (some held past
their legal deadline). Drawn from the finished tables with a generator of its own, so that
the required tables stay as they were."""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.sample.util import ids

DAY = np.timedelta64(1, "D")


def _days(rng, low, high, n):
    return pd.to_timedelta(rng.integers(low, high, n), unit="D")


def add_optional(rng, t: dict[str, pd.DataFrame], window_end) -> None:
    end = pd.Timestamp(window_end)
    loans, cust = t["loans"], t["customers"]
    ctype = loans["customer_id"].map(cust.set_index("customer_id")["customer_type"])
    # notarised loan contracts with enforcement force: a share of business loans
    loans["notarized_enforceable"] = (ctype != "individual").to_numpy() & (rng.random(len(loans)) < 0.12)
    # loans the bank declared due early (加速到期): some that went NPL before maturity
    lm0 = t["loan_month"][["month", "loan_id", "classification"]].astype({"month": str, "loan_id": str})
    first_bad = lm0[lm0["classification"].astype(str).isin(["substandard", "doubtful", "loss"])].groupby("loan_id")["month"].min()
    bad_day = pd.PeriodIndex(first_bad, freq="M").end_time.normalize() + pd.Timedelta(days=15)
    bad_day = pd.Series(bad_day, index=first_bad.index)
    acc = loans["loan_id"].map(bad_day)
    early = acc.notna() & (acc < loans["maturity_date"]) & (acc <= end) & (rng.random(len(loans)) < 0.5)
    loans["accelerated_date"] = acc.where(early)
    # claims ranking before the bank's on some collateral (a first mortgage held by another lender)
    col_t = t["collateral"]
    prior = rng.random(len(col_t)) < 0.08
    col_t["prior_claims"] = (col_t["appraised_value"] * rng.uniform(0.1, 0.4, len(col_t))).round(2).where(prior)
    # guarantors' consent to an extension: asked for every extended loan, given by most
    g = t["guarantees"]
    extended = g["loan_id"].isin(loans.loc[loans["extended_maturity_date"].notna(), "loan_id"])
    g["extension_consented"] = pd.array(np.where(extended, rng.random(len(g)) < 0.7, None), dtype="boolean")
    g["notarized_enforceable"] = pd.array(np.where(rng.random(len(g)) < 0.05, True, None), dtype="boolean")
    # a claim on a guarantor names the guarantee (mostly)
    a = t["collection_actions"]
    first_g = g.drop_duplicates("loan_id").set_index("loan_id")["guarantee_id"]
    on_g = (a["contacted_party"] == "guarantor") & a["loan_id"].isin(first_g.index) & (rng.random(len(a)) < 0.85)
    a["guarantee_id"] = pd.Series(np.where(on_g, a["loan_id"].map(first_g), None), dtype=object).to_numpy()
    # legal cases: who they are against, performance, closing, seizures, 终本
    c = t["legal_cases"]
    n = len(c)
    against_g = c["loan_id"].isin(first_g.index).to_numpy() & (rng.random(n) < 0.12)
    c["against"] = np.where(against_g, "guarantor", "borrower")
    c["guarantee_id"] = np.where(against_g, c["loan_id"].map(first_g), None)
    c["performance_due_date"] = (c["judgment_date"] + _days(rng, 10, 31, n)).where(c["judgment_date"].notna())
    c["performance_due_date"] = c["performance_due_date"].where(c["performance_due_date"] <= end)
    closed = c["status"] == "closed"
    c["closed_date"] = (c["enforcement_filed_date"].fillna(c["filed_date"]) + _days(rng, 30, 300, n)).where(closed)
    c["closed_date"] = c["closed_date"].where(c["closed_date"] <= end, end)
    c.loc[~closed, "closed_date"] = pd.NaT
    seized = ~closed & (rng.random(n) < 0.35)
    expiry = c["filed_date"] + _days(rng, 700, 1100, n)         # 3 years for real estate, 1 for deposits
    c["preservation_expiry_date"] = expiry.where(seized)
    ended = (c["status"] == "enforcing") & (rng.random(n) < 0.3)
    term = (c["enforcement_filed_date"] + _days(rng, 90, 400, n)).where(ended)
    ended &= (term <= end).fillna(False)
    c["terminated_date"] = term.where(ended)
    c.loc[ended, "status"] = "terminated"
    # debtors who go bankrupt, die, disappear or are struck off: among customers with an NPL loan
    lm = t["loan_month"][["month", "loan_id", "classification"]].astype({"month": str, "loan_id": str})
    npl = lm[lm["classification"].astype(str).isin(["substandard", "doubtful", "loss"])]
    first_npl = npl.merge(loans[["loan_id", "customer_id"]], on="loan_id").groupby("customer_id")["month"].min()
    who = pd.DataFrame({"customer_id": first_npl.index, "month": first_npl.to_numpy()})
    who["customer_type"] = who["customer_id"].map(cust.set_index("customer_id")["customer_type"])
    u = rng.random(len(who))
    kind = np.where(who["customer_type"] == "individual",
                    np.select([u < 0.03, u < 0.09], ["deceased", "missing"], ""),
                    np.select([u < 0.05, u < 0.08, u < 0.12, u < 0.14], ["bankruptcy_accepted", "deregistered", "missing",
                                                                         "license_revoked"], ""))
    ev = who[kind != ""].assign(kind=kind[kind != ""])
    day = pd.PeriodIndex(ev["month"], freq="M").end_time.normalize() + _days(rng, 20, 400, len(ev))
    ev = ev.assign(event_date=day)[day <= end]
    terminated = c[ended].merge(loans[["loan_id", "customer_id"]], on="loan_id")
    no_assets = pd.DataFrame({"customer_id": terminated["customer_id"], "kind": "enforcement_no_assets",
                              "event_date": terminated["terminated_date"]})
    events = pd.concat([ev[["customer_id", "kind", "event_date"]], no_assets], ignore_index=True)
    events = events.drop_duplicates(["customer_id", "kind"]).sort_values("event_date", ignore_index=True)
    notes = {"bankruptcy_accepted": "法院裁定受理破产申请", "deregistered": "企业已注销", "license_revoked": "营业执照被吊销",
             "deceased": "借款人死亡", "missing": "借款人下落不明", "enforcement_no_assets": "执行中未发现可供执行财产"}
    events.insert(0, "event_id", ids("DE", len(events), 6))
    events["note"] = events["kind"].map(notes)
    t["debtor_events"] = events
    # foreclosed assets: one per foreclosure recovery, most sold, some held past the deadline
    r = t["recoveries"]
    fc = r[r["method"] == "foreclosure"].reset_index(drop=True)
    col = t["collateral"].drop_duplicates("loan_id").set_index("loan_id")["kind"]
    k = fc["loan_id"].map(col).fillna("residential").to_numpy()
    held = rng.integers(60, 1000, len(fc))
    disposed = fc["recovery_date"] + pd.to_timedelta(held, unit="D")
    sold = (disposed <= end) & (rng.random(len(fc)) < 0.7)
    t["foreclosed_assets"] = pd.DataFrame({
        "asset_id": ids("FA", len(fc), 6), "loan_id": fc["loan_id"], "kind": k, "acquired_date": fc["recovery_date"],
        "booked_value": fc["amount"], "disposed_date": disposed.where(sold),
        "disposal_amount": (fc["amount"] * rng.uniform(0.6, 1.05, len(fc))).round(2).where(sold)})
