"""Cases and their duty-by-duty timelines.

Mart `accountability_cases` — grain: case (one loan): why it is reviewed, the case date,
loss, 普惠 scope.
Mart `accountability_timeline` — grain: one duty of one case from disbursement to the case
date: when it fell due, whether and when it was done, who was responsible then (per the
assignments history; None = nobody assigned), and the lapse it makes if any. Events
(periods with nobody assigned, handovers without witness or signature) are rows too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.accountability.config import AccountabilityConfig
from postloan.marts.context import MonthContext, lookup
from postloan.marts.inspections import _routine_windows
from postloan.periods import Period
from postloan.policy import NPL_CLASSES

DUTY_CN = {"first_inspection": "首次检查", "routine_inspection": "例行检查", "warning_report": "预警报告",
           "warning_handling": "预警处置", "warning_entry": "预警录入", "collateral_revaluation": "押品重估",
           "title_warrant": "他项权证入库", "entrusted_payment": "受托支付与用途", "collection_start": "启动催收",
           "collection_conduct": "催收行为", "limitation": "诉讼时效保全", "guarantee_period": "保证期间保全",
           "archives": "档案归档", "unassigned": "无人管户期间", "handover": "工作移交手续"}
REASONS = {"became_npl": "本期转为不良", "written_off": "本期核销", "transferred": "本期转让", "listed": "参数指定"}


def _last_active_balance(ctx: MonthContext) -> pd.Series:
    """loan_id -> balance at the loan's last month-end as an active loan (once per extract)."""
    if "last_active_balance" not in ctx.extract.memo:
        lm = ctx.extract["loan_month"]
        prev = lm[lm["status"] == "active"].sort_values("month").drop_duplicates("loan_id", keep="last")
        ctx.extract.memo["last_active_balance"] = prev.set_index("loan_id")["balance"]
    return ctx.extract.memo["last_active_balance"]


def select_cases(ctx: MonthContext, period: Period, cfg: AccountabilityConfig) -> pd.DataFrame:
    sel = cfg.case_selection
    lm = ctx.extract["loan_month"]
    months = period.months
    rows = []
    if sel.became_npl:
        x = lm[lm["month"].isin(months + [str(pd.Period(period.start, "M") - 1)])].sort_values(["loan_id", "month"])
        npl = x["classification"].isin(NPL_CLASSES) & (x["status"] == "active")
        prev = npl.groupby(x["loan_id"]).shift(fill_value=True).astype(bool)
        new = x[npl & ~prev & x["month"].isin(months)].drop_duplicates("loan_id")
        rows.append(pd.DataFrame({"loan_id": new["loan_id"].to_numpy(), "reason": "became_npl",
                                  "case_date": pd.PeriodIndex(new["month"], freq="M").end_time.normalize(),
                                  "case_balance": new["balance"].to_numpy()}))
    for status, flag in (("written_off", sel.written_off), ("transferred", sel.transferred)):
        if flag:
            x = lm[lm["month"].isin(months) & (lm["status"] == status)]
            bal = _last_active_balance(ctx)
            rows.append(pd.DataFrame({"loan_id": x["loan_id"].to_numpy(), "reason": status,
                                      "case_date": pd.PeriodIndex(x["month"], freq="M").end_time.normalize(),
                                      "case_balance": x["loan_id"].astype(object).map(bal).to_numpy()}))
    if sel.loan_ids:
        known = ctx.loans[ctx.loans["loan_id"].isin(sel.loan_ids)]
        at_end = lm[(lm["month"] == period.last_month)].set_index("loan_id")["balance"]
        rows.append(pd.DataFrame({"loan_id": known["loan_id"].to_numpy(), "reason": "listed", "case_date": period.end,
                                  "case_balance": known["loan_id"].astype(object).map(at_end).to_numpy()}))
    cases = pd.concat(rows, ignore_index=True).sort_values(["case_date", "loan_id"]).drop_duplicates("loan_id")
    cases = cases.merge(ctx.loans[["loan_id", "customer_id", "customer_name", "customer_type", "product", "amount",
                                   "disbursement_date", "effective_maturity", "guarantee_type", "operating_branch_id",
                                   "managing_branch_id"]], on="loan_id")
    cases["case_balance"] = cases["case_balance"].astype(float).fillna(0.0)
    rec = ctx.extract["recoveries"]
    cash = rec[rec["method"].isin(["cash", "guarantor_payment", "collateral_sale", "foreclosure"]) &
               (rec["recovery_date"] <= period.end)].groupby("loan_id")["amount"].sum()
    cases["recovered"] = cases["loan_id"].astype(object).map(cash).astype(float).fillna(0.0)
    credit = ctx.loans.groupby("customer_id")["amount"].sum()
    cases["customer_credit"] = cases["customer_id"].astype(object).map(credit).astype(float)
    sc = cfg.inclusive_scope
    cases["inclusive_scope"] = ((cases["customer_type"].isin(sc.customer_types) | cases["product"].isin(sc.products))
                                & (cases["customer_credit"] <= sc.max_customer_credit))
    cases["case_id"] = [f"AC-{period.label}-{i + 1:04d}" for i in range(len(cases))]
    cases["reason_cn"] = cases["reason"].map(REASONS)
    return cases.reset_index(drop=True)


def _rows(duty, cases_part, due, done, officer, ref, detail="", forced_lapse=None) -> pd.DataFrame:
    n = len(cases_part)
    f = pd.DataFrame({"case_id": cases_part["case_id"].to_numpy(), "loan_id": cases_part["loan_id"].to_numpy(),
                      "duty": duty, "due_date": pd.to_datetime(pd.Series(due)).to_numpy(),
                      "done_date": pd.to_datetime(pd.Series(done)).to_numpy() if done is not None else pd.NaT,
                      "officer_id": pd.Series(officer, dtype=object).to_numpy(),
                      "ref": pd.Series(ref, dtype=object).to_numpy() if not isinstance(ref, str) else ref,
                      "detail": detail if isinstance(detail, str) else pd.Series(detail, dtype=object).to_numpy()})
    if forced_lapse is not None:
        f["forced"] = np.asarray(forced_lapse, dtype=bool)
    return f


def build_timeline(ctx: MonthContext, cases: pd.DataFrame, cfg: AccountabilityConfig) -> pd.DataFrame:
    pol = ctx.policy
    c = cases.set_index("loan_id")
    parts = []
    resp = ctx.responsible
    # first inspection
    days = cases["customer_type"].astype(object).map(pol.inspection.first.days).astype(float)
    due = cases["disbursement_date"] + pd.to_timedelta(days, unit="D")
    ins = ctx.extract["inspections"]
    first = ins[ins["kind"] == "first"]
    by_loan = first[first["loan_id"].notna()].groupby("loan_id")["completed_date"].min()
    by_cust = first[first["loan_id"].isna()].groupby("customer_id")["completed_date"].min()
    done = pd.to_datetime(lookup(cases["loan_id"], by_loan))
    done = done.fillna(pd.to_datetime(lookup(cases["customer_id"], by_cust)))
    done = done.where(done >= cases["disbursement_date"])
    keep = (due <= cases["case_date"]).to_numpy()
    parts.append(_rows("first_inspection", cases[keep], due[keep], done[keep],
                       resp(cases.loc[keep, "customer_id"], due[keep]), "首次检查"))
    # routine windows from disbursement to the case date
    first_day = min(cases["disbursement_date"].min(), cases["case_date"].min())
    start = max(first_day, pd.Timestamp(ctx.extract["loan_month"]["month"].min() + "-01"))
    w = _routine_windows(ctx, start, cases["case_date"].max())
    w = w.merge(cases[["case_id", "loan_id", "customer_id", "disbursement_date", "case_date"]], on="customer_id")
    w = w[(w["window_start"] >= w["disbursement_date"]) & (w["due_date"] <= w["case_date"])]
    q = ins[ins["kind"].isin(pol.inspection.routine.qualifying_kinds)][["customer_id", "completed_date"]]
    m = w.merge(q, on="customer_id", how="left")
    m = m[(m["completed_date"] >= m["window_start"]) & (m["completed_date"] <= m["due_date"])]
    met = m.groupby(["case_id", "window_start"])["completed_date"].min()
    wd = pd.to_datetime(pd.Series([met.get((a, b)) for a, b in zip(w["case_id"], w["window_start"])], dtype=object))
    parts.append(_rows("routine_inspection", w, w["due_date"], wd.to_numpy(), resp(w["customer_id"], w["due_date"]),
                       w["window"].astype(str) + ":" + w["window_start"].dt.strftime("%Y-%m-%d")))
    # warnings of the customer identified between disbursement and the case date
    wl = ctx.extract["warnings"]
    wl = wl[wl["status"] != "rejected"].merge(cases[["case_id", "loan_id", "customer_id", "disbursement_date",
                                                     "case_date"]], on="customer_id")
    wl = wl[(wl["identified_date"] >= wl["disbursement_date"]) & (wl["identified_date"] <= wl["case_date"])]
    lv = lambda spec: wl["level"].map({x: spec.for_level(x) for x in ("red", "orange", "yellow")})
    who = resp(wl["customer_id"], wl["identified_date"])
    for duty, spec, col in (("warning_report", pol.warning.report_working_days, "reported_date"),
                            ("warning_handling", pol.warning.handling_working_days, "first_measure_date")):
        dl = ctx.calendar.add_working_days(wl["identified_date"], lv(spec))
        ok = dl <= wl["case_date"].to_numpy().astype("datetime64[D]")
        sub = wl[ok]
        parts.append(_rows(duty, sub, dl[ok], sub[col], who[ok], sub["warning_id"], sub["level"]))
    dl = ctx.calendar.add_working_days(wl["identified_date"], pol.warning.entry_working_days.days)
    ok = dl <= wl["case_date"].to_numpy().astype("datetime64[D]")
    parts.append(_rows("warning_entry", wl[ok], dl[ok], wl.loc[ok, "entered_date"], who[ok], wl.loc[ok, "warning_id"]))
    # collateral revaluation (latest appraisal) and title warrant
    col = ctx.extract["collateral"].merge(cases[["case_id", "loan_id", "customer_id", "disbursement_date",
                                                 "guarantee_type", "case_date"]], on="loan_id")
    age = col["kind"].astype(object).map(lambda k: pol.collateral.max_age_months.get(k, pol.collateral.max_age_months["default"]))
    reval_due = pd.Series([a + pd.DateOffset(months=int(mo)) for a, mo in zip(col["appraisal_date"], age)], index=col.index)
    stale = reval_due < col["case_date"]
    sub = col[stale]
    parts.append(_rows("collateral_revaluation", sub, reval_due[stale], None, resp(sub["customer_id"], reval_due[stale]),
                       sub["collateral_id"], "最近评估 " + sub["appraisal_date"].dt.strftime("%Y-%m-%d")))
    need = col[col["guarantee_type"].isin(pol.title_warrant.guarantee_types)]
    wdue = need["disbursement_date"] + pd.Timedelta(days=pol.title_warrant.days)
    keep = wdue <= need["case_date"]
    sub = need[keep]
    parts.append(_rows("title_warrant", sub, wdue[keep], sub["warrant_received_date"],
                       resp(sub["customer_id"], wdue[keep]), sub["collateral_id"]))
    # entrusted payment and purpose: each payment up to the case date
    ep = pol.entrusted_payment
    pay = ctx.extract["fund_payments"].merge(cases[["case_id", "loan_id", "customer_id", "product", "case_date"]],
                                             on="loan_id")
    pay = pay[pay["payment_date"] <= pay["case_date"]]
    limit = pay["product"].astype(object).map(ep.single_payment_over).astype(float)
    bad = ((pay["mode"] == "self") & limit.notna() & (pay["amount"] > limit)) | pay["payee_category"].isin(ep.prohibited_payees)
    parts.append(_rows("entrusted_payment", pay, pay["payment_date"], pay["payment_date"].where(~bad),
                       resp(pay["customer_id"], pay["payment_date"]), pay["payment_id"],
                       pay["mode"].astype(str) + "/" + pay["payee_category"].astype(str), forced_lapse=bad))
    # collection start: each delinquency spell up to the case date
    lm = ctx.extract["loan_month"]
    lm = lm[lm["loan_id"].isin(cases["loan_id"])].sort_values(["loan_id", "month"])
    prev = lm.groupby("loan_id")["dpd"].shift(fill_value=0)
    sp = lm[(lm["dpd"] > 0) & (prev == 0)].merge(cases[["case_id", "loan_id", "customer_id", "case_date"]], on="loan_id")
    sp_start = pd.PeriodIndex(sp["month"], freq="M").end_time.normalize() - pd.to_timedelta(sp["dpd"] - 1, unit="D")
    sp_start = pd.Series(sp_start, index=sp.index)
    sp_due = sp_start + pd.Timedelta(days=pol.collection.start.days)
    act = ctx.extract["collection_actions"]
    a = sp[["case_id", "loan_id"]].assign(s=sp_start.to_numpy(), _i=sp.index).merge(
        act[["loan_id", "action_time"]], on="loan_id", how="left")
    a = a[a["action_time"] >= a["s"]]
    first_act = a.groupby("_i")["action_time"].min().dt.normalize()
    keep = (sp_due <= sp["case_date"]).to_numpy()
    sub = sp[keep]
    parts.append(_rows("collection_start", sub, sp_due[keep], pd.to_datetime(lookup(pd.Series(sub.index), first_act)).to_numpy(),
                       resp(sub["customer_id"], sp_due[keep]), sub["month"].astype(str)))
    # collection conduct: night contact and third-party contact
    cc = pol.collection.conduct
    ca = act.merge(cases[["case_id", "loan_id", "case_date"]], on="loan_id")
    ca = ca[ca["action_time"] <= ca["case_date"] + pd.Timedelta(days=1)]
    t = ca["action_time"].dt.strftime("%H:%M")
    wrong = (((t >= cc.quiet_from) | (t < cc.quiet_until)) & ca["channel"].isin(cc.quiet_channels)) | \
        ca["contacted_party"].isin(cc.forbidden_parties)
    sub = ca[wrong]
    parts.append(_rows("collection_conduct", sub, sub["action_time"].dt.normalize(), None, sub["officer_id"],
                       sub["action_id"], sub["channel"].astype(str) + "/" + sub["contacted_party"].astype(str),
                       forced_lapse=np.ones(len(sub), dtype=bool)))
    # limitation and guarantee periods that ran out before the case date
    ev = act[act["evidence"]]
    cash = ctx.extract["recoveries"]
    cash = cash[cash["method"] == "cash"]
    filed = ctx.extract["legal_cases"]
    lim_rows = []
    for r in cases.itertuples():
        d = r.case_date
        events = [r.effective_maturity]
        events += list(ev.loc[(ev["loan_id"] == r.loan_id) & (ev["action_time"] <= d), "action_time"].dt.normalize())
        events += list(cash.loc[(cash["loan_id"] == r.loan_id) & (cash["recovery_date"] <= d), "recovery_date"])
        events += list(filed.loc[(filed["loan_id"] == r.loan_id) & (filed["filed_date"] <= d), "filed_date"])
        end = max(events) + pd.DateOffset(years=pol.legal.limitation_years.years)
        if end <= d:
            lim_rows.append((r.case_id, r.loan_id, end, r.customer_id))
    if lim_rows:
        lr = pd.DataFrame(lim_rows, columns=["case_id", "loan_id", "due", "customer_id"])
        parts.append(_rows("limitation", lr, lr["due"], None, resp(lr["customer_id"], lr["due"]), "诉讼时效届满",
                           forced_lapse=np.ones(len(lr), dtype=bool)))
    g = ctx.extract["guarantees"].merge(cases[["case_id", "loan_id", "customer_id", "effective_maturity", "case_date"]],
                                        on="loan_id")
    g_end = g["period_end_date"].fillna(g["effective_maturity"] + pd.DateOffset(months=pol.legal.guarantee_default_months.months))
    to_g = ev[ev["contacted_party"] == "guarantor"].groupby("loan_id")["action_time"].min().dt.normalize()
    sued = filed[filed["kind"].isin(["lawsuit", "arbitration"])].groupby("loan_id")["filed_date"].min()
    joint = g["mode"].eq("joint").fillna(False).to_numpy(dtype=bool)
    claim = pd.to_datetime(lookup(g["loan_id"], to_g)).where(joint, pd.to_datetime(lookup(g["loan_id"], sued)))
    lost = (g_end < g["case_date"]) & ~(claim.notna() & (claim <= g_end))
    sub = g[lost]
    parts.append(_rows("guarantee_period", sub, g_end[lost], None, resp(sub["customer_id"], g_end[lost]),
                       sub["guarantee_id"], sub["guarantor_name"], forced_lapse=np.ones(len(sub), dtype=bool)))
    # archives
    ar = ctx.extract["archives"].merge(cases[["case_id", "loan_id", "customer_id", "case_date"]], on="loan_id")
    ar = ar[ar["due_date"] <= ar["case_date"]]
    parts.append(_rows("archives", ar, ar["due_date"], ar["received_date"], resp(ar["customer_id"], ar["due_date"]),
                       ar["doc_type"]))
    tl = pd.concat([p for p in parts if len(p)], ignore_index=True)
    if "forced" not in tl:
        tl["forced"] = False
    tl["forced"] = tl["forced"].fillna(False).astype(bool)
    tl = tl.merge(cases[["case_id", "case_date"]], on="case_id")
    late_days = (tl["done_date"] - tl["due_date"]).dt.days
    missing = tl["done_date"].isna() | (tl["done_date"] > tl["case_date"])
    tl["status"] = np.select([tl["forced"], missing, late_days > 0], ["lapse", "missing", "late"], "on_time")
    tl["days_late"] = np.where(tl["status"] == "late", late_days,
                               np.where(tl["status"] == "missing", (tl["case_date"] - tl["due_date"]).dt.days, np.nan))
    tl = pd.concat([tl, _events(ctx, cases)], ignore_index=True)
    for col in ("due_date", "done_date", "case_date"):
        tl[col] = pd.to_datetime(tl[col]).astype("datetime64[ns]")
    tl["duty_cn"] = tl["duty"].map(DUTY_CN)
    return tl.drop(columns=["forced"]).sort_values(["case_id", "due_date", "duty"]).reset_index(drop=True)


def _events(ctx: MonthContext, cases: pd.DataFrame) -> pd.DataFrame:
    """Periods with nobody assigned and handovers without witness or signature, per case."""
    a = ctx.extract["assignments"]
    a = a[a["customer_id"].isin(cases["customer_id"])].sort_values(["customer_id", "start_date"])
    by_customer = {k: g for k, g in a.groupby("customer_id", sort=False, observed=True)}
    none = a.iloc[:0]
    rows = []
    for r in cases.itertuples():
        x = by_customer.get(r.customer_id, none)
        cursor = r.disbursement_date
        for s in x.itertuples():
            if s.start_date > cursor and cursor < r.case_date:
                rows.append((r.case_id, r.loan_id, "unassigned", cursor, min(s.start_date, r.case_date), None,
                             "gap", f"{cursor:%Y-%m-%d} 至 {min(s.start_date, r.case_date):%Y-%m-%d} 无人管户"))
            if pd.notna(s.handover_reason) and r.disbursement_date <= s.start_date <= r.case_date and (
                    pd.isna(s.witness_officer_id) or pd.isna(s.handover_signed_date)):
                what = "、".join(w for w, missing in (("无监交人", pd.isna(s.witness_officer_id)),
                                                     ("移交清单未签字", pd.isna(s.handover_signed_date))) if missing)
                rows.append((r.case_id, r.loan_id, "handover", s.start_date, pd.NaT, s.officer_id, "handover", what))
            end = s.end_date if pd.notna(s.end_date) else r.case_date + pd.Timedelta(days=1)
            cursor = max(cursor, end)
        if cursor < r.case_date:
            rows.append((r.case_id, r.loan_id, "unassigned", cursor, r.case_date, None, "gap",
                         f"{cursor:%Y-%m-%d} 起无人管户"))
    ev = pd.DataFrame(rows, columns=["case_id", "loan_id", "duty", "due_date", "done_date", "officer_id", "ref", "detail"])
    ev["status"] = "event"
    return ev
