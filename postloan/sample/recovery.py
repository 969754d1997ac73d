"""Collection actions, recoveries (every method) and legal cases, driven by the
delinquency that the loan_month history produced."""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.sample.duties import diligence_of, officer_ids
from postloan.sample.util import DAY, clip_future, ids, month_end, pick

AGENCIES = ["信达催收服务有限公司", "华融资产管理服务有限公司", "长城商务咨询有限公司", "东方信用管理有限公司"]


def build_collection_actions(rng, ctx) -> pd.DataFrame:
    loans, lm, we = ctx.loans, ctx.lm, ctx.window_end
    od = lm[(lm["dpd"].to_numpy() > 0) & (lm["_status"].to_numpy() == 0)]
    loan_i, t, dpd = od["_loan"].to_numpy(), od["_t"].to_numpy(), od["dpd"].to_numpy()
    me = month_end(ctx.months)[t]
    cid = loans["customer_id"].to_numpy()[loan_i]
    spell_start = me - (dpd - 1) * DAY
    who = ctx.responsible(cid, me)
    dil = diligence_of(ctx, who)
    # first action of a spell: within 3 days for the diligent, later or never for others
    first = dpd <= 31
    prompt = rng.random(len(od)) < 0.35 + 0.65 * dil
    f_day = spell_start + np.where(prompt, rng.integers(0, 4, len(od)), rng.integers(4, 25, len(od))) * DAY
    f_sel = first & (rng.random(len(od)) < 0.7 + 0.3 * dil) & (f_day <= me)
    # further actions through the spell, more and harder as dpd grows
    k = rng.poisson(np.select([dpd <= 30, dpd <= 90], [1.0, 1.6], 1.2))
    neglected = loans["_legacy"].to_numpy()[loan_i] & (rng.random(len(od)) < 0.93)   # forgotten old defaults
    k = np.where(neglected, 0, k)
    rep = np.repeat(np.arange(len(od)), k)
    days_back = (rng.random(len(rep)) * np.minimum(dpd[rep], 28)).astype(int)
    parts = [pd.DataFrame({"_row": np.flatnonzero(f_sel), "day": f_day[f_sel]}),
             pd.DataFrame({"_row": rep, "day": me[rep] - days_back * DAY})]
    a = pd.concat(parts, ignore_index=True)
    r = a["_row"].to_numpy()
    n = len(a)
    d = dpd[r]
    channel = np.select(
        [d <= 30, d <= 90],
        [pick(rng, {"sms": 45, "phone": 45, "letter": 10}, n),
         pick(rng, {"phone": 40, "letter": 20, "field_visit": 30, "sms": 10}, n)],
        pick(rng, {"field_visit": 30, "lawyer_letter": 25, "outsourced": 25, "phone": 15, "litigation": 5}, n))
    hour = rng.integers(9, 19, n)
    night = np.isin(channel, ["phone", "field_visit"]) & (rng.random(n) < 0.02 + 0.03 * (1 - dil[r]))
    hour = np.where(night, rng.choice([6, 7, 22, 23], n), hour)
    time = (a["day"].to_numpy().astype("datetime64[D]").astype("datetime64[s]")
            + (hour * 3600 + rng.integers(0, 3600, n)).astype("timedelta64[s]"))
    outsourced = channel == "outsourced"
    party = pick(rng, {"borrower": 85, "guarantor": 12, "third_party": 3}, n)
    outcome = pick(rng, {"no_answer": 25, "contacted": 30, "promise_to_pay": 20, "partial_payment": 10,
                         "refused": 10, "lost_contact": 5}, n)
    promise = outcome == "promise_to_pay"
    od_amt = (od["overdue_principal"].to_numpy() + od["overdue_interest"].to_numpy())[r]
    ev_p = pd.Series(channel).map({"sms": 0.1, "phone": 0.3, "letter": 1.0, "field_visit": 0.6,
                                   "lawyer_letter": 1.0, "outsourced": 0.4, "litigation": 1.0}).to_numpy()
    out = pd.DataFrame({
        "loan_id": loans["loan_id"].to_numpy()[loan_i[r]], "action_time": time, "channel": channel,
        "officer_id": np.where(outsourced, None, officer_ids(ctx, who[r])),
        "agency_name": np.where(outsourced, rng.choice(AGENCIES, n), None),
        "contacted_party": party, "outcome": outcome,
        "promised_amount": np.where(promise, np.round(np.maximum(od_amt, 1000.0) * rng.uniform(0.3, 1.0, n), 2), np.nan),
        "promised_date": np.where(promise, a["day"].to_numpy().astype("datetime64[D]") + rng.integers(3, 21, n) * DAY,
                                  np.datetime64("NaT", "D")),
        "evidence": rng.random(n) < ev_p,
    })
    out = out[out["action_time"].to_numpy() <= (we + DAY).astype("datetime64[s]")]
    out = out.sort_values(["action_time", "loan_id"], ignore_index=True)
    out.insert(0, "action_id", ids("A", len(out), 8))
    return out


def build_recoveries(rng, ctx) -> pd.DataFrame:
    loans, lm, ev, we = ctx.loans, ctx.lm, ctx.events, ctx.window_end
    mends = month_end(ctx.months)
    ex = ev["exits"]
    frames = []
    wo = ex[ex["_status"] == 2]
    frames.append(pd.DataFrame({"_loan": wo["_loan"], "day": mends[wo["_t"]] - rng.integers(0, 10, len(wo)) * DAY,
                                "method": "write_off", "amount": wo["exit_balance"], "package_id": None}))
    tr = ex[ex["_status"] == 3]
    q = np.array([f"{str(mends[x])[:4]}Q{(int(str(mends[x])[5:7]) - 1) // 3 + 1}" for x in tr["_t"]], dtype=object)
    sec = rng.random(len(tr)) < 0.15
    frames.append(pd.DataFrame({"_loan": tr["_loan"], "day": mends[tr["_t"]] - rng.integers(0, 5, len(tr)) * DAY,
                                "method": np.where(sec, "securitization", "transfer"),
                                "amount": np.round(tr["exit_balance"].to_numpy() * rng.uniform(0.15, 0.45, len(tr)), 2),
                                "package_id": np.char.add(np.where(sec, "ABS", "PKG"), q.astype(str)).astype(object)}))
    st = ex[(ex["_status"] == 1) & (ex["dpd_before"] > 90) & (ex["exit_balance"] > 0)]
    frames.append(pd.DataFrame({"_loan": st["_loan"], "day": mends[st["_t"]] - rng.integers(0, 20, len(st)) * DAY,
                                "method": pick(rng, {"cash": 50, "collateral_sale": 25, "guarantor_payment": 15,
                                                     "foreclosure": 10}, len(st)),
                                "amount": st["exit_balance"], "package_id": None}))
    rs = ev["restructures"]
    rs = rs[rs["_t"] >= 0]                          # restructured during the history
    frames.append(pd.DataFrame({"_loan": rs["_loan"], "day": mends[rs["_t"].astype(int)] - rng.integers(0, 20, len(rs)) * DAY,
                                "method": "restructure", "amount": rs["balance"], "package_id": None}))
    npl = lm[(lm["_cls"].to_numpy() >= 2) & (lm["_status"].to_numpy() == 0) & (lm["balance"].to_numpy() > 0)]
    part = npl[rng.random(len(npl)) < 0.1]
    frames.append(pd.DataFrame({"_loan": part["_loan"], "day": mends[part["_t"]] - rng.integers(0, 25, len(part)) * DAY,
                                "method": pick(rng, {"cash": 70, "guarantor_payment": 20, "collateral_sale": 10}, len(part)),
                                "amount": np.round(part["balance"].to_numpy() * rng.uniform(0.02, 0.15, len(part)), 2),
                                "package_id": None}))
    after = wo[rng.random(len(wo)) < 0.25]        # 账销案存: cash still recovered after write-off
    frames.append(pd.DataFrame({"_loan": after["_loan"], "day": mends[after["_t"]] + rng.integers(20, 300, len(after)) * DAY,
                                "method": "cash", "amount": np.round(after["exit_balance"].to_numpy() *
                                                                     rng.uniform(0.01, 0.1, len(after)), 2),
                                "package_id": None}))
    r = pd.concat(frames, ignore_index=True)
    r["day"] = r["day"].to_numpy().astype("datetime64[D]")
    r = r[r["day"].to_numpy() <= we]
    r = r.sort_values(["day", "_loan"], ignore_index=True)
    n = len(r)
    cash_like = r["method"].isin(["cash", "collateral_sale", "guarantor_payment", "foreclosure"]).to_numpy()
    return pd.DataFrame({"recovery_id": ids("R", n, 7), "loan_id": loans["loan_id"].to_numpy()[r["_loan"].to_numpy()],
                         "recovery_date": r["day"].to_numpy(), "method": r["method"].to_numpy(),
                         "amount": r["amount"].to_numpy(dtype=float),
                         "cost": np.where(cash_like & (rng.random(n) < 0.4),
                                          np.round(r["amount"].to_numpy(dtype=float) * 0.03, 2), np.nan),
                         "package_id": r["package_id"].to_numpy()})


def build_legal_cases(rng, ctx) -> pd.DataFrame:
    loans, lm, we = ctx.loans, ctx.lm, ctx.window_end
    mends = month_end(ctx.months)
    order = np.lexsort((lm["_t"].to_numpy(), lm["_loan"].to_numpy()))
    loan_s, t_s, dpd_s = lm["_loan"].to_numpy()[order], lm["_t"].to_numpy()[order], lm["dpd"].to_numpy()[order]
    same = np.r_[False, loan_s[1:] == loan_s[:-1]]
    prev = np.where(same, np.r_[0, dpd_s[:-1]], 0)
    cross = (dpd_s > 180) & ((prev <= 180) | ~same)
    c = pd.DataFrame({"_loan": loan_s[cross], "_t": t_s[cross]}).drop_duplicates("_loan")
    legacy = loans["_legacy"].to_numpy()[c["_loan"].to_numpy()]
    c = c[rng.random(len(c)) < np.where(legacy, 0.1, 0.5)]
    n = len(c)
    filed = mends[c["_t"].to_numpy()] - rng.integers(0, 25, n) * DAY
    kind = pick(rng, {"lawsuit": 55, "payment_order": 15, "arbitration": 10, "notarized_enforcement": 20}, n)
    lag = np.select([kind == "payment_order", kind == "notarized_enforcement"],
                    [rng.integers(20, 45, n), rng.integers(10, 30, n)], rng.integers(60, 300, n))
    judgment = clip_future(filed + lag * DAY, we)
    enforce = clip_future(np.where(rng.random(n) < 0.55, judgment + rng.integers(10, 400, n) * DAY,
                                   np.datetime64("NaT", "D")), we)
    closed = ~np.isnat(enforce) & (rng.random(n) < 0.2)
    status = np.where(closed, "closed", np.where(~np.isnat(enforce), "enforcing",
                                                 np.where(~np.isnat(judgment), "judged", "filed"))).astype(object)
    return pd.DataFrame({"case_id": ids("LC", n, 6), "loan_id": loans["loan_id"].to_numpy()[c["_loan"].to_numpy()],
                         "kind": kind, "filed_date": filed, "judgment_date": judgment,
                         "enforcement_filed_date": enforce, "status": status})
