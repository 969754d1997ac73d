"""Customers, loans and the assignments history (管户关系 with handovers)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.sample.names import CITIES, INDUSTRY_WEIGHTS, PURPOSES, company_names, person_names
from postloan.sample.util import DAY, ids, pick

# product mix and term (months) by customer type
PRODUCTS = {
    "corporate": {"working_capital": 55, "fixed_asset": 20, "trade_finance": 25},
    "small_business": {"working_capital": 45, "personal_business": 40, "trade_finance": 15},
    "individual": {"mortgage": 45, "personal_consumption": 35, "personal_business": 20},
}
TERMS = {"working_capital": [6, 12, 12, 12, 24], "fixed_asset": [36, 60, 84, 96], "trade_finance": [3, 6, 6],
         "personal_business": [12, 24, 36], "personal_consumption": [12, 24, 36, 60], "mortgage": [120, 240, 300, 360]}
# lognormal median and spread of the disbursed amount, yuan
AMOUNTS = {"working_capital": (4e6, 1.0), "fixed_asset": (2e7, 0.9), "trade_finance": (2.5e6, 0.8),
           "personal_business": (4e5, 0.8), "personal_consumption": (1.2e5, 0.7), "mortgage": (1.1e6, 0.5)}
GUARANTEES = {
    "corporate": {"credit": 20, "guarantee": 35, "mortgage": 35, "pledge": 10},
    "small_business": {"credit": 10, "guarantee": 45, "mortgage": 40, "pledge": 5},
    "individual": {"credit": 65, "guarantee": 25, "mortgage": 8, "pledge": 2},
}
ENTRUSTED_SHARE = {"working_capital": 0.8, "fixed_asset": 0.9, "trade_finance": 0.85, "personal_business": 0.45,
                   "personal_consumption": 0.25, "mortgage": 1.0}
AMORTISING = {"fixed_asset", "personal_business", "personal_consumption", "mortgage"}


def build_customers(rng, n: int, branches: pd.DataFrame, window_end) -> pd.DataFrame:
    subs = branches[branches["level"] == "sub_branch"]
    ctype = pick(rng, {"corporate": 12, "small_business": 30, "individual": 58}, n)
    op_branch = rng.choice(subs["branch_id"].to_numpy(dtype=object), n)
    city_of = {bid: CITIES[(int(bid[1]) - 1) % len(CITIES)][0] for bid in subs["branch_id"]}
    cities = np.array([city_of[b] for b in op_branch])
    industry = pick(rng, INDUSTRY_WEIGHTS, n)
    is_person = ctype == "individual"
    industry = np.where(is_person & (rng.random(n) < 0.8), None, industry)
    names = np.where(is_person, person_names(rng, n), company_names(rng, cities, industry.astype(str), np.arange(n)))
    sb_person = (ctype == "small_business") & (rng.random(n) < 0.35)        # 个体工商户 named after the owner
    names = np.where(sb_person, np.char.add(person_names(rng, n), "（个体工商户）"), names)
    rating = np.where(is_person, None, pick(rng, {"AAA": 5, "AA": 20, "A": 35, "BBB": 25, "BB": 10, "B": 5}, n))
    expiry = window_end + rng.integers(-400, 3000, n) * DAY
    fin = np.where(is_person, np.datetime64("NaT", "D"), window_end - rng.integers(20, 640, n) * DAY)
    key = (ctype == "corporate") & (rng.random(n) < 0.35)
    return pd.DataFrame({
        "customer_id": ids("C", n), "name": names.astype(object), "customer_type": ctype,
        "industry_code": industry, "operating_branch_id": op_branch, "is_key_customer": key,
        "credit_rating": rating, "id_expiry_date": expiry, "latest_financials_date": fin,
        "risk": np.round(rng.lognormal(0, 0.75, n), 3),
    })


def build_loans(rng, customers: pd.DataFrame, n_loans: int, window_start, window_end) -> pd.DataFrame:
    per = {"corporate": (1, 5), "small_business": (1, 3), "individual": (1, 2)}
    ctype = customers["customer_type"].to_numpy()
    counts = np.ones(len(customers), dtype=int)
    for t, (lo, hi) in per.items():
        m = ctype == t
        counts[m] = rng.integers(lo, hi + 1, m.sum())
    cust_idx = np.repeat(np.arange(len(customers)), counts)[:n_loans]
    n = len(cust_idx)
    ct = ctype[cust_idx]
    product = np.empty(n, dtype=object)
    for t, mix in PRODUCTS.items():
        m = ct == t
        product[m] = pick(rng, mix, m.sum())
    term = np.array([rng.choice(TERMS[p]) for p in product]) if n < 50000 else _vector_terms(rng, product)
    span = (window_end - window_start).astype(int)
    # disbursed so that the loan is on the book at the window start or disbursed within the window
    lead = np.minimum(term * 30, 8 * 365)
    offset = (rng.random(n) * (lead + span - 5)).astype(int) - lead
    disb = window_start + offset * DAY
    maturity = (disb.astype("datetime64[M]") + term).astype("datetime64[D]") + (disb - disb.astype("datetime64[M]").astype("datetime64[D]"))
    med = np.array([AMOUNTS[p][0] for p in product])
    sig = np.array([AMOUNTS[p][1] for p in product])
    amount = np.round(med * np.exp(sig * rng.standard_normal(n)) / 1000.0) * 1000.0
    amount = np.maximum(amount, 10000.0)
    rate = np.round(rng.uniform(0.028, 0.062, n), 4)
    guarantee = np.empty(n, dtype=object)
    for t, mix in GUARANTEES.items():
        m = ct == t
        guarantee[m] = pick(rng, mix, m.sum())
    guarantee[product == "mortgage"] = "mortgage"
    entrusted = rng.random(n) < np.array([ENTRUSTED_SHARE[p] for p in product])
    purpose = np.array([PURPOSES[p][i % len(PURPOSES[p])] for p, i in zip(product, rng.integers(0, 8, n))], dtype=object)
    # extensions (展期): a few short-term business loans maturing inside the window
    ext_ok = np.isin(product, ["working_capital", "trade_finance", "personal_business"]) & \
        (maturity > window_start) & (maturity < window_end) & (rng.random(n) < 0.05)
    extended = np.where(ext_ok, maturity + rng.integers(90, 366, n) * DAY, np.datetime64("NaT", "D"))
    # legacy defaults: business loans that matured unpaid 2-3 years before the end of the
    # history and are still on the book as NPL (their limitation periods run out soon)
    legacy = np.isin(product, ["working_capital", "personal_business"]) & (rng.random(n) < 0.035)
    maturity = np.where(legacy, window_end - rng.integers(900, 1150, n) * DAY, maturity)
    disb = np.where(legacy, (maturity.astype("datetime64[M]") - term).astype("datetime64[D]") + 4 * DAY, disb)
    extended = np.where(legacy, np.datetime64("NaT", "D"), extended)
    return pd.DataFrame({
        "loan_id": ids("L", n, 8), "customer_id": customers["customer_id"].to_numpy()[cust_idx],
        "product": product, "amount": amount, "disbursement_date": disb, "maturity_date": maturity,
        "extended_maturity_date": extended, "interest_rate": rate, "guarantee_type": guarantee,
        "payment_mode": np.where(entrusted, "entrusted", "self").astype(object), "purpose": purpose,
        "is_restructured": False, "restructure_date": np.datetime64("NaT", "D"),
        "term_months": term, "_cust": cust_idx, "_legacy": legacy,
    })


def _vector_terms(rng, product):
    out = np.zeros(len(product), dtype=int)
    for p, choices in TERMS.items():
        m = product == p
        out[m] = rng.choice(choices, m.sum())
    return out


def build_assignments(rng, customers: pd.DataFrame, loans: pd.DataFrame, officers: pd.DataFrame,
                      branches: pd.DataFrame, window_start, window_end) -> pd.DataFrame:
    """Who answers for each customer over time, with handovers.

    Handovers: departures (to the successor hired in the same branch; for a few
    the successor takes over weeks later, leaving nobody assigned), rotation and
    reassignment, and leave (a colleague covers, then the officer takes back).
    Some handovers have no witness (监交人) or no signed handover list.
    """
    parent = branches.set_index("branch_id")["parent_id"]
    am = officers[(officers["role"] == "account_manager") & (officers["replaces"] < 0)]
    pools = {b: g.index.to_numpy() for b, g in am.groupby("branch_id")}
    cust_branch = customers["operating_branch_id"].to_numpy()
    pool_branch = np.where(customers["is_key_customer"].to_numpy(), parent.reindex(cust_branch).to_numpy(), cust_branch)
    n = len(customers)
    officer = np.empty(n, dtype=int)
    for b in np.unique(pool_branch):
        m = pool_branch == b
        officer[m] = rng.choice(pools[b], m.sum())
    first_disb = loans.groupby("_cust")["disbursement_date"].min().reindex(range(n)).to_numpy()
    hire = officers["hire_date"].to_numpy()
    start = np.maximum(first_disb - rng.integers(0, 60, n) * DAY, hire[officer])
    leave = officers["leave_date"].to_numpy()
    successor = pd.Series(officers.index[officers["replaces"] >= 0],
                          index=officers.loc[officers["replaces"] >= 0, "replaces"].to_numpy())
    heads = officers[officers["role"].isin(["branch_head", "post_loan_manager"])]
    witness_pool = {b: g.index.to_numpy() for b, g in heads.groupby("branch_id")}

    segs = []   # (cust, officer, start, end, reason, handover_from)
    cur_off, cur_start = officer.copy(), start.copy()
    # leave episodes and rotations for customers whose officer stays
    lv = leave[cur_off]
    stays = np.isnat(lv)
    u = rng.random(n)
    span = (window_end - window_start).astype(int)
    ev_day = window_start + (rng.random(n) * (span - 150)).astype(int) * DAY
    rot = stays & (u < 0.07) & (ev_day > cur_start)
    on_leave = stays & (u >= 0.07) & (u < 0.10) & (ev_day > cur_start)
    staying = officers["leave_date"].isna().to_numpy()
    stay_pools = {b: p[staying[p]] if staying[p].any() else p for b, p in pools.items()}
    colleague = np.empty(n, dtype=int)
    for b in np.unique(pool_branch):
        m = pool_branch == b
        colleague[m] = rng.choice(stay_pools[b], m.sum())
    colleague = np.where(colleague == cur_off, officer[(np.arange(n) + 1) % n], colleague)
    reasons = np.where(rng.random(n) < 0.6, "rotation", "reassignment")
    for i in np.flatnonzero(rot):
        segs.append((i, cur_off[i], cur_start[i], ev_day[i], None, -1))
        cur_off[i], cur_start[i] = colleague[i], ev_day[i]
        segs.append((i, cur_off[i], cur_start[i], None, reasons[i], officer[i]))
    back = ev_day + rng.integers(30, 120, n) * DAY
    for i in np.flatnonzero(on_leave):
        segs.append((i, officer[i], cur_start[i], ev_day[i], None, -1))
        segs.append((i, colleague[i], ev_day[i], back[i], "leave", officer[i]))
        segs.append((i, officer[i], back[i], None, "leave", colleague[i]))
    done = rot | on_leave
    # departures: the customer moves to the successor on the leaving date (a few later: nobody assigned)
    dep = ~stays & ~done
    late = rng.random(n) < 0.04
    for i in np.flatnonzero(dep):
        end = lv[i]
        if end <= cur_start[i]:     # the relationship began after the officer left
            segs.append((i, successor[cur_off[i]], cur_start[i], None, None, -1))
            continue
        segs.append((i, cur_off[i], cur_start[i], end, None, -1))
        new_start = end + (int(rng.integers(10, 45)) * DAY if late[i] else 0 * DAY)
        segs.append((i, successor[cur_off[i]], new_start, None, "departure", cur_off[i]))
    for i in np.flatnonzero(~done & ~dep):
        segs.append((i, cur_off[i], cur_start[i], None, None, -1))
    c_, o_, s_, e_, r_, f_ = zip(*segs)
    start_days = np.array(s_, dtype="datetime64[D]")
    end_days = np.array([np.datetime64("NaT") if e is None else e for e in e_], dtype="datetime64[D]")
    a = pd.DataFrame({"_cust": np.array(c_, dtype=int), "_off": np.array(o_, dtype=int),
                      "handover_reason": np.array(r_, dtype=object), "_from": np.array(f_, dtype=int)})
    handed = a["handover_reason"].notna().to_numpy()
    dil_from = officers["diligence"].to_numpy()[np.maximum(a["_from"].to_numpy(), 0)]
    has_witness = handed & (rng.random(len(a)) < 0.45 + 0.5 * dil_from)
    witness_branch = officers["branch_id"].to_numpy()[a["_off"].to_numpy()]
    witness = np.array([officers["officer_id"].iat[rng.choice(witness_pool[b])] if w else None
                        for b, w in zip(witness_branch, has_witness)], dtype=object)
    signed = handed & (rng.random(len(a)) < 0.55 + 0.4 * dil_from)
    signed_date = np.where(signed, start_days + rng.integers(0, 12, len(a)) * DAY,
                           np.datetime64("NaT", "D"))
    return pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[a["_cust"].to_numpy()],
        "officer_id": officers["officer_id"].to_numpy()[a["_off"].to_numpy()],
        "start_date": start_days, "end_date": end_days,
        "handover_reason": a["handover_reason"].to_numpy(dtype=object),
        "witness_officer_id": witness, "handover_signed_date": signed_date,
    }).sort_values(["customer_id", "start_date"], ignore_index=True)
