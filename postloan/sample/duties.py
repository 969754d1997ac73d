"""Duties performed (or not) by officers of differing diligence: inspections,
warning signals with their lifecycle, and credit archives.

Every event is attributed to the officer responsible for the customer on the
event's date (assignments), and that officer's hidden diligence sets the odds of
the duty being done, done on time, late, or missing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.sample.util import DAY, clip_future, ids, month_end, pick

NOBODY_DILIGENCE = 0.25


def diligence_of(ctx, officer_rows: np.ndarray) -> np.ndarray:
    d = ctx.officers["diligence"].to_numpy()
    return np.where(officer_rows >= 0, d[np.maximum(officer_rows, 0)], NOBODY_DILIGENCE)


def officer_ids(ctx, officer_rows: np.ndarray) -> np.ndarray:
    o = ctx.officers["officer_id"].to_numpy(dtype=object)
    return np.where(officer_rows >= 0, o[np.maximum(officer_rows, 0)], None)


def _timely(rng, dil, limit_days, late_range=(1, 45), done_base=0.55, on_time_base=0.3):
    """Days after the start at which a duty was done (NaN = never), by diligence."""
    n = len(dil)
    done = rng.random(n) < done_base + (1 - done_base) * dil
    on_time = rng.random(n) < on_time_base + (1 - on_time_base) * dil
    days = np.where(on_time, (rng.random(n) * (limit_days + 1)).astype(int),
                    limit_days + rng.integers(late_range[0], late_range[1] + 1, n))
    return np.where(done, days, -1)


def build_inspections(rng, ctx) -> pd.DataFrame:
    loans, cust, lm = ctx.loans, ctx.customers, ctx.lm
    ws, we = ctx.window_start, ctx.window_end
    frames = []
    # first inspections of loans disbursed in the history
    new = loans[loans["disbursement_date"].to_numpy() >= ws]
    ctype = cust["customer_type"].to_numpy()[new["_cust"].to_numpy()]
    limit = np.where(ctype == "individual", 30, 15)
    disb = new["disbursement_date"].to_numpy().astype("datetime64[D]")
    who = ctx.responsible(new["customer_id"].to_numpy(), disb)
    days = _timely(rng, diligence_of(ctx, who), 0, (1, 45))
    days = np.where(days >= 0, np.where(days == 0, rng.integers(1, limit + 1), days + limit), -1)
    done = days >= 0
    frames.append(pd.DataFrame({
        "customer_id": new["customer_id"].to_numpy()[done],
        "loan_id": np.where(rng.random(done.sum()) < 0.92, new["loan_id"].to_numpy()[done], None),
        "kind": "first", "completed_date": disb[done] + days[done] * DAY, "_who": who[done],
        "_window_end": disb[done] + limit[done] * DAY}))
    # routine windows: month while risky at the previous month-end, else quarter (corporate,
    # small business) or year (individual), for customers with an active loan
    lm_c = pd.DataFrame({"_t": lm["_t"].to_numpy(), "_cust": loans["_cust"].to_numpy()[lm["_loan"].to_numpy()],
                         "_cls": lm["_cls"].to_numpy(), "_active": lm["_status"].to_numpy() == 0})
    cm = lm_c.groupby(["_cust", "_t"]).agg(cls=("_cls", "max"), active=("_active", "any")).reset_index()
    cm["risky_prev"] = cm.groupby("_cust")["cls"].shift(1).fillna(0) >= 1
    months = ctx.months
    mo = months[cm["_t"].to_numpy()]
    month_no = mo.astype(int) % 12
    ct = ctype_all = cust["customer_type"].to_numpy()[cm["_cust"].to_numpy()]
    monthly = cm["risky_prev"].to_numpy() & cm["active"].to_numpy()
    quarterly = ~monthly & cm["active"].to_numpy() & (ct != "individual") & (month_no % 3 == 0)
    yearly = ~monthly & cm["active"].to_numpy() & (ct == "individual") & (month_no == 0)
    w_start = mo.astype("datetime64[D]")
    w_end = np.select([monthly, quarterly], [month_end(mo), month_end(mo + 2)], month_end(mo + 11))
    sel = monthly | quarterly | yearly
    cidx, w_start, w_end = cm["_cust"].to_numpy()[sel], w_start[sel], w_end[sel]
    length = (w_end - w_start).astype(int)
    cid = cust["customer_id"].to_numpy()[cidx]
    who = ctx.responsible(cid, w_start + length // 2 * DAY)
    dil = diligence_of(ctx, who)
    done = rng.random(len(cid)) < 0.45 + 0.55 * dil
    on_time = rng.random(len(cid)) < 0.3 + 0.7 * dil
    day = np.where(on_time, w_start + (rng.random(len(cid)) * (length + 1)).astype(int) * DAY,
                   w_end + rng.integers(1, 40, len(cid)) * DAY)
    risky = monthly[sel]
    kind = np.where(risky & (rng.random(len(cid)) < 0.2), "special",
                    np.where((ct[sel] == "corporate") & (rng.random(len(cid)) < 0.06), "extended", "routine"))
    frames.append(pd.DataFrame({"customer_id": cid[done], "loan_id": None, "kind": kind[done],
                                "completed_date": day[done], "_who": who[done], "_window_end": w_end[done]}))
    # duty-supervision inspections (尽职监督检查) by risk and post-loan managers
    k = max(3, len(cust) // 25)
    sc = rng.choice(len(cust), k)
    sd = ws + (rng.random(k) * (we - ws).astype(int)).astype(int) * DAY
    supervisors = ctx.officers.index[ctx.officers["role"].isin(["risk_manager", "post_loan_manager"])].to_numpy()
    frames.append(pd.DataFrame({"customer_id": cust["customer_id"].to_numpy()[sc], "loan_id": None,
                                "kind": "supervisory", "completed_date": sd, "_who": rng.choice(supervisors, k),
                                "_window_end": sd}))
    ins = pd.concat(frames, ignore_index=True)
    ins = ins[ins["completed_date"].to_numpy() <= we].reset_index(drop=True)
    n = len(ins)
    dil = diligence_of(ctx, ins["_who"].to_numpy())
    sampled = rng.random(n) < 0.35
    q = dil + rng.normal(0, 0.18, n)
    grade = np.select([q > 0.75, q > 0.5, q > 0.3], ["excellent", "good", "fair"], "poor").astype(object)
    planned = rng.random(n) < 0.5
    findings = pick(rng, {"经营正常，资金按约定用途使用": 6, "销售收入下降，已提示风险": 1, "存货积压，需关注": 1,
                          "实际控制人涉诉，建议加强监控": 0.5, "押品现状良好": 2}, n)
    ins["inspection_id"] = ids("I", n, 8)
    ins["officer_id"] = officer_ids(ctx, ins["_who"].to_numpy())
    ins["on_site"] = rng.random(n) < 0.6 + 0.35 * dil
    ins["planned_date"] = np.where(planned, ins["_window_end"].to_numpy() - rng.integers(0, 20, n) * DAY,
                                   np.datetime64("NaT", "D"))
    ins["quality_grade"] = np.where(sampled, grade, None)
    ins["findings"] = np.where(rng.random(n) < 0.7, findings, None)
    return ins[["inspection_id", "customer_id", "loan_id", "kind", "completed_date", "officer_id", "on_site",
                "planned_date", "quality_grade", "findings"]]


SIGNALS = {"financial": ("FIN", ["营业收入大幅下降", "资产负债率快速上升", "未按时提供财务报表", "经营性现金流为负"]),
           "operational": ("OPR", ["停产或半停产", "主要客户流失", "项目停工"]),
           "management": ("MGT", ["实际控制人失联", "法定代表人变更", "主要股东变更"]),
           "guarantee_collateral": ("GCL", ["押品价值大幅下降", "保证人代偿能力下降", "押品被查封"]),
           "account_funds": ("ACF", ["资金回笼大幅减少", "贷款资金流向股市", "账户被冻结"]),
           "external": ("EXT", ["涉及重大诉讼", "被列为被执行人", "他行贷款逾期", "负面舆情"]),
           "repayment": ("REP", ["利息逾期", "本金逾期"])}
REPORT_SLA = {"red": 1, "orange": 3, "yellow": 5}       # working days (generator's view of policy)
HANDLE_SLA = {"red": 5, "orange": 10, "yellow": 15}
RELEASE_REASONS = ["欠息已结清", "已追加担保", "诉讼已撤销", "经核实信号不实", "贷款已结清退出", "经营恢复正常"]
MEASURES = ["提高检查频率", "停止新增授信", "要求追加担保", "冻结额度", "提前收回部分贷款", "移交资产保全部门"]


def _cal(wd):
    return (np.asarray(wd) * 7) // 5     # working days -> calendar days, near enough for a sample


def build_warnings(rng, ctx) -> pd.DataFrame:
    loans, cust, lm = ctx.loans, ctx.customers, ctx.lm
    ws, we = ctx.window_start, ctx.window_end
    l_cust = loans["_cust"].to_numpy()
    lm_loan, lm_t, dpd = lm["_loan"].to_numpy(), lm["_t"].to_numpy(), lm["dpd"].to_numpy()
    prev_same = np.r_[False, lm_loan[1:] == lm_loan[:-1]]
    order = np.lexsort((lm_t, lm_loan))
    loan_s, t_s, dpd_s = lm_loan[order], lm_t[order], dpd[order]
    same = np.r_[False, loan_s[1:] == loan_s[:-1]]
    prev_dpd = np.where(same, np.r_[0, dpd_s[:-1]], 0)
    mends = month_end(ctx.months)
    parts = []
    # (a) early warnings before a loan first becomes NPL (some loans get none: missed signals)
    npl_start = (dpd_s > 90) & (prev_dpd <= 90)
    first_npl = pd.DataFrame({"_loan": loan_s[npl_start], "_t": t_s[npl_start]}).drop_duplicates("_loan")
    k = len(first_npl)
    has = rng.random(k) < 0.7
    day = mends[first_npl["_t"].to_numpy()] - rng.integers(15, 150, k) * DAY
    parts.append(pd.DataFrame({"_cust": l_cust[first_npl["_loan"].to_numpy()][has], "identified": day[has],
                               "level": pick(rng, {"red": 55, "orange": 45}, k)[has],
                               "category": pick(rng, {"financial": 3, "operational": 3, "management": 1,
                                                      "guarantee_collateral": 1, "account_funds": 1.5,
                                                      "external": 2}, k)[has],
                               "source": pick(rng, {"system": 3, "external_data": 2, "inspection": 2,
                                                    "officer": 2, "other": 0.3}, k)[has], "_bg": False}))
    # (b) system repayment warnings at the start of a delinquency spell
    spell = (dpd_s > 0) & (prev_dpd == 0)
    k = spell.sum()
    take = rng.random(k) < 0.5
    day = mends[t_s[spell]] - dpd_s[spell] * DAY + 2 * DAY
    parts.append(pd.DataFrame({"_cust": l_cust[loan_s[spell]][take], "identified": day[take],
                               "level": pick(rng, {"yellow": 80, "orange": 20}, k)[take], "category": "repayment",
                               "source": "system", "_bg": False}))
    # (c) background signals on performing customers, most later released or rejected
    k = int(len(cust) * 0.06 * len(ctx.months) / 12)
    parts.append(pd.DataFrame({"_cust": rng.integers(0, len(cust), k),
                               "identified": ws + (rng.random(k) * (we - ws).astype(int)).astype(int) * DAY,
                               "level": pick(rng, {"yellow": 70, "orange": 25, "red": 5}, k),
                               "category": pick(rng, {c: 1 for c in SIGNALS if c != "repayment"}, k),
                               "source": pick(rng, {"system": 3, "external_data": 3, "inspection": 2, "officer": 2,
                                                    "other": 0.5}, k), "_bg": True}))
    w = pd.concat(parts, ignore_index=True)
    w = w[(w["identified"].to_numpy() >= ws) & (w["identified"].to_numpy() <= we)].reset_index(drop=True)
    n = len(w)
    ident = w["identified"].to_numpy().astype("datetime64[D]")
    cid = cust["customer_id"].to_numpy()[w["_cust"].to_numpy()]
    who = ctx.responsible(cid, ident)
    dil = diligence_of(ctx, who)
    level = w["level"].to_numpy()
    rep_sla = _cal(np.array([REPORT_SLA[x] for x in level]))
    han_sla = _cal(np.array([HANDLE_SLA[x] for x in level]))
    rep_days = _timely(rng, dil, 0, (1, 20), done_base=0.8)
    rep_days = np.where(rep_days == 0, (rng.random(n) * (rep_sla + 1)).astype(int),
                        np.where(rep_days > 0, rep_days + rep_sla, -1))
    reported = clip_future(np.where(rep_days >= 0, ident + np.maximum(rep_days, 0) * DAY, np.datetime64("NaT")), we)
    rejected = w["_bg"].to_numpy() & (rng.random(n) < 0.12) & ~np.isnat(reported)
    confirmed = clip_future(np.where(~np.isnat(reported) & ~rejected, reported + rng.integers(0, 6, n) * DAY,
                                     np.datetime64("NaT")), we)
    mea_days = _timely(rng, dil, 0, (1, 30), done_base=0.75)
    mea_days = np.where(mea_days == 0, (rng.random(n) * (han_sla + 1)).astype(int),
                        np.where(mea_days > 0, mea_days + han_sla, -1))
    measure = clip_future(np.where((mea_days >= 0) & ~np.isnat(confirmed), ident + np.maximum(mea_days, 0) * DAY,
                                   np.datetime64("NaT")), we)
    measure = np.where(~np.isnat(measure) & (measure < confirmed), confirmed, measure)
    ent_days = np.where(rng.random(n) < 0.5 + 0.5 * dil, rng.integers(0, 5, n), rng.integers(5, 20, n))
    entered = clip_future(ident + ent_days * DAY, we)
    p_release = np.where(w["_bg"].to_numpy(), 0.75, 0.2)
    rel_day = clip_future(np.where(~np.isnat(measure), measure + rng.integers(20, 200, n) * DAY,
                                   np.datetime64("NaT")), we)
    released = ~np.isnat(rel_day) & (rng.random(n) < p_release)
    status = np.where(rejected, "rejected", np.where(released, "released",
                                                     np.where(~np.isnat(measure), "handling", "open"))).astype(object)
    cat = w["category"].to_numpy()
    prefix = np.array([SIGNALS[c][0] for c in cat], dtype=object)
    texts = [SIGNALS[c][1] for c in cat]
    sig_i = rng.integers(0, 4, n)
    signal = np.array([f"{p}{(i % len(t)) + 1:02d}" for p, t, i in zip(prefix, texts, sig_i)], dtype=object)
    out = pd.DataFrame({
        "warning_id": ids("W", n, 7), "customer_id": cid, "signal_code": signal, "category": cat,
        "source": w["source"].to_numpy(), "level": level, "identified_date": ident,
        "reported_date": reported, "reported_by": np.where(np.isnat(reported), None, officer_ids(ctx, who)),
        "confirmed_date": confirmed, "first_measure_date": measure,
        "measures": np.where(np.isnat(measure), None, pick(rng, {m: 1 for m in MEASURES}, n)),
        "status": status, "released_date": np.where(released & ~rejected, rel_day, np.datetime64("NaT", "D")),
        "release_reason": np.where(released & ~rejected, pick(rng, {r: 1 for r in RELEASE_REASONS}, n), None),
        "entered_date": entered,
    })
    return out.sort_values(["identified_date", "warning_id"], ignore_index=True)


DOCS = [("contract", 5, None), ("iou", 5, None), ("collateral_registration", 30, ("mortgage", "pledge")),
        ("guarantee_contract", 5, ("guarantee",)), ("inspection_report", 30, None)]


def build_archives(rng, ctx) -> pd.DataFrame:
    loans, we = ctx.loans, ctx.window_end
    recent = loans[loans["disbursement_date"].to_numpy() >= ctx.window_start - 365 * DAY]
    disb = recent["disbursement_date"].to_numpy().astype("datetime64[D]")
    who = ctx.responsible(recent["customer_id"].to_numpy(), disb)
    dil = diligence_of(ctx, who)
    frames = []
    for doc, days, only in DOCS:
        m = np.ones(len(recent), dtype=bool) if only is None else recent["guarantee_type"].isin(only).to_numpy()
        due = disb[m] + days * DAY
        d = dil[m]
        k = m.sum()
        on_time = rng.random(k) < 0.45 + 0.55 * d
        missing = ~on_time & (rng.random(k) < 0.35 * (1 - d) + 0.05)
        recv = np.where(on_time, due - rng.integers(0, days + 1, k) * DAY, due + rng.integers(1, 90, k) * DAY)
        recv = clip_future(np.where(missing, np.datetime64("NaT", "D"), recv), we)
        frames.append(pd.DataFrame({"loan_id": recent["loan_id"].to_numpy()[m], "doc_type": doc,
                                    "due_date": due, "received_date": recv}))
    return pd.concat(frames, ignore_index=True).sort_values(["loan_id", "doc_type"], ignore_index=True)
