"""loan_month: month-end snapshots in which delinquency evolves.

Vectorised over loans, one step per month: loans fall overdue, cure, roll
forward, default; some are prepaid, extended, restructured, settled from
recoveries, written off or sold in quarterly transfer packages. Classification
mostly follows the dpd floors; a planted minority of loans is recorded one grade
too favourably, and watch-listed customers are 关注 while current.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.sample.book import AMORTISING
from postloan.sample.util import month_end

CLASSES = np.array(["normal", "special_mention", "substandard", "doubtful", "loss"], dtype=object)
STATUSES = np.array(["active", "settled", "written_off", "transferred"], dtype=object)
PROVISION_RATE = np.array([0.015, 0.03, 0.30, 0.60, 1.0])
# monthly probability that a current loan falls overdue, by product
BASE_PD = {"working_capital": 0.0045, "fixed_asset": 0.0035, "trade_finance": 0.004, "personal_business": 0.006,
           "personal_consumption": 0.006, "mortgage": 0.0015}
BURN_IN = 24     # months simulated before the history starts, so that it opens in a steady state


def _floor(dpd: np.ndarray) -> np.ndarray:
    return np.select([dpd > 360, dpd > 270, dpd > 90, dpd > 0], [4, 3, 2, 1], 0).astype(np.int8)


def simulate(rng, loans: pd.DataFrame, customers: pd.DataFrame, history_months: np.ndarray):
    """Returns (loan_month frame, events dict of restructures and exits); `_t` counts
    months of the history (burn-in months are simulated but not returned)."""
    months = np.arange(history_months[0] - BURN_IN, history_months[-1] + 1)
    n, T = len(loans), len(months)
    mends = month_end(months)
    disb = loans["disbursement_date"].to_numpy().astype("datetime64[D]")
    mat = loans["maturity_date"].to_numpy().astype("datetime64[D]")
    ext = loans["extended_maturity_date"].to_numpy().astype("datetime64[D]")
    eff_mat = np.where(np.isnat(ext), mat, ext)
    amount = loans["amount"].to_numpy(dtype=float)
    rate = loans["interest_rate"].to_numpy(dtype=float)
    product = loans["product"].to_numpy()
    amort = np.isin(product, list(AMORTISING))
    term_days = np.maximum((mat - disb).astype(int), 1)
    risk = customers["risk"].to_numpy()[loans["_cust"].to_numpy()]
    pd_base = np.array([BASE_PD[p] for p in product]) * risk
    legacy = loans["_legacy"].to_numpy()
    lenient = rng.random(n) < 0.06                      # recorded one grade too favourably when overdue
    watch = risk > np.quantile(risk, 0.985)             # 关注 while current
    first_t = np.searchsorted(mends, disb)             # first month-end on or after disbursement
    first_t = np.clip(first_t, 0, T)

    def scheduled(day):
        frac = np.clip((day - disb).astype(int) / term_days, 0, 1)
        bal = np.where(amort, amount * (1 - frac), amount)
        return np.where(day >= eff_mat, 0.0, np.round(bal, 2))

    bal = np.zeros(n)
    dpd = np.zeros(n, dtype=np.int32)
    status = np.zeros(n, dtype=np.int8)
    cls = np.zeros(n, dtype=np.int8)
    restr_t = np.full(n, -1, dtype=np.int32)
    out, restructures, exits = [], [], []
    for t in range(T):
        me = mends[t]
        dim = int((me - month_end(months[t:t + 1] - 1)[0]).astype(int))
        alive = (first_t <= t) & (status == 0)
        new = alive & (first_t == t)
        old = alive & ~new
        sched = scheduled(np.full(n, me))
        bal[new] = np.maximum(sched[new], np.round(amount[new] * 0.02, 2))
        u, v = rng.random(n), rng.random(n)
        matured = me >= eff_mat
        current = old & (dpd == 0)
        # current loans: fall overdue (more likely at maturity), prepay, or mature and settle
        p_fall = pd_base * np.where(matured & ~amort, 4.0, 1.0)
        falls = current & ((u < p_fall) | (legacy & matured))   # legacy defaults never repay at maturity
        dpd[falls] = rng.integers(1, 31, falls.sum())
        pays = current & ~falls
        bal[pays] = sched[pays]
        prepaid = pays & (v < 0.004) & ~matured
        settle = (pays & matured) | prepaid
        # overdue loans: cure, roll forward or partly pay; default exits
        late = old & (dpd > 0) & ~falls
        p_cure = np.select([dpd <= 30, dpd <= 60, dpd <= 90, dpd <= 180], [0.42, 0.22, 0.10, 0.04], 0.015)
        cures = late & (u < p_cure) & ~legacy
        dpd[cures] = 0
        bal[cures] = np.where(matured[cures], 0.0, np.minimum(bal[cures], sched[cures]))
        settle |= cures & matured
        rolls = late & ~cures
        partial = rolls & (v < 0.15)
        dpd[rolls & ~partial] += dim
        dpd[partial] = np.maximum(1, dpd[partial] - rng.integers(0, 20, partial.sum()))
        w = rng.random(n)
        restructure = rolls & (dpd > 90) & (dpd <= 270) & (restr_t < 0) & (w < 0.035)
        dpd[restructure] = 0
        restr_t[restructure] = t
        restructure &= ~legacy
        write_off = rolls & ~restructure & (dpd > 360) & (w > 0.90)
        transfer = rolls & ~restructure & ~write_off & (dpd > 180) & (t % 3 == 2) & (w < 0.08)
        recovered = rolls & ~restructure & ~write_off & ~transfer & (dpd > 90) & (w > 0.8) & (w < 0.83)
        settle |= recovered
        # classification
        floor = _floor(dpd)
        in_obs = (restr_t >= 0) & (t - restr_t < 12)
        floor = np.where(in_obs, np.maximum(floor, np.where(t - restr_t < 6, 2, 1)), floor)
        cls_now = np.where(lenient & (dpd > 0), np.maximum(floor - 1, 0), floor)
        cls_now = np.where(watch & (cls_now == 0), 1, cls_now).astype(np.int8)
        cls[alive] = cls_now[alive]
        # exits this month
        exit_status = np.select([write_off, transfer, settle], [2, 3, 1], 0).astype(np.int8)
        exiting = alive & (exit_status > 0)
        exit_balance = np.where(exiting, bal, 0.0)
        status[exiting] = exit_status[exiting]
        installment = np.where(amort, amount / np.maximum(loans["term_months"].to_numpy(), 1), 0.0)
        od_p = np.where(dpd > 0, np.where(matured, bal, np.minimum(bal, installment * np.ceil(dpd / 30))), 0.0)
        od_i = np.where(dpd > 0, bal * rate * dpd / 360.0, 0.0)
        idx = np.flatnonzero(alive)
        row_bal = np.where(exiting, 0.0, bal)[idx]
        row_dpd = np.where(exiting & (status == 1), 0, dpd)[idx]
        od_p_row = np.where(exiting, 0.0, od_p)[idx]
        od_i_row = np.where(exiting, 0.0, od_i)[idx]
        if restructure.any():
            r = np.flatnonzero(restructure)
            restructures.append(pd.DataFrame({"_loan": r, "_t": t - BURN_IN, "balance": bal[r]}))
        if t < BURN_IN:
            bal[exiting] = 0.0
            continue
        out.append(pd.DataFrame({
            "_t": np.full(len(idx), t - BURN_IN, dtype=np.int16), "_loan": idx.astype(np.int32),
            "balance": np.round(row_bal, 2), "overdue_principal": np.round(od_p_row, 2),
            "overdue_interest": np.round(od_i_row, 2), "dpd": row_dpd.astype(np.int32),
            "_cls": cls[idx], "_status": status[idx],
            "provision": np.round(row_bal * PROVISION_RATE[cls[idx]], 2),
        }))
        if exiting.any():
            e = np.flatnonzero(exiting)
            exits.append(pd.DataFrame({"_loan": e, "_t": t - BURN_IN, "_status": status[e], "exit_balance": exit_balance[e],
                                       "dpd_before": dpd[e]}))
        bal[exiting] = 0.0
    lm = pd.concat(out, ignore_index=True)
    events = {
        "restructures": pd.concat(restructures, ignore_index=True) if restructures else
        pd.DataFrame(columns=["_loan", "_t", "balance"]),
        "exits": pd.concat(exits, ignore_index=True),
    }
    return lm, events


def to_contract(lm: pd.DataFrame, loans: pd.DataFrame, months: np.ndarray) -> pd.DataFrame:
    """The internal frame -> the loan_month table of the contract (categorical text codes)."""
    month_text = pd.Categorical.from_codes(lm["_t"].to_numpy(), categories=[str(m) for m in months])
    return pd.DataFrame({
        "month": month_text,
        "loan_id": pd.Categorical.from_codes(lm["_loan"].to_numpy(), categories=loans["loan_id"].to_numpy()),
        "balance": lm["balance"], "overdue_principal": lm["overdue_principal"],
        "overdue_interest": lm["overdue_interest"], "dpd": lm["dpd"],
        "classification": pd.Categorical.from_codes(lm["_cls"].to_numpy(), categories=CLASSES),
        "status": pd.Categorical.from_codes(lm["_status"].to_numpy(), categories=STATUSES),
        "provision": lm["provision"],
    })
